"""The one place where what the live core refuses becomes an HTTP status: each
domain error of :mod:`monitor.core.errors` maps to its status, the
``{"detail": ...}`` body (:class:`~monitor.api.models.ErrorBody`) and the
headers its status calls for (a challenge with 401, Retry-After with 503). A
store that fails a read is a 503 too."""

from __future__ import annotations

import sqlite3

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from monitor.api.models import ErrorBody
from monitor.core.errors import (
    BodyTooLarge,
    Forbidden,
    ForecastOff,
    ForecastPending,
    HallNotServed,
    InvalidEvents,
    ModelRefused,
    MonitorError,
    NotAuthenticated,
    StorageUnavailable,
    UnsupportedBody,
)
from monitor.core.monitor import STORE_RETRY_S

STATUS: dict[type[MonitorError], int] = {
    NotAuthenticated: 401,
    Forbidden: 403,
    HallNotServed: 404,
    ForecastOff: 404,
    ModelRefused: 404,
    BodyTooLarge: 413,
    UnsupportedBody: 415,
    InvalidEvents: 422,
    StorageUnavailable: 503,
    ForecastPending: 503,
}
BEARER_CHALLENGE = "Bearer"
READ_CHALLENGE = 'Basic realm="hallmon"'  # a browser asks for the read token


def status_of(exc: MonitorError) -> int:
    """The status of a domain error (of its nearest mapped class)."""
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    raise LookupError(f"{type(exc).__name__} has no HTTP status")


def headers_of(exc: MonitorError) -> dict[str, str]:
    headers: dict[str, str] = {}
    if isinstance(exc, NotAuthenticated):
        headers["WWW-Authenticate"] = READ_CHALLENGE if exc.read else BEARER_CHALLENGE
    if exc.retry_after_s is not None:
        headers["Retry-After"] = str(exc.retry_after_s)
    return headers


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MonitorError)
    body = ErrorBody.model_validate({"detail": exc.detail})
    return JSONResponse(body.model_dump(mode="json"), status_of(exc), headers=headers_of(exc))


async def _store_failed(request: Request, exc: Exception) -> JSONResponse:
    """A store that failed a read: 503 with Retry-After and the reason (ingest
    refuses its own failures, counted, as :class:`StorageUnavailable`)."""
    body = ErrorBody(detail=f"the event store failed: {exc}")
    headers = {"Retry-After": str(STORE_RETRY_S)}
    return JSONResponse(body.model_dump(mode="json"), 503, headers=headers)


def install(app: FastAPI) -> None:
    """Answer every domain error, and a store error, with its status."""
    app.add_exception_handler(MonitorError, _refused)
    app.add_exception_handler(sqlite3.Error, _store_failed)
