"""The event format and the simulated ticket-system log: validation per kind,
JSONL/CSV round trips, readers that name the bad line and field, and the replay
of a simulated day's log back into the simulation's own KPIs."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from pydantic import ValidationError
from typer.testing import CliRunner

from sim.cli import app as hallsim
from sim.eventlog.convert import (
    day_events,
    replay,
    simulate_days,
    to_log_precision,
)
from sim.eventlog.events import (
    FIELDS_BY_KIND,
    KIND_ORDER,
    KINDS,
    AbandonEvents,
    Event,
    EventError,
    ReadStats,
    read_csv,
    read_events,
    read_jsonl,
    write_csv,
    write_events,
    write_jsonl,
)
from sim.model.hall import simulate
from sim.model.kpis import ReplicationKpis, replication_kpis
from sim.model.records import BALKED, SERVED
from sim.model.scenario import Scenario, load_scenario, parse_yaml, scenario_from_dict

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
FLAGSHIP = SCENARIOS / "flagship.yaml"
DAY = date(2025, 3, 3)
CST = timezone(timedelta(hours=8))


def variant(changes: dict[str, Any], path: Path = FLAGSHIP) -> Scenario:
    """The scenario at ``path`` with dotted keys replaced (``{"arrivals.scale": 1.7}``)."""
    data: Any = parse_yaml(path.read_text(encoding="utf-8"), source=str(path))
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    return scenario_from_dict(data)


def make(kind: str, **fields: Any) -> Event:
    needed = {"ticket": "T1", "service": "consult", "segment": "gotone", "counter": "B1"}
    base = {"id": f"e-{kind}", "hall": "flagship", "ts": "2025-03-03T09:30:00+08:00"}
    return Event.model_validate(
        base | {"kind": kind} | {f: needed[f] for f in FIELDS_BY_KIND[kind][0]} | fields
    )


# -- the model ------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_needs_its_fields(kind: str) -> None:
    event = make(kind)
    assert event.kind == kind and event.ts.utcoffset() == timedelta(hours=8)
    for name in FIELDS_BY_KIND[kind][0]:
        with pytest.raises(ValidationError, match=f"{name} is required for {kind}"):
            make(kind, **{name: None})


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("counter_opened", "ticket"),
        ("counter_closed", "service"),
        ("ticket_issued", "counter"),
        ("ticket_abandoned", "counter"),
    ],
)
def test_fields_that_do_not_apply_are_refused(kind: str, field: str) -> None:
    with pytest.raises(ValidationError, match=f"{field} does not apply to {kind}"):
        make(kind, **{field: "x"})


def test_ticket_events_may_repeat_service_and_segment() -> None:
    assert make("ticket_called", service="consult", segment="gotone").service == "consult"


@pytest.mark.parametrize(
    "ts", ["2025-03-03T09:30:00", "1741000000", 1741000000, "2025-03-03", datetime(2025, 3, 3)]
)
def test_ts_must_be_rfc3339_with_an_offset(ts: object) -> None:
    with pytest.raises(ValidationError):
        make("counter_opened", ts=ts)


def test_events_are_frozen_and_closed() -> None:
    event = make("counter_opened", ts="2025-03-03T01:30:00Z")
    assert event.ts == datetime(2025, 3, 3, 9, 30, tzinfo=CST)
    with pytest.raises(ValidationError):
        event.id = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs"):
        make("counter_opened", colour="red")
    with pytest.raises(ValidationError):
        Event.model_validate(make("counter_opened").model_dump() | {"kind": "ticket_lost"})


# -- files ----------------------------------------------------------------------


def awkward_events() -> list[Event]:
    """Events whose text needs quoting in CSV and UTF-8 in both formats."""
    return [
        make(
            "ticket_issued", service="咨询, 业务", segment='全球通 "VIP"', ts="2025-03-03T09:30:00Z"
        ),
        make("ticket_called", ts="2025-03-03T09:31:00.000001-03:30"),
        make("counter_closed", counter="B 1\nrear"),
    ]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    scn = load_scenario(FLAGSHIP)
    log = day_events(simulate(scn, 1, 0), scn, DAY, "exact") + awkward_events()
    path = tmp_path / f"events{suffix}"
    assert write_events(iter(log), path) == len(log)
    back = list(read_events(path))
    assert back == log
    assert [e.ts.utcoffset() for e in back] == [e.ts.utcoffset() for e in log]


def test_round_trip_through_streams() -> None:
    log = awkward_events()
    text, table = io.StringIO(), io.StringIO()
    write_jsonl(log, text)
    write_csv(log, table)
    assert list(read_jsonl(io.StringIO(text.getvalue()))) == log
    assert list(read_jsonl(io.BytesIO(text.getvalue().encode()))) == log
    assert list(read_csv(io.StringIO(table.getvalue()))) == log
    first = json.loads(text.getvalue().splitlines()[0])
    assert "counter" not in first and first["ts"] == "2025-03-03T09:30:00Z"


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"use \.jsonl or \.csv"):
        read_events(tmp_path / "events.txt")


GOOD = make("counter_opened").model_dump_json()
BAD_LINES = [
    ('{"id": "a", "hall": ', None, "bad_json", "not valid JSON"),
    (GOOD.replace("counter_opened", "counter_exploded"), "kind", "unknown_kind", "not one of"),
    (GOOD.replace('"counter":"B1"', '"ticket":"T1"'), "counter", "missing_field", "required"),
    (GOOD.replace('"id":"e-counter_opened",', ""), "id", "missing_field", "is required"),
    (GOOD.replace("+08:00", ""), "ts", "bad_timestamp", "has no UTC offset"),
    (GOOD.replace("09:30", "29:30"), "ts", "bad_timestamp", "not a valid timestamp"),
    (GOOD.replace("}", ',"colour":"red"}'), "colour", "unknown_field", "not an event field"),
    (GOOD.replace('"B1"', '"B1","ticket":"T"'), "ticket", "field_not_applicable", "does not apply"),
    ("[1, 2]", None, "not_an_object", "not a JSON object"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "field", "reason", "message"), BAD_LINES)
def test_reader_names_line_and_field(
    tmp_path: Path, line: str, field: str | None, reason: str, message: str
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(f"{GOOD}\n\n{line}\n{GOOD}\n", encoding="utf-8")
    events = read_jsonl(path)
    assert next(events) == make("counter_opened")
    with pytest.raises(EventError) as caught:
        next(events)
    error = caught.value
    assert (error.line, error.field, error.reason) == (3, field, reason)
    where = f"{path}:3: {field}: " if field else f"{path}:3: "
    assert str(error).startswith(where) and message in str(error)


def test_csv_reader_names_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    write_csv([make("ticket_called"), make("counter_opened")], path)
    good = path.read_text(encoding="utf-8")
    path.write_text(good + good.splitlines()[1].replace("+08:00", "") + "\n", encoding="utf-8")
    with pytest.raises(EventError, match=r"events.csv:4: ts: .* has no UTC offset"):
        list(read_csv(path))
    path.write_text(good.replace("counter\n", "counter,colour\n", 1), encoding="utf-8")
    with pytest.raises(EventError, match=r"events.csv:1: colour: is not an event field"):
        list(read_csv(path))
    path.write_text(good + "a,flagship\n", encoding="utf-8")
    with pytest.raises(EventError, match=r"events.csv:4: has 2 cells, the header 8"):
        list(read_csv(path))


def test_lenient_reading_skips_and_counts_by_reason(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = [GOOD] + [line for line, *_ in BAD_LINES] + [GOOD, BAD_LINES[4][0], "\xff\n"]
    path.write_bytes("\n".join(lines).encode("utf-8").replace(b"\xc3\xbf", b"\xff"))
    stats = ReadStats()
    stream = read_jsonl(path, lenient=True, stats=stats)
    assert len(list(stream)) == 2 and stream.stats is stats
    expected = Counter(reason for _, _, reason, _ in BAD_LINES)
    expected.update(["bad_timestamp", "bad_json"])
    assert stats.skipped == expected
    assert stats.lines == stats.events + sum(stats.skipped.values()) == len(lines)
    assert stats.examples[0].line == 2 and len(stats.examples) == 5


def test_lenient_csv(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    write_csv([make("ticket_called")], path)
    good = path.read_text(encoding="utf-8")
    path.write_bytes((good + "a,b\n" + good.splitlines()[1][:-2] + "\n").encode() + b"\xff,\n")
    stream = read_csv(path, lenient=True)
    assert len(list(stream)) == 1
    assert stream.stats.skipped == {"bad_row": 1, "missing_field": 1, "bad_encoding": 1}


# -- a simulated day --------------------------------------------------------------


def busy() -> Scenario:
    """Flagship under 1.7× demand: balking, no-shows and long queues."""
    return variant({"arrivals.scale": 1.7})


@pytest.mark.parametrize("mode", ["exact", "no_show"])
def test_a_flagship_day_is_a_well_formed_log(mode: AbandonEvents) -> None:
    scn = busy()
    records = simulate(scn, 2, 0)
    log = day_events(records, scn, DAY, mode)
    keys = [(e.ts, KIND_ORDER[e.kind]) for e in log]
    assert keys == sorted(keys)
    assert len({e.id for e in log}) == len(log) and log[0].id == "flagship-20250303-000001"
    assert all(e.ts.utcoffset() == timedelta(hours=8) and e.hall == "flagship" for e in log)
    assert log[0].ts == datetime(2025, 3, 3, 9, 0, tzinfo=CST) and log[0].kind == "counter_opened"
    for event in log:  # every generated event passes validation
        assert Event.model_validate(event.model_dump()) == event
    kinds = Counter(e.kind for e in log)
    balked = int(np.count_nonzero(records.outcome == BALKED))
    no_shows = int(np.count_nonzero((records.outcome != SERVED) & (records.counter >= 0)))
    assert balked > 0 and no_shows > 0
    holders = int(np.count_nonzero(~records.kiosk)) - (balked if mode == "no_show" else 0)
    assert kinds["ticket_issued"] == holders  # kiosk users take no ticket
    assert kinds["ticket_no_show"] == no_shows
    assert kinds["ticket_called"] == int(np.count_nonzero((records.counter >= 0) & ~records.kiosk))
    by_ticket: dict[str, list[str]] = {}
    for event in log:
        if event.ticket is not None:
            by_ticket.setdefault(event.ticket, []).append(event.kind)
    patterns = Counter(tuple(kinds) for kinds in by_ticket.values())
    if mode == "exact":
        assert patterns[("ticket_issued", "ticket_abandoned")] >= balked
        no_show: tuple[str, ...] = (
            "ticket_issued", "ticket_abandoned", "ticket_called", "ticket_no_show"
        )  # fmt: skip
    else:
        no_show = ("ticket_issued", "ticket_called", "ticket_no_show")
    assert patterns[no_show] == no_shows


def test_times_are_the_halls_wall_clock_also_on_a_dst_change_day() -> None:
    scn = variant({"timezone": "America/New_York"})
    day = date(2025, 3, 9)  # clocks go forward at 02:00
    log = day_events(simulate(scn, 1, 0), scn, day, "no_show")
    assert log[0].ts.isoformat() == "2025-03-09T09:00:00-04:00"
    assert all(e.ts.utcoffset() == timedelta(hours=-4) for e in log)


def blocks(k: ReplicationKpis) -> dict[str, Any]:
    """Every KPI a ticket log can hold (not the kiosk block: kiosk users take no ticket)."""
    return {
        "overall": k.overall,
        "by_segment": k.by_segment,
        "by_service": k.by_service,
        "by_interval": k.by_interval,
        "queue_curve": k.queue_curve,
        "wait_hist": k.wait_hist,
    }


REPLAY_CASES: dict[str, tuple[dict[str, Any], date]] = {
    "flagship": ({}, DAY),
    "busy": ({"arrivals.scale": 1.7}, DAY),
    "busy turn_away": ({"arrivals.scale": 1.7, "closing": "turn_away"}, DAY),
    "no_show_delay 0": ({"arrivals.scale": 1.7, "no_show_delay": 0}, DAY),
    "New York, DST starts": ({"timezone": "America/New_York"}, date(2025, 3, 9)),
}


@pytest.mark.parametrize("case", REPLAY_CASES)
def test_replaying_an_exact_log_gives_the_simulations_kpis(case: str) -> None:
    changes, day = REPLAY_CASES[case]
    scn = variant(changes)
    records = simulate(scn, 2, 0)
    replayed = replay(day_events(records, scn, day, "exact"), scn)
    got = replication_kpis(replayed, scn)
    np.testing.assert_equal(blocks(got), blocks(replication_kpis(to_log_precision(records), scn)))
    want = replication_kpis(records, scn)  # unrounded: equal to the microsecond
    for key, value in want.overall.items():
        assert got.overall[key] == pytest.approx(value, rel=1e-12, abs=1e-5), key
    counters = ~records.counter_is_kiosk[records.span_counter]
    np.testing.assert_array_equal(replayed.span_counter, records.span_counter[counters])


RECOVERABLE = ("served", "abandoned", "unserved", "wait_mean_s", "wait_p50_s", "wait_p90_s",
               "wait_p95_s", "utilisation")  # fmt: skip


@pytest.mark.parametrize("changes", [{}, {"arrivals.scale": 1.7}])
def test_replaying_a_no_show_log_recovers_what_a_hall_can_know(changes: dict[str, Any]) -> None:
    scn = variant(changes)
    records = to_log_precision(simulate(scn, 2, 0))
    want = replication_kpis(records, scn)
    got = replication_kpis(replay(day_events(records, scn, DAY, "no_show"), scn), scn)
    tables = [(got.overall, want.overall)]
    tables += [(got.by_segment[k], v) for k, v in want.by_segment.items()]
    tables += [(got.by_service[k], v) for k, v in want.by_service.items()]
    tables += list(zip(got.by_interval, want.by_interval, strict=True))
    for g, w in tables:
        np.testing.assert_equal({k: g[k] for k in RECOVERABLE}, {k: w[k] for k in RECOVERABLE})
        assert g["arrivals"] == w["arrivals"] - w["balked"] and g["balked"] == 0  # no ticket
        assert (
            g["queue_mean"] >= w["queue_mean"] - 1e-9
        )  # a no-show waits, in the log, until called
    np.testing.assert_equal(got.wait_hist, want.wait_hist)


def test_turn_away_log_keeps_the_tickets_left_without_service() -> None:
    scn = variant({"arrivals.scale": 1.7, "closing": "turn_away", "no_show_delay": 0})
    records = simulate(scn, 2, 0)
    want = replication_kpis(records, scn).overall
    got = replication_kpis(replay(day_events(records, scn, DAY, "no_show"), scn), scn).overall
    assert want["unserved"] > 0 and want["abandoned"] > 0
    assert got["abandoned"] + got["unserved"] == want["abandoned"] + want["unserved"]
    assert got["served"] == want["served"]


def test_replay_refuses_a_ticket_never_issued() -> None:
    scn = load_scenario(FLAGSHIP)
    with pytest.raises(ValueError, match="ticket T1 was never issued"):
        replay([make("ticket_called")], scn)


# -- several days -------------------------------------------------------------------


def test_days_differ_and_counters_follow_their_shifts() -> None:
    scn = load_scenario(FLAGSHIP)
    days = list(simulate_days(scn, 3, DAY, seed=7))
    assert [day for day, _ in days] == [DAY + timedelta(days=i) for i in range(3)]
    assert len({r.day_factor for _, r in days}) == 3 and len({len(r) for _, r in days}) == 3
    for day, records in days:
        log = day_events(records, scn, day, "no_show")
        assert {e.ts.date() for e in log} == {day}
        spans = [s for s in records.spans() if not s.counter.startswith("K")]
        midnight = datetime.combine(day, datetime.min.time(), CST)

        opened, closed = (
            [(e.counter, (e.ts - midnight).total_seconds()) for e in log if e.kind == kind]
            for kind in ("counter_opened", "counter_closed")
        )
        assert sorted(opened) == sorted((s.counter, s.opened_s) for s in spans)
        closed_s = sorted((s.counter, s.closed_s) for s in spans)
        assert [c for c, _ in sorted(closed)] == [c for c, _ in closed_s]
        assert [t for _, t in sorted(closed)] == pytest.approx([t for _, t in closed_s], abs=1e-6)
        a1 = [s for s in spans if s.counter == "A1"]  # shift 09:00-18:00, break 12:00-12:30
        assert [s.opened_s for s in a1] == [9 * 3600, 12.5 * 3600]
        assert a1[0].closed_s >= 12 * 3600 and a1[1].closed_s >= 18 * 3600


# -- the command ----------------------------------------------------------------------


def cli() -> typer.Typer:
    return hallsim


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_cli_writes_a_file_that_reads_back(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"flagship{suffix}"
    args = ["events", str(FLAGSHIP), "--days", "2", "--start", "2025-03-03", "--seed", "3"]
    result = CliRunner().invoke(cli(), [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    log = list(read_events(out))
    assert summary["events"] == len(log) and summary["abandon_events"] == "no_show"
    assert Counter(e.kind for e in log) == summary["by_kind"]
    assert [e.ts for e in log] == sorted(e.ts for e in log)
    assert {e.ts.date() for e in log} == {DAY, DAY + timedelta(days=1)}


def test_cli_defaults_to_jsonl_on_stdout_and_refuses_bad_input(tmp_path: Path) -> None:
    args = ["events", str(FLAGSHIP), "--days", "1", "--start", "2025-03-03"]
    result = CliRunner().invoke(cli(), [*args, "--abandon-events", "exact"])
    assert result.exit_code == 0, result.output
    scn = load_scenario(FLAGSHIP)
    assert list(read_jsonl(io.StringIO(result.stdout))) == day_events(
        simulate(scn, 1, 0), scn, DAY, "exact"
    )
    bad = CliRunner().invoke(cli(), [*args, "--out", str(tmp_path / "x.txt")])
    assert bad.exit_code == 2 and "use .jsonl or .csv" in bad.stderr
    stationary = CliRunner().invoke(
        cli(), [args[0], str(SCENARIOS / "mmc-validation.yaml"), *args[2:]]
    )
    assert stationary.exit_code == 2 and "stationary" in stationary.stderr
