"""``hallsim fit``: estimates from 30 simulated days of the flagship hall
(both ways of logging give-ups) recover the scenario that made them, the
fitted scenario runs, and bad logs stop at the line or are counted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.calibration.fit import FitError, FitResult, collect, fit_log
from sim.calibration.fitted import fitted_scenario
from sim.calibration.patience import Observations, PatienceFits, fit_patience
from sim.calibration.service import overtakes, priority_layers
from sim.calibration.survival import kaplan_meier
from sim.cli import app as hallsim
from sim.eventlog.convert import day_events, simulate_days
from sim.eventlog.events import AbandonEvents, Event, EventError, read_events, write_jsonl
from sim.model.hall import simulate
from sim.model.scenario import load_scenario
from sim.model.scenario_io import write_scenario

FLAGSHIP = Path(__file__).parents[3] / "scenarios" / "flagship.yaml"
DAYS = 30
KIOSK_PAYMENT = 0.6  # flagship: kiosks take 60% of payment customers, who log nothing
# VIP rarely gives up (own counter, patient): only segments with this many
# give-ups in the log have a patience estimate precise enough to test at 15%
MIN_GIVE_UPS = 200

app = hallsim


runner = CliRunner()


def _write_log(path: Path, mode: AbandonEvents, days: int = DAYS) -> Path:
    scn = load_scenario(FLAGSHIP)

    def events() -> Iterator[Event]:
        for day, records in simulate_days(scn, days, date(2026, 11, 2), seed=7):
            yield from day_events(records, scn, day, mode)

    write_jsonl(events(), path)
    return path


@pytest.fixture(scope="module", params=["exact", "no_show"])
def fitted(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, FitResult]:
    mode: AbandonEvents = request.param
    path = _write_log(tmp_path_factory.mktemp("fit") / f"{mode}.jsonl", mode)
    with read_events(path) as stream:
        log = collect(stream, source=str(path))
    return mode, path, fit_log(log)


def _counter_mix() -> dict[str, float]:
    """The service mix that counters see: kiosk users take no ticket."""
    mix = dict(load_scenario(FLAGSHIP).arrivals.mix)
    mix["payment"] *= 1 - KIOSK_PAYMENT
    total = sum(mix.values())
    return {k: v / total for k, v in mix.items()}


@pytest.mark.slow
def test_hours_zone_and_hourly_rates(fitted: tuple[str, Path, FitResult]) -> None:
    _, _, result = fitted
    scn = load_scenario(FLAGSHIP)
    a = result.arrivals
    assert (a.open_s, a.close_s, result.timezone) == (scn.open, scn.close, scn.timezone)
    ticket_share = 1 - scn.arrivals.mix["payment"] * KIOSK_PAYMENT
    rates = np.array(a.rate_per_h).reshape(-1, 4).mean(axis=1)  # 15-min bins -> hours
    truth = np.array([rate for _, rate in scn.arrivals.rate_per_hour]) * ticket_share
    assert np.max(np.abs(rates / truth - 1)) < 0.10
    assert all(lo <= r <= hi for r, (lo, hi) in zip(a.rate_per_h, a.rate_ci95, strict=True))
    assert 0.0 <= a.day_noise_cv < 0.2  # truth 0.08; a 30-day moment estimate is rough


@pytest.mark.slow
def test_mix_and_segment_shares(fitted: tuple[str, Path, FitResult]) -> None:
    _, _, result = fitted
    for name, share in _counter_mix().items():
        assert result.mix[name].share == pytest.approx(share, abs=0.02)
    for name, seg in load_scenario(FLAGSHIP).segments.items():
        assert result.segments[name].share == pytest.approx(seg.share, abs=0.02)


@pytest.mark.slow
def test_service_times_families_and_speeds(fitted: tuple[str, Path, FitResult]) -> None:
    _, _, result = fitted
    scn = load_scenario(FLAGSHIP)
    for name, service in scn.services.items():
        got = result.services[name]
        assert got.mean_s == pytest.approx(service.service_time.mean_s, rel=0.05), name
        assert got.chosen == service.service_time.dist, name
    speeds = {g.id: g.speed for g in result.groups}
    for group in scn.counters:
        assert speeds[group.id] == pytest.approx(group.speed, rel=0.05), group.id  # V: ~800 tickets
    groups = {g.id: g for g in result.groups}
    assert groups["V"].segments == ("gotone_vip",)
    assert groups["B"].segments is None
    assert set(groups["A"].services) == {"after_sales", "consult"}
    # as the scenario writes it (the old fit lagged the 12:00 drop to 12:15)
    assert dict(groups["B"].count) == {9 * 3600.0: 5, 12 * 3600: 3, 13.5 * 3600: 5, 17 * 3600: 7}
    assert dict(groups["A"].count) == {9 * 3600.0: 2, 12 * 3600: 0, 12.5 * 3600: 2, 18 * 3600: 0}
    assert result.no_show_delay_s == pytest.approx(scn.no_show_delay)


@pytest.mark.slow
def test_patience_means(fitted: tuple[str, Path, FitResult]) -> None:
    mode, _, result = fitted
    assert result.exact_abandons == (mode == "exact")
    tested = 0
    for name, segment in load_scenario(FLAGSHIP).segments.items():
        p = result.patience.get(name)
        if p is None or p.gave_up < MIN_GIVE_UPS:
            continue
        assert segment.patience is not None
        assert p.best.mean_s == pytest.approx(segment.patience.mean_s, rel=0.15), name
        assert p.chosen == segment.patience.dist, name
        lo, hi = p.best.mean_ci95_s
        assert lo < p.best.mean_s < hi
        tested += 1
    assert tested >= 2  # mzone and easyown


@pytest.mark.slow
def test_patience_fitted_in_worker_processes_is_the_same(
    fitted: tuple[str, Path, FitResult],
) -> None:
    _, path, result = fitted
    with read_events(path) as stream:
        log = collect(stream, source=str(path))
    assert repr(fit_log(log, workers=2)) == repr(result)


def test_patience_fits_use_the_worker_processes_asked_for() -> None:
    rng = np.random.default_rng(3)
    observations = {}
    for name, scale in (("a", 300.0), ("b", 900.0)):
        wait, patience = rng.exponential(400.0, 400), rng.exponential(scale, 400)
        gone = patience < wait
        observations[name] = Observations(np.array([]), wait[~gone], wait[gone], wait)
    with PatienceFits(observations, False, workers=2) as fits:
        assert fits.workers == 2 and len(fits._futures) == 2  # in two other processes
        in_pool = fits.result()
    assert list(in_pool) == ["a", "b"]
    for name, obs in observations.items():
        assert repr(in_pool[name]) == repr(fit_patience(name, obs, False))


@pytest.mark.slow
def test_fitted_scenario_loads_and_runs(
    fitted: tuple[str, Path, FitResult], tmp_path: Path
) -> None:
    _, _, result = fitted
    scn = fitted_scenario(result, hall="flagship", target_wait_s=600.0)
    write_scenario(scn, tmp_path / "fitted.yaml")
    again = load_scenario(tmp_path / "fitted.yaml")
    assert again.target.wait == 600.0
    assert again.no_show_delay == pytest.approx(20.0)
    assert {k: s.priority for k, s in again.segments.items()} == result.priorities
    records = simulate(again, seed=1)
    assert len(records.outcome) > 500


@pytest.mark.slow
def test_cli_writes_scenario_report_and_json(
    fitted: tuple[str, Path, FitResult], tmp_path: Path
) -> None:
    _, path, _ = fitted
    out, report = tmp_path / "fitted.yaml", tmp_path / "report"
    args = ["fit", str(path), "--out", str(out), "--report", str(report), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["services"]["payment"]["chosen"] == "exponential"
    assert len(summary["arrivals"]["rate_per_hour"]) == 48
    assert summary["arrivals"]["rate_per_hour"][0]["ci95"][0] is not None
    load_scenario(out)
    assert sorted(p.name for p in report.iterdir()) == ["fit.html"]
    assert summary["plots"] == [str(report / "fit.html")]


@pytest.mark.slow
def test_priorities_from_dispatch_order(fitted: tuple[str, Path, FitResult]) -> None:
    _, _, result = fitted
    truth = {name: seg.priority for name, seg in load_scenario(FLAGSHIP).segments.items()}
    assert result.priorities == truth  # VIP 0, gotone 1, mzone = easyown 2
    passed = result.overtakes
    # booked customers (5%, called at priority 1, not in the log) of mzone and
    # easyown tie with gotone and pass it only through a counter's skill order:
    # a few reverse overtakes, far under the 10% a pair may have
    for low in ("mzone", "easyown"):
        assert passed[low]["gotone"] < 0.01 * passed["gotone"][low]
        assert passed[low]["gotone_vip"] == 0
    # equal priorities pass each other both ways (skill order, bookings)
    ratio = passed["mzone"]["easyown"] / passed["easyown"]["mzone"]
    assert 0.5 < ratio < 2.0


def test_priority_layers_follow_the_one_way_overtakes() -> None:
    names = ["a", "b", "c", "d", "e"]
    counts = np.zeros((5, 5), dtype=np.int64)
    counts[0, 1], counts[1, 0] = 95, 5  # a before b: exactly 95%
    counts[1, 2] = 30  # b before c
    counts[0, 2] = 19  # too few to count alone
    counts[2, 3], counts[3, 2] = 50, 50  # c and d tie
    assert priority_layers(counts, names) == {"a": 0, "b": 1, "c": 2, "d": 0, "e": 0}
    counts[1, 0] = 11  # 95 of 106: under 90% one way, no order between a and b
    assert priority_layers(counts, names) == {"a": 0, "b": 0, "c": 1, "d": 0, "e": 0}
    cycle = np.array([[0, 30, 0], [0, 0, 30], [30, 0, 0]])
    assert priority_layers(cycle, ["x", "y", "z"]) == {"x": 0, "y": 0, "z": 0}


def test_overtakes_count_only_tickets_the_counter_could_take() -> None:
    # one day; ticket: issued, called, segment, service, counter
    rows = [
        (0.0, 1.0, 1, 0, 0),  # counter 0 learns segment 1, service 0
        (2.0, 5.0, 1, 0, 0),  # waits while the next is called first
        (3.0, 4.0, 0, 0, 0),  # overtakes the one above: 0 over 1
        (3.5, 6.0, 1, 1, 0),  # service 1: counter 0 never served it
        (3.6, np.nan, 1, 0, -1),  # gave up at 3.8, before the call at 4.0
    ]
    issued, called, seg, svc, ctr = (np.array(col) for col in zip(*rows, strict=True))
    abandoned = np.array([np.nan, np.nan, np.nan, np.nan, 3.8])
    got = overtakes(
        np.zeros(5, dtype=np.int64),
        issued,
        called,
        abandoned,
        svc.astype(np.int64),
        seg.astype(np.int64),
        ctr.astype(np.int64),
        2,
    )
    assert got.tolist() == [[0, 1], [0, 0]]


# --- bad logs -----------------------------------------------------------------


def _line(**fields: str) -> str:
    base = {"id": "x", "hall": "h", "ts": "2026-11-23T09:00:00+08:00", "kind": "ticket_issued"}
    return json.dumps(base | fields)


def _issued(n: int, minute: int = 0) -> str:
    ts = f"2026-11-23T09:{minute:02d}:00+08:00"
    return _line(id=f"e{n}", ticket=f"t{n}", service="s", segment="g", ts=ts)


def _collect(path: Path, lenient: bool = False) -> dict[str, int]:
    with read_events(path, lenient=lenient) as stream:
        log = collect(stream, source=path.name, lenient=lenient, line_of=lambda: stream.stats.lines)
    return dict(log.problems)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (_line(id="b", kind="ticket_lost", ticket="t"), "bad.jsonl:2: kind: 'ticket_lost'"),
        ('{"id": "b", "hall":', "bad.jsonl:2: not valid JSON"),
        (
            _line(id="b", kind="ticket_called", ticket="nope", counter="B1"),
            "bad.jsonl:2: event b: ticket nope was never issued",
        ),
        (_issued(9, minute=0).replace("09:00:00", "08:59:00"), "bad.jsonl:2: event e9: ts"),
    ],
    ids=["unknown_kind", "broken_json", "never_issued", "out_of_order"],
)
def test_bad_line_stops_with_its_number(tmp_path: Path, bad: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([_issued(1), bad, _issued(2, minute=5)]) + "\n")
    with pytest.raises((EventError, FitError)) as info:
        _collect(path)
    assert message in str(info.value)


def test_lenient_counts_bad_lines_and_duplicates_are_kept_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    lines = [
        _issued(1, minute=1),
        _issued(1, minute=1),  # resent: same id, same event
        _line(
            id="b", kind="ticket_called", ticket="no", counter="B1", ts="2026-11-23T09:02:00+08:00"
        ),
        _issued(2, minute=0),  # out of order: kept
        '{"broken',
        _line(id="k", kind="ticket_lost", ticket="t"),
    ]
    path.write_text("\n".join(lines) + "\n")
    with read_events(path, lenient=True) as stream:
        log = collect(stream, source="bad.jsonl", lenient=True)
        assert dict(stream.stats.skipped) == {"bad_json": 1, "unknown_kind": 1}
    assert dict(log.problems) == {"duplicate_id": 1, "never_issued": 1, "out_of_order": 1}
    assert sorted(log.tickets) == ["t1", "t2"]


def test_cli_bad_log_exits_2_and_lenient_fits(tmp_path: Path) -> None:
    path = _write_log(tmp_path / "day.jsonl", "no_show", days=2)
    lines = path.read_text().splitlines()
    lines.insert(10, '{"broken')
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "fitted.yaml"
    strict = runner.invoke(app, ["fit", str(path), "--out", str(out)])
    assert strict.exit_code == 2
    assert "day.jsonl:11: not valid JSON" in strict.stderr.replace("\n", "")
    lenient = runner.invoke(app, ["fit", str(path), "--out", str(out), "--lenient", "--json"])
    assert lenient.exit_code == 0, lenient.output
    assert json.loads(lenient.stdout)["skipped_lines"] == {"bad_json": 1}
    load_scenario(out)


def test_other_offsets_need_a_timezone(tmp_path: Path) -> None:
    path = tmp_path / "tokyo.jsonl"
    path.write_text(_issued(1).replace("+08:00", "+09:00") + "\n")
    with read_events(path) as stream:
        log = collect(stream)
    with pytest.raises(FitError, match="give --timezone"):
        fit_log(log)
    with pytest.raises(FitError, match="no ticket was served"):  # past the time zone
        fit_log(log, timezone="Asia/Tokyo")


def test_cli_by_weekday_writes_one_scenario_per_weekday(tmp_path: Path) -> None:
    path = _write_log(tmp_path / "two_weeks.jsonl", "no_show", days=14)  # Mon 2 Nov on
    out = tmp_path / "fitted.yaml"
    args = ["fit", str(path), "--out", str(out), "--by", "weekday", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert sorted(p.name for p in tmp_path.glob("fitted-*.yaml")) == sorted(
        f"fitted-{wd}.yaml" for wd in weekdays
    )
    by_weekday = json.loads(result.stdout)["by_weekday"]
    assert list(by_weekday) == weekdays
    # Monday's rates: the tickets of 2 and 9 November alone, per 15 minutes
    mondays = {date(2026, 11, 2), date(2026, 11, 9)}
    counts = np.zeros(48)
    with read_events(path) as stream:
        for e in stream:
            if e.kind == "ticket_issued" and e.ts.date() in mondays:
                b = ((e.ts.hour - 9) * 3600 + e.ts.minute * 60 + e.ts.second) // 900
                counts[b] += 0 <= b < 48
    monday = by_weekday["mon"]
    assert monday["days"] == 2
    got = [r["mean"] for r in monday["rate_per_hour"]]
    assert got == pytest.approx(counts / 2 * 4, abs=1e-3)
    scn = load_scenario(tmp_path / "fitted-mon.yaml")
    rates = dict(scn.arrivals.rate_per_hour)
    assert rates[9 * 3600.0] == pytest.approx(counts[0] * 2, abs=0.01)
    assert load_scenario(out).arrivals.rate_per_hour != scn.arrivals.rate_per_hour

    lines = path.read_text().splitlines()  # the first three days only: Mon, Tue, Wed
    first = ("2026-11-02", "2026-11-03", "2026-11-04")
    path.write_text("\n".join(x for x in lines if json.loads(x)["ts"][:10] in first) + "\n")
    short = tmp_path / "short" / "fitted.yaml"
    result = runner.invoke(app, ["fit", str(path), "--out", str(short), "--by", "weekday"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in short.parent.glob("fitted-*.yaml")) == [
        "fitted-mon.yaml",
        "fitted-tue.yaml",
        "fitted-wed.yaml",
    ]
    bad = runner.invoke(app, ["fit", str(path), "--out", str(short), "--by", "month"])
    assert bad.exit_code == 2


# --- the censored patience fit on its own -----------------------------------------


def test_censored_exponential_recovers_the_mean() -> None:
    rng = np.random.default_rng(3)
    patience = rng.exponential(1200.0, 4000)
    wait = rng.exponential(600.0, 4000)
    gave_up = patience < wait
    exact = fit_patience(
        "s", Observations(patience[gave_up], wait[~gave_up], np.array([]), wait), True
    )
    interval = fit_patience(
        "s", Observations(np.array([]), wait[~gave_up], wait[gave_up], wait), False
    )
    for result in (exact, interval):
        exp = next(f for f in result.fits if f.family == "exponential")
        assert exp.mean_s == pytest.approx(1200.0, rel=0.08)


def test_kaplan_meier_without_censoring_is_the_empirical_survival() -> None:
    times = np.array([1.0, 2.0, 2.0, 4.0])
    curve = kaplan_meier(times, np.ones(4, dtype=bool), times).curve
    assert curve == ((0.0, 1.0), (1.0, 0.75), (2.0, 0.25), (4.0, 0.0))


def _overtakes_brute_force(
    day: np.ndarray,
    issued: np.ndarray,
    called: np.ndarray,
    closed: np.ndarray,
    service: np.ndarray,
    segment: np.ndarray,
    counter: np.ndarray,
    n_segments: int,
) -> np.ndarray:
    """overtakes() by its definition, one pair of tickets at a time."""
    out = np.zeros((n_segments, n_segments), dtype=np.int64)
    calls = sorted(
        (i for i in range(len(day)) if np.isfinite(called[i]) and counter[i] >= 0),
        key=lambda i: (day[i], called[i], issued[i]),
    )
    rank = {i: r for r, i in enumerate(calls)}
    seen: set[tuple[int, int, int]] = set()  # (counter, service, segment) called so far
    for j in calls:
        now = called[j]
        for i in range(len(day)):
            waiting = (i not in rank or rank[i] > rank[j]) and not (closed[i] <= now)
            if (
                day[i] == day[j]
                and issued[i] < issued[j]
                and segment[i] != segment[j]
                and waiting
                and (counter[j], service[i], segment[i]) in seen
            ):
                out[segment[j], segment[i]] += 1
        seen.add((counter[j], service[j], segment[j]))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_overtakes_match_their_definition(seed: int) -> None:
    from sim.calibration.service import overtakes

    rng = np.random.default_rng(seed)
    n = 150
    day = rng.integers(0, 2, n)
    issued = rng.uniform(0, 600, n)
    called = np.where(rng.random(n) < 0.85, issued + rng.exponential(60, n), np.nan)
    closed = np.where(np.isnan(called), issued + rng.exponential(80, n), np.nan)
    gave_up_first = ~np.isnan(called) & (rng.random(n) < 0.1)  # exact log: left, then no-show
    closed = np.where(gave_up_first, called - rng.uniform(0, 30, n), closed)
    service, segment = rng.integers(0, 2, n), rng.integers(0, 3, n)
    counter = np.where(np.isnan(called), -1, rng.integers(0, 3, n))
    args = (day, issued, called, closed, service, segment, counter, 3)
    np.testing.assert_array_equal(overtakes(*args), _overtakes_brute_force(*args))
