"""hallq's live side: event ingest, the event store, live hall state, forecast
and nowcast publication for Prometheus (CLI ``hallmon``). May import ``sim``;
``sim`` never imports this package."""
