"""The HTTP face of the exporter: ``create_app(settings)`` builds a FastAPI app
around one :class:`Monitor` from the routers of :mod:`monitor.api`. Nothing
opens a file or a socket when this module is imported or the app is built: the
store is opened and the live state rebuilt in the lifespan, and the forecast and
nowcast run in the background while the app answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import prometheus_client
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry

from monitor.api import halls, ingest, ops
from monitor.api.models import ErrorBody
from monitor.collector import HallCollector
from monitor.config import Settings
from monitor.service import ApiError, Monitor


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    """An :class:`ApiError` as its status and ``{"detail": ...}`` body."""
    assert isinstance(exc, ApiError)
    body = ErrorBody.model_validate({"detail": exc.detail})
    return JSONResponse(body.model_dump(mode="json"), exc.status, headers=exc.headers)


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
    app.add_exception_handler(ApiError, _api_error)
    for router in (ingest.router, halls.router, ops.router):
        app.include_router(router)
    return app
