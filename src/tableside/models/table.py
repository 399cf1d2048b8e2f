"""Tables of the dining room."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from tableside.db.base import TenantModel
from tableside.models.business import enum_column


class TableStatus(enum.StrEnum):
    available = "available"
    occupied = "occupied"
    reserved = "reserved"
    cleaning = "cleaning"
    out_of_service = "out_of_service"


class DiningTable(TenantModel):
    __tablename__ = "dining_tables"
    __table_args__ = (
        UniqueConstraint("business_id", "table_number"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("party_size IS NULL OR party_size > 0", name="party_size_positive"),
    )

    location_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="SET NULL"), index=True
    )
    table_number: Mapped[str] = mapped_column(String(20))
    section: Mapped[str] = mapped_column(String(80), default="Main Floor")
    capacity: Mapped[int] = mapped_column(Integer)
    status: Mapped[TableStatus] = mapped_column(
        enum_column(TableStatus, "table_status"), default=TableStatus.available
    )
    party_size: Mapped[int | None] = mapped_column(Integer)
    server_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    seated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notes: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
