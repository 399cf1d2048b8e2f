"""HTTP endpoints under /api/v1/kitchen."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/kitchen", tags=["kitchen"])
