"""HTTP endpoints under /api/v1/tables."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/tables", tags=["tables"])
