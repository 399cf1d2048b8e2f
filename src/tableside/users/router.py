"""`/api/v1/users`: accounts, roles, kitchen profiles, deactivation and invitations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.db.session import SessionDep
from tableside.kit.pagination import ListParamsDep, Page, page_of
from tableside.models import Role
from tableside.users import service
from tableside.users.schemas import (
    Invitation,
    InvitationCreate,
    InvitationCreated,
    User,
    UserCreate,
    UserUpdate,
)

router = APIRouter(prefix="/users", tags=["users"])

UserReader = Annotated[Principal, Depends(require(Area.users, Action.read))]
UserWriter = Annotated[Principal, Depends(require(Area.users, Action.write))]
UserManager = Annotated[Principal, Depends(require(Area.users, Action.manage))]
Inviter = Annotated[Principal, Depends(require(Area.invitations, Action.write))]
InvitationReader = Annotated[Principal, Depends(require(Area.invitations, Action.read))]


@router.get("", response_model=Page[User], summary="List the business's users")
async def list_users(
    principal: UserReader,
    session: SessionDep,
    params: ListParamsDep,
    role: Role | None = None,
    is_active: bool | None = None,
) -> Page[User]:
    rows, total = await service.list_users(
        session, principal, params, role=role, is_active=is_active
    )
    return page_of(User, rows, total, params)


@router.post("", response_model=User, status_code=status.HTTP_201_CREATED, summary="Create a user")
async def create_user(body: UserCreate, principal: UserWriter, session: SessionDep) -> User:
    return User.model_validate(await service.create_user(session, principal, body))


@router.get("/invitations", response_model=Page[Invitation], summary="List invitations")
async def list_invitations(
    principal: InvitationReader,
    session: SessionDep,
    params: ListParamsDep,
    pending_only: bool = False,
) -> Page[Invitation]:
    rows, total = await service.list_invitations(
        session, principal, params, pending_only=pending_only
    )
    return page_of(Invitation, rows, total, params)


@router.post(
    "/invitations",
    response_model=InvitationCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Invite someone to join the business with a role",
)
async def create_invitation(
    body: InvitationCreate, principal: Inviter, session: SessionDep, request: Request
) -> InvitationCreated:
    invitation, token = await service.create_invitation(
        session, principal, body, request.app.state.settings
    )
    return InvitationCreated.model_validate(
        {**Invitation.model_validate(invitation).model_dump(), "token": token}
    )


@router.delete(
    "/invitations/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a pending invitation",
)
async def revoke_invitation(
    invitation_id: uuid.UUID, principal: Inviter, session: SessionDep
) -> Response:
    await service.revoke_invitation(session, principal, invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{user_id}", response_model=User, summary="Get a user")
async def get_user(user_id: uuid.UUID, principal: UserReader, session: SessionDep) -> User:
    return User.model_validate(await service.get_user(session, principal, user_id))


@router.patch("/{user_id}", response_model=User, summary="Update a user, role or kitchen profile")
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, principal: UserWriter, session: SessionDep
) -> User:
    return User.model_validate(await service.update_user(session, principal, user_id, body))


router.add_api_route(
    "/{user_id}",
    update_user,
    methods=["PUT"],
    response_model=User,
    summary="Update a user (same as PATCH: only the fields sent change)",
)


@router.post("/{user_id}/deactivate", response_model=User, summary="Deactivate a user")
async def deactivate_user(user_id: uuid.UUID, principal: UserManager, session: SessionDep) -> User:
    return User.model_validate(await service.deactivate_user(session, principal, user_id))


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a user (deactivates: their history stays)",
)
async def delete_user(user_id: uuid.UUID, principal: UserManager, session: SessionDep) -> Response:
    await service.deactivate_user(session, principal, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
