"""What operators and Prometheus read: ``/metrics``, ``/healthz``, ``/readyz``.

``/metrics`` is the cached exposition (:mod:`monitor.api.exposition`: rendered at
most once a second, shared by concurrent scrapers), behind the read token when
one is configured; ``HEAD /metrics`` answers as GET without the body. The
probes never need a token."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST

from monitor.api.deps import READ_ERRORS, MonitorDep, ReadAccess
from monitor.api.exposition import Exposition
from monitor.api.models import Health, Readiness

router = APIRouter(tags=["ops"])


def get_exposition(request: Request) -> Exposition:
    exposition: Exposition = request.app.state.exposition
    return exposition


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "The Prometheus text exposition.",
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
        },
        **READ_ERRORS,
    },
)
async def metrics(request: Request, _: ReadAccess) -> Response:
    """Prometheus text exposition of every hall (at most a second old)."""
    body = await run_in_threadpool(get_exposition(request).body)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@router.head("/metrics", include_in_schema=False)
async def metrics_head(request: Request, _: ReadAccess) -> Response:
    """What GET answers, without the body (monitoring checks probe with HEAD)."""
    body = await run_in_threadpool(get_exposition(request).body)
    headers = {"Content-Length": str(len(body))}
    return Response(media_type=CONTENT_TYPE_LATEST, headers=headers)


@router.get("/healthz")
def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get(
    "/readyz",
    responses={
        503: {
            "model": Readiness,
            "description": "The store is not open yet, or it cannot take writes now.",
        }
    },
)
def readyz(monitor: MonitorDep, response: Response) -> Readiness:
    """Ready (200) once the store is open and every hall's day rebuilt, and
    while the store takes writes; else 503."""
    now = monitor.readiness()
    if not now.ready:
        response.status_code = 503
    return Readiness(
        ready=now.ready,
        halls=now.halls,
        forecasts=now.forecasts,
        nowcasts=now.nowcasts,
        store_error=now.store_error,
    )
