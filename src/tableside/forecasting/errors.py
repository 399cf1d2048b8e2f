"""The forecasting domain's errors, and the engine's errors as API errors."""

from __future__ import annotations

from tableside.errors import AppError, InvalidState, NotFound, ValidationFailed
from tableside.forecasting.engine.errors import EngineError, InsufficientHistory


class InsufficientData(NotFound):
    """Nothing to compare yet: no stored prediction has its actuals."""

    code = "INSUFFICIENT_DATA"
    default_message = "Not enough data to compute this yet"


class ForecastDeleted(NotFound):
    """The forecast was deleted while it trained: the run is not stored (404 NOT_FOUND, or
    a failed job with that code)."""

    default_message = "The forecast was deleted while it trained: no run was stored"


class NotATreeModel(InvalidState):
    code = "NOT_A_TREE_MODEL"
    default_message = "Feature importance exists only for tree models"


class NotTrained(InvalidState):
    code = "NOT_TRAINED"
    default_message = "The forecast has no successful run yet: retrain it first"


def from_engine(exc: EngineError, field: str | None = "method") -> AppError:
    """A 422 carrying the engine's own code (UNKNOWN_METHOD, METHOD_UNAVAILABLE,
    INSUFFICIENT_HISTORY, INVALID_CONFIG) and message."""
    where = None if isinstance(exc, InsufficientHistory) else field
    error = ValidationFailed(
        exc.message,
        details=[{"field": where, "message": exc.message}] if where else [],
    )
    error.code = exc.code
    return error


def insufficient_history(message: str) -> AppError:
    """The engine's INSUFFICIENT_HISTORY for a panel the domain already knows is too short."""
    return from_engine(InsufficientHistory(message), None)
