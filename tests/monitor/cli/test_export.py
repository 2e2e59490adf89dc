"""``hallmon export``: what was posted comes back out in the one event format
(order aside), ``hallsim fit`` reads it unchanged and fits what it would have
fitted from the simulator's own log, and bad input is one line and exit 2 with
nothing written."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from monitor.cli.app import app
from monitor.core.config import load_settings
from monitor.core.history import StoredEvents
from monitor.server.app import create_app
from sim.calibration.fit import collect, fit_log
from sim.eventlog.convert import day_events
from sim.eventlog.events import Event, read_csv, read_events, read_jsonl
from sim.model.hall import simulate
from sim.model.scenario import load_scenario
from tests.monitor.conftest import DAY, ENV, ROOT, as_json, auth, write_config

runner = CliRunner()
DAYS = 5


@pytest.fixture(scope="module")
def county_days() -> list[list[Event]]:
    """Five consecutive simulated county days, as a real ticket system logs them."""
    scn = load_scenario(ROOT / "scenarios/county.yaml")
    return [
        day_events(simulate(scn, seed=11, replication=i), scn, DAY + timedelta(days=i), "no_show")
        for i in range(DAYS)
    ]


@pytest.fixture
def config(tmp_path: Path, county_days: list[list[Event]]) -> Path:
    """A config whose store holds the five days, posted shuffled in two halves
    per day (the store's order is not the log's)."""
    path = write_config(tmp_path)
    with TestClient(create_app(load_settings(path, environ=ENV), background=False)) as c:
        for events in reversed(county_days):
            half = len(events) // 2
            for part in (events[half:], events[:half]):
                posted = c.post(
                    "/v1/halls/county/events", json=as_json(part), headers=auth("county")
                )
                assert posted.status_code == 200
    return path


def _export(config: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["export", "--config", str(config), "--hall", "county", *args])
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


def _rows(events: list[Event]) -> list[str]:
    return sorted(json.dumps(e.as_row(), sort_keys=True) for e in events)


def test_exported_events_are_what_was_posted(
    config: Path, county_days: list[list[Event]], tmp_path: Path
) -> None:
    posted = [e for day in county_days for e in day]
    code, out, err = _export(config)
    assert code == 0 and err == f"hallmon: exported {len(posted)} events of county\n"
    exported = list(read_jsonl(io.BytesIO(out.encode())))
    assert _rows(exported) == _rows(posted)
    # in event time, a ticket issued before it is called at the same instant
    assert [e.ts for e in exported] == sorted(e.ts for e in exported)
    csv_file = tmp_path / "county.csv"
    assert _export(config, "--out", str(csv_file))[0] == 0
    assert _rows(list(read_csv(csv_file))) == _rows(posted)


def test_a_replayed_day_exported_again_equals_what_was_posted(
    config: Path, county_days: list[list[Event]]
) -> None:
    second = DAY + timedelta(days=1)
    code, out, _ = _export(config, "--from", second.isoformat(), "--to", second.isoformat())
    assert code == 0
    assert _rows(list(read_jsonl(io.BytesIO(out.encode())))) == _rows(county_days[1])


def test_hallsim_fit_reads_the_export_and_fits_what_the_log_gives(
    config: Path, county_days: list[list[Event]], tmp_path: Path
) -> None:
    exported = tmp_path / "county.jsonl"
    assert _export(config, "--out", str(exported), "--format", "jsonl")[0] == 0
    with read_events(exported) as stream:
        from_store = fit_log(collect(stream, source=str(exported)))
    original = fit_log(collect(e for day in county_days for e in day))
    assert from_store.days == original.days == DAYS
    assert from_store.arrivals == original.arrivals
    assert from_store.services == original.services
    assert from_store.groups == original.groups
    assert from_store.priorities == original.priorities


def test_days_are_streamed_one_at_a_time(config: Path) -> None:
    settings = load_settings(config, environ=ENV)
    with StoredEvents(settings.store) as stored:
        days = stored.days("county")
        assert [d.day for d in days] == [DAY + timedelta(days=i) for i in range(DAYS)]
        stream = stored.events("county")
        first = next(stream)
        assert first.ts.date() == DAY  # the first day is read, the others are not yet
        assert stored.days("county", date(2000, 1, 1), DAY - timedelta(days=1)) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01"], "hallmon: --from: '2026-13-01' is not a date (YYYY-MM-DD)\n"),
        (
            ["--from", "2026-03-05", "--to", "2026-03-01"],
            "hallmon: --to: 2026-03-01 is before --from 2026-03-05\n",
        ),
        (["--format", "xml"], "hallmon: --format: 'xml' is not jsonl or csv\n"),
        (
            ["--out", "x.txt"],
            "hallmon: --out: unknown event file type '.txt' (use .jsonl or .csv)\n",
        ),
    ],
)
def test_bad_options_are_one_line(config: Path, args: list[str], message: str) -> None:
    assert _export(config, *args)[0::2] == (2, message)


def test_an_unknown_hall_or_store_is_one_line_and_nothing_is_written(
    config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "x.jsonl"
    result = runner.invoke(
        app, ["export", "--config", str(config), "--hall", "nowhere", "--out", str(out)]
    )
    assert result.exit_code == 2
    assert result.stderr == f"hallmon: --hall: 'nowhere' is not a hall of {config}\n"
    missing = tmp_path / "none.db"
    code, _, err = _export(config, "--store", str(missing), "--out", str(out))
    assert (code, err) == (2, f"hallmon: {missing}: there is no event store here (no such file)\n")
    assert not out.exists() and not missing.exists()
