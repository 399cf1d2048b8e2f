"""Declarative base with a naming convention, UUID keys and timestamps."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, MetaData, Uuid, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every ORM model derives from this."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Fetch server-set values (timestamps) with RETURNING so no attribute is left expired,
    # which would otherwise trigger lazy IO when a response is serialised.
    __mapper_args__ = {"eager_defaults": True}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class TenantMixin:
    """A row owned by one business: filtered by repositories and hidden by row-level security."""

    @declared_attr
    def business_id(self) -> Mapped[uuid.UUID]:
        return mapped_column(
            Uuid, ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False, index=True
        )


class Model(IdMixin, TimestampMixin, Base):
    __abstract__ = True


class TenantModel(TenantMixin, Model):
    __abstract__ = True
