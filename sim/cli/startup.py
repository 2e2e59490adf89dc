"""What a ``hallsim`` process sets up before its command runs: the defaults it
gives the libraries it loads (a user's own settings win), and the cycle
collector kept off start-up.

Only the ``hallsim`` process itself (:func:`begin`, called by the entry point)
changes the collector: a test or a program that runs a command in its own
process keeps its collector as it was."""

from __future__ import annotations

import atexit
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

# Each is set only where the user has not set it.
LIBRARY_DEFAULTS = {
    # hallsim runs in parallel with processes (--workers): OpenBLAS's own thread
    # pool would only compete with them, and starting it costs each process
    # about 60 ms of CPU when numpy is imported.
    "OPENBLAS_NUM_THREADS": "1",
    # pydantic looks for plugins (observability hooks) by reading the entry
    # points of every installed distribution when the first model is built:
    # about 6 ms with this project's environment of 137, more in a bigger one,
    # for hooks no hallsim command uses. Set it empty to have them loaded.
    "PYDANTIC_DISABLE_PLUGINS": "__all__",
}

_owned = False  # this process is hallsim's own (begin was called)


def begin() -> None:
    """Set up the ``hallsim`` process: :data:`LIBRARY_DEFAULTS` in the
    environment (worker processes inherit it), each only where the user has
    not set it, and the collector as :func:`start_up` says."""
    global _owned
    for name, value in LIBRARY_DEFAULTS.items():
        os.environ.setdefault(name, value)
    _owned = True
    # What the process made lives until it ends: the collector's last pass at
    # exit, over every object, would be wasted.
    atexit.register(gc.freeze)


@contextmanager
def start_up() -> Iterator[None]:
    """Imports, the app, loading the scenario: what start-up makes lives until
    the process ends, so in the ``hallsim`` process the cycle collector stays
    off while it runs (its passes over the new modules and models cost a
    one-replication run about 10 ms of CPU) and what it made is frozen after,
    kept out of every later pass."""
    if not _owned:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
