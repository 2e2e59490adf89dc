"""What operators and Prometheus read: ``/metrics``, ``/healthz``, ``/readyz``."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from monitor.api.deps import MonitorDep, RegistryDep
from monitor.api.models import Health, Readiness

router = APIRouter(tags=["ops"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "The Prometheus text exposition.",
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
        }
    },
)
def metrics(registry: RegistryDep) -> Response:
    """Prometheus text exposition of every hall."""
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz")
def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get(
    "/readyz",
    responses={503: {"model": Readiness, "description": "The store is not open yet."}},
)
def readyz(monitor: MonitorDep, response: Response) -> Readiness:
    """Ready (200) once the store is open and every hall's day rebuilt, else 503."""
    halls = monitor.halls
    if not monitor.ready:
        response.status_code = 503
    return Readiness(
        ready=monitor.ready,
        halls=len(halls),
        forecasts=sum(1 for h in halls if h in monitor.forecasts),
        nowcasts=len(monitor.nowcasts),
    )
