"""The nowcast against the simulated truth of replayed days: the expected wait
of a ticket taken now, as the monitor computes it from a hall's event log,
against the wait the next customers actually got.

Set-up. The bundled flagship hall with 30 % more customers
(``arrivals.scale: 1.3``: a mean wait of about 8 min instead of 2-3 min, so
queues are not trivial). ``DAYS`` days, day ``i`` being replication ``i`` of
``DAY_SEED``, each logged as a real hall's ticket system logs it (``no_show``
mode: no balked customers, no moment of giving up). Every ``STEP_S`` from
09:30 to 20:30 a :class:`HallState` holds the day's events with ``ts <= T``;
its ``picture(T)`` goes through :func:`monitor.background.hall_start` into
:func:`sim.live.nowcast.nowcast` (30 replications, seed ``NOWCAST_SEED + i``: the
monitor keeps one seed all day, and other days get other seeds so that days
stay independent; no seed coincides with a truth day's). The prediction is the
published number, ``wait_s[(service, 0)]``.

Truth. For each counter service, the wait (``called - arrival``) of the first
walk-in ticket of that service issued after ``T``. One ticket, not the mean of
the next few: the nowcast promises the wait of *a* ticket taken now, segments
weighted by their share, and the next ticket's segment is drawn with those
shares (a mean of the next few would look further ahead). Booked tickets are
left out: the nowcast's probe is a walk-in. A customer who gave up still has
their number called when its turn comes (a no-show, the counter calling for
20 s), so a give-up's call time is when a patient customer would have been
called, which is what the nowcast's patient probe measures; such tickets are
kept. In this ``serve_all`` hall every ticket is called, so nothing is
censored (checked). The first ticket comes on average 2-7 min after ``T``
(payment, the rarest counter service, the latest); predicting it at the
ticket's own issue time instead of ``T`` moved the bias by about 0.2 min.

Naive predictors a hall without the nowcast would use: the day forecast's
mean wait for the interval holding ``T`` (:func:`sim.live.forecast.forecast_day`,
20 replications, as the monitor publishes it) and the wait of the last ticket
of the service called by ``T`` (0 before the first call), as a ticket display
shows it.

Statistics. Points of one day share its demand level and queue, so they are
correlated; days are independent. Every statistic is therefore first reduced
to one number per day and the 95 % Student-t interval is taken over days
(n = ``DAYS``).

Measured (20 days x 23 times x 4 services, 1,840 points; minutes, ± the 95 %
interval over days):

=======================  ===========  =======================
predictor                MAE          mean(truth - predicted)
=======================  ===========  =======================
nowcast                  6.77 ± 1.80  -0.49 ± 0.95
day forecast             8.34 ± 1.63  +0.60 ± 2.35
last ticket called       8.53 ± 2.36  +3.93 ± 1.60
=======================  ===========  =======================

Paired, MAE(nowcast) - MAE(naive) is -1.57 ± 0.53 min against the forecast
and -1.76 ± 0.81 min against the last ticket called. The mean actual wait is
7.85 min, so the MAE is close to the mean wait itself: the wait of one ticket
depends on its segment's priority and on customers not yet come. Per service
the nowcast's MAE is 3.3 (consult), 3.5 (business), 7.0 (after-sales) and
13.6 min (payment, ranked last at the general counters, so its wait depends on
every other queue).

(Per-service figures were measured before the fix below; the overall ones after.)

When counters close for lunch or a shift end (12:00, 18:00) the nowcast was
far too low, +9.8 ± 3.9 min (+15.6 ± 7.2 at 12:00 alone, actual 24.2 min),
until the warm start closed a counter still serving past its window after that
customer; now -0.80 ± 3.37 min (-1.20 ± 6.55 at 12:00). See
:func:`test_the_nowcast_is_unbiased_when_counters_close`.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import numpy as np
import pytest

from monitor.background import hall_start
from monitor.config import Hall, load_settings
from monitor.ingest import to_rows
from monitor.state import HallState
from sim.eventlog.convert import day_events
from sim.live.forecast import DayForecast, counter_services, forecast_day
from sim.live.nowcast import nowcast
from sim.model.calendar import counter_instances
from sim.model.hall import simulate
from sim.model.records import BALKED, Records
from sim.model.scenario import Scenario, load_scenario, scenario_from_dict
from sim.model.scenario_io import scenario_to_dict
from sim.model.summary import t_quantile_975
from tests.monitor.conftest import DAY, ENV, ROOT, write_config

SCALE = 1.3
DAYS = 20
STEP_S = 1800.0
REPLICATIONS = 30
DAY_SEED = 2026
NOWCAST_SEED = 1
FORECAST_SEED = 1
FORECAST_REPLICATIONS = 20
# "within a stated error": the nowcast's mean absolute error on these days is at
# most 8.7 min, about the upper end of the 95 % interval over days of the
# measured MAE (6.77 ± 1.80 min). A change that makes the nowcast worse by more than its day-to-day
# noise fails here even if it still beats the naive predictors.
MAE_BOUND_S = 8.7 * 60

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Point:
    """One (day, time, service): the actual wait and three predictions (seconds)."""

    day: int
    at_s: float  # seconds after local midnight
    service: str
    actual_s: float
    nowcast_s: float
    forecast_s: float
    last_called_s: float


def busy_scenario() -> Scenario:
    """The bundled flagship scenario with ``SCALE`` times its customers."""
    tree = scenario_to_dict(load_scenario(ROOT / "scenarios/flagship.yaml"))
    tree["arrivals"]["scale"] = SCALE
    return scenario_from_dict(tree)


def busy_hall(directory: Path) -> Hall:
    """The flagship hall of the test config, simulating :func:`busy_scenario`."""
    settings = load_settings(write_config(directory), environ=ENV)
    hall = next(h for h in settings.halls if h.id == "flagship")
    return hall.model_copy(update={"scenario": busy_scenario()})


def next_ticket(r: Records, service: int, after_s: float) -> int | None:
    """The first walk-in counter ticket of ``service`` issued after ``after_s``
    (balked customers take no ticket), or None."""
    mine = np.flatnonzero(
        ~r.kiosk & ~r.appointment & (r.service == service) & (r.arrival_s > after_s)
    )
    mine = mine[r.outcome[mine] != BALKED]
    return int(mine[np.argmin(r.arrival_s[mine])]) if mine.size else None


def last_called_wait_s(r: Records, service: int, at_s: float) -> float:
    """The wait of the ticket of ``service`` called last by ``at_s`` (0 if none)."""
    called = np.flatnonzero(~r.kiosk & (r.service == service) & (r.called_s <= at_s))
    if not called.size:
        return 0.0
    i = called[np.argmax(r.called_s[called])]
    return float(r.called_s[i] - r.arrival_s[i])


def replay_day(hall: Hall, forecast: DayForecast, day: int) -> list[Point]:
    """Simulate day ``day``, feed its log to a :class:`HallState` step by step and
    nowcast at every ``STEP_S``; one :class:`Point` per time and service."""
    scn = hall.scenario
    records = simulate(scn, DAY_SEED, day)
    date = DAY + timedelta(days=day)
    state = HallState(hall)
    rows = to_rows(day_events(records, scn, date, "no_show"), state.zone)
    midnight_s = datetime.combine(date, time(), state.zone).timestamp()
    points: list[Point] = []
    fed = 0
    for at_s in np.arange(scn.open + STEP_S, scn.close, STEP_S):
        now_s = midnight_s + float(at_s)
        upto = fed
        while upto < len(rows) and rows[upto].ts_us <= round(now_s * 1e6):
            upto += 1
        state.apply(rows[fed:upto])
        fed = upto
        start = hall_start(state.picture(now_s), state)
        assert start.now_s == pytest.approx(at_s)
        result = nowcast(
            scn, start, horizons_s=(0.0,), replications=REPLICATIONS, seed=NOWCAST_SEED + day
        )
        expected = forecast.at(float(at_s))
        for name in counter_services(scn):
            s = records.services.index(name)
            i = next_ticket(records, s, float(at_s))
            if i is None:  # nobody came for it before closing
                continue
            assert not math.isnan(records.called_s[i]), "serve_all: every ticket is called"
            points.append(
                Point(
                    day=day,
                    at_s=float(at_s),
                    service=name,
                    actual_s=float(records.called_s[i] - records.arrival_s[i]),
                    nowcast_s=result.wait_s[(name, 0.0)],
                    forecast_s=expected[name].wait_s,
                    last_called_s=last_called_wait_s(records, s, float(at_s)),
                )
            )
    return points


@pytest.fixture(scope="module")
def points(tmp_path_factory: pytest.TempPathFactory) -> list[Point]:
    """Every day's points, the days replayed in two worker processes."""
    hall = busy_hall(tmp_path_factory.mktemp("accuracy"))
    forecast = forecast_day(hall.scenario, FORECAST_REPLICATIONS, FORECAST_SEED)
    context = multiprocessing.get_context("forkserver")
    workers = min(2, os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        days = pool.map(replay_day, [hall] * DAYS, [forecast] * DAYS, range(DAYS))
        return [p for day in days for p in day]


def per_day(points: list[Point], value: Callable[[Point], float]) -> np.ndarray:
    """The mean of ``value`` over each day's points: one independent number per day."""
    return np.array([np.mean([value(p) for p in points if p.day == day]) for day in range(DAYS)])


def ci95(x: np.ndarray) -> tuple[float, float]:
    """Mean and 95 % Student-t half-width of independent values ``x``."""
    return float(x.mean()), t_quantile_975(len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))


def test_the_points_cover_busy_days(points: list[Point]) -> None:
    """Every day, time and service has its point (payment may see nobody in the
    last half hour), and the hall is busy enough for waits to matter."""
    assert len(points) >= DAYS * 23 * 4 - DAYS
    assert all(math.isfinite(p.forecast_s) for p in points)
    assert np.mean([p.actual_s for p in points]) > 4 * 60
    assert np.mean([p.actual_s > 15 * 60 for p in points]) > 0.05  # past the hall's target


def test_the_nowcast_is_unbiased(points: list[Point]) -> None:
    """Mean of truth - nowcast within its 95 % interval over days (measured
    -0.49 ± 0.95 min)."""
    bias, half = ci95(per_day(points, lambda p: p.actual_s - p.nowcast_s))
    assert abs(bias) <= half, f"nowcast bias {bias / 60:+.2f} min ± {half / 60:.2f} (95 %)"


def test_the_nowcast_is_unbiased_when_counters_close(points: list[Point]) -> None:
    """The same at the times some counter's staffed window ends (12:00: lunch and
    the after-sales break; 18:00: the after-sales shift). At that moment the
    counters whose window ended while serving a customer are still open in the
    log (``counter_closed`` comes when they finish, as in the model), so
    ``picture().open_counters`` lists them; the warm start must close them after
    that customer rather than read them as staffed off schedule. Measured -0.80 ±
    3.37 min (it was +9.8 ± 3.9 before that rule: the hall was staffed through
    lunch)."""
    scn = busy_scenario()
    ends = {w[1] for inst in counter_instances(scn) if not inst.kiosk for w in inst.windows}
    closing = [p for p in points if p.at_s in ends]
    assert {p.at_s for p in closing} == {12 * 3600.0, 18 * 3600.0}
    bias, half = ci95(per_day(closing, lambda p: p.actual_s - p.nowcast_s))
    assert abs(bias) <= half, f"nowcast bias {bias / 60:+.2f} min ± {half / 60:.2f} (95 %)"


@pytest.mark.parametrize(
    ("naive", "predict"),
    [
        ("day forecast", lambda p: p.forecast_s),
        ("last ticket called", lambda p: p.last_called_s),
    ],
)
def test_the_nowcast_beats_a_naive_predictor(
    points: list[Point], naive: str, predict: Callable[[Point], float]
) -> None:
    """Paired: per day, the nowcast's mean absolute error minus the naive one's;
    the whole 95 % interval of that difference lies below 0 (measured -1.57 ±
    0.53 min against the forecast, -1.76 ± 0.81 against the last ticket)."""
    gain, half = ci95(
        per_day(points, lambda p: abs(p.actual_s - p.nowcast_s) - abs(p.actual_s - predict(p)))
    )
    assert gain + half < 0, (
        f"MAE(nowcast) - MAE({naive}) = {gain / 60:+.2f} min ± {half / 60:.2f} (95 %)"
    )


def test_the_nowcast_error_is_within_the_stated_bound(points: list[Point]) -> None:
    mae = float(np.mean([abs(p.actual_s - p.nowcast_s) for p in points]))
    assert mae <= MAE_BOUND_S, f"MAE {mae / 60:.2f} min > {MAE_BOUND_S / 60:.2f} min"
