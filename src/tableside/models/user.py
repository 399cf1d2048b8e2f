"""People of a business: users and the invitations that bring them in."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tableside.db.base import TenantModel
from tableside.models.business import enum_column


class Role(enum.StrEnum):
    owner = "owner"
    admin = "admin"
    manager = "manager"
    cashier = "cashier"
    wait_staff = "wait_staff"
    kitchen_staff = "kitchen_staff"
    viewer = "viewer"


class KitchenProfile(enum.StrEnum):
    kitchen_read = "kitchen_read"
    kitchen_write = "kitchen_write"
    kitchen_manager = "kitchen_manager"


class User(TenantModel):
    """A person's membership of one business. The same email may belong to several businesses."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("business_id", "email"),)

    email: Mapped[str] = mapped_column(String(320), index=True)
    hashed_password: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"))
    kitchen_profile: Mapped[KitchenProfile | None] = mapped_column(
        enum_column(KitchenProfile, "kitchen_profile")
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class Invitation(TenantModel):
    """An invitation to join a business with a role chosen by the inviter."""

    __tablename__ = "invitations"

    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"))
    kitchen_profile: Mapped[KitchenProfile | None] = mapped_column(
        enum_column(KitchenProfile, "kitchen_profile")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
