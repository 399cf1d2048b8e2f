"""Response models of the import history (`/api/v1/sales/imports`)."""

from __future__ import annotations

import enum
import uuid
from datetime import date

from pydantic import Field

from tableside.kit.schemas import DecimalNumber, ResponseSchema, UtcDatetime


class ImportKind(enum.StrEnum):
    """What an import brought in (the `kind` filter of the history)."""

    bulk = "bulk"
    csv_daily = "csv_daily"
    csv_lines = "csv_lines"
    demo = "demo"


class SalesImport(ResponseSchema):
    """One recorded ingestion: a bulk request, a CSV upload or a CLI import."""

    id: uuid.UUID = Field(description="The import's id (the path of GET and DELETE)")
    batch_id: str | None = Field(
        default=None, description="The sender's batch_id of a bulk request (none for files)"
    )
    kind: str = Field(
        description="bulk, csv_daily or csv_lines (an upload or a CLI import), or demo (the "
        "demo business's history)"
    )
    source: str
    filename: str | None
    lines_written: int
    lines_skipped: int
    net_amount: DecimalNumber
    first_date: date | None = Field(description="First business date the lines fall on")
    last_date: date | None
    created_by: uuid.UUID | None
    created_at: UtcDatetime
