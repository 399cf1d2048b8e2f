"""HTTP endpoints under /api/v1/menu."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/menu", tags=["menu"])
