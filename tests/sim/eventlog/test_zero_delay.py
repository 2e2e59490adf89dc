"""A hall with ``no_show_delay: 0`` logs what a real ticket system logs: the
counter calls the number of a customer who has gone, nobody comes, and the
call and the no-show are logged at the same instant. The KPIs stay as before
(a skipped gone customer is abandoned, the zero-length call costs no time)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date
from typing import Any

import numpy as np
import pytest

from sim.eventlog.convert import day_events, replay
from sim.eventlog.events import AbandonEvents
from sim.model.demand import draw_demand
from sim.model.hall import simulate
from sim.model.kpis import replication_kpis
from sim.model.records import ABANDONED
from tests.sim.eventlog.test_events import variant

DAY = date(2025, 3, 3)
BUSY_ZERO_DELAY: dict[str, Any] = {"arrivals.scale": 1.7, "no_show_delay": 0}


def test_a_gone_customer_reached_by_a_counter_is_called_at_zero_delay() -> None:
    scn = variant(BUSY_ZERO_DELAY)
    demand = draw_demand(scn, 2, 0)
    r = simulate(scn, 2, 0, demand=demand)
    deadline = demand.arrival_s + demand.patience_s
    gone_called = (r.outcome == ABANDONED) & np.isfinite(r.called_s)
    assert gone_called.sum() > 20  # a busy day: many gone customers are reached
    # called by a counter after they left; the no-show takes no time
    assert (r.counter[gone_called] >= 0).all()
    assert (r.called_s[gone_called] >= deadline[gone_called] - 1e-9).all()
    np.testing.assert_array_equal(r.ended_s[gone_called], r.called_s[gone_called])
    np.testing.assert_allclose(r.left_s[gone_called], deadline[gone_called])
    # a counter's call of a gone customer lies inside one of its staffed spans
    spans = defaultdict(list)
    for k, lo, hi in zip(r.span_counter, r.span_opened_s, r.span_closed_s, strict=True):
        spans[int(k)].append((lo, hi))
    for i in np.flatnonzero(gone_called):
        t, k = r.called_s[i], int(r.counter[i])
        assert any(lo <= t <= hi for lo, hi in spans[k]), i


def test_the_no_show_log_shows_the_call_and_the_no_show_at_one_instant() -> None:
    scn = variant(BUSY_ZERO_DELAY)
    r = simulate(scn, 2, 0)
    log = day_events(r, scn, DAY, "no_show")
    by_ticket: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for e in log:
        if e.ticket is not None:
            by_ticket[e.ticket].append((e.kind, e.ts))
    no_shows = [evs for evs in by_ticket.values() if any(k == "ticket_no_show" for k, _ in evs)]
    assert len(no_shows) == int(((r.outcome == ABANDONED) & np.isfinite(r.called_s)).sum())
    for evs in no_shows:
        kinds = [k for k, _ in evs]
        assert kinds == ["ticket_issued", "ticket_called", "ticket_no_show"]
        assert evs[1][1] == evs[2][1]  # same instant
    # only customers nobody reached before the day ended are closed out unseen
    closed_out = [evs for evs in by_ticket.values() if evs[-1][0] == "ticket_abandoned"]
    assert len(closed_out) < len(no_shows) / 10


@pytest.mark.parametrize("mode", ["exact", "no_show"])
def test_kpis_of_the_simulation_and_its_replayed_log_are_as_before(mode: AbandonEvents) -> None:
    scn = variant(BUSY_ZERO_DELAY)
    r = simulate(scn, 2, 0)
    want = replication_kpis(r, scn)
    # the skipped calls cost no counter time: utilisation and queue are unchanged
    # from a run where the same customers are dropped without a call
    unseen = (r.outcome == ABANDONED) & (r.ended_s == r.called_s)
    dropped = {
        "called_s": np.where(unseen, np.nan, r.called_s),
        "ended_s": np.where(unseen, np.nan, r.ended_s),
        "counter": np.where(unseen, -1, r.counter),
    }
    silent = replication_kpis(
        dataclasses.replace(
            r, called_s=dropped["called_s"], ended_s=dropped["ended_s"], counter=dropped["counter"]
        ),
        scn,
    )
    np.testing.assert_equal(want.overall, silent.overall)
    got = replication_kpis(replay(day_events(r, scn, DAY, mode), scn), scn).overall
    for key in ("served", "abandoned", "wait_mean_s", "wait_p90_s", "utilisation"):
        assert got[key] == pytest.approx(want.overall[key], rel=1e-9, abs=1e-5), key
