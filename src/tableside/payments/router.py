"""HTTP endpoints under /api/v1/sales."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/sales", tags=["sales"])
