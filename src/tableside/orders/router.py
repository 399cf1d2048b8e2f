"""HTTP endpoints under /api/v1/orders."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/orders", tags=["orders"])
