"""The ``hallmon`` commands, at the top of ``monitor``'s stack: thin layers
that load a config, call the packages below and print, each failing on bad
input with one ``hallmon: <what>: <why>`` line and exit 2
(:mod:`~monitor.cli.errors`). :mod:`~monitor.cli.app` holds ``serve``,
``check`` and ``hash-token`` and registers the others: ``replay``, ``demo``,
``prometheus-config`` and ``grafana``."""
