"""What every command line (``hallsim`` and ``hallmon``) shares for output:
stderr for messages and progress, stdout for tables and JSON, one JSON
emitter, and one way to fail on bad input.

Failing: a command raises the :class:`typer.Exit` that :func:`fail` returns, or
lets an :class:`~sim.model.errors.InputError` or :class:`OSError` escape a
function wrapped by :func:`user_errors`; either way the person sees
``<prog>: <what>: <why>`` on stderr and the process exits 2, with no traceback.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from sim.model.errors import InputError

if TYPE_CHECKING:
    import typer
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from sim.model.scenario import Scenario

P = ParamSpec("P")
R = TypeVar("R")


class _Stderr:
    """rich's console on stderr, made when something is first printed: a run
    that prints only JSON on a pipe never imports rich (about 30 ms). What is
    handed to rich as a console (a progress bar's) is :meth:`console` itself:
    rich uses it as a context manager, whose methods Python looks up on the
    type, never through ``__getattr__``."""

    _console: Console | None = None

    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console(), name)

    def __enter__(self) -> Console:
        return self.console().__enter__()

    def __exit__(self, *exc: object) -> None:
        self.console().__exit__(*exc)


_err = _Stderr()
err = cast("Console", _err)


def stdout_console() -> Console:
    """Console for tables: the terminal's width, or 120 columns when the output
    goes to a file or pipe (rich would otherwise squeeze tables into 80)."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 120)


def emit_json(data: Any) -> None:
    """``data`` as one line of JSON on stdout (UTF-8 names as they are, NaN and
    infinities as null)."""
    json.dump(jsonable(data), sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


def jsonable(value: Any) -> Any:
    """``value`` with non-finite floats as ``None`` (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def fail(message: str, prog: str = "hallsim", *, code: int = 2) -> typer.Exit:
    """Print ``prog: message`` on stderr, each line prefixed; the caller raises
    the returned exit (status 2: bad input, no traceback)."""
    import typer
    from rich.markup import escape

    for line in message.splitlines() or [""]:
        err.print(f"[bold red]{prog}:[/] {escape(line)}", highlight=False, soft_wrap=True)
    return typer.Exit(code=code)


def os_error_text(exc: OSError) -> str:
    """``<path>: <why>`` for a file error, as a person reads it."""
    why = exc.strerror or str(exc)
    return f"{exc.filename}: {why}" if exc.filename is not None else why


def user_errors(prog: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a command so that an :class:`InputError` or :class:`OSError` it
    raises is printed by :func:`fail` (exit 2) instead of a traceback."""

    def wrap(command: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(command)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return command(*args, **kwargs)
            except InputError as exc:
                raise fail(str(exc), prog) from None
            except OSError as exc:
                raise fail(os_error_text(exc), prog) from None

        return guarded

    return wrap


def flowing_summaries(app: typer.Typer) -> typer.Typer:
    """``app`` with each command's line in its group's list (``--help``) set
    to the first paragraph of its help as one flowing line: typer's rich help
    keeps a docstring's line breaks there (not on the command's own page), so
    a summary wrapped in the source came out ragged at any terminal's width.
    Sub-groups too; a summary given explicitly stays."""
    for info in app.registered_commands:
        if info.short_help is None:
            text = info.help or inspect.getdoc(info.callback) or ""
            info.short_help = " ".join(text.split("\n\n")[0].split()) or None
    for group in app.registered_groups:
        if group.typer_instance is not None:
            flowing_summaries(group.typer_instance)
    return app


def load_or_fail(path: Path, prog: str = "hallsim") -> Scenario:
    """The scenario at ``path``, or exit 2 with each problem prefixed by the file."""
    from sim.model.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        lines = str(exc).splitlines()
        named = [ln if ln.startswith(str(path)) else f"{path}: {ln}" for ln in lines]
        raise fail("\n".join(named), prog) from None


class QuietProgress:
    """What :func:`progress_bar` gives when stderr is no terminal: rich's
    progress bar would be disabled there, and this one needs no rich."""

    def __enter__(self) -> QuietProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def add_task(self, description: str, total: float | None = 100.0, **fields: Any) -> TaskID:
        return cast("TaskID", 0)

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        return None

    def update(self, task_id: TaskID, **fields: Any) -> None:
        return None

    @property
    def console(self) -> Console:
        return err


def _stderr_may_be_terminal() -> bool:
    """False only where rich's console would surely not count stderr as a
    terminal: not a TTY, and neither TTY_COMPATIBLE nor FORCE_COLOR set."""
    if "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


def progress_bar() -> Progress | QuietProgress:
    """A progress bar on stderr, shown only on a terminal and gone when done."""
    if not _stderr_may_be_terminal():
        return QuietProgress()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = _err.console()
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
