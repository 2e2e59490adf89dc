"""The exporter's HTTP API, one router per concern, in the layout of FastAPI's
full-stack template: :mod:`~monitor.api.deps` (the monitor, the hall of the
path, the authenticated hall), :mod:`~monitor.api.ingest` (``POST`` events),
:mod:`~monitor.api.halls` (the ``/v1`` read API), :mod:`~monitor.api.ops`
(``/metrics``, ``/healthz``, ``/readyz``) and :mod:`~monitor.api.models` (every
response body). :func:`monitor.app.create_app` puts them together."""
