"""`tableside create-user`: operator-side account creation, outside any login."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from sqlalchemy import select

from tableside.auth import service as auth_service
from tableside.auth.passwords import hash_password, password_problems
from tableside.auth.schemas import RegisterRequest
from tableside.config import Settings
from tableside.db.database import Database, enter_system_scope, set_tenant
from tableside.errors import AppError
from tableside.kit.schemas import utcnow
from tableside.models import Business, Role, User
from tableside.users.repository import UserRepository


async def create_user_command(
    settings: Settings,
    database_url: str,
    *,
    email: str,
    password: str,
    full_name: str,
    business_slug: str | None,
    business_name: str | None,
    role: str,
) -> str:
    """Create the account and return a line to print; exit with status 1 on bad input."""
    if (business_slug is None) == (business_name is None):
        raise typer.BadParameter("give either --business-slug or --business-name")
    problems = password_problems(password)
    if problems:
        raise typer.BadParameter("password " + "; ".join(problems))
    database = Database(database_url, settings)
    try:
        async with database.session() as session:
            if business_name is not None:
                request = RegisterRequest(
                    email=email, password=password, full_name=full_name, business_name=business_name
                )
                user, business, _ = await auth_service.register(
                    session, settings, request, auth_service.ClientInfo(None, "tableside-cli")
                )
                return f"Created business {business.name} ({business.slug}) with owner {user.email}"
            try:
                user_role = Role(role)
            except ValueError as exc:
                raise typer.BadParameter(f"role must be one of {[r.value for r in Role]}") from exc
            await enter_system_scope(session)
            found = (
                await session.execute(select(Business).where(Business.slug == business_slug))
            ).scalar_one_or_none()
            if found is None:
                raise typer.BadParameter(f"no business with slug {business_slug!r}")
            await set_tenant(session, found.id)
            user = await UserRepository(session, found.id).add(
                User(
                    business_id=found.id,
                    email=email.lower(),
                    full_name=full_name,
                    hashed_password=hash_password(password),
                    role=user_role,
                    email_verified_at=utcnow(),
                )
            )
            return f"Created {user.role} {user.email} in {found.name}"
    except ValidationError as exc:
        raise typer.BadParameter(str(exc)) from exc
    except AppError as exc:
        raise typer.BadParameter(exc.message) from exc
    finally:
        await database.dispose()
