"""`/api/v1/auth`: register, login, refresh, logout, profile, password reset, email verification."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response, status
from pydantic import ValidationError

from tableside.auth import service
from tableside.auth.dependencies import CurrentPrincipal
from tableside.auth.schemas import (
    BusinessSummary,
    LoginRequest,
    Me,
    Message,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    ProfileUpdate,
    RefreshRequest,
    Registered,
    RegisterRequest,
    TokenPair,
)
from tableside.db.session import SessionDep
from tableside.errors import BadRequest, ValidationFailed
from tableside.http.errors import error_responses
from tableside.users.schemas import User

router = APIRouter(prefix="/auth", tags=["auth"])

RESET_MESSAGE = "If an account exists for this email, a reset link has been sent."

_LOGIN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": LoginRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "username": {"type": "string", "description": "Your email"},
                        "password": {"type": "string", "format": "password"},
                        "business_slug": {"type": "string"},
                        "grant_type": {"type": "string", "enum": ["password"]},
                    },
                }
            },
        },
    }
}


def _client(request: Request) -> service.ClientInfo:
    return service.ClientInfo(
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


def _settings(request: Request) -> Any:
    return request.app.state.settings


@router.post(
    "/register",
    response_model=Registered,
    status_code=status.HTTP_201_CREATED,
    summary="Create a business and its owner, or join one with an invitation",
)
async def register(body: RegisterRequest, request: Request, session: SessionDep) -> Registered:
    user, business, tokens = await service.register(
        session, _settings(request), body, _client(request)
    )
    return Registered(
        **tokens.model_dump(),
        user=User.model_validate(user),
        business=BusinessSummary.model_validate(business),
    )


async def _login_request(request: Request) -> LoginRequest:
    """The OAuth2 password form (username = email) or a JSON body."""
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            return LoginRequest.model_validate(
                {
                    "email": form.get("username") or form.get("email"),
                    "password": form.get("password"),
                    "business_slug": form.get("business_slug") or None,
                }
            )
        return LoginRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        raise ValidationFailed(
            details=[
                {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                for e in exc.errors()
            ]
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest("Send JSON or an OAuth2 password form") from exc


@router.post(
    "/login",
    response_model=TokenPair,
    summary="Log in with email and password (JSON or OAuth2 form)",
    openapi_extra=_LOGIN_BODY,
    responses=error_responses(401),
)
async def login(request: Request, session: SessionDep) -> TokenPair:
    body = await _login_request(request)
    return await service.login(session, _settings(request), body, _client(request))


@router.post(
    "/refresh",
    response_model=TokenPair,
    summary="Rotate a refresh token",
    responses=error_responses(401),
)
async def refresh(body: RefreshRequest, request: Request, session: SessionDep) -> TokenPair:
    return await service.refresh(session, _settings(request), body.refresh_token)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End this login session",
    responses=error_responses(400),
)
async def logout(principal: CurrentPrincipal, session: SessionDep) -> Response:
    await service.logout(session, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me",
    response_model=Me,
    summary="Who am I: profile, business and permissions",
    responses=error_responses(400),
)
async def me(principal: CurrentPrincipal, session: SessionDep) -> Me:
    user, business, permissions = await service.me(session, principal)
    return Me(
        **User.model_validate(user).model_dump(),
        business=BusinessSummary.model_validate(business),
        permissions=permissions,
    )


@router.patch("/me", response_model=User, summary="Update my name or phone")
async def update_me(body: ProfileUpdate, principal: CurrentPrincipal, session: SessionDep) -> User:
    return User.model_validate(await service.update_profile(session, principal, body))


@router.post(
    "/change-password",
    response_model=TokenPair,
    summary="Change my password (ends my other sessions, returns fresh tokens)",
)
async def change_password(
    body: PasswordChange, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> TokenPair:
    return await service.change_password(
        session, _settings(request), principal, body, _client(request)
    )


@router.post(
    "/password-reset",
    response_model=Message,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Email a password reset token (same answer whether or not the email exists)",
)
async def password_reset(
    body: PasswordResetRequest, request: Request, session: SessionDep
) -> Message:
    await service.request_password_reset(session, _settings(request), body)
    return Message(message=RESET_MESSAGE)


@router.post(
    "/password-reset/confirm",
    response_model=Message,
    summary="Set a new password with a reset token",
)
async def password_reset_confirm(body: PasswordResetConfirm, session: SessionDep) -> Message:
    await service.confirm_password_reset(session, body)
    return Message(message="Your password has been changed. Log in with the new password.")


@router.post(
    "/verify-email/resend",
    response_model=Message,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send the email verification link again",
    responses=error_responses(400),
)
async def resend_verification(
    request: Request, principal: CurrentPrincipal, session: SessionDep
) -> Message:
    await service.resend_verification(session, _settings(request), principal)
    return Message(message="If your email is not yet verified, a new link has been sent.")


@router.post(
    "/verify-email/{token}",
    response_model=User,
    summary="Confirm an email address",
    responses=error_responses(400),
)
async def verify_email(token: str, session: SessionDep) -> User:
    return User.model_validate(await service.verify_email(session, token))
