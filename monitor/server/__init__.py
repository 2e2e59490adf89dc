"""The running exporter: :func:`~monitor.server.app.create_app` assembles the
live core, the background work, the HTTP API and the pages into one FastAPI
app, and :func:`~monitor.server.serving.serve` runs it under uvicorn with the
exporter's connection and header limits."""
