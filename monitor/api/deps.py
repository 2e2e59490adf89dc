"""The dependencies routes declare as ``Annotated[..., Depends()]``: the
:class:`Monitor` of the app, the hall named in the path (not served here: a
404), the hall a bearer token may post to (401, 403, 404), and
:data:`ReadAccess`, the read token of the read API, ``/metrics`` and the pages
(401 when one is configured and not presented)."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from monitor.api.models import ErrorBody
from monitor.core.config import Hall, token_hash
from monitor.core.errors import NotAuthenticated
from monitor.core.monitor import Monitor


async def get_monitor(request: Request) -> Monitor:
    """The monitor :func:`monitor.server.app.create_app` put in the app's state.

    The dependencies here are ``async``: FastAPI runs a plain ``def``
    dependency in a worker thread, a thread hop per dependency and request
    (two of the three an ingest request made), for work of microseconds."""
    monitor: Monitor = request.app.state.monitor
    return monitor


MonitorDep = Annotated[Monitor, Depends(get_monitor)]


async def served_hall(hall: str, monitor: MonitorDep) -> Hall:
    """The hall of the path; 404 when this exporter (or shard) does not serve it."""
    return monitor.hall(hall)


async def authenticated_hall(
    hall: str,
    monitor: MonitorDep,
    authorization: Annotated[str | None, Header(description="Bearer <the hall's token>")] = None,
) -> Hall:
    """The hall of the path, when the bearer token is that hall's: else 401 (no
    or unknown token), 404 (a hall not served here), 403 (another hall's token)."""
    return monitor.authenticate(authorization, hall)


ServedHall = Annotated[Hall, Depends(served_hall)]
IngestHall = Annotated[Hall, Depends(authenticated_hall)]


def presented_token(authorization: str | None) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or the password of HTTP
    Basic (any user name): what a browser asks for at a Basic challenge."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, colon, password = decoded.partition(":")
        return password if colon and password else None
    return None


async def read_access(
    monitor: MonitorDep,
    authorization: Annotated[
        str | None,
        Header(description="Bearer <read token>, or Basic with the read token as password"),
    ] = None,
) -> None:
    """Nothing when the config sets no read token; else the read token must be
    presented (401 with a Basic challenge, so a browser asks for it)."""
    digest = monitor.settings.read_token_sha256
    if digest is None:
        return
    token = presented_token(authorization)
    # compared as digests, in constant time: the timing says nothing of the token
    if token is None or not hmac.compare_digest(token_hash(token), digest):
        raise NotAuthenticated(
            "reading needs the read token: Authorization: Bearer <token>, "
            "or HTTP Basic with the token as password",
            read=True,
        )


ReadAccess = Annotated[None, Depends(read_access)]  # a route parameter: ``_: ReadAccess``
READ_ACCESS = Depends(read_access)  # for ``dependencies=[READ_ACCESS]`` of a router

_ERRORS = {
    401: "No bearer token, or one no hall has.",
    403: "Another hall's token, or events naming another hall (`detail` lists them).",
    404: "A hall this exporter (or shard) does not serve.",
    413: "The body is over `max_body_bytes`.",
    415: "A Content-Type other than JSON (application/json) or JSON Lines (application/x-ndjson).",
    422: "Bad events, or a bad query or path parameter: `detail` lists each (up to 100) "
    "as {index, field, reason} (index: the event's, null for a parameter); nothing is stored.",
    429: "The hall is over one of its limits (`limits.hall`: events a second, bytes stored "
    "a day): nothing was stored; send it again after Retry-After seconds.",
    503: "Not ready yet.",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}}
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    429: _RETRY_AFTER,
    503: _RETRY_AFTER,
}
READ_ERRORS: dict[int | str, dict[str, object]] = {
    401: {
        "model": ErrorBody,
        "description": "The config sets a read token and the request does not present it.",
        "headers": {
            "WWW-Authenticate": {
                "description": 'Basic realm="hallmon"',
                "schema": {"type": "string"},
            }
        },
    }
}


def errors(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, object]]:
    """``responses=`` of a route: the error body for each status, described by
    default or by ``descriptions`` (keyword ``s404=...`` for status 404)."""
    out: dict[int | str, dict[str, object]] = {}
    for status in statuses:
        entry: dict[str, object] = {
            "model": ErrorBody,
            "description": descriptions.get(f"s{status}", _ERRORS[status]),
        }
        if status in _HEADERS:
            entry["headers"] = _HEADERS[status]
        out[status] = entry
    return out
