"""A client of the exporter: simulated (or recorded) events posted over HTTP in
batches, paced against the wall clock, sent again after a transient failure
and never twice on purpose (:mod:`~monitor.replay.client`). Used by ``hallmon
replay``, the demo and the end-to-end tests; knows the exporter only by its
HTTP contract."""
