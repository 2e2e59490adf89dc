"""The fast reading path of ``hallsim fit`` (:mod:`sim.eventlog.columns`,
:mod:`sim.eventlog.stamps`, :func:`sim.calibration.logread.read_log`) against
the event-by-event one (:func:`~sim.eventlog.events.read_events` then
:func:`~sim.calibration.logdata.collect`): the same log data, the same lines
skipped and counted, the same first error with the same message, on simulated
logs with every kind of fault put in, read in blocks small enough that faults
fall on block edges."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.calibration.logdata import FitError, LogData, collect
from sim.calibration.logread import read_log
from sim.eventlog import columns
from sim.eventlog.convert import day_events
from sim.eventlog.events import Event, EventError, ReadStats, read_csv, read_events, write_csv
from sim.eventlog.stamps import parse_timestamps, stamp_of
from sim.model.hall import simulate
from sim.model.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


# -- timestamps -------------------------------------------------------------------


_LIMITS = {"month": 12, "day": 31, "hour": 23, "minute": 59, "second": 59, "tz_h": 23, "tz_m": 59}


@st.composite
def stamps(draw: st.DrawFn) -> str:
    """RFC 3339 text in every form, then often one part made wrong (just past
    its range, a wrong separator, a stray character)."""
    parts = {
        "year": draw(st.one_of(st.integers(1600, 2300), st.integers(0, 9999))),
        "month": draw(st.integers(1, 12)),
        "day": draw(st.integers(1, 28)),
        "hour": draw(st.integers(0, 23)),
        "minute": draw(st.integers(0, 59)),
        "second": draw(st.integers(0, 59)),
        "tz_h": draw(st.integers(0, 23)),
        "tz_m": draw(st.integers(0, 59)),
    }
    sep = draw(st.sampled_from("Tt "))
    frac = draw(st.sampled_from(["", ".5", ".123", ".000001", ".999999"]))
    zone = draw(st.sampled_from(["Z", "z", "+", "-"]))
    wrong = draw(st.sampled_from([None, "part", "day", "sep", "frac", "zone", "stray"]))
    if wrong == "part":
        name = draw(st.sampled_from(sorted(_LIMITS)))
        parts[name] = draw(
            st.sampled_from([_LIMITS[name] + 1, 0 if name in ("month", "day") else 99])
        )
    elif wrong == "day":
        parts["day"] = draw(st.integers(29, 32))  # real or not, by month and leap year
    elif wrong == "sep":
        sep = draw(st.sampled_from("x_-:"))
    elif wrong == "frac":
        frac = draw(st.sampled_from([".", ".1234567", ".12a"]))
    elif wrong == "zone":
        zone = draw(st.sampled_from(["", "+0800", "+08", "+08:00:00", "Zz"]))
    p = parts
    text = f"{p['year']:04d}-{p['month']:02d}-{p['day']:02d}{sep}"
    text += f"{p['hour']:02d}:{p['minute']:02d}:{p['second']:02d}{frac}"
    text += f"{zone}{p['tz_h']:02d}:{p['tz_m']:02d}" if zone in "+-" and zone else zone
    if wrong == "stray":
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(st.sampled_from("٣a: -+.Z9")) + text[at + 1 :]
    return text


def _model_time(ts: str) -> Any:
    line = {"id": "e", "hall": "h", "kind": "counter_opened", "counter": "c", "ts": ts}
    try:
        return Event.model_validate_json(json.dumps(line)).ts
    except ValueError:
        return None


@settings(max_examples=1500, deadline=None)
@given(ts=stamps())
def test_the_parser_vouches_only_for_what_the_model_reads_the_same(ts: str) -> None:
    parsed = parse_timestamps([ts])
    model = _model_time(ts)
    if parsed.ok[0]:
        assert model is not None, f"{ts!r} parsed, but the model refuses it"
        epoch, tod, day, offset = stamp_of(model)
        got = (parsed.epoch_s[0], parsed.tod_s[0], parsed.day[0], parsed.offset_s[0])
        assert got == (epoch, tod, day, offset), ts
    elif model is not None:  # left to the model: only outside the years it computes exactly
        assert not 1700 <= model.year <= 2200, f"{ts!r}: the model reads it, the parser does not"


def test_a_batch_of_stamps_is_parsed_row_by_row() -> None:
    texts = ["2026-01-01T09:00:00+08:00", "bad", "2024-02-29 23:59:59.5Z", "x" * 40, ""]
    parsed = parse_timestamps(texts)
    assert parsed.ok.tolist() == [True, False, True, False, False]
    assert parsed.day[2] == date(2024, 2, 29).toordinal() and parsed.tod_s[2] == 86399.5


# -- logs ---------------------------------------------------------------------------


def _base_lines() -> list[str]:
    scn = load_scenario(SCENARIOS / "flagship.yaml")
    events = day_events(simulate(scn, 4, 0), scn, date(2026, 3, 2), "no_show")
    return [e.model_dump_json(exclude_none=True) for e in events]


BASE = _base_lines()


def _event_data(line: str) -> dict[str, Any] | None:
    """The fields of a line that is a valid event, else None."""
    try:
        return Event.model_validate_json(line).model_dump(mode="json", exclude_none=True)
    except ValueError:
        return None


def _edit(lines: list[str], draw: st.DrawFn) -> list[str]:
    """One fault (or harmless variation) put into the log."""
    i = draw(st.integers(0, len(lines) - 1))
    line = lines[i]
    data = _event_data(line)
    choice = draw(st.integers(0, 15))
    out = list(lines)
    if choice == 0:
        out.insert(i, draw(st.sampled_from(["", "   ", "\x0c", "\r"])))
    elif choice == 1 and line:
        out[i] = line[: draw(st.integers(0, len(line) - 1))]  # cut short: bad JSON
    elif choice == 2 and data is not None:
        out.insert(draw(st.integers(i + 1, len(out))), line)  # resent later
    elif choice == 3:
        j = draw(st.integers(0, len(lines) - 1))
        out[i], out[j] = out[j], out[i]  # out of order, or a call before its issue
    elif choice == 4 and data is not None:
        changed = data | {
            draw(st.sampled_from(["kind", "hall", "id"])): draw(
                st.sampled_from(["", "ticket_lost", 7, None])
            )
        }
        out[i] = json.dumps(changed)
    elif choice == 5 and data is not None:
        out[i] = json.dumps(data | {draw(st.sampled_from(["ticket", "counter", "colour"])): None})
    elif choice == 6 and data is not None:
        out[i] = json.dumps(data | {"ticket": "T-x", "counter": "B9", "service": "s"})
    elif choice == 7 and data is not None and data["kind"] == "ticket_issued":
        out.insert(i + 1, json.dumps(data | {"id": data["id"] + "-again"}))  # issued twice
    elif choice == 8 and data is not None:  # the same instant in another form
        ts = data["ts"]
        form = draw(st.sampled_from(["t", " ", "frac", "z"]))
        if form == "frac":
            ts = ts[:19] + ".000" + ts[19:]
        elif form == "z" and not ts.startswith("0001-"):  # UTC of year 1 may be year 0
            utc = Event.model_validate_json(line).ts.astimezone(UTC)
            ts = utc.isoformat().replace("+00:00", "Z")
        else:
            ts = ts[:10] + form + ts[11:]
        out[i] = json.dumps(data | {"ts": ts})
    elif choice == 9 and data is not None:
        out[i] = json.dumps(data | {"ts": data["ts"].replace("+08:00", "")})
    elif choice == 10:
        out[i] = "[1, 2]"
    elif choice == 11:
        out[i] = line + "\r"  # CRLF
    elif choice == 12 and data is not None:
        out[i] = json.dumps(data | {"ts": "0001-01-01T00:00:00+08:00"})  # early: out of order
    elif choice == 13:
        out[i] = line.replace('"', "'", 1)
    elif choice == 14 and i == 0:
        out[0] = "\ufeff" + line
    elif choice == 15 and data is not None and "ticket" in data:  # logged again, changed
        again = data | {"id": data["id"] + "-2", "counter": "B7"} if "counter" in data else data
        out.insert(
            draw(st.integers(i + 1, len(out))), json.dumps(again | {"id": data["id"] + "-2"})
        )
    return out


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[str], int]:
    start = draw(st.integers(0, len(BASE) - 60))
    lines = BASE[start : start + draw(st.integers(1, 60))]
    for _ in range(draw(st.integers(0, 4))):
        lines = _edit(lines, draw)
    return lines, draw(st.sampled_from([64, 300, 2000, 1 << 20]))


def _write(tmp: Path, lines: list[str]) -> Path:
    path = tmp / "log.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8", errors="surrogatepass"))
    return path


def _old(path: Path, lenient: bool) -> tuple[LogData | Exception, ReadStats]:
    stats = ReadStats()
    try:
        with read_events(path, lenient=lenient, stats=stats) as stream:
            return collect(
                stream, source=str(path), lenient=lenient, line_of=lambda: stats.lines
            ), stats
    except (EventError, ValueError) as exc:
        return exc, stats


def _new(path: Path, lenient: bool, workers: int = 1) -> tuple[LogData | Exception, ReadStats]:
    stats = ReadStats()
    try:
        return read_log(path, lenient=lenient, stats=stats, workers=workers), stats
    except (EventError, ValueError) as exc:
        return exc, stats


def _same(a: object, b: object) -> bool:
    """Equal, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if dataclasses.is_dataclass(a) or hasattr(a, "__struct_fields__"):
        fields = getattr(a, "__struct_fields__", None)
        names = fields or [f.name for f in dataclasses.fields(a)]  # type: ignore[arg-type]
        if isinstance(a, LogData):  # its tickets, held as columns or as a dict
            names = [*(n for n in names if not n.startswith("_")), "tickets"]
        return type(a) is type(b) and all(_same(getattr(a, n), getattr(b, n)) for n in names)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(log=logs(), lenient=st.booleans())
def test_both_paths_read_a_log_alike(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    log: tuple[list[str], int],
    lenient: bool,
    workers: int,
) -> None:
    """With 2 workers the columns, the problems, the reader's counts and its
    errors come across the pipe as they are (the worker is forked: it reads
    with the BLOCK_BYTES set here)."""
    lines, block = log
    monkeypatch.setattr(columns, "BLOCK_BYTES", block)
    path = _write(tmp_path, lines)
    (old, old_stats), (new, new_stats) = _old(path, lenient), _new(path, lenient, workers)
    if isinstance(old, Exception) or isinstance(new, Exception):
        assert type(old) is type(new), (old, new)
        if not any(not line.strip() or line.isspace() for line in lines):
            assert str(new) == str(old)
        else:  # the fast path names the line in the file, collect the events counted
            assert str(new).split(":", 2)[2] == str(old).split(":", 2)[2]
        return
    assert _same(old, new)
    assert new_stats.skipped == old_stats.skipped
    assert (new_stats.lines, new_stats.events) == (old_stats.lines, old_stats.events)
    assert [str(e) for e in new_stats.examples] == [str(e) for e in old_stats.examples]


def test_a_simulated_log_reads_the_same_in_one_block_and_in_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, BASE)
    whole = read_log(path)
    monkeypatch.setattr(columns, "BLOCK_BYTES", 1000)
    old, _ = _old(path, False)
    assert _same(read_log(path), whole) and _same(whole, old)
    assert isinstance(old, LogData) and len(old.tickets) > 500 and old.no_show_delays_s


def test_a_csv_log_is_read_event_by_event(tmp_path: Path) -> None:
    """CSV logs take the reader of :mod:`sim.eventlog.events`; a problem names
    the file's line (the header is line 1)."""
    events = [Event.model_validate_json(line) for line in BASE[:200]]
    path = tmp_path / "log.csv"
    write_csv(events, path)
    with read_csv(path) as stream:
        old = collect(stream, source=str(path), line_of=lambda: stream.stats.lines + 1)
    assert _same(read_log(path), old) and old.tickets
    called = next(e for e in events if e.kind == "ticket_called")
    stray = called.model_copy(update={"id": "stray", "ticket": "never"})
    write_csv([events[0], stray, *events[1:]], path)
    with pytest.raises(FitError, match=r"log\.csv:3: event stray: ticket never was never issued"):
        read_log(path)
