"""**Hall live** (营业厅实时): one hall, now. For the hall manager and the duty
officer: how long is the queue, is it worse than forecast, are the counters
the plan staffs open, what will it be in the next hour and how many counters
to open, who has waited longest, and which alerts are firing for this hall.

Colours follow the hall's own objective and target (a threshold from a query,
:func:`~monitor.ops.dashboards.common.threshold_from`), never fixed numbers;
the header links to the Region dashboard, the hall's page on the exporter and
the runbook; every alert links to one of these panels (``dashboard_url``)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, timeseries
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import dashboard as model

from monitor.core.silence import FLOOR_S
from monitor.ops.alerts import BURN_CAP, BURN_RUNGS, QUEUE_EXCESS, QUEUE_FACTOR
from monitor.ops.dashboards import promql as q
from monitor.ops.dashboards.common import (
    TAGS,
    city_variable,
    datasource_variable,
    district_variable,
    graph,
    hall_variable,
    hallmon_variable,
    label_variable,
    link,
    number_panels,
    query,
    ranking,
    threshold_from,
    thresholds,
)
from monitor.ops.dashboards.hall_now import (
    BAND,
    HS,
    H,
    alerts_panel,
    fixed_colour,
    no_events_limit,
    now_panels,
    queue_level,
    silent,
)
from monitor.ops.recording import CEILING
from monitor.ops.timescale import REAL_TIME, TimeScale

UID = "hallq-hall-live"
# waits of the tickets called in the last quarter hour (hall time), the forecast's interval
WINDOW = "15m"
SHOWN = "6h"  # the time range shown when the dashboard opens (hall time)
LOW, HIGH = "forecast 95% low", "forecast 95% high"


def _queue_against_forecast(title: str, description: str, sel: str, level: str) -> timeseries.Panel:
    """Actual queue, the forecast with the band of its own 95% confidence
    interval, and the level of the queue-above-forecast alert."""
    forecast = q.forecast_queue(sel, level)
    panel = graph(
        title,
        description,
        "short",
        [
            (q.queue(sel, level), "actual"),
            (forecast, "forecast"),
            (q.forecast_queue_bound(sel, "-", level), LOW),
            (q.forecast_queue_bound(sel, "+", level), HIGH),
            (queue_level(forecast), BAND),
        ],
    )
    panel.override_by_name(
        HIGH,
        [
            model.DynamicConfigValue(id_val="custom.fillBelowTo", value=LOW),
            model.DynamicConfigValue(id_val="custom.fillOpacity", value=20),
            model.DynamicConfigValue(id_val="custom.lineWidth", value=0),
            fixed_colour("blue"),
        ],
    )
    panel.override_by_name(
        LOW, [model.DynamicConfigValue(id_val="custom.lineWidth", value=0), fixed_colour("blue")]
    )
    panel.override_by_name(
        BAND,
        [
            model.DynamicConfigValue(
                id_val="custom.lineStyle", value={"fill": "dash", "dash": [4, 6]}
            ),
            fixed_colour("orange"),
        ],
    )
    panel.override_by_name(
        "forecast",
        [
            model.DynamicConfigValue(
                id_val="custom.lineStyle", value={"fill": "dash", "dash": [10, 10]}
            ),
            fixed_colour("blue"),
        ],
    )
    return panel


BAND_TEXT = (
    "The shaded band is the forecast's own 95% confidence interval (its replications; for "
    "all services the services' half-widths summed). The dashed orange line is the level "
    f"of the queue-above-forecast alert (at least {QUEUE_FACTOR}× the forecast and "
    f"{QUEUE_EXCESS} more customers): a queue above it for 15 minutes asks to call in staff."
)


ON_THE_WAY = "hall_remote_tickets_on_the_way"
AWAY = "on the way (remote)"
AWAY_TEXT = (
    "On the way: waiting tickets taken remotely (the mini-program) whose holder has not "
    "checked in yet; they are in the queue, not in the hall."
)


def _per_service(scale: TimeScale) -> list[timeseries.Panel]:
    """The queue and wait panels of ``$service``; their row repeats per service."""
    window = scale.duration(WINDOW)
    queue = _queue_against_forecast(
        "Queue: $service",
        "Tickets of this service waiting now against the day forecast for this time of day. "
        + BAND_TEXT.replace("alert (", "alert's rule applied to this service (")
        + " "
        + AWAY_TEXT,
        HS,
        "hall_service",
    )
    queue.with_target(
        query(f"sum(hall_nowcast_queue_length{{{HS}}})", "still present (nowcast)", "F")
    )
    queue.with_target(query(f"sum({ON_THE_WAY}{{{HS}}})", AWAY, "G"))
    wait = graph(
        "Wait: $service",
        f"Median and 90th percentile wait of this service's tickets called in the last {WINDOW} "
        "against the forecast mean wait of a ticket issued now, the nowcast wait of a ticket "
        "taken now, and the hall's target wait.",
        "s",
        [
            (q.wait_quantile(0.5, HS, window), "p50"),
            (q.wait_quantile(0.9, HS, window), "p90"),
            (f"sum(hall_forecast_wait_seconds{{{HS}}})", "forecast mean"),
            (f'sum(hall_nowcast_wait_seconds{{{HS}, horizon="0m"}})', "nowcast"),
            (q.target(H), "target"),
        ],
    )
    wait.override_by_name("target", [fixed_colour("red")])
    return [queue, wait]


def _hall(scale: TimeScale) -> list[cogbuilder.Builder[model.Panel]]:
    window = scale.duration(WINDOW)
    return [
        _queue_against_forecast(
            "Queue against forecast",
            "Tickets waiting, all services, against the day forecast for this time of day. "
            + BAND_TEXT
            + " "
            + AWAY_TEXT,
            H,
            "hall",
        ).with_target(query(f"sum({ON_THE_WAY}{{{H}}})", AWAY, "F")),
        graph(
            "Waits: p50 / p90 against forecast",
            f"Median and 90th percentile wait of the tickets called in the last {WINDOW}, all "
            "services, against the forecast mean wait (services weighted by forecast arrivals) "
            "and the target wait.",
            "s",
            [
                (q.wait_quantile(0.5, H, window), "p50"),
                (q.wait_quantile(0.9, H, window), "p90"),
                (q.mean_wait(H, window), "mean"),
                (q.forecast_mean_wait(H), "forecast mean"),
                (q.target(H), "target"),
            ],
        ).override_by_name("target", [fixed_colour("red")]),
        graph(
            "Service level today against objective",
            "Share of the tickets called today (and in the last hour) within the hall's target "
            "wait, against the hall's objective; per service today.",
            "percentunit",
            [
                (q.service_level(H), "today"),
                (q.service_level(H, "1h"), "last hour"),
                (q.objective(H), "objective"),
                (q.service_level(H, level="hall_service"), "{{service}} today"),
            ],
        )
        .min(0)
        .max(1)
        .override_by_name("objective", [fixed_colour("red")]),
        _burn(),
        graph(
            "Nowcast: wait of a ticket taken now … in 60 min",
            "Expected wait of a ticket taken now and 15, 30 and 60 minutes from now, per "
            "service, simulated from the live queue.",
            "s",
            [(f"hall_nowcast_wait_seconds{{{H}}}", "{{service}} +{{horizon}}")],
        ),
        _breach(),
        graph(
            "Oldest waiting ticket per service",
            "Wait so far of each service's longest-waiting ticket, against 1×, 2× and 4× the "
            "target wait (the rungs of the escalation ladder).",
            "s",
            [
                (f"hall_oldest_wait_seconds{{{H}}}", "{{service}}"),
                (q.target(H), "1× target"),
                (f"2 * {q.target(H)}", "2× target"),
                (f"4 * {q.target(H)}", "4× target"),
            ],
        ),
        graph(
            "Counters: planned, open, busy",
            "Counters the plan staffs (the scenario's schedule for the day, or the hall's "
            "roster), counters open, and counters serving or calling a ticket. Fewer open than "
            "planned while people wait for 10 minutes fires the below-plan alert.",
            "short",
            [
                (f"max(hall_counters_planned{{{H}}})", "planned"),
                (f"max(hall_counters_open{{{H}}})", "open"),
                (f"max(hall_counters_busy{{{H}}})", "busy"),
            ],
        ).override_by_name(
            "planned",
            [
                model.DynamicConfigValue(
                    id_val="custom.lineStyle", value={"fill": "dash", "dash": [10, 10]}
                ),
                fixed_colour("orange"),
            ],
        ),
        graph(
            "Ticket system: time since it was last heard",
            "Time since the hall's ticket system last sent an event (hall time), against the "
            "silence after which the no-events alert fires (open halls): what the day "
            f"forecast's traffic explains, {FLOOR_S // 60} minutes at least.",
            "s",
            [(silent(scale), "silent"), (no_events_limit(scale), "alert level")],
        ).override_by_name("alert level", [fixed_colour("red")]),
        graph(
            "Abandonment",
            "Share of the tickets issued today (and in the last hour) abandoned: given up, or "
            "not there when called; per service today.",
            "percentunit",
            [
                (q.abandoned_share(H), "today"),
                (f"hall:hall_tickets_abandoned:ratio_rate1h{{{H}}}", "last hour"),
                (q.abandoned_share(H, "hall_service"), "{{service}} today"),
            ],
        ).min(0),
        graph(
            "Ticket system: events in, batches refused",
            "Events the hall's ticket system sent in the last 5 minutes by what became of them "
            "(accepted; duplicate; conflict: an id sent again with other content; future and "
            "backwards: stored but quarantined; rejected: bad events; error: the store failed), "
            "and batches refused with 429 because the hall passed one of its limits (events a "
            "second, bytes stored a day; the HallIngestLimited alert).",
            "short",
            [
                (
                    f"sum by (result) (increase(hallmon_ingest_events_total{{{H}}}[5m]))",
                    "{{result}} events",
                ),
                (
                    f"sum by (limit) (increase(hallmon_limited_requests_total{{{H}}}[5m]))",
                    "refused batches: {{limit}}",
                ),
            ],
        ).min(0),
    ]


def _burn() -> timeseries.Panel:
    """The burn rates of the ladder's windows against each rung's factor, capped
    at the hall's own ceiling as the alert caps it."""
    rungs = []
    for rung in BURN_RUNGS:
        factor = f"clamp_max({BURN_CAP} * {CEILING}{{{H}}}, {rung.factor})"
        rungs += [
            (q.burn_rate(H, rung.long), f"{rung.long} burn"),
            (factor, f"{rung.severity} level ({rung.long})"),
        ]
    panel = graph(
        "Error-budget burn rate",
        "Share of customers called late over each rung's long window, divided by the share the "
        "objective allows (1 spends the day's budget exactly), against the level at which the "
        "rung's alert fires (when the short window agrees). Capped at 3/4 of the hall's ceiling "
        "1 / (1 − objective).",
        "none",
        rungs,
    ).min(0)
    for rung in BURN_RUNGS:
        panel.override_by_name(
            f"{rung.severity} level ({rung.long})",
            [
                model.DynamicConfigValue(
                    id_val="custom.lineStyle", value={"fill": "dash", "dash": [4, 6]}
                )
            ],
        )
    return panel


def _breach() -> bargauge.Panel:
    panel = ranking(
        "Nowcast: breach probability",
        "Probability that a ticket taken now, in 15, 30 or 60 minutes waits past the target; "
        "red above what the hall's objective allows (1 − objective).",
        "percentunit",
        f"hall_nowcast_breach_probability{{{H}}}",
        "+{{horizon}}",
        thresholds(("green", None)),
        height=8,
    )
    threshold_from(panel, f"1 - {q.objective(H)}", "allowed", "red")
    return panel.min(0).max(1)


def build(scale: TimeScale = REAL_TIME) -> model.Dashboard:
    """The Hall live dashboard; its windows and time range in hall time at
    ``scale`` (a replay at speed, the demo), as the rules are."""
    builder = (
        dash.Dashboard("Hall live 营业厅实时")
        .uid(UID)
        .description("One hall now: queue and waits against forecast, nowcast, service level.")
        .tags([*TAGS, "hall"])
        .refresh("30s")
        .time(f"now-{scale.duration(SHOWN)}", "now")
        .timezone("browser")
        .editable()
        .with_variable(datasource_variable())
        .with_variable(city_variable())
        .with_variable(district_variable())
        .with_variable(hall_variable(multi=False))
        .with_variable(
            label_variable(
                "service", "Service 业务", 'label_values(hall_queue_length{hall="$hall"}, service)'
            )
        )
        .with_variable(hallmon_variable())
        .link(link("Region 区域", "/d/hallq-region/", "Every hall of the city or district."))
        .link(link("Hall page 营业厅页面", "${hallmon}/halls/${hall}", "The hall on hallmon."))
        .link(link("Runbook 处置手册", "${hallmon}/runbook", "What to do for each alert."))
        .with_row(dash.Row("Now 当前"))
    )
    for number in now_panels(scale):
        builder.with_panel(number)
    builder.with_panel(alerts_panel())
    builder.with_row(dash.Row("Hall 全厅"))
    for panel in _hall(scale):
        builder.with_panel(panel)
    builder.with_row(dash.Row("Service: $service 业务").repeat("service"))
    for per_service in _per_service(scale):
        builder.with_panel(per_service)
    return number_panels(builder.build())
