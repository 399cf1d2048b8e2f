"""The `tableside` command: serve, migrate, demo, worker, create-user."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tableside.cli_import import import_app
from tableside.config import Settings, get_settings

app = typer.Typer(
    help="Tableside: the open-source operating system for restaurants.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
app.add_typer(import_app, name="import")


async def _database_url(settings: Settings) -> str:
    from tableside.db.database import resolve_database_url

    return await resolve_database_url(settings)


def _migrate(settings: Settings) -> str:
    from tableside.db.migrate import upgrade

    url = asyncio.run(_database_url(settings))
    upgrade(url)
    return url


def _serve(host: str, port: int, workers: int, url: str | None = None) -> None:
    import uvicorn

    if url:
        # Worker processes resolve the same database without starting another server.
        os.environ["TABLESIDE_DATABASE_URL"] = url
        get_settings.cache_clear()
    console.print(
        f"[bold green]Tableside[/] on http://{host}:{port}  (API docs: http://{host}:{port}/docs)"
    )
    uvicorn.run(
        "tableside.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        proxy_headers=True,
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes")] = 1,
) -> None:
    """Serve the API (run `tableside migrate` first on a new database)."""
    settings = get_settings()
    url = asyncio.run(_database_url(settings))
    _serve(host, port, workers, url)


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision")] = "head",
) -> None:
    """Bring the database schema up to date."""
    from tableside.db.migrate import upgrade

    settings = get_settings()
    url = asyncio.run(_database_url(settings))
    upgrade(url, revision)
    console.print(f"[green]Database migrated to {revision}.[/]")


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Load the demo and exit")] = False,
    reset: Annotated[bool, typer.Option("--reset", help="Drop and rebuild the demo")] = False,
) -> None:
    """Migrate, load the demo business "Bella Vista" and serve it."""
    from tableside.db.database import Database
    from tableside.demo import DEMO_LOCATIONS, DEMO_PASSWORD, DEMO_USERS, load_demo

    settings = get_settings()
    url = _migrate(settings)

    async def load() -> bool:
        database = Database(url, settings)
        try:
            _, created = await load_demo(database, reset=reset)
            return created
        finally:
            await database.dispose()

    created = asyncio.run(load())
    console.print(
        "[bold]Demo business Bella Vista[/] "
        + ("loaded." if created else "already present (use --reset to rebuild).")
    )
    console.print("Locations: " + ", ".join(name for name, _, _ in DEMO_LOCATIONS))
    table = Table("email", "password", "role", "kitchen profile")
    for person in DEMO_USERS:
        table.add_row(person.email, DEMO_PASSWORD, person.role, person.kitchen_profile or "")
    console.print(table)
    if not no_serve:
        _serve(host, port, 1, url)


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="Jobs run at once")] = None,
) -> None:
    """Run a background job worker (any number may run, on any machine)."""
    from tableside.jobs.runtime import run_standalone_worker

    settings = get_settings()
    if concurrency is not None:
        settings = settings.model_copy(update={"worker_concurrency": concurrency})
    url = asyncio.run(_database_url(settings))
    console.print(f"[green]Worker started[/] (concurrency {settings.worker_concurrency}).")
    asyncio.run(run_standalone_worker(settings, url))


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="Login email")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, help="Password")],
    full_name: Annotated[str, typer.Option(help="Full name")],
    business_slug: Annotated[str | None, typer.Option(help="Add to this existing business")] = None,
    business_name: Annotated[
        str | None, typer.Option(help="Create this new business with the user as owner")
    ] = None,
    role: Annotated[str, typer.Option(help="Role in an existing business")] = "owner",
) -> None:
    """Create a user in an existing business, or a new business with its owner."""
    from tableside.cli_users import create_user_command

    settings = get_settings()
    url = asyncio.run(_database_url(settings))
    message = asyncio.run(
        create_user_command(
            settings,
            url,
            email=email,
            password=password,
            full_name=full_name,
            business_slug=business_slug,
            business_name=business_name,
            role=role,
        )
    )
    console.print(message)


if __name__ == "__main__":
    app()
