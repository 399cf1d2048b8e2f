"""HTTP endpoints of the ledger under /api/v1/sales (mounted before the sales router so
`/sales/aggregate` is never read as a sale id)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/sales", tags=["sales ledger"])
