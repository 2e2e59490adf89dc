"""hallq's live side (CLI ``hallmon``): event ingest, the event store, live hall
state, forecast and nowcast, Prometheus metrics, the hall manager's pages and
ops configuration. A stack of packages, bottom first: ``core`` (settings,
store, live state, the :class:`~monitor.core.monitor.Monitor`); ``background``,
``ops`` and ``replay`` beside each other above it; ``api`` (the HTTP edge);
``web`` (pages); ``server`` (the app and its server); ``demo``; ``cli``.
``tests/test_architecture.py`` keeps each package to those below it. May import
``sim``'s library packages; ``sim`` never imports this package."""
