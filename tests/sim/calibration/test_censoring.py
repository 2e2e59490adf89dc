"""What the fit reads about patience from each ticket is exactly what the
simulation knows (issue 19, item 7: "is the interval each give-up is censored
to exactly right, no-show delay included?").

The simulation draws every customer's patience; its records say who was
called when. For every ticket of a simulated log, read back through
``collect`` and ``fit_log``, the statement the fit makes must hold for the
drawn patience and be as sharp as the log allows:

* served: patience is longer than the wait to the call (right-censored);
* a no-show in a ``no_show`` log: patience is at most the wait to the call
  (interval ``(0, called − issued]``), whatever the no-show delay (the
  counter's calling time after the call is not waiting);
* a give-up in an ``exact`` log: patience is the time to the
  ``ticket_abandoned``.

And a customer called the instant they took a ticket says nothing about
patience (``S(0) = 1`` for every family), so adding such customers to a log
must not move any family's likelihood: before issue 19 they were read as
waits of a few nanoseconds (epoch-second arithmetic) and counted as half a
second, a constant hazard's loss only, which tipped the choice of family
against a true exponential.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from sim.calibration import censored
from sim.calibration.fit import collect, fit_log
from sim.eventlog.convert import day_events
from sim.eventlog.events import AbandonEvents, Event
from sim.model.demand import draw_demand
from sim.model.hall import simulate
from sim.model.records import ABANDONED, SERVED
from sim.model.scenario import Scenario
from tests.sim.calibration.truths import truth

START = date(2026, 3, 2)
DAYS = 6
CASES = [(mode, delay) for mode in ("exact", "no_show") for delay in ("0s", "15s")]


def _hall(delay: str) -> Scenario:
    """A busy hall (many give-ups, many customers served at once) whose
    patience families differ per segment."""
    return truth("zero_delay", no_show_delay=delay)


def _log(
    scn: Scenario, mode: AbandonEvents
) -> tuple[list[Event], dict[str, dict[str, list[float]]]]:
    """``DAYS`` simulated days as events, and per segment the truth: the waits
    of the served, the waits of those who had gone by their call, and the
    drawn patience of each (seconds)."""
    events: list[Event] = []
    truth_of: dict[str, dict[str, list[float]]] = {
        s: {"served": [], "gone_wait": [], "gone_patience": [], "patience_served": []}
        for s in scn.segments
    }
    for i in range(DAYS):
        day = START + timedelta(days=i)
        demand = draw_demand(scn, 1, i)
        r = simulate(scn, 1, i, demand)
        events += day_events(r, scn, day, mode)
        wait = r.called_s - r.arrival_s
        called = np.isfinite(r.called_s) & ~r.kiosk
        for k, name in enumerate(scn.segments):
            mine = called & (r.segment == k)
            served, gone = mine & (r.outcome == SERVED), mine & (r.outcome == ABANDONED)
            t = truth_of[name]
            t["served"] += wait[served].tolist()
            t["patience_served"] += demand.patience_s[served].tolist()
            t["gone_wait"] += wait[gone].tolist()
            t["gone_patience"] += demand.patience_s[gone].tolist()
    return events, truth_of


@pytest.mark.parametrize(("mode", "delay"), CASES, ids=[f"{m}-{d}" for m, d in CASES])
def test_every_ticket_is_censored_to_what_the_simulation_knows(
    mode: AbandonEvents, delay: str
) -> None:
    scn = _hall(delay)
    events, truth_of = _log(scn, mode)
    fit = fit_log(collect(events))
    assert fit.exact_abandons == (mode == "exact")
    for name, t in truth_of.items():
        obs = fit.patience[name].observations
        served = np.sort(t["served"])
        # served: the wait to the call, to the microsecond the log holds; zero is zero
        assert np.sort(obs.right_s) == pytest.approx(served, abs=1e-6)
        assert np.count_nonzero(obs.right_s == 0.0) == np.count_nonzero(served < 5e-7)
        assert np.all(np.asarray(t["patience_served"]) > np.asarray(t["served"]))
        gone_wait, gone_patience = np.asarray(t["gone_wait"]), np.asarray(t["gone_patience"])
        assert len(gone_wait) > 20, name  # the hall gives give-ups to check
        assert np.all(gone_patience <= gone_wait + 1e-9)
        if mode == "exact":
            # the give-up itself, not the call nor the no-show that followed it
            assert len(obs.upper_s) == 0
            assert np.sort(obs.exact_s) == pytest.approx(np.sort(gone_patience), abs=1e-6)
        else:
            # gone by the call: (0, called - issued], the no-show delay not added
            assert len(obs.exact_s) == 0
            assert np.sort(obs.upper_s) == pytest.approx(np.sort(gone_wait), abs=1e-6)


@pytest.mark.parametrize("mode", ["exact", "no_show"])
def test_customers_called_at_once_say_nothing_about_patience(mode: AbandonEvents) -> None:
    scn = _hall("15s")
    events, _ = _log(scn, mode)
    # one more customer per minute of the first day, called the instant the ticket
    # is taken and served: times whose epoch seconds are not exact in binary
    extra: list[Event] = []
    first = next(e for e in events if e.kind == "ticket_issued")
    for n in range(480):
        at = first.ts + timedelta(minutes=n, microseconds=123457 * n % 1_000_000)
        ticket = f"instant-{n}"
        base = {"hall": first.hall, "ticket": ticket}
        extra += [
            Event(id=f"x{n}i", ts=at, kind="ticket_issued", service="payment",
                  segment="regular", **base),
            Event(id=f"x{n}c", ts=at, kind="ticket_called", counter="G-1", **base),
            Event(id=f"x{n}e", ts=at + timedelta(seconds=90), kind="service_ended",
                  counter="G-1", **base),
        ]  # fmt: skip
    both = sorted(events + extra, key=lambda e: e.ts)
    without = fit_log(collect(events)).patience["regular"]
    with_them = fit_log(collect(both)).patience["regular"]
    assert with_them.right == without.right  # zero waits are not observations
    for a, b in zip(without.fits, with_them.fits, strict=True):
        assert b.loglik == pytest.approx(a.loglik, abs=1e-6), a.family
        assert b.mean_s == pytest.approx(a.mean_s, rel=1e-6), a.family


# parameters as the fit writes them (log mean; log shape, log scale; mu, log sigma)
THETAS = {
    "exponential": [[5.5], [6.5]],
    "gamma": [[-0.5, 6.4], [0.3, 5.6]],
    "weibull": [[-0.5, 6.0], [0.0, 5.8]],
    "lognormal": [[5.5, 0.3], [6.0, -0.2]],
}


@pytest.mark.parametrize("family", list(THETAS))
def test_grouping_the_times_keeps_every_familys_likelihood(family: str) -> None:
    """The fit groups times to keep the likelihood a few thousand points long.
    Rounded to the whole second, give-ups a fraction of a second after the
    ticket (common when the hazard is highest at the start, a Weibull or gamma
    of shape under 1) lost up to 1.5 log-likelihood units for one family and
    not another, enough to rule out a true Weibull. Grouped or not, each
    family's log-likelihood must agree to within 0.01 at any parameters."""
    rng = np.random.default_rng(21)
    patience = 400.0 * rng.weibull(0.6, 3000)  # many give-ups within a second
    wait = rng.exponential(300.0, 3000)
    gone = patience <= wait
    assert np.count_nonzero(patience[gone] < 1.0) >= 20
    exact = censored.CensoredData.of(patience[gone], wait[~gone], np.array([]))
    interval = censored.CensoredData.of(np.array([]), wait[~gone], wait[gone])
    raw_exact = censored.CensoredData(
        patience[gone], np.ones(gone.sum()), wait[~gone], np.ones((~gone).sum()),
        np.array([]), np.array([]),
    )  # fmt: skip
    raw_interval = censored.CensoredData(
        np.array([]), np.array([]), wait[~gone], np.ones((~gone).sum()),
        wait[gone], np.ones(gone.sum()),
    )  # fmt: skip
    for theta in THETAS[family]:
        for grouped, raw in ((exact, raw_exact), (interval, raw_interval)):
            a = censored._loglik(family, np.array(theta), grouped)
            b = censored._loglik(family, np.array(theta), raw)
            assert a == pytest.approx(b, abs=0.01), (family, theta)
