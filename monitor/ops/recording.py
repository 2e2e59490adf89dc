"""Recording rules for the halls' service level, as data: :func:`recording_groups`
returns the rule groups that ``hallmon prometheus-config`` writes to
``rules/hallq-recording.yml``.

Names follow Prometheus' ``level:metric:operations``. Levels: ``hall_service``
(by hall, service), ``hall``, ``district`` (by district, city) and ``city``.

The service level indicator (SLI) is the share of called customers whose wait
(ticket to first call) was within *their hall's* target. The exporter has a
histogram bucket at every hall's target, so the rules pick, per hall, the
bucket whose ``le`` equals ``hall_slo_target_wait_seconds``: ``count_values``
is the one PromQL function that turns a value into a label. It writes ``900``
where client_python writes ``le="900.0"``, so both spellings are recorded.

The exporter's counters restart at the hall's local midnight, so the counters
themselves are *today*'s counts, and windows (5m … 6h) take ``increase()`` of
the per hall × service series first and sum afterwards (never sum then
increase). Good and total counts are recorded from the same evaluation, so a
window's ratio never exceeds 1 through extrapolation. District and city
aggregates sum good and total counts over their halls (weighted by customers),
joining each hall's district and city from ``hall_info``.

Windows are hall time: a rule named ``…:increase30m`` covers 30 minutes of a
hall's day. In production that is 30 minutes of wall time; with a
:class:`~monitor.ops.timescale.TimeScale` (a replay at speed, the demo) the
range windows are divided by its factor and the names stay, so the alerts and
dashboards read the same series at any speed.
"""

from __future__ import annotations

from monitor.ops.timescale import REAL_TIME, TimeScale

Rule = dict[str, str]
Group = dict[str, object]

WINDOWS: tuple[str, ...] = ("5m", "30m", "1h", "2h", "6h")
ABANDON_WINDOWS: tuple[str, ...] = ("30m", "1h")

TARGET_LE = "hall:hall_slo_target_wait_seconds:le"
CEILING = "hall:hall_slo_error_budget:burn_rate_ceiling"
INFO_JOIN = "* on (hall) group_left (district, city) hall_info"

GOOD, TOTAL, SLI = (
    "hall_wait_seconds_within_target",
    "hall_wait_seconds_count",
    ("hall_called_within_target"),
)


def _rule(record: str, expr: str) -> Rule:
    return {"record": record, "expr": expr}


def _ratio(record: str, good: str, total: str) -> Rule:
    """good / total, absent (not NaN) when nobody was counted."""
    return _rule(record, f"{good}\n/\n({total} > 0)")


def _rollups(metric: str, op: str) -> list[Rule]:
    """``metric`` summed from hall × service up to hall, district and city."""
    return [
        _rule(f"hall:{metric}:{op}", f"sum by (hall) (hall_service:{metric}:{op})"),
        _rule(
            f"district:{metric}:{op}",
            f"sum by (district, city) (\n  hall:{metric}:{op}\n  {INFO_JOIN}\n)",
        ),
        _rule(f"city:{metric}:{op}", f"sum by (city) (district:{metric}:{op})"),
    ]


def _sli(op: str, ratio_op: str) -> list[Rule]:
    """Good and total counts for ``op`` at every level, their ratios and the
    hall's burn rate."""
    rules = [*_rollups(GOOD, op), *_rollups(TOTAL, op)]
    for level in ("hall_service", "hall", "district", "city"):
        rules.append(
            _ratio(f"{level}:{SLI}:{ratio_op}", f"{level}:{GOOD}:{op}", f"{level}:{TOTAL}:{op}")
        )
    burn = ratio_op.replace("ratio_", "burn_")
    rules.append(
        _rule(
            f"hall:hall_slo_error_budget:{burn}",
            f"(1 - hall:{SLI}:{ratio_op})\n"
            "/ on (hall)\n(1 - max by (hall) (hall_slo_objective_ratio))",
        )
    )
    return rules


def slo_rules(scale: TimeScale = REAL_TIME) -> list[Rule]:
    """The SLI today and over every window of :data:`WINDOWS` (hall time), at every level."""
    rules = [
        _rule(
            TARGET_LE,
            'label_replace(\n  count_values by (hall) ("le", hall_slo_target_wait_seconds),\n'
            '  "le", "$1.0", "le", "([0-9]+)"\n)\n'
            'or\ncount_values by (hall) ("le", hall_slo_target_wait_seconds)',
        ),
        _rule(
            CEILING,
            "1 / (1 - max by (hall) (hall_slo_objective_ratio))",
        ),
        _rule(
            f"hall_service:{GOOD}:today",
            "sum by (hall, service) (\n  hall_wait_seconds_bucket\n"
            f"  * on (hall, le) group_left () {TARGET_LE}\n)",
        ),
        _rule(f"hall_service:{TOTAL}:today", "sum by (hall, service) (hall_wait_seconds_count)"),
        *_sli("today", "ratio_today"),
    ]
    for w in WINDOWS:
        wall = scale.duration(w)
        rules += [
            _rule(
                f"hall_service:{GOOD}:increase{w}", f"increase(hall_service:{GOOD}:today[{wall}])"
            ),
            _rule(
                f"hall_service:{TOTAL}:increase{w}",
                f"increase(hall_service:{TOTAL}:today[{wall}])",
            ),
            *_sli(f"increase{w}", f"ratio_rate{w}"),
        ]
    return rules


def _abandonment(op: str, ratio_op: str) -> list[Rule]:
    rules = [*_rollups("hall_tickets_issued", op), *_rollups("hall_tickets_abandoned", op)]
    for level in ("hall_service", "hall", "district", "city"):
        rules.append(
            _ratio(
                f"{level}:hall_tickets_abandoned:{ratio_op}",
                f"{level}:hall_tickets_abandoned:{op}",
                f"{level}:hall_tickets_issued:{op}",
            )
        )
    return rules


def flow_rules(scale: TimeScale = REAL_TIME) -> list[Rule]:
    """Arrivals, abandonment, queue against forecast and the oldest wait."""
    rules = [
        _rule(f"hall_service:hall_tickets_{kind}:today", f"sum by (hall, service) ({metric})")
        for kind, metric in (
            ("issued", "hall_tickets_issued_total"),
            ("abandoned", "hall_tickets_abandoned_total"),
        )
    ]
    rules += _abandonment("today", "ratio_today")
    for w in ABANDON_WINDOWS:
        rules += [
            _rule(
                f"hall_service:hall_tickets_{kind}:increase{w}",
                f"increase(hall_service:hall_tickets_{kind}:today[{scale.duration(w)}])",
            )
            for kind in ("issued", "abandoned")
        ]
        rules += _abandonment(f"increase{w}", f"ratio_rate{w}")
    for metric in ("hall_queue_length", "hall_forecast_queue_length"):
        rules += [
            _rule(f"hall_service:{metric}:sum", f"sum by (hall, service) ({metric})"),
            *_rollups(metric, "sum"),
        ]
    # the forecast's band: a hall's half-width is the services' summed (the
    # interval of a sum is no wider); districts and cities have no band
    half = "hall_forecast_queue_length_ci95_half_width"
    rules += [
        _rule(f"hall_service:{half}:sum", f"sum by (hall, service) ({half})"),
        _rule(f"hall:{half}:sum", f"sum by (hall) (hall_service:{half}:sum)"),
    ]
    for level in ("hall_service", "hall", "district", "city"):
        rules.append(
            _rule(
                f"{level}:hall_queue_length:minus_forecast",
                f"{level}:hall_queue_length:sum - {level}:hall_forecast_queue_length:sum",
            )
        )
    rules.append(
        _rule("hall:hall_oldest_wait_seconds:max", "max by (hall) (hall_oldest_wait_seconds)")
    )
    return rules


def recording_groups(scale: TimeScale = REAL_TIME) -> list[Group]:
    """The recording rule groups, in evaluation order within each group (a rule
    reads the rules above it from the same evaluation); windows scaled by ``scale``."""
    return [
        {"name": "hallq-slo", "rules": slo_rules(scale)},
        {"name": "hallq-flow", "rules": flow_rules(scale)},
    ]
