"""Checks every CSV import makes of its header row, with the errors in the API.md shape."""

from __future__ import annotations

from collections.abc import Sequence


def header_problems(
    names: Sequence[str],
    *,
    missing: Sequence[str],
    allowed: Sequence[str],
    allowed_label: str = "allowed",
) -> list[dict[str, str]]:
    """Problems of a header: the required columns it lacks (`missing`, worked out by the
    caller, which knows its alternatives), columns outside `allowed`, repeated ones, and
    columns without a name. Each problem is a `{"field": "file", "message": ...}` detail."""
    problems = []
    if missing:
        problems.append(
            {"field": "file", "message": f"missing required column(s): {', '.join(missing)}"}
        )
    # Spreadsheets save a column that once held something as an empty header cell: name it
    # by its position (it is neither an unknown name nor a repeated one).
    unnamed = [str(position) for position, name in enumerate(names, 1) if not name]
    names = [name for name in names if name]
    unknown = [name for name in names if name not in allowed]
    if unknown:
        problems.append(
            {
                "field": "file",
                "message": f"unknown column(s): {', '.join(repr(n) for n in unknown)};"
                f" {allowed_label}: {', '.join(allowed)}",
            }
        )
    repeated = sorted({name for name in names if list(names).count(name) > 1})
    if repeated:
        problems.append({"field": "file", "message": f"repeated column(s): {', '.join(repeated)}"})
    if len(unnamed) == 1:
        problems.append(
            {"field": "file", "message": f"column {unnamed[0]} has no name: delete it or name it"}
        )
    elif unnamed:
        problems.append(
            {
                "field": "file",
                "message": f"columns {', '.join(unnamed)} have no name: delete them or name them",
            }
        )
    return problems
