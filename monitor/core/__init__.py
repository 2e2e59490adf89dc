"""The live core, at the bottom of ``monitor``'s stack: the exporter's settings
(:mod:`~monitor.core.config`), the durable event store and its lock
(:mod:`~monitor.core.store`, :mod:`~monitor.core.storelock`), request bodies
turned into validated events and store rows (:mod:`~monitor.core.batches`,
:mod:`~monitor.core.localdays`), each hall's live state built in event time,
the same whatever order events arrive in (:mod:`~monitor.core.tickets`,
:mod:`~monitor.core.state`, :mod:`~monitor.core.labels`), the immutable
pictures a scrape or a request reads (:mod:`~monitor.core.snapshot`,
:mod:`~monitor.core.today`), and :class:`~monitor.core.monitor.Monitor`, which
owns them all and changes only through its own methods. It raises domain
errors (:mod:`~monitor.core.errors`); it knows nothing of HTTP, Prometheus or
the simulation that runs in the background."""
