"""**Hall live** (营业厅实时): one hall, now. For the hall manager: how long is
the queue, is it worse than forecast, what will it be in the next hour, who has
waited longest, and which alerts are firing for this hall."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import stat, table, timeseries
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model

from monitor.ops.alerts import QUEUE_EXCESS, QUEUE_FACTOR
from monitor.ops.dashboards import promql as q
from monitor.ops.dashboards.common import (
    DATASOURCE,
    LADDER,
    TAGS,
    big_number,
    city_variable,
    datasource_variable,
    district_variable,
    graph,
    hall_variable,
    label_variable,
    number_panels,
    query,
    ranking,
    thresholds,
)

UID = "hallq-hall-live"
H = 'hall="$hall"'
HS = 'hall="$hall", service="$service"'
WINDOW = "15m"  # waits of the tickets called in the last quarter hour, the forecast's interval
BAND = "call-in-staff level"


def _fixed(colour: str) -> model.DynamicConfigValue:
    return model.DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": colour})


def _queue_against_forecast(
    title: str, description: str, actual: str, forecast: str
) -> timeseries.Panel:
    """Actual queue, forecast, and the band from the forecast up to the level
    of the queue-above-forecast alert: at least QUEUE_FACTOR times the
    forecast and QUEUE_EXCESS customers more (the alert's own rule)."""
    level = f"{forecast} + clamp_min({QUEUE_FACTOR - 1} * {forecast}, {QUEUE_EXCESS})"
    panel = graph(
        title,
        description,
        "short",
        [(actual, "actual"), (forecast, "forecast"), (level, BAND)],
    )
    panel.override_by_name(
        BAND,
        [
            model.DynamicConfigValue(id_val="custom.fillBelowTo", value="forecast"),
            model.DynamicConfigValue(id_val="custom.fillOpacity", value=15),
            model.DynamicConfigValue(id_val="custom.lineWidth", value=0),
            _fixed("orange"),
        ],
    )
    panel.override_by_name(
        "forecast",
        [
            model.DynamicConfigValue(
                id_val="custom.lineStyle", value={"fill": "dash", "dash": [10, 10]}
            ),
            _fixed("blue"),
        ],
    )
    return panel


BAND_TEXT = (
    f"The shaded band runs from the forecast up to the level of the queue-above-forecast "
    f"alert (at least {QUEUE_FACTOR}× the forecast and {QUEUE_EXCESS} more customers): a queue "
    "above the band for 15 minutes asks to call in staff."
)


def _per_service() -> list[timeseries.Panel]:
    """The queue and wait panels of ``$service``; their row repeats per service."""
    queue = _queue_against_forecast(
        "Queue: $service",
        "Tickets of this service waiting now against the day forecast for this time of day. "
        + BAND_TEXT.replace("alert", "alert's rule applied to this service"),
        q.queue(HS, "hall_service"),
        q.forecast_queue(HS, "hall_service"),
    )
    queue.with_target(
        query(f"sum(hall_nowcast_queue_length{{{HS}}})", "still present (nowcast)", "D")
    )
    wait = graph(
        "Wait: $service",
        f"Median and 90th percentile wait of this service's tickets called in the last {WINDOW} "
        "against the forecast mean wait of a ticket issued now, the nowcast wait of a ticket "
        "taken now, and the hall's target wait.",
        "s",
        [
            (q.wait_quantile(0.5, HS, WINDOW), "p50"),
            (q.wait_quantile(0.9, HS, WINDOW), "p90"),
            (f"sum(hall_forecast_wait_seconds{{{HS}}})", "forecast mean"),
            (f'sum(hall_nowcast_wait_seconds{{{HS}, horizon="0m"}})', "nowcast"),
            (q.target(H), "target"),
        ],
    )
    wait.override_by_name("target", [_fixed("red")])
    return [queue, wait]


def _now() -> list[stat.Panel]:
    return [
        big_number(
            "Waiting now",
            "Tickets waiting to be called, all services.",
            "short",
            [(q.queue(H), "waiting")],
            thresholds(("green", None)),
        ).color_mode(common.BigValueColorMode.VALUE),
        big_number(
            "Oldest wait × target",
            "Wait so far of the longest-waiting ticket, in multiples of the hall's target wait. "
            "Colours follow the escalation ladder: yellow from 1× (hall manager), orange from 2× "
            "(district), red from 4× (city).",
            "suffix:× target",
            [(f"{q.oldest_wait(H)} / on (hall) {q.target(H)}", "oldest")],
            dash.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(LADDER),
        ).decimals(2),
        big_number(
            "Service level today",
            "Share of today's called tickets called within the hall's target wait.",
            "percentunit",
            [(q.service_level(H), "today")],
            thresholds(("green", None)),
        ).color_mode(common.BigValueColorMode.VALUE),
        big_number(
            "Margin to objective",
            "Today's service level minus the hall's objective: red below it, yellow within 5 "
            "points above it.",
            "percentunit",
            [(q.margin(H), "margin")],
            thresholds(("red", None), ("yellow", 0.0), ("green", 0.05)),
        ),
        big_number(
            "Counters open / busy",
            "Counters staffed now, and those serving or calling a ticket.",
            "short",
            [
                (f"sum(hall_counters_open{{{H}}})", "open"),
                (f"sum(hall_counters_busy{{{H}}})", "busy"),
            ],
            thresholds(("blue", None)),
        ).color_mode(common.BigValueColorMode.VALUE),
        big_number(
            "Breach risk, next 30 min",
            "Nowcast probability that a ticket taken in 30 minutes waits past the target (the "
            "predictive alert fires above 50% while the hall is still within target).",
            "percentunit",
            [(f'max(hall_nowcast_breach_probability{{{H}, horizon="30m"}})', "30 min")],
            thresholds(("green", None), ("yellow", 0.2), ("red", 0.5)),
        ),
    ]


def _alerts() -> table.Panel:
    return (
        table.Panel()
        .title("Firing alerts for this hall")
        .description(
            "The hall's alerts firing in Prometheus now (the ALERTS series), with their rung "
            "(severity) and service."
        )
        .datasource(DATASOURCE)
        .unit("none")
        .span(24)
        .height(6)
        .no_value("No alert is firing")
        .with_target(query(f'ALERTS{{{H}, alertstate="firing"}}', "", "A", instant=True))
        .with_transformation(
            model.DataTransformerConfig(
                id_val="organize",
                options={
                    "excludeByName": {"Time": True, "Value": True, "__name__": True},
                    "indexByName": {"alertname": 0, "severity": 1, "service": 2},
                    "renameByName": {"alertname": "alert", "severity": "rung"},
                },
            )
        )
    )


def _hall() -> list[cogbuilder.Builder[model.Panel]]:
    return [
        _queue_against_forecast(
            "Queue against forecast",
            "Tickets waiting, all services, against the day forecast for this time of day. "
            + BAND_TEXT,
            q.queue(H),
            q.forecast_queue(H),
        ),
        graph(
            "Waits: p50 / p90 against forecast",
            f"Median and 90th percentile wait of the tickets called in the last {WINDOW}, all "
            "services, against the forecast mean wait (services weighted by forecast arrivals) "
            "and the target wait.",
            "s",
            [
                (q.wait_quantile(0.5, H, WINDOW), "p50"),
                (q.wait_quantile(0.9, H, WINDOW), "p90"),
                (q.mean_wait(H, WINDOW), "mean"),
                (q.forecast_mean_wait(H), "forecast mean"),
                (q.target(H), "target"),
            ],
        ).override_by_name("target", [_fixed("red")]),
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
        .override_by_name("objective", [_fixed("red")]),
        graph(
            "Nowcast: wait of a ticket taken now … in 60 min",
            "Expected wait of a ticket taken now and 15, 30 and 60 minutes from now, per "
            "service, simulated from the live queue.",
            "s",
            [(f"hall_nowcast_wait_seconds{{{H}}}", "{{service}} +{{horizon}}")],
        ),
        ranking(
            "Nowcast: breach probability",
            "Probability that a ticket taken now, in 15, 30 or 60 minutes waits past the target.",
            "percentunit",
            f"hall_nowcast_breach_probability{{{H}}}",
            "+{{horizon}}",
            thresholds(("green", None), ("yellow", 0.2), ("red", 0.5)),
            height=8,
        )
        .min(0)
        .max(1),
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
            "Counters open and busy",
            "Counters staffed, and counters serving or calling a ticket.",
            "short",
            [
                (f"sum(hall_counters_open{{{H}}})", "open"),
                (f"sum(hall_counters_busy{{{H}}})", "busy"),
            ],
        ),
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


def build() -> model.Dashboard:
    """The Hall live dashboard."""
    builder = (
        dash.Dashboard("Hall live 营业厅实时")
        .uid(UID)
        .description("One hall now: queue and waits against forecast, nowcast, service level.")
        .tags([*TAGS, "hall"])
        .refresh("30s")
        .time("now-6h", "now")
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
        .with_row(dash.Row("Now 当前"))
    )
    for number in _now():
        builder.with_panel(number)
    builder.with_panel(_alerts())
    builder.with_row(dash.Row("Hall 全厅"))
    for panel in _hall():
        builder.with_panel(panel)
    builder.with_row(dash.Row("Service: $service 业务").repeat("service"))
    for per_service in _per_service():
        builder.with_panel(per_service)
    return number_panels(builder.build())
