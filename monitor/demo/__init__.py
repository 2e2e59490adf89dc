"""``hallmon demo``: the live side working, in one command. It starts the exporter
on the bundled halls (each hall's clock following its events, a store in a
temporary directory), replays a simulated day of each hall at ``--speed``
times real time over HTTP with its own seed, one hall (``--overload``) short
of staff so that something goes red, and prints the pages' addresses. When
``prometheus`` and ``prometheus-alertmanager`` are installed it runs them too,
with the repository's rules (``hallmon prometheus-config``) and Alertmanager
config, and the pages show the alerts.

Every process it starts runs in its own process group; Ctrl-C (or SIGTERM)
stops them all, group by group, waits for them, and removes the temporary
directory. This package holds the processes (:mod:`~monitor.demo.processes`)
and what it starts (:mod:`~monitor.demo.stack`); the command is
:mod:`monitor.cli.demo`."""
