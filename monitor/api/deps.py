"""The dependencies routes declare as ``Annotated[..., Depends()]``: the
:class:`Monitor` of the app, the hall named in the path (404 when not served
here) and the hall a bearer token may post to (401, 403, 404)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request
from prometheus_client import CollectorRegistry

from monitor.api.models import ErrorBody
from monitor.config import Hall
from monitor.service import Monitor


def get_monitor(request: Request) -> Monitor:
    """The monitor :func:`monitor.app.create_app` put in the app's state."""
    monitor: Monitor = request.app.state.monitor
    return monitor


def get_registry(request: Request) -> CollectorRegistry:
    """The app's own Prometheus registry (never the global one)."""
    registry: CollectorRegistry = request.app.state.registry
    return registry


MonitorDep = Annotated[Monitor, Depends(get_monitor)]
RegistryDep = Annotated[CollectorRegistry, Depends(get_registry)]


def served_hall(hall: str, monitor: MonitorDep) -> Hall:
    """The hall of the path; 404 when this exporter (or shard) does not serve it."""
    return monitor.hall(hall)


def authenticated_hall(
    hall: str,
    monitor: MonitorDep,
    authorization: Annotated[str | None, Header(description="Bearer <the hall's token>")] = None,
) -> Hall:
    """The hall of the path, when the bearer token is that hall's: else 401 (no
    or unknown token), 404 (a hall not served here), 403 (another hall's token)."""
    return monitor.authenticate(authorization, hall)


ServedHall = Annotated[Hall, Depends(served_hall)]
IngestHall = Annotated[Hall, Depends(authenticated_hall)]

_ERRORS = {
    401: "No bearer token, or one no hall has.",
    403: "Another hall's token, or events naming another hall (`detail` lists them).",
    404: "A hall this exporter (or shard) does not serve.",
    413: "The body is over `max_body_bytes`.",
    422: "Bad events: `detail` lists each (up to 100) as {index, field, reason}; "
    "nothing is stored.",
    503: "Not ready yet.",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}},
}


def errors(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route: the error body for each status, described by
    default or by ``descriptions`` (keyword ``s404=...`` for status 404)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "model": ErrorBody,
            "description": descriptions.get(f"s{status}", _ERRORS[status]),
        }
        if status in _HEADERS:
            entry["headers"] = _HEADERS[status]
        out[status] = entry
    return out
