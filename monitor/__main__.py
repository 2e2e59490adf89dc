"""``python -m monitor``: the same as the ``hallmon`` command."""

from monitor.cli.app import main

main()
