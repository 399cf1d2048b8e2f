"""Requests and responses of /api/v1/auth."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import EmailStr, Field, model_validator

from tableside.kit.schemas import DecimalNumber, ResponseSchema, Schema
from tableside.models import KitchenProfile, Role
from tableside.users.schemas import FullName, Password, User


class RegisterRequest(Schema):
    """Create a new business and become its owner, or join one with an invitation token."""

    email: EmailStr
    password: Password
    full_name: FullName
    business_name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    invitation_token: Annotated[str, Field(min_length=10, max_length=200)] | None = None

    @model_validator(mode="after")
    def one_way_in(self) -> RegisterRequest:
        if (self.business_name is None) == (self.invitation_token is None):
            raise ValueError("send either business_name (new business) or invitation_token")
        return self


class LoginRequest(Schema):
    email: EmailStr
    password: Annotated[str, Field(min_length=1, max_length=200)]
    business_slug: Annotated[str, Field(max_length=80)] | None = Field(
        default=None, description="Needed only when the email belongs to several businesses"
    )


class RefreshRequest(Schema):
    refresh_token: Annotated[str, Field(min_length=10, max_length=200)]


class LogoutRequest(Schema):
    refresh_token: Annotated[str, Field(max_length=200)] | None = None


class PasswordResetRequest(Schema):
    email: EmailStr
    business_slug: Annotated[str, Field(max_length=80)] | None = None


class PasswordResetConfirm(Schema):
    token: Annotated[str, Field(min_length=10, max_length=200)]
    new_password: Password


class PasswordChange(Schema):
    current_password: Annotated[str, Field(min_length=1, max_length=200)]
    new_password: Password


class ProfileUpdate(Schema):
    full_name: FullName | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None


class TokenPair(ResponseSchema):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_expires_in: int = Field(description="Seconds until the refresh token expires")


class BusinessSummary(ResponseSchema):
    id: uuid.UUID
    name: str
    slug: str
    currency: str
    timezone: str
    tax_rate: DecimalNumber
    day_cutoff_hour: int


class Registered(TokenPair):
    user: User
    business: BusinessSummary


class Me(User):
    business: BusinessSummary
    permissions: dict[str, list[str]] = Field(
        description="For each area, the actions this user may perform"
    )


class Message(ResponseSchema):
    message: str


class AccountChoice(ResponseSchema):
    business_slug: str
    business_name: str
    role: Role
    kitchen_profile: KitchenProfile | None
