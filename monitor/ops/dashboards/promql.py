"""PromQL shared by the dashboards.

The service level, burn rates, abandonment and queue sums come from the
recording rules of ``dashboards/prometheus/rules/hallq-recording.yml``
(:mod:`monitor.ops.recording`): the alerts use the same series, so a panel
shows the very number an alert fired on, and a region of thousands of halls
is drawn from a few series per hall instead of every histogram bucket. What
no rule records (wait quantiles, forecasts, nowcasts, arrivals) is computed
from the exporter's families here.

Every function takes ``sel``, the label matchers of a selector without braces
(``hall="$hall"``), and returns one series per hall unless it says otherwise.

Rates are in hall time: per hour of the hall's clock
(``hall_clock_timestamp_seconds``, the wall clock in production, the events'
time in a replay), so a day replayed at any speed shows the numbers it would
show in real time.
"""

from __future__ import annotations

from monitor.ops.recording import WINDOWS

TARGET = "hall_slo_target_wait_seconds"
OBJECTIVE = "hall_slo_objective_ratio"


def _window(window: str) -> str:
    assert window in WINDOWS, f"no recording rule for the window {window}"
    return window


def service_level(sel: str, window: str | None = None, level: str = "hall") -> str:
    """Share of called tickets called within their hall's target wait: today
    (since the hall's local midnight) or over the last ``window``; ``level``
    ``hall``, ``hall_service``, ``district`` or ``city``."""
    op = "ratio_today" if window is None else f"ratio_rate{_window(window)}"
    return f"{level}:hall_called_within_target:{op}{{{sel}}}"


def burn_rate(sel: str, window: str | None = None) -> str:
    """Error-budget burn rate, per hall: share called late over the share the
    objective allows (1 spends the budget exactly; 5 is the ceiling at 80%)."""
    op = "burn_today" if window is None else f"burn_rate{_window(window)}"
    return f"hall:hall_slo_error_budget:{op}{{{sel}}}"


def objective(sel: str) -> str:
    """The hall's objective (share that must be called in time), per hall."""
    return f"max by (hall) ({OBJECTIVE}{{{sel}}})"


def target(sel: str) -> str:
    """The hall's own target wait in seconds, per hall."""
    return f"max by (hall) ({TARGET}{{{sel}}})"


def margin(sel: str) -> str:
    """Today's service level minus the hall's objective (negative: missing it)."""
    return f"{service_level(sel)} - on (hall) {objective(sel)}"


def with_info(expr: str, info_sel: str) -> str:
    """``expr`` (one series per hall) restricted to the halls of ``hall_info{info_sel}``
    and carrying their ``name``, ``district`` and ``city`` labels."""
    return f"({expr}) * on (hall) group_left (name, district, city) hall_info{{{info_sel}}}"


def queue(sel: str, level: str = "hall") -> str:
    """Tickets waiting now."""
    return f"{level}:hall_queue_length:sum{{{sel}}}"


def on_the_way(sel: str) -> str:
    """Waiting tickets taken remotely whose holder has not checked in yet, per hall
    (also counted in :func:`queue`)."""
    return f"sum by (hall) (hall_remote_tickets_on_the_way{{{sel}}})"


def forecast_queue(sel: str, level: str = "hall") -> str:
    """The day forecast's queue for now (absent outside opening hours)."""
    return f"{level}:hall_forecast_queue_length:sum{{{sel}}}"


def forecast_queue_bound(sel: str, sign: str, level: str = "hall") -> str:
    """The day forecast's queue plus (``sign`` ``+``) or minus (``-``) the
    half-width of its 95% confidence interval; for a hall, the services'
    half-widths summed (conservative: the interval of the sum is no wider)."""
    half = f"{level}:hall_forecast_queue_length_ci95_half_width:sum{{{sel}}}"
    band = f"{forecast_queue(sel, level)} {sign} {half}"
    return band if sign == "+" else f"clamp_min({band}, 0)"


def queue_minus_forecast(sel: str, level: str = "hall") -> str:
    """Tickets waiting beyond the forecast (negative: fewer than forecast)."""
    return f"{level}:hall_queue_length:minus_forecast{{{sel}}}"


def oldest_wait(sel: str) -> str:
    """Wait so far of the hall's longest-waiting ticket, all services."""
    return f"hall:hall_oldest_wait_seconds:max{{{sel}}}"


def abandoned_share(sel: str, level: str = "hall") -> str:
    """Share of today's tickets abandoned (gave up, or gone when called)."""
    return f"{level}:hall_tickets_abandoned:ratio_today{{{sel}}}"


def hall_seconds(sel: str, window: str) -> str:
    """Seconds of the hall's clock that passed in the last ``window`` (absent
    when none did: a replay that stopped), per hall."""
    return f"(max by (hall) (increase(hall_clock_timestamp_seconds{{{sel}}}[{window}])) > 0)"


def hall_speed(sel: str, window: str) -> str:
    """Hall seconds per wall second over ``window`` (1 in real time), per hall."""
    return f"max by (hall) (rate(hall_clock_timestamp_seconds{{{sel}}}[{window}]))"


def arrivals_per_hour(sel: str, window: str) -> str:
    """Tickets issued per hour of the hall's clock over the last ``window``, per hall."""
    return (
        f"sum by (hall) (increase(hall_tickets_issued_total{{{sel}}}[{window}]))"
        f" / on (hall) {hall_seconds(sel, window)} * 3600"
    )


def forecast_arrivals_per_hour(sel: str) -> str:
    """The day forecast's arrivals per hour for now, per hall."""
    return f"sum by (hall) (hall_forecast_arrivals_per_hour{{{sel}}})"


def mean_wait(sel: str, window: str, by: str = "hall") -> str:
    """Mean wait of the tickets called in the last ``window``, ``by`` labels."""
    return (
        f"sum by ({by}) (rate(hall_wait_seconds_sum{{{sel}}}[{window}]))"
        f" / (sum by ({by}) (rate(hall_wait_seconds_count{{{sel}}}[{window}])) > 0)"
    )


def forecast_mean_wait(sel: str) -> str:
    """The forecast mean wait of a ticket issued now, per hall: the services'
    forecasts weighted by their forecast arrivals."""
    return (
        f"sum by (hall) (hall_forecast_wait_seconds{{{sel}}}"
        f" * hall_forecast_arrivals_per_hour{{{sel}}})"
        f" / (sum by (hall) (hall_forecast_arrivals_per_hour{{{sel}}}) > 0)"
    )


def wait_quantile(q: float, sel: str, window: str, by: str = "") -> str:
    """The ``q`` quantile of the waits of tickets called in the last ``window``
    (linear within a histogram bucket), aggregated ``by`` extra labels."""
    labels = f"{by}, le" if by else "le"
    return (
        f"histogram_quantile({q}, sum by ({labels}) "
        f"(rate(hall_wait_seconds_bucket{{{sel}}}[{window}])))"
    )
