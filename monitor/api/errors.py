"""The one place where what the live core refuses becomes an HTTP status: each
domain error of :mod:`monitor.core.errors` maps to its status, the
``{"detail": ...}`` body (:class:`~monitor.api.models.ErrorBody`) and the
headers its status calls for (a challenge with 401, Retry-After with 503). A
store that fails a read is a 503 too."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from monitor.api.models import ErrorBody
from monitor.core.errors import (
    BadQuery,
    BodyTooLarge,
    CityNotServed,
    EtaPending,
    Forbidden,
    ForecastOff,
    ForecastPending,
    HallNotServed,
    InvalidEvents,
    ModelRefused,
    MonitorError,
    NotAuthenticated,
    Problem,
    RateLimited,
    StorageUnavailable,
    TicketNotFound,
    UnsupportedBody,
)
from monitor.core.health import STORE_RETRY_S

STATUS: dict[type[MonitorError], int] = {
    NotAuthenticated: 401,
    Forbidden: 403,
    HallNotServed: 404,
    CityNotServed: 404,
    ForecastOff: 404,
    ModelRefused: 404,
    BodyTooLarge: 413,
    UnsupportedBody: 415,
    InvalidEvents: 422,
    BadQuery: 422,
    RateLimited: 429,
    StorageUnavailable: 503,
    ForecastPending: 503,
    TicketNotFound: 404,
    EtaPending: 503,
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


async def _bad_parameters(request: Request, exc: Exception) -> JSONResponse:
    """A query, path or header parameter FastAPI refused: 422 in the documented
    shape, a problem per parameter (``index`` null: no event)."""
    assert isinstance(exc, RequestValidationError)
    problems: list[Problem] = []
    for error in exc.errors()[:100]:
        loc = [
            str(part) for part in error.get("loc", ()) if part not in ("query", "path", "header")
        ]
        message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        problems.append({"index": None, "field": ".".join(loc) or None, "reason": message})
    body = ErrorBody.model_validate({"detail": problems})
    return JSONResponse(body.model_dump(mode="json"), 422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals (no such route: 404, method: 405) in the documented shape."""
    assert isinstance(exc, HTTPException)
    body = ErrorBody(detail=str(exc.detail))
    return JSONResponse(body.model_dump(mode="json"), exc.status_code, headers=exc.headers)


_FASTAPI_422 = "#/components/schemas/HTTPValidationError"
_ERROR_BODY = "#/components/schemas/ErrorBody"


# open: the OpenAPI document is FastAPI's own JSON, of its own free-form type
def _documented(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with FastAPI's own 422 body replaced by the
    one the app answers with (:func:`_bad_parameters`)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    doc = FastAPI.openapi(app)
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            refused = operation.get("responses", {}).get("422")
            if refused is None:
                continue
            schema = refused.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") == _FASTAPI_422:
                schema["$ref"] = _ERROR_BODY
                refused["description"] = (
                    "A bad query or path parameter: `detail` lists each as {index: null, "
                    "field, reason}."
                )
    schemas = doc.get("components", {}).get("schemas", {})
    for fastapis in ("HTTPValidationError", "ValidationError"):
        schemas.pop(fastapis, None)
    app.openapi_schema = doc
    return doc


def install(app: FastAPI) -> None:
    """Answer every domain error, a store error and a refused parameter with its
    status, in the documented shape, and document that shape for every 422."""
    app.add_exception_handler(MonitorError, _refused)
    app.add_exception_handler(sqlite3.Error, _store_failed)
    app.add_exception_handler(RequestValidationError, _bad_parameters)
    app.add_exception_handler(HTTPException, _http_error)
    app.openapi = lambda: _documented(app)  # type: ignore[method-assign]
