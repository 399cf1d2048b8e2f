"""`tableside import sales FILE`: the sales import against the configured database, through
the same code as `POST /api/v1/sales/import`, with a progress bar.

Database and ledger modules are imported inside the command, so registering this group keeps
every other `tableside` command quick to start."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from tableside.config import Settings, get_settings
from tableside.ledger.import_schemas import OnOverlap

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from tableside.errors import ValidationFailed
    from tableside.ledger.import_schemas import SalesImportReport
    from tableside.ledger.ingest import ImportOptions, IngestOutcome
    from tableside.ledger.overlap import ImportOverlap

import_app = typer.Typer(help="Import data into Tableside.", no_args_is_help=True)
console = Console()
# Refusals go to stderr, so `import sales f.csv > report.txt` still shows them, and are not
# wrapped at 80 columns when that is not a terminal (a log keeps each message on one line).
err_console = Console(stderr=True, soft_wrap=True)
# Batch ids, file names, column names and error messages are the user's text: printed through
# `escape`, since rich would read "[jan]" as a style and fail on "[/x]" after the commit.

_SHOWN_ERRORS = 20
# What runs after each step the import reports.
_PHASE_LABELS = {
    "inspected": "Loading rows",
    "copied": "Checking rows",
    "validated": "Writing lines and rollups",
    "written": "Committing",
}


class CliImportError(Exception):
    """A problem the command reports in one line (exit code 1)."""


@import_app.command("sales")
def import_sales(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV file")
    ],
    business_slug: Annotated[
        str | None, typer.Option(help="The business (needed when there is more than one)")
    ] = None,
    location: Annotated[
        str | None, typer.Option(help="Location (name or id) of rows without one")
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Write the valid rows, report the others")
    ] = False,
    batch_id: Annotated[
        str | None, typer.Option(help="Your id for this import: running it again adds nothing")
    ] = None,
    on_overlap: Annotated[
        OnOverlap,
        typer.Option(
            help="Daily files: dates an earlier daily import holds (same location and"
            " category) are refused (reject), added up (add) or replaced (replace)"
        ),
    ] = OnOverlap.reject,
) -> None:
    """Import a sales CSV (daily totals or sale lines), as the API's upload does."""
    from tableside.db.database import resolve_database_url
    from tableside.errors import AppError, ValidationFailed
    from tableside.ledger.ingest import ImportOptions
    from tableside.ledger.overlap import ImportOverlap

    settings = get_settings()
    url = asyncio.run(resolve_database_url(settings))
    options = ImportOptions(
        skip_invalid=skip_invalid,
        default_location=location,
        external_id=batch_id,
        on_overlap=on_overlap,
    )
    try:
        outcome = asyncio.run(run_import(settings, url, file, business_slug, options))
    except ValidationFailed as exc:
        _print_errors(exc)
        raise typer.Exit(1) from exc
    except ImportOverlap as exc:
        _print_overlap(exc)
        raise typer.Exit(1) from exc
    except (AppError, CliImportError) as exc:
        err_console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(1) from exc
    print_report(outcome.report)


async def run_import(
    settings: Settings,
    database_url: str,
    path: Path,
    business_slug: str | None,
    options: ImportOptions,
    *,
    show_progress: bool = True,
) -> IngestOutcome:
    """Import `path` into the business in one transaction (what the command runs)."""
    from tableside.db.database import Database, set_tenant
    from tableside.ledger.csv_format import PathSource
    from tableside.ledger.ingest import import_file

    database = Database(database_url, settings)
    try:
        async with database.session() as session:
            business_id = await _business_id(session, business_slug)
            await set_tenant(session, business_id)
            size = (await asyncio.to_thread(path.stat)).st_size
            with _progress(show_progress) as bar:
                reading = bar.add_task("Reading", total=size)
                phase = bar.add_task("Checking the file", total=None)

                async def progress(step: str, done: int, total: int) -> None:
                    if step == "copying":
                        bar.update(reading, completed=done, total=total)
                    else:
                        if step == "inspected":
                            bar.update(reading, completed=0, total=size)
                        bar.update(phase, description=_PHASE_LABELS.get(step, step))

                outcome = await import_file(
                    session, business_id, PathSource(path), options, progress=progress
                )
                bar.update(reading, completed=size)
        return outcome
    finally:
        await database.dispose()


def _progress(enabled: bool) -> Progress:
    # The bar goes to stderr, and only at a terminal: stdout is the report, whole and alone
    # when redirected (a disabled-but-transient bar there still leaves a blank line).
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not (enabled and err_console.is_terminal),
    )


async def _business_id(session: AsyncSession, slug: str | None) -> uuid.UUID:
    from sqlalchemy import select

    from tableside.db.database import enter_system_scope
    from tableside.models import Business

    # The business is not known yet: look across businesses once, by slug.
    await enter_system_scope(session)
    stmt = select(Business.id, Business.slug).where(Business.is_active.is_(True))
    if slug is not None:
        stmt = stmt.where(Business.slug == slug)
    rows = (await session.execute(stmt.limit(2))).all()
    if not rows:
        raise CliImportError(
            f"No business with slug {slug!r}" if slug else "There is no business yet"
        )
    if len(rows) > 1:
        raise CliImportError("There is more than one business: give --business-slug")
    return uuid.UUID(str(rows[0].id))


def print_report(report: SalesImportReport) -> None:
    """The report as a small table (and the skipped rows, if any)."""
    if report.duplicate:
        console.print(
            f"[yellow]Already imported[/] (batch {escape(report.batch_id)}): nothing was added."
        )
    table = Table("", "", show_header=False)
    table.add_row("batch", escape(report.batch_id))
    if report.import_id is not None and str(report.import_id) != report.batch_id:
        table.add_row("import", str(report.import_id))
    table.add_row("shape", report.kind)
    table.add_row("lines written", f"{report.lines_written:,}")
    table.add_row("lines skipped", f"{report.lines_skipped:,}")
    if report.lines_replaced:
        table.add_row("lines replaced", f"{report.lines_replaced:,}")
    table.add_row("net amount", f"{report.net_amount:,}")
    table.add_row("business dates", f"{report.first_date} to {report.last_date}")
    if report.signals_written:
        table.add_row("daily signals", f"{report.signals_written:,}")
    console.print(table)
    if report.errors:
        _print_error_rows(
            [e.model_dump(exclude_none=True) for e in report.errors], report.error_count
        )


def _print_overlap(exc: ImportOverlap) -> None:
    """The earlier imports the file overlaps, and the option that lets it in."""
    err_console.print("[red]Nothing was written:[/]")
    for detail in exc.details:
        err_console.print(f"  {escape(detail['message'])} (import {detail['import_id']})")
    err_console.print(
        "Run again with --on-overlap replace to put this file's totals in their place,"
        " or --on-overlap add to add them up."
    )


def _print_errors(exc: ValidationFailed) -> None:
    err_console.print(f"[red]{escape(exc.message)}[/]")
    _print_error_rows(exc.details, None, err_console)


def _print_error_rows(
    details: list[dict[str, Any]], total: int | None, out: Console = console
) -> None:
    table = Table("line", "column", "problem")
    for detail in details[:_SHOWN_ERRORS]:
        table.add_row(
            str(detail.get("line", "")),
            escape(str(detail.get("field", ""))),
            escape(str(detail["message"])),
        )
    out.print(table)
    count = total if total is not None else len(details)
    if count > _SHOWN_ERRORS:
        out.print(f"... and {count - _SHOWN_ERRORS:,} more")
