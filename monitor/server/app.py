"""The HTTP face of the exporter: ``create_app(settings)`` builds a FastAPI app
around one :class:`Monitor` from the routers of :mod:`monitor.api`. Nothing
opens a file or a socket when this module is imported or the app is built: the
store is opened and the live state rebuilt in the lifespan, and the forecast and
nowcast run in the background while the app answers.

Hardening (issue 14): readers wait at a gate that ingest passes
(:mod:`monitor.api.gate`), ``/metrics`` is a cached exposition of per-hall
blocks (:mod:`monitor.api.exposition`), the read routes need the read token when one is
configured, no path is redirected (a trailing slash is a 404, not a redirect
built from the Host header), and a store error is a 503 with Retry-After."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import prometheus_client
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CollectorRegistry, generate_latest

from monitor.api import cities, errors, eta, halls, ingest, learning, ops, quarantine
from monitor.api.collector import HallCollector
from monitor.api.deps import READ_ACCESS, READ_ERRORS
from monitor.api.eta_metrics import EtaCollector
from monitor.api.exposition import Exposition, HallBlocks
from monitor.api.gate import ReadGate
from monitor.api.model_metrics import ModelCollector
from monitor.api.pool_metrics import PoolCollector
from monitor.core.config import Settings
from monitor.core.monitor import Monitor
from monitor.core.travel import StraightLine, TravelTimes
from monitor.notify import build_notifier
from monitor.notify.ledger import Ledger
from monitor.notify.notifiers import Notifier
from monitor.notify.watch import Notifying
from monitor.web import pages


def create_app(
    settings: Settings,
    *,
    background: bool = True,
    travel: TravelTimes | None = None,
    notifier: Notifier | None = None,
) -> FastAPI:
    """The exporter for ``settings``; ``background=False`` leaves out the forecast
    and nowcast workers (for tests of the ingest path alone; ETAs are then
    simulated in a thread, and no notifications are sent); ``travel``: how the
    city wait map reckons travel (default: straight line at ``city_map``'s speed);
    ``notifier`` replaces the one ``notify:`` names (a test's double)."""
    from monitor.background.etas import Etas  # loads the simulation side

    monitor = Monitor(settings)
    blocks = HallBlocks(HallCollector(monitor.views, metric_set=settings.metrics))
    # the model families (a few samples a hall) rendered whole at each scrape, after the
    # cached hall blocks
    models = CollectorRegistry(auto_describe=False)
    models.register(ModelCollector(monitor))

    def render() -> bytes:
        return blocks.render() + generate_latest(models)

    exposition = Exposition(
        render,
        min_interval_s=settings.limits.metrics_every,
        version=monitor.published_version,
    )
    workers = None
    if background:
        from monitor.background.loops import Background

        workers = Background(monitor)
    usage = None if workers is None else workers.usage
    etas = Etas(monitor, None if workers is None else workers.executor, usage)
    # what the pool's CPU goes to, and how often it nowcasts (0: never, without workers)
    nowcast_every_s = settings.nowcast.every if workers is not None else 0.0
    models.register(PoolCollector(lambda: usage, nowcast_every_s))
    notify = settings.notify if background else None
    notifying: list[Notifying] = []  # the loop, once the store is open
    # the ETA and notification counters, rendered whole at each scrape too
    models.register(
        EtaCollector(
            monitor.hall_ids,
            lambda: etas.requests,
            lambda: etas.simulations,
            None if notify is None else lambda: notifying[0].counts if notifying else {},
        )
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]
        if not monitor.opened:  # hallmon serve opens it before it listens
            await run_in_threadpool(monitor.open)
        if workers is not None:
            workers.start()
        if notify is not None:
            sender = notifier or build_notifier(notify)
            notifying.append(Notifying(monitor, etas, sender, Ledger(settings.store), notify))
            task = asyncio.create_task(notifying[0].loop())
        try:
            yield
        finally:
            if notify is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await notifying[0].notifier.aclose()
                notifying[0].ledger.close()
            if workers is not None:
                await workers.stop()
            monitor.close()

    app = FastAPI(
        title="hallmon",
        summary="Live queues, forecast and nowcast of service halls, for Prometheus",
        lifespan=lifespan,
        redirect_slashes=False,
    )
    app.state.monitor = monitor
    app.state.exposition = exposition
    app.state.travel = travel or StraightLine(settings.city_map.speed_km_per_h)
    app.state.etas = etas
    app.state.notifying = notifying
    errors.install(app)
    limits = settings.limits
    app.add_middleware(
        ReadGate,
        readers=limits.readers,
        wait_s=limits.reader_wait,
        ingest_share=limits.ingest_share,
    )
    for router in (ingest.router, ops.router):
        app.include_router(router)
    readers = (halls.router, eta.router, cities.router, learning.router, quarantine.router)
    for router in (*readers, pages.router):
        app.include_router(router, dependencies=[READ_ACCESS], responses=READ_ERRORS)
    return app
