"""The HTTP face of the exporter: ``create_app(settings)`` builds a FastAPI app
around one :class:`Monitor`. Nothing opens a file or a socket before the app
starts: the store is opened and the live state rebuilt in the lifespan, and the
forecast and nowcast run in the background while the app answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import prometheus_client
from fastapi import FastAPI, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from monitor.collector import HallCollector
from monitor.config import Settings
from monitor.jsonviews import hall_nowcast, hall_state, hall_summary
from monitor.service import ApiError, Monitor


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, or 413 as soon as it is known to pass ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    too_large = ApiError(413, f"the body is larger than the limit of {limit} bytes")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: Settings, *, background: bool = True) -> FastAPI:
    """The exporter for ``settings``; ``background=False`` leaves out the forecast
    and nowcast workers (for tests of the ingest path alone)."""
    monitor = Monitor(settings)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HallCollector(monitor.views))
    workers = None
    if background:
        from monitor.background import Background  # loads the simulation side

        workers = Background(monitor)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]
        await run_in_threadpool(monitor.open)
        if workers is not None:
            workers.start()
        try:
            yield
        finally:
            if workers is not None:
                await workers.stop()
            monitor.close()

    app = FastAPI(
        title="hallmon",
        summary="Live queues, forecast and nowcast of service halls, for Prometheus",
        lifespan=lifespan,
    )
    app.state.monitor = monitor
    app.state.registry = registry

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=exc.headers)

    @app.post("/v1/halls/{hall}/events")
    async def ingest(
        hall: str,
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        content_type: Annotated[str, Header()] = "application/json",
    ) -> dict[str, int]:
        """Store a batch of events durably, then apply it; all or nothing."""
        target = monitor.authenticate(authorization, hall)
        body = await _read_body(request, settings.max_body_bytes)
        done = await run_in_threadpool(monitor.receive, target, body, content_type)
        return {"accepted": done.accepted, "duplicates": done.duplicates}

    @app.get("/v1/halls")
    def halls() -> list[dict[str, Any]]:
        """Every hall served here, with its queue now."""
        return [hall_summary(monitor.view(h), monitor.states[h].zone) for h in monitor.halls]

    @app.get("/v1/halls/{hall}/state")
    def state(hall: str) -> dict[str, Any]:
        """The hall's live state: queue, counters, today's counts and histograms."""
        monitor.hall(hall)
        return hall_state(monitor.view(hall), monitor.states[hall].zone)

    @app.get("/v1/halls/{hall}/forecast")
    def forecast(hall: str) -> dict[str, Any]:
        """Today's forecast per interval and service, with 95% confidence intervals."""
        monitor.hall(hall)
        if settings.forecast.replications == 0:
            raise ApiError(404, "the forecast is turned off (forecast.replications: 0)")
        state = monitor.states[hall]
        today = state.snapshot().day
        found = monitor.forecasts.get(hall)
        if found is None or found[0] != today:
            raise ApiError(
                503, f"the forecast for {today} is being computed", {"Retry-After": "10"}
            )
        return {"hall": hall, "day": found[0]} | found[1].to_json()

    @app.get("/v1/halls/{hall}/nowcast")
    def nowcast(hall: str) -> dict[str, Any]:
        """Expected wait of a ticket taken now (and in 15, 30, 60 min), per service."""
        monitor.hall(hall)
        return hall_nowcast(monitor.view(hall), monitor.states[hall].zone)

    @app.get("/metrics")
    def metrics() -> Response:
        """Prometheus text exposition of every hall."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        """Ready once the store is open and the live state rebuilt."""
        body = {
            "ready": monitor.ready,
            "halls": len(monitor.halls),
            "forecasts": sum(1 for h in monitor.halls if h in monitor.forecasts),
            "nowcasts": len(monitor.nowcasts),
        }
        return JSONResponse(body, status_code=200 if monitor.ready else 503)

    return app
