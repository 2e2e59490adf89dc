"""``python -m monitor``: the same as the ``hallmon`` command."""

from monitor.cli import main

main()
