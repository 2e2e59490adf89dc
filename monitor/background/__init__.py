"""What the exporter simulates while it answers: the day forecast and the
nowcast of every hall, computed in a pool of worker processes
(:mod:`~monitor.background.pool`) by :class:`~monitor.background.loops.Background`
and published through the :class:`~monitor.core.monitor.Monitor`'s methods.
Calls into ``sim.live``; above the live core, below the HTTP edge."""
