"""How a hall's weekdays differ, read from its log and tested, not assumed.

Real halls differ by weekday (Mondays are busier, some close on Sundays), but
a log of a few weeks has only a few days of each weekday, and a difference
fitted from three Mondays may be noise. :func:`fit_week` therefore tests each
thing a weekday may change, (the day's level at :data:`ALPHA_LEVEL`, its shape and
mix at :data:`ALPHA`) and keeps only what the log shows:

* **closed**: a weekday the log's dates span without a single event of it
  (the hall opened on the days around it, not on it);
* **level** (the day's demand): the daily ticket totals by weekday, a
  quasi-Poisson F test of one mean per weekday against one for all (the
  dispersion estimated from the days themselves, so day-to-day noise is not
  read as a weekday effect); each weekday then gets ``level`` = its mean over
  the mean of all days;
* **profile** (the shape of the day): tickets per interval by weekday, a
  chi-square test of homogeneity. Given a day's total its tickets fall into
  the intervals as a multinomial of the day's shape, whatever that day's
  demand factor, so the test needs no model of day-to-day noise; each weekday
  then gets its own ``rate_per_hour`` from its days alone;
* **mix** (the services asked for): tickets per service by weekday, a
  chi-square test; each weekday then gets its own ``mix``;
* **hours**: a weekday whose median first activity and last ticket (on the
  interval grid, as for the whole log) differ from every day's gets its own
  ``open``/``close``.

Sparse tables are made testable first: intervals (services) are merged with
their neighbour until every expected count is at least 5. The result
(:class:`WeekFit`) is the scenario's ``week`` block (:meth:`WeekFit.week`) and
the day noise that remains once the weekdays' levels are known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, TypedDict

import numpy as np
from scipy import stats

from sim.calibration.arrivals import WEEKDAYS, ArrivalFit, arrival_rates, opening_hours
from sim.calibration.logdata import LogData
from sim.model.scenario_io import clock_text

# A weekday effect is kept when its test's p-value is below these. A missed
# Monday costs its error every Monday; a level fitted from noise costs little
# (a few percent), a profile or mix fitted from a weekday's few days more.
ALPHA_LEVEL = 0.05
ALPHA = 0.01  # profile and mix
MIN_EXPECTED = 5.0  # chi-square cells are merged until each expects at least this many
MIN_DAYS = 2  # days of a weekday a test needs before it can use that weekday


class DayPlanTree(TypedDict, total=False):
    """What a weekday's plan changes of the typical day, as the scenario's YAML
    writes it (people's units): its hours, its level, its own profile, its mix."""

    open: str
    close: str
    level: float
    rate_per_hour: dict[str, float]
    mix: dict[str, float]


class TestJson(TypedDict, total=False):
    statistic: float | None
    df: list[int]
    p_value: float | None
    significant: bool
    note: str


WeekBlock = dict[str, Literal["closed"] | DayPlanTree]  # the scenario's ``week``, by weekday


class WeekJson(TypedDict):
    alpha: float
    alpha_level: float
    days: dict[str, int]
    closed: list[str]
    tests: dict[str, TestJson]
    week: WeekBlock | None
    day_noise_cv: float


@dataclass(frozen=True)
class WeekdayTest:
    """One test of a weekday effect: the statistic, its degrees of freedom (a
    pair for an F test), the p-value and whether it is below ``alpha``; a test
    the log cannot run says why in ``note`` (and is not significant)."""

    quantity: str  # level, profile or mix
    statistic: float
    df: tuple[int, ...]
    p_value: float
    significant: bool
    note: str = ""

    def to_json(self) -> TestJson:
        finite = math.isfinite(self.statistic)
        out: TestJson = {
            "statistic": round(self.statistic, 3) if finite else None,
            "df": list(self.df),
            "p_value": float(f"{self.p_value:.3g}") if math.isfinite(self.p_value) else None,
            "significant": self.significant,
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class WeekFit:
    """What the log shows of the hall's weekdays (see the module docstring).
    ``plans`` holds, per weekday the log has, what its day plan changes
    (YAML-ready, in people's units); ``day_noise_cv`` is the day-to-day
    over-dispersion left once each weekday has its level, and ``typical``
    the arrivals of the typical day the plans change (of the weekdays with
    the usual hours, when any weekday differs; else of all days)."""

    alpha: float
    days: dict[str, int]  # days of each weekday in the log
    closed: tuple[str, ...]
    tests: dict[str, WeekdayTest]
    plans: dict[str, DayPlanTree]
    day_noise_cv: float
    typical: ArrivalFit  # the typical day's arrivals: of the regular weekdays
    alpha_level: float = ALPHA_LEVEL

    def week(self) -> WeekBlock | None:
        """The scenario's ``week`` block: every weekday, ``closed`` or its plan
        (``{}`` for one like the typical day); None when no weekday differs."""
        if not self.closed and not any(self.plans.values()):
            return None
        return {
            d: "closed" if d in self.closed else self.plans.get(d, DayPlanTree()).copy()
            for d in WEEKDAYS
        }

    def to_json(self) -> WeekJson:
        return {
            "alpha": self.alpha,
            "alpha_level": self.alpha_level,
            "days": dict(self.days),
            "closed": list(self.closed),
            "tests": {name: t.to_json() for name, t in self.tests.items()},
            "week": self.week(),
            "day_noise_cv": round(self.day_noise_cv, 4),
        }


def _merged_columns(table: np.ndarray) -> np.ndarray:
    """``table`` (rows × columns of counts) with neighbouring columns summed
    until every expected count under independence is at least MIN_EXPECTED."""
    cols = [table[:, j] for j in range(table.shape[1]) if table[:, j].sum() > 0]
    share = table.sum(axis=1) / max(table.sum(), 1.0)
    smallest = share.min() if len(share) else 0.0
    out: list[np.ndarray] = []
    for col in cols:
        if out and out[-1].sum() * smallest < MIN_EXPECTED:
            out[-1] = out[-1] + col
        else:
            out.append(col)
    if len(out) > 1 and out[-1].sum() * smallest < MIN_EXPECTED:
        last = out.pop()
        out[-1] = out[-1] + last
    return np.stack(out, axis=1) if out else np.zeros((len(table), 0))


def homogeneity(quantity: str, table: np.ndarray, alpha: float = ALPHA) -> WeekdayTest:
    """Chi-square test that every row of ``table`` (weekdays × categories of
    counts) has the same shares, after merging sparse columns."""
    rows = table[table.sum(axis=1) > 0]
    merged = _merged_columns(rows)
    if len(merged) < 2 or merged.shape[1] < 2:
        note = "needs two weekdays" if len(merged) < 2 else "too few tickets"
        return WeekdayTest(quantity, math.nan, (), math.nan, False, note)
    result = stats.chi2_contingency(merged, correction=False)
    p = float(result.pvalue)
    return WeekdayTest(quantity, float(result.statistic), (int(result.dof),), p, p < alpha)


def level_test(totals: np.ndarray, weekday: np.ndarray, alpha: float = ALPHA_LEVEL) -> WeekdayTest:
    """Quasi-Poisson F test of one mean daily total per weekday against one
    mean for all days (``totals[i]`` tickets on a day of weekday
    ``weekday[i]``); weekdays with fewer than MIN_DAYS days are left out."""
    keep = np.isin(weekday, [w for w in np.unique(weekday) if (weekday == w).sum() >= MIN_DAYS])
    y, w = totals[keep].astype(float), weekday[keep]
    groups = np.unique(w)
    n, k = len(y), len(groups)
    if k < 2 or n - k < 1 or y.sum() <= 0:
        return WeekdayTest("level", math.nan, (), math.nan, False, "needs two weekdays of two days")
    fitted = np.array([y[w == g].mean() for g in groups])[np.searchsorted(groups, w)]

    def deviance(mu: np.ndarray) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)
        return float(2.0 * terms.sum())

    pooled = np.full(n, y.mean())
    dispersion = float(((y - fitted) ** 2 / np.maximum(fitted, 1e-9)).sum() / (n - k))
    if dispersion <= 0:
        dispersion = 1e-9  # identical days: any difference between weekdays is real
    f = (deviance(pooled) - deviance(fitted)) / (k - 1) / dispersion
    p = float(stats.f.sf(f, k - 1, n - k))
    return WeekdayTest("level", float(f), (k - 1, n - k), p, p < alpha)


def _round_mix(shares: np.ndarray, names: list[str]) -> dict[str, float]:
    from sim.calibration.arrivals import rounded_shares

    return rounded_shares({n: float(s) for n, s in zip(names, shares, strict=True) if s > 0})


def fit_week(
    log: LogData, pooled: ArrivalFit, alpha: float = ALPHA, alpha_level: float = ALPHA_LEVEL
) -> WeekFit:
    """What the log shows of the hall's weekdays, each effect tested at
    ``alpha`` (the level at ``alpha_level``; see the module docstring);
    ``pooled`` is the fit of all days.
    Weekdays with the pooled opening hours are *regular*: the typical day is
    fitted from them alone, and they are tested against each other; a weekday
    with hours of its own is tested against them within its hours."""
    tickets = log.ticket_columns()
    ticket_dates = tickets.dates()
    dates = sorted(set(ticket_dates) | set(log.first_s))
    if not dates:
        return WeekFit(alpha, {}, (), {}, {}, pooled.day_noise_cv, pooled, alpha_level)
    index = {d: i for i, d in enumerate(dates)}
    day_wd = np.array([d.weekday() for d in dates])
    seen = sorted({int(w) for w in day_wd})
    days = {WEEKDAYS[w]: int((day_wd == w).sum()) for w in seen}
    span = [dates[0] + timedelta(days=i) for i in range((dates[-1] - dates[0]).days + 1)]
    closed = tuple(
        WEEKDAYS[w] for w in range(7) if w not in seen and any(d.weekday() == w for d in span)
    )
    day_of = np.array([index[d] for d in ticket_dates], dtype=np.int64)
    issued = tickets.issued_s
    services = sorted(set(tickets.service.tolist()))
    service_index = {name: i for i, name in enumerate(services)}
    svc = np.array([service_index[name] for name in tickets.service.tolist()], dtype=np.int64)
    totals = np.bincount(day_of, minlength=len(dates)).astype(float)
    first = np.array([log.first_s.get(d, math.inf) for d in dates])
    last_issue = np.full(len(dates), -math.inf)
    np.maximum.at(last_issue, day_of, issued)
    first = np.minimum(first, np.where(np.isfinite(last_issue), last_issue, math.inf))
    step = pooled.interval_s
    hours = {w: opening_hours(first[day_wd == w], last_issue[day_wd == w], step) for w in seen}
    regular = [w for w in seen if hours[w] == (pooled.open_s, pooled.close_s)] or seen

    def rates(mine: np.ndarray, lo_s: float, hi_s: float) -> ArrivalFit:
        sub = np.isin(day_of, mine)
        local = np.searchsorted(mine, day_of[sub])
        return arrival_rates(local, issued[sub], len(mine), lo_s, hi_s, step)

    typical_days = np.flatnonzero(np.isin(day_wd, regular))
    typical = rates(typical_days, pooled.open_s, pooled.close_s)
    n_bins = len(typical.starts_s)
    bins = np.floor((issued - typical.open_s) / step).astype(np.int64)
    inside = (bins >= 0) & (bins < n_bins)
    profile = np.zeros((7, n_bins))
    np.add.at(profile, (day_wd[day_of][inside], bins[inside]), 1.0)
    mix = np.zeros((7, len(services)))
    np.add.at(mix, (day_wd[day_of], svc), 1.0)
    is_regular = np.isin(day_wd, regular)
    tests = {
        "level": level_test(totals[is_regular], day_wd[is_regular], alpha_level),
        "profile": homogeneity("profile", profile[regular], alpha),
        "mix": homogeneity("mix", mix[seen], alpha),
    }
    plans: dict[str, DayPlanTree] = {}
    base = np.array(typical.rate_per_h) * step / 3600.0  # expected tickets per bin
    for w in seen:
        name, mine = WEEKDAYS[w], np.flatnonzero(day_wd == w)
        plan: DayPlanTree = {}
        own = tests["profile"].significant
        level = float(totals[mine].mean() / totals[typical_days].mean())
        if w not in regular:
            lo_s, hi_s = hours[w]
            plan["open"], plan["close"] = clock_text(lo_s), clock_text(hi_s)
            cols = [i for i, s in enumerate(typical.starts_s) if lo_s <= s < hi_s]
            pair = np.stack([profile[w, cols], profile[regular][:, cols].sum(axis=0)])
            tests[f"profile.{name}"] = shape = homogeneity(f"profile.{name}", pair, alpha)
            own = shape.significant or len(cols) < (hi_s - lo_s) / step - 1e-9
            expected = float(base[cols].sum())
            level = float(profile[w, cols].sum() / len(mine) / expected) if expected > 0 else 1.0
        if own:
            fit = rates(mine, *hours[w])
            plan["rate_per_hour"] = {
                clock_text(s): round(r, 2)
                for s, r in zip(fit.starts_s, fit.rate_per_h, strict=True)
            }
        elif w not in regular or tests["level"].significant:
            plan["level"] = round(level, 4)
        if tests["mix"].significant and mix[w].sum() > 0:
            plan["mix"] = _round_mix(mix[w] / mix[w].sum(), services)
        plans[name] = plan
    varies = any("level" in p or "rate_per_hour" in p for p in plans.values())
    cv = _residual_cv(totals, day_wd) if varies else pooled.day_noise_cv
    return WeekFit(
        alpha, days, closed, tests, plans, cv, typical if varies else pooled, alpha_level
    )


def _residual_cv(totals: np.ndarray, weekday: np.ndarray) -> float:
    """Day-to-day over-dispersion around each weekday's own mean (method of
    moments: the variance beyond Poisson, relative to the mean squared)."""
    excess: list[float] = []
    weights: list[int] = []
    for w in np.unique(weekday):
        y = totals[weekday == w]
        if len(y) < 2 or y.mean() <= 0:
            continue
        excess.append((float(y.var(ddof=1)) - float(y.mean())) / float(y.mean()) ** 2)
        weights.append(len(y) - 1)
    if not weights:
        return 0.0
    cv2 = float(np.average(excess, weights=weights))
    return math.sqrt(max(cv2, 0.0))
