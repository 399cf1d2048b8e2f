"""Errors the forecasting engine raises. Each has a stable ``code`` that the API layer maps to an
HTTP error (UNKNOWN_METHOD and INVALID_CONFIG are the caller's mistake, METHOD_UNAVAILABLE a
missing optional dependency, INSUFFICIENT_HISTORY data too short to forecast)."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every engine error; ``code`` is stable, ``message`` is safe to show."""

    code: str = "ENGINE_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownMethod(EngineError):
    """The method name is not one the registry knows (after aliases)."""

    code = "UNKNOWN_METHOD"


class MethodUnavailable(EngineError):
    """The method is known but its optional dependency is not installed."""

    code = "METHOD_UNAVAILABLE"


class InsufficientHistory(EngineError):
    """The panel has too little history for the method (or none at all)."""

    code = "INSUFFICIENT_HISTORY"


class InvalidConfig(EngineError):
    """The configuration, the parameters or the input frames cannot be used."""

    code = "INVALID_CONFIG"
