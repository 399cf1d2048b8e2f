"""HTTP endpoints under /api/v1/customers."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/customers", tags=["customers"])
