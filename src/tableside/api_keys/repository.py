"""SQL for API keys."""

from __future__ import annotations

from collections.abc import Sequence

from tableside.kit.pagination import ListParams
from tableside.kit.repository import TenantRepository
from tableside.models import ApiKey


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey
    sortable = {"created_at": "created_at", "name": "name", "last_used_at": "last_used_at"}
    default_order_desc = True
    searchable = ("name", "prefix")

    async def list(
        self, params: ListParams, *, include_revoked: bool
    ) -> tuple[Sequence[ApiKey], int]:
        stmt = self.base_select()
        if not include_revoked:
            stmt = stmt.where(ApiKey.revoked_at.is_(None))
        return await self.paginate(stmt, params)
