"""User and invitation models of the API."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field

from tableside.auth.passwords import PASSWORD_RULES, validate_password
from tableside.kit.schemas import Resource, ResponseSchema, Schema, UtcDatetime
from tableside.models import KitchenProfile, Role

Password = Annotated[
    str, AfterValidator(validate_password), Field(description=f"Password: {PASSWORD_RULES}")
]
FullName = Annotated[str, Field(min_length=1, max_length=200)]


class User(Resource):
    email: str
    full_name: str
    phone: str | None
    role: Role
    kitchen_profile: KitchenProfile | None
    is_active: bool
    email_verified: bool
    last_login_at: UtcDatetime | None


class UserCreate(Schema):
    """An account created directly by an owner or admin (staff without an email invite)."""

    email: EmailStr
    full_name: FullName
    password: Password
    role: Role
    kitchen_profile: KitchenProfile | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None


class UserUpdate(Schema):
    full_name: FullName | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    role: Role | None = None
    kitchen_profile: KitchenProfile | None = None
    is_active: bool | None = None


class InvitationCreate(Schema):
    email: EmailStr
    role: Role
    kitchen_profile: KitchenProfile | None = None


class Invitation(ResponseSchema):
    id: uuid.UUID
    email: str
    role: Role
    kitchen_profile: KitchenProfile | None
    invited_by_id: uuid.UUID | None
    expires_at: UtcDatetime
    accepted_at: UtcDatetime | None
    revoked_at: UtcDatetime | None
    created_at: UtcDatetime


class InvitationCreated(Invitation):
    token: str = Field(description="Shown once. The invitee registers with it.")
