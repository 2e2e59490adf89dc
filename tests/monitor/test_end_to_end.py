"""A simulated day through the whole exporter: ``hallmon replay`` posts it over
HTTP to a real ``hallmon serve``, and what ``/metrics`` publishes at the end of
the day must be exactly what the simulation's own records say.

The expected numbers come from the records (times rounded to the microsecond,
as the event log holds them), not from the events, following what
``sim/eventlog.py`` says a ticket system logs: kiosk users take no counter
ticket; in ``no_show`` mode a balked customer takes none either, while
``exact`` logs them as issued and abandoned at once; every ticket not served
ends with ``ticket_abandoned`` or ``ticket_no_show``, and a ticket called to a
counter is "served" by the exporter's count (a no-show too).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sim.eventlog.convert import day_events, to_log_precision
from sim.eventlog.events import AbandonEvents
from sim.model.calendar import counter_instances
from sim.model.days import day_scenario
from sim.model.hall import simulate
from sim.model.records import BALKED, SERVED, Records
from sim.model.scenario import Scenario, load_scenario
from tests.monitor.conftest import DAY, ENV, ROOT, TOKENS, write_config
from tests.monitor.server import running_server

pytestmark = [pytest.mark.integration]

REPLAY_S = 300.0  # generous: a loaded CI machine; the replay itself takes a second or two

Key = tuple[str, ...]
Samples = dict[tuple[str, Key], float]  # (sample name, label values but hall) -> value


def _us(seconds: np.ndarray) -> np.ndarray:
    """Log-precision seconds as whole microseconds (the exporter's unit)."""
    return np.rint(seconds * 1e6).astype(np.int64)


@dataclass(frozen=True)
class Expected:
    """The end-of-day metrics of one hall, from its records."""

    issued: dict[Key, int]  # (service, segment)
    served: dict[Key, int]
    abandoned: dict[Key, int]
    counter_served: dict[Key, int]  # (counter,)
    wait_us: dict[str, np.ndarray]  # service -> wait of each called ticket
    service_us: dict[str, np.ndarray]  # service -> service time of each served ticket


def expected_metrics(records: Records, scn: Scenario, mode: AbandonEvents) -> Expected:
    """What the exporter must publish once the day's ``mode`` log is in (see the
    module docstring)."""
    r = to_log_precision(records)
    outcome, counter = r.outcome, r.counter
    ticketed = ~r.kiosk & ((outcome != BALKED) | (mode == "exact"))
    called = ticketed & (counter >= 0)
    # a called ticket that was not served is a no-show: its end (ticket_no_show)
    # must be in the log, or it would be neither served nor abandoned
    assert np.isfinite(r.ended_s[called]).all()
    gone = ticketed & (outcome != SERVED)
    pairs = [(s, g) for s in scn.services for g in scn.segments]

    def per_pair(mask: np.ndarray) -> dict[Key, int]:
        found = Counter(
            (r.services[s], r.segments[g])
            for s, g in zip(r.service[mask].tolist(), r.segment[mask].tolist(), strict=True)
        )
        assert set(found) <= set(pairs)
        return {p: found.get(p, 0) for p in pairs}

    counters = [i.name for i in counter_instances(scn) if not i.kiosk]
    calls = Counter(r.counters[k] for k in counter[called].tolist())
    assert set(calls) <= set(counters)
    wait_us, service_us = {}, {}
    for k, svc in enumerate(r.services):
        mine = called & (r.service == k)
        wait_us[svc] = _us(r.called_s[mine]) - _us(r.arrival_s[mine])
        done = mine & (outcome == SERVED)
        service_us[svc] = _us(r.ended_s[done]) - _us(r.called_s[done])
    return Expected(
        issued=per_pair(ticketed),
        served=per_pair(called),
        abandoned=per_pair(gone),
        counter_served={(c,): calls.get(c, 0) for c in counters},
        wait_us=wait_us,
        service_us=service_us,
    )


def scrape(text: str, hall: str) -> Samples:
    """The hall's samples of a Prometheus text exposition."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.labels.get("hall") != hall:
                continue
            key = tuple(v for k, v in sorted(s.labels.items()) if k != "hall")
            assert (s.name, key) not in samples, f"{s.name}{s.labels} appears twice"
            samples[(s.name, key)] = s.value
    return samples


def series(samples: Samples, name: str, labels: tuple[str, ...] = ()) -> dict[Key, float]:
    """The samples named ``name``, keyed by the values of ``labels`` (all the
    labels but ``hall``, in that order)."""
    found = {key: value for (n, key), value in samples.items() if n == name}
    if labels:
        order = sorted(labels)
        found = {tuple(key[order.index(lab)] for lab in labels): v for key, v in found.items()}
    return found


def check_histogram(samples: Samples, name: str, observed_us: dict[str, np.ndarray]) -> None:
    """``name``'s buckets, count and sum per service against the observations."""
    buckets = series(samples, f"{name}_bucket", ("service", "le"))
    counts = series(samples, f"{name}_count", ("service",))
    sums = series(samples, f"{name}_sum", ("service",))
    assert set(counts) == {(svc,) for svc in observed_us}
    for svc, values in observed_us.items():
        les = [le for s, le in buckets if s == svc]
        assert "+Inf" in les and len(les) > 5, les
        for le in les:
            bound_us = np.inf if le == "+Inf" else round(float(le) * 1e6)
            want = int((values <= bound_us).sum())
            assert buckets[(svc, le)] == want, f"{name}_bucket{{service={svc}, le={le}}}"
        assert counts[(svc,)] == len(values), f"{name}_count{{service={svc}}}"
        assert sums[(svc,)] == pytest.approx(values.sum() / 1e6, abs=1e-3), f"{name}_sum {svc}"


def replay_day(
    tmp_path: Path, scenario: str, seed: int, mode: AbandonEvents
) -> tuple[dict[str, object], Samples]:
    """Serve the test halls, replay the day with ``hallmon replay`` unpaced,
    and return the replay's JSON summary and the hall's scraped samples."""
    config = write_config(tmp_path, clock="events")
    with running_server(config, ENV, log=tmp_path / "server.log") as server:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "monitor",
                "replay",
                str(ROOT / f"scenarios/{scenario}.yaml"),
                "--url",
                server.url,
                "--token",
                TOKENS[scenario],
                "--speed",
                "0",
                "--start",
                DAY.isoformat(),
                "--seed",
                str(seed),
                "--replication",
                "0",
                "--mode",
                mode,
                "--json",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=REPLAY_S,
        )
        assert done.returncode == 0, done.stderr
        summary: dict[str, object] = json.loads(done.stdout)
        metrics = server.get("/metrics")
        assert metrics.status_code == 200
    return summary, scrape(metrics.text, scenario)


def check_day(
    tmp_path: Path, scenario: str, seed: int, mode: AbandonEvents
) -> tuple[Records, Expected]:
    """Replay replication 0 of ``seed`` and check every published number."""
    scn = day_scenario(load_scenario(ROOT / f"scenarios/{scenario}.yaml"), DAY)
    assert scn is not None  # the replay simulates DAY's own plan (a Monday's, busier)
    records = simulate(scn, seed, 0)
    n_events = len(day_events(records, scn, DAY, mode))
    want = expected_metrics(records, scn, mode)
    summary, samples = replay_day(tmp_path, scenario, seed, mode)

    assert summary["events"] == summary["accepted"] == n_events
    assert summary["duplicates"] == 0
    pair = ("service", "segment")
    assert series(samples, "hall_tickets_issued_total", pair) == want.issued
    assert series(samples, "hall_tickets_served_total", pair) == want.served
    assert series(samples, "hall_tickets_abandoned_total", pair) == want.abandoned
    assert series(samples, "hall_counter_served_total", ("counter",)) == want.counter_served
    check_histogram(samples, "hall_wait_seconds", want.wait_us)
    check_histogram(samples, "hall_service_seconds", want.service_us)
    # the service level objective reads the bucket at the target wait
    target = {le for _, le in series(samples, "hall_wait_seconds_bucket", ("service", "le"))}
    assert any(le != "+Inf" and float(le) == scn.target.wait for le in target)
    # the day is over: nobody waits, no counter is busy
    assert set(series(samples, "hall_queue_length").values()) == {0.0}
    assert set(series(samples, "hall_oldest_wait_seconds").values()) == {0.0}
    assert series(samples, "hall_counters_busy") == {(): 0.0}
    assert set(series(samples, "hall_counter_busy").values()) == {0.0}
    assert series(samples, "hallmon_ingest_events_total", ("result",)) == {
        ("accepted",): n_events,
        ("duplicate",): 0,
        ("rejected",): 0,
        ("future",): 0,
        ("error",): 0,
        ("conflict",): 0,  # a simulated day never contradicts itself
        ("backwards",): 0,
    }
    return records, want


@pytest.mark.parametrize("mode", ["exact", "no_show"])
def test_county_day_through_http_matches_the_simulation(
    tmp_path: Path, mode: AbandonEvents
) -> None:
    _, want = check_day(tmp_path, "county", seed=2, mode=mode)
    assert sum(want.abandoned.values()) > 0  # the seed has no-shows


@pytest.mark.parametrize("mode", ["exact", "no_show"])
def test_flagship_day_through_http_matches_the_simulation(
    tmp_path: Path, mode: AbandonEvents
) -> None:
    records, want = check_day(tmp_path, "flagship", seed=15, mode=mode)
    assert records.kiosk.sum() > 0  # kiosk users, whom the log must leave out
    assert sum(want.abandoned.values()) > 0  # no-shows
    assert want.counter_served[("V1",)] > 0  # the VIP counter called tickets
