"""The first rows of **Hall live** (:mod:`monitor.ops.dashboards.hall_live`):
the hall's figures now (waiting, oldest wait against the target, the margin
to the objective, counters to open, when the ticket system was last heard),
and the table of the hall's alerts in Prometheus; with the helpers both the
rows and the rest of the dashboard use."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import stat, table
from grafana_foundation_sdk.models import dashboard as model

from monitor.core.silence import FLOOR_S
from monitor.ops.alerts import QUEUE_EXCESS, QUEUE_FACTOR
from monitor.ops.annotations import MORE_THAN
from monitor.ops.dashboards import promql as q
from monitor.ops.dashboards.common import (
    DATASOURCE,
    LADDER,
    big_number,
    query,
    threshold_from,
    thresholds,
)
from monitor.ops.feed_alerts import silence_limit
from monitor.ops.timescale import REAL_TIME, TimeScale

SILENT = 'time() - max(hall_last_heard_timestamp_seconds{hall="$hall"})'

H = 'hall="$hall"'
HS = 'hall="$hall", service="$service"'
BAND = "call-in-staff level"


def fixed_colour(colour: str) -> model.DynamicConfigValue:
    return model.DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": colour})


def silent(scale: TimeScale = REAL_TIME) -> str:
    """The hall's silence in hall seconds: wall time since it was last heard,
    times the replay's speed at a time scale (the rule HallNoEvents' own)."""
    return scale.hall_seconds(SILENT)


def no_events_limit(scale: TimeScale = REAL_TIME) -> str:
    """HallNoEvents' limit on the hall's silence (the rule's, for one hall):
    what the day forecast's traffic explains, the floor without a forecast."""
    per_hour = f"sum(hall_forecast_arrivals_per_hour{{{H}}})"
    return f"{silence_limit(per_hour)} or {FLOOR_S} + 0 * {silent(scale)}"


def queue_level(forecast: str) -> str:
    """The queue-above-forecast alert's level: at least QUEUE_FACTOR times the
    forecast and QUEUE_EXCESS customers more (the alert's own rule)."""
    return f"{forecast} + clamp_min({QUEUE_FACTOR - 1} * {forecast}, {QUEUE_EXCESS})"


def now_panels(scale: TimeScale = REAL_TIME) -> list[stat.Panel]:
    waiting = big_number(
        "Waiting now",
        "Tickets waiting to be called, all services: red from the level of the "
        "queue-above-forecast alert for this time of day.",
        "short",
        [(q.queue(H), "waiting")],
        thresholds(("green", None)),
        width=3,
    )
    threshold_from(waiting, queue_level(q.forecast_queue(H)), BAND, "red")
    heard = big_number(
        "Ticket system heard",
        "Time since the hall's ticket system was last heard from (hall time): red past "
        "the silence after which the no-events alert fires, what the day forecast's "
        f"traffic explains, {FLOOR_S // 60} minutes at least.",
        "s",
        [(silent(scale), "silent")],
        thresholds(("green", None)),
        width=3,
    )
    threshold_from(heard, no_events_limit(scale), "alert level", "red")
    level = big_number(
        "Service level today",
        "Share of today's called tickets called within the hall's target wait: green from "
        "the hall's own objective, red below it.",
        "percentunit",
        [(q.service_level(H), "today")],
        thresholds(("red", None)),
        width=3,
    )
    threshold_from(level, q.objective(H), "objective", "green")
    counters = big_number(
        "Counters open (plan)",
        "Counters open now: green from the number the plan staffs now (the scenario's "
        "schedule for the day, or the hall's roster), red below it.",
        "short",
        [(f"max(hall_counters_open{{{H}}})", "open")],
        thresholds(("red", None)),
        width=3,
    )
    threshold_from(counters, f"max(hall_counters_planned{{{H}}})", "planned", "green")
    risk = big_number(
        "Breach risk, next 30 min",
        "Nowcast probability that a ticket taken in 30 minutes waits past the target: red "
        "above what the hall's objective allows (1 − objective), where the predictive alert "
        "fires while the hall is still within target.",
        "percentunit",
        [(f'max(hall_nowcast_breach_probability{{{H}, horizon="30m"}})', "30 min")],
        thresholds(("green", None)),
        width=3,
    )
    threshold_from(risk, f"1 - {q.objective(H)}", "allowed", "red")
    return [
        waiting,
        big_number(
            "Oldest wait × target",
            "Wait so far of the longest-waiting ticket, in multiples of the hall's target wait. "
            "Colours follow the escalation ladder: yellow from 1× (hall manager), orange from 2× "
            "(district), red from 4× (city).",
            "suffix:× target",
            [(f"{q.oldest_wait(H)} / on (hall) {q.target(H)}", "oldest")],
            dash.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(LADDER),
            width=3,
        ).decimals(2),
        level,
        big_number(
            "Margin to objective",
            "Today's service level minus the hall's objective: red below it, yellow within 5 "
            "points above it.",
            "percentunit",
            [(q.margin(H), "margin")],
            thresholds(("red", None), ("yellow", 0.0), ("green", 0.05)),
            width=3,
        ),
        counters,
        risk,
        big_number(
            "Counters to open",
            "The nowcast's advice: this many more counters of the named group bring a ticket "
            "taken in 30 minutes back within target (0: none needed; ∞: more than "
            f"{MORE_THAN} of any group would be needed, call for help).",
            "short",
            [(f"max by (group) (hall_nowcast_counters_to_open{{{H}}})", "{{group}}")],
            thresholds(("green", None), ("orange", 1.0), ("red", MORE_THAN + 1.0)),
            width=3,
        ),
        heard,
    ]


def alerts_panel() -> table.Panel:
    return (
        table.Panel()
        .title("Alerts for this hall")
        .description(
            "The hall's alerts in Prometheus now (the ALERTS series), firing and pending, with "
            "their rung (severity) and service; the alert name links to its runbook section."
        )
        .datasource(DATASOURCE)
        .unit("none")
        .span(24)
        .height(6)
        .no_value("No alert is firing or pending")
        .with_target(query(f"ALERTS{{{H}}}", "", "A", instant=True))
        .with_transformation(
            model.DataTransformerConfig(
                id_val="organize",
                options={
                    "excludeByName": {"Time": True, "Value": True, "__name__": True},
                    "indexByName": {"alertname": 0, "alertstate": 1, "severity": 2, "service": 3},
                    "renameByName": {
                        "alertname": "alert",
                        "alertstate": "state",
                        "severity": "rung",
                    },
                },
            )
        )
        .override_by_name(
            "alert",
            [
                model.DynamicConfigValue(
                    id_val="links",
                    value=[
                        {
                            "title": "Runbook: ${__value.text}",
                            "url": "${hallmon}/runbook#${__value.raw:lowercase}",
                            "targetBlank": True,
                        }
                    ],
                )
            ],
        )
    )
