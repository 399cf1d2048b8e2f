"""HTTP endpoints that bring sale lines into the ledger: /api/v1/sales/bulk and /import."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/sales", tags=["sales ledger"])
