"""HTTP endpoints under /api/v1/analytics."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/analytics", tags=["analytics"])
