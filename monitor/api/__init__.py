"""The exporter's HTTP API, one router per concern, in the layout of FastAPI's
full-stack template: :mod:`~monitor.api.deps` (the monitor, the hall of the
path, the authenticated hall), :mod:`~monitor.api.ingest` (``POST`` events),
:mod:`~monitor.api.halls` (the ``/v1`` read API), :mod:`~monitor.api.ops`
(``/metrics``, ``/healthz``, ``/readyz``), :mod:`~monitor.api.quarantine`, and
:mod:`~monitor.api.models` (every response body), built from the live core's
pictures by :mod:`~monitor.api.views`; the Prometheus collector
(:mod:`~monitor.api.collector`) and its cached exposition
(:mod:`~monitor.api.exposition`); the read gate (:mod:`~monitor.api.gate`);
and :mod:`~monitor.api.errors`, the one place that maps the core's domain
errors to HTTP statuses. :func:`monitor.server.app.create_app` puts them
together."""
