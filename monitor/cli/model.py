"""``hallmon model list|show|rollback|pin|unpin``: the halls' models for ops.

Every command reads (and ``rollback``, ``pin``, ``unpin`` write) the model
registry in the event store (:mod:`monitor.core.models`); they work whether
the exporter runs or not, and a running exporter takes a change within a few
seconds. ``rollback`` puts an earlier version back in use and pins it, so
that the next night's fit does not undo it; ``unpin`` lets learning go on.
Register with :func:`register` in :mod:`monitor.cli.app`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from monitor.cli.errors import fail, reported
from sim.reports.tables import Table

model_app = typer.Typer(
    help="The halls' models: list, show, roll back, pin (the nightly learning's versions).",
    no_args_is_help=True,
)

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="The exporter's config YAML.")]
StoreOption = Annotated[
    Path | None, typer.Option("--store", help="Event store file (default: the config's).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
HallOption = Annotated[str, typer.Option("--hall", help="The hall.")]


@contextmanager
def _registry(config: Path, store: Path | None, hall: str | None = None) -> Iterator[Any]:
    """The config's model registry (and the check that ``hall`` is one of its halls)."""
    from monitor.cli.ops import NO_TOKENS
    from monitor.core.config import load_settings
    from monitor.core.models import ModelRegistry

    with reported(str(config)):
        settings = load_settings(config, environ=NO_TOKENS, store=store)
    if hall is not None and hall not in {h.id for h in settings.halls}:
        raise fail("--hall", f"{hall!r} is not a hall of {config}")
    if not Path(settings.store).is_file():
        raise fail(str(settings.store), "there is no event store here (no such file)")
    try:
        registry = ModelRegistry(settings.store, create=False)
    except sqlite3.Error as exc:
        raise fail(str(settings.store), f"cannot open the model registry: {exc}") from None
    try:
        yield registry, settings
    finally:
        registry.close()


def _when(unix_s: float, zone: Any) -> str:
    """A time people read, in the hall's zone."""
    return datetime.fromtimestamp(unix_s, zone).strftime("%Y-%m-%d %H:%M")


def _pct(value: Any) -> str:
    return "–" if value is None else f"{float(value):.1f}%"


def _arrivals(scores: Any) -> str:
    """``replaced → this`` arrivals wMAPE of a fitted version's back-test."""
    if not scores or "candidate" not in scores:
        return ""
    return (
        f"{_pct(scores['current'].get('arrivals_wmape'))} → "
        f"{_pct(scores['candidate'].get('arrivals_wmape'))}"
    )


@model_app.command("list")
def list_models(
    config: ConfigOption, store: StoreOption = None, as_json: JsonOption = False
) -> None:
    """Every hall's model in use: version, source, pinned, the days it was
    fitted from and its back-test against the model it replaced."""
    from monitor.api.learning import version_body
    from sim.reports.terminal import emit_json, stdout_console

    rows = []
    with _registry(config, store) as (registry, settings):
        for hall in settings.halls:
            in_use = registry.in_use(hall.id)
            rows.append((hall, in_use))
    if as_json:
        emit_json(
            [
                {"hall": h.id, "pinned": u.pinned}
                | version_body(u.model, _zone(h)).model_dump(mode="json")
                if u is not None
                else {"hall": h.id, "version": None}
                for h, u in rows
            ]
        )
        return
    table = Table(title="models in use")
    for column in ("hall", "version", "source", "pinned", "fitted from", "arrivals wMAPE"):
        table.add_column(column)
    for hall, in_use in rows:
        if in_use is None:
            table.add_row(hall.id, "–", "not started yet", "", "", "")
            continue
        m = in_use.model
        days = f"{m.days[0]} … {m.days[-1]} ({len(m.days)} days)" if m.days else ""
        table.add_row(
            hall.id,
            str(m.version),
            m.source,
            "yes" if in_use.pinned else "",
            days,
            _arrivals(m.scores),
        )
    stdout_console().print(table)


def _zone(hall: Any) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(hall.scenario.timezone)


@model_app.command("show")
def show(
    config: ConfigOption,
    hall: HallOption,
    version: Annotated[
        int | None, typer.Option("--version", help="A version (default: the one in use).")
    ] = None,
    scenario: Annotated[
        bool, typer.Option("--scenario", help="Print the version's scenario YAML only.")
    ] = False,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """One hall's model (in use, or --version N): where it came from, its
    back-test, its versions and the history of changes; --scenario prints it
    as a scenario file (for hallsim, or a new hall's cold start)."""
    from monitor.api.learning import change_body, version_body
    from monitor.core.models import ModelError
    from sim.reports.terminal import emit_json, stdout_console

    with _registry(config, store, hall) as (registry, settings):
        zone = _zone(next(h for h in settings.halls if h.id == hall))
        in_use = registry.in_use(hall)
        if in_use is None:
            raise fail("--hall", f"{hall!r} has no model yet (start hallmon serve once)")
        try:
            model = in_use.model if version is None else registry.version(hall, version)
        except ModelError as exc:
            raise fail("--version", str(exc)) from None
        versions = registry.versions(hall, 20)
        changes = registry.changes(hall, 20)
    if scenario:
        typer.echo(model.scenario_yaml, nl=False)
        return
    body = version_body(model, zone)
    if as_json:
        emit_json(
            {"hall": hall, "in_use": in_use.model.version, "pinned": in_use.pinned}
            | body.model_dump(mode="json")
            | {
                "summary": dict(model.summary),
                "week": model.week,
                "versions": [version_body(v, zone).model_dump(mode="json") for v in versions],
                "history": [change_body(c, zone).model_dump(mode="json") for c in changes],
            }
        )
        return
    console = stdout_console()
    state = "in use" if model.version == in_use.model.version else "not in use"
    pinned = ", pinned" if in_use.pinned and model.version == in_use.model.version else ""
    console.print(
        f"[bold]{hall}[/bold] model version {model.version} ({model.source}, {state}{pinned})"
    )
    if model.days:
        console.print(
            f"fitted from {len(model.days)} days, {model.days[0]} … {model.days[-1]}; "
            f"back-tested on {', '.join(model.holdout)}"
        )
    if body.backtest is not None:
        b = body.backtest
        console.print(
            f"back-test against version {b.against}: wMAPE arrivals "
            f"{_pct(b.replaced.arrivals_wmape)} → {_pct(b.candidate.arrivals_wmape)}, queue "
            f"{_pct(b.replaced.queue_wmape)} → {_pct(b.candidate.queue_wmape)}, wait "
            f"{_pct(b.replaced.wait_wmape)} → {_pct(b.candidate.wait_wmape)}"
        )
    history = Table(title="history (latest first)")
    for column in ("at", "hall's time", "version", "action", "detail"):
        history.add_column(column)
    for c in changes:
        history.add_row(
            _when(c.at_s, zone),
            "" if c.hall_time_s is None else _when(c.hall_time_s, zone),
            str(c.version),
            c.action,
            c.detail,
        )
    console.print(history)


@model_app.command("rollback")
def rollback(
    config: ConfigOption,
    hall: HallOption,
    to: Annotated[
        int | None,
        typer.Option("--to", help="The version to use (default: the one in use before)."),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Put an earlier version back in use, pinned (the nightly fits go on and
    are kept, but none is adopted until `hallmon model unpin`)."""
    _steer(config, store, hall, "rollback", lambda registry: registry.rollback(hall, to))


@model_app.command("pin")
def pin(
    config: ConfigOption,
    hall: HallOption,
    version: Annotated[
        int | None, typer.Option("--version", help="The version to keep (default: the one in use).")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Keep a version in use: nightly fits are still made and scored, not adopted."""
    _steer(config, store, hall, "pin", lambda registry: registry.pin(hall, version))


@model_app.command("unpin")
def unpin(config: ConfigOption, hall: HallOption, store: StoreOption = None) -> None:
    """Let the nightly learning change the hall's model again."""
    _steer(config, store, hall, "unpin", lambda registry: registry.unpin(hall))


def _steer(
    config: Path, store: Path | None, hall: str, what: str, change: Callable[[Any], Any]
) -> None:
    """Apply ``change`` to the registry and say which version the hall uses
    now; a refusal is ``hallmon: <what>: <why>`` and exit 2."""
    from monitor.core.models import ModelError

    with _registry(config, store, hall) as (registry, _):
        try:
            change(registry)
        except ModelError as exc:
            raise fail(what, str(exc)) from None
        in_use = registry.in_use(hall)
    assert in_use is not None
    m = in_use.model
    state = "pinned" if in_use.pinned else "learning may change it"
    typer.echo(f"hallmon: {hall} uses model version {m.version} ({m.source}), {state}")


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
