"""How every ``hallmon`` command fails on bad input: one line per problem,
``hallmon: <what>: <why>`` on stderr, exit status 2, no traceback. A config
error, a scenario error (both :class:`~sim.model.errors.InputError`) and an
``OSError`` (a file that cannot be read or written) are all bad input. The
printing is ``hallsim``'s (:mod:`sim.reports.terminal`), under this name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from sim.model.errors import InputError
from sim.reports import terminal

PROG = "hallmon"


def fail(what: str, why: str, *, code: int = 2) -> typer.Exit:
    """Print ``hallmon: what: why`` (each line of ``why`` so prefixed) on
    stderr; the caller raises the returned exit."""
    lines = [f"{what}: {line}" for line in why.splitlines() or [""]]
    return terminal.fail("\n".join(lines), PROG, code=code)


def fail_lines(message: str, *, code: int = 2) -> typer.Exit:
    """Print each line of ``message`` (already ``<what>: <why>``) after ``hallmon:``."""
    return terminal.fail(message, PROG, code=code)


@contextmanager
def reported(what: str) -> Iterator[None]:
    """Turn an :class:`InputError` (a config or scenario error, whose message
    names its file) or :class:`OSError` (named by its file, else ``what``)
    raised inside into the ``hallmon: ...`` lines and exit 2."""
    try:
        yield
    except InputError as exc:
        raise fail_lines(str(exc)) from None
    except OSError as exc:
        raise fail(str(exc.filename or what), exc.strerror or str(exc)) from None
