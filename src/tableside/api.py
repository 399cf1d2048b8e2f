"""Mounts every domain router under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tableside.analytics.router import router as analytics_router
from tableside.api_keys.router import router as api_keys_router
from tableside.audit.router import router as audit_router
from tableside.auth.router import router as auth_router
from tableside.businesses.router import router as businesses_router
from tableside.customers.router import router as customers_router
from tableside.forecasting.router import quick_router as forecast_quick_router
from tableside.forecasting.router import router as forecasting_router
from tableside.jobs.router import router as jobs_router
from tableside.kit.validators import reject_nul_parameters
from tableside.kitchen.router import router as kitchen_router
from tableside.ledger.batch_router import router as ledger_batch_router
from tableside.ledger.import_router import router as ledger_import_router
from tableside.ledger.router import router as ledger_router
from tableside.menu.router import router as menu_router
from tableside.orders.router import router as orders_router
from tableside.payments.router import router as payments_router
from tableside.system.router import api_router as system_api_router
from tableside.tables.router import router as tables_router
from tableside.users.router import router as users_router

api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(reject_nul_parameters)])
api_router.include_router(auth_router)
api_router.include_router(businesses_router)
api_router.include_router(users_router)
api_router.include_router(api_keys_router)
api_router.include_router(audit_router)
api_router.include_router(jobs_router)
api_router.include_router(system_api_router)
api_router.include_router(menu_router)
api_router.include_router(customers_router)
api_router.include_router(tables_router)
api_router.include_router(orders_router)
api_router.include_router(kitchen_router)
# The ledger's fixed paths (/sales/aggregate, /sales/bulk, ...) before the sales router's
# /sales/{sale_id}.
api_router.include_router(ledger_router)
api_router.include_router(ledger_import_router)
api_router.include_router(ledger_batch_router)
api_router.include_router(payments_router)
api_router.include_router(analytics_router)
api_router.include_router(forecasting_router)
api_router.include_router(forecast_quick_router)
