"""**Forecast accuracy** (预测准确度): the day forecast against what happened.
For the planner: are arrivals, queues and waits what the scenario predicts,
per hall and per hour of the day, so that a hall whose model drifts is
re-fitted (``hallsim fit``) before its staffing plan goes wrong."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, timeseries
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model

from monitor.ops.dashboards import promql as q
from monitor.ops.dashboards.common import (
    TAGS,
    city_variable,
    datasource_variable,
    district_variable,
    graph,
    hall_variable,
    hallmon_variable,
    link,
    number_panels,
    ranking,
    thresholds,
)
from monitor.ops.timescale import REAL_TIME, TimeScale

UID = "hallq-forecast-accuracy"
H = 'hall=~"$hall"'
# hall time, like the rules' windows: divided by a TimeScale's factor in a replay at speed
WINDOW = "15m"  # the forecast's statistics interval
STEP = "1m"  # resolution of the error subqueries
HOUR = "1h"  # the bars of the errors per hour of the day


def _queue_error() -> str:
    return f"({q.queue_minus_forecast(H)})"


def _arrivals_error(scale: TimeScale) -> str:
    actual = q.arrivals_per_hour(H, scale.duration(WINDOW))
    return f"({actual} - {q.forecast_arrivals_per_hour(H)})"


def _wait_error(scale: TimeScale) -> str:
    return f"({q.mean_wait(H, scale.duration(WINDOW))} - {q.forecast_mean_wait(H)})"


def _per_hour(
    title: str, description: str, unit: str, expr: str, scale: TimeScale
) -> timeseries.Panel:
    """Bars of the hourly mean absolute error, one bar per hall and hour of the day."""
    return (
        graph(title, description, unit, [(expr, "{{hall}}")])
        .interval(scale.duration(HOUR))
        .draw_style(common.GraphDrawStyle.BARS)
        .fill_opacity(60)
    )


def _errors_per_hall(scale: TimeScale) -> list[bargauge.Panel]:
    """Rankings of the halls by their error over the dashboard's time range."""
    step = scale.duration(STEP)
    # the forecast's arrivals per minute of wall time, at the hall clock's speed
    expected = f"({q.forecast_arrivals_per_hour(H)} * on (hall) {q.hall_speed(H, step)})"
    relative = (
        f"sum by (hall) (increase(hall_tickets_issued_total{{{H}}}[$__range]))"
        f" / (sum by (hall) (sum_over_time({expected}[$__range:{step}])) / 60 > 0) - 1"
    )
    return [
        ranking(
            "Arrivals: actual / forecast − 1 per hall",
            "Tickets issued over the time range against the forecast's arrivals over the same "
            "minutes of the hall's clock (forecast per hour, summed per minute). +10%: 10% more "
            "customers came.",
            "percentunit",
            f"sort_desc({relative})",
            "{{hall}}",
            thresholds(
                ("red", None), ("yellow", -0.2), ("green", -0.1), ("yellow", 0.1), ("red", 0.2)
            ),
            width=8,
            height=8,
        ),
        ranking(
            "Queue: mean absolute error per hall",
            "Mean over the time range of |waiting − forecast waiting|, in tickets.",
            "short",
            f"sort_desc(avg_over_time(abs{_queue_error()}[$__range:{step}]))",
            "{{hall}}",
            thresholds(("green", None), ("yellow", 3.0), ("red", 10.0)),
            width=8,
            height=8,
        ),
        ranking(
            "Wait: mean absolute error per hall",
            f"Mean over the time range of |mean wait of tickets called in the last {WINDOW} − "
            "forecast mean wait|.",
            "s",
            f"sort_desc(avg_over_time(abs{_wait_error(scale)}[$__range:{step}]))",
            "{{hall}}",
            thresholds(("green", None), ("yellow", 120.0), ("red", 300.0)),
            width=8,
            height=8,
        ),
    ]


def build(scale: TimeScale = REAL_TIME) -> model.Dashboard:
    """The Forecast accuracy dashboard; its windows in hall time at ``scale``
    (a replay at speed, the demo), as the rules are."""
    window, hour = scale.duration(WINDOW), f"[{scale.duration(HOUR)}:{scale.duration(STEP)}]"
    builder = (
        dash.Dashboard("Forecast accuracy 预测准确度")
        .uid(UID)
        .description("The day forecast against the actual day: arrivals, queue, waits.")
        .tags([*TAGS, "forecast"])
        .refresh("5m")
        .time("now/d", "now")
        .timezone("browser")
        .editable()
        .with_variable(datasource_variable())
        .with_variable(city_variable())
        .with_variable(district_variable())
        .with_variable(hall_variable(multi=True))
        .with_variable(hallmon_variable())
        .link(link("Region 区域", "/d/hallq-region/", "Every hall of the city or district."))
        .link(link("Hall live 营业厅实时", "/d/hallq-hall-live/", "One hall now."))
        .link(link("Runbook 处置手册", "${hallmon}/runbook", "What to do for each alert."))
        .with_row(dash.Row("Forecast against actual 预测与实际"))
        .with_panel(
            graph(
                "Arrivals per hour: actual against forecast",
                f"Tickets issued per hour of the hall's clock over the last {WINDOW}, and the "
                "forecast's arrival rate for the time of day (a replay at speed shows the rates "
                "of real time).",
                "suffix:/h",
                [
                    (q.arrivals_per_hour(H, window), "{{hall}} actual"),
                    (q.forecast_arrivals_per_hour(H), "{{hall}} forecast"),
                ],
            )
        )
        .with_panel(
            graph(
                "Queue: actual against forecast",
                "Tickets waiting, and the forecast's mean queue for the time of day.",
                "short",
                [
                    (q.queue(H), "{{hall}} actual"),
                    (q.forecast_queue(H), "{{hall}} forecast"),
                ],
            )
        )
        .with_panel(
            graph(
                "Mean wait: actual against forecast",
                f"Mean wait of tickets called in the last {WINDOW}, and the forecast mean wait "
                "of a ticket issued now (services weighted by forecast arrivals).",
                "s",
                [
                    (q.mean_wait(H, window), "{{hall}} actual"),
                    (q.forecast_mean_wait(H), "{{hall}} forecast"),
                ],
            )
        )
        .with_panel(
            graph(
                "Queue: actual − forecast",
                "Positive: more waiting than forecast. The queue-above-forecast alert watches "
                "this gap.",
                "short",
                [(_queue_error(), "{{hall}}")],
            )
        )
        .with_row(dash.Row("Error per hall 各厅误差"))
    )
    for panel in _errors_per_hall(scale):
        builder.with_panel(panel)
    builder.with_row(dash.Row("Error per hour of the day 各时段误差"))
    builder.with_panel(
        _per_hour(
            "Arrivals: mean absolute error per hour",
            "Each bar: mean over the hour of |arrivals per hour − forecast|, per hall.",
            "suffix:/h",
            f"avg_over_time(abs{_arrivals_error(scale)}{hour})",
            scale,
        )
    )
    builder.with_panel(
        _per_hour(
            "Queue: mean absolute error per hour",
            "Each bar: mean over the hour of |waiting − forecast waiting|, per hall.",
            "short",
            f"avg_over_time(abs{_queue_error()}{hour})",
            scale,
        )
    )
    builder.with_panel(
        _per_hour(
            "Queue: bias per hour",
            "Each bar: mean over the hour of (waiting − forecast waiting); a hall whose bars "
            "stay positive at the same hours needs more staff then than its plan gives.",
            "short",
            f"avg_over_time({_queue_error()}{hour})",
            scale,
        )
    )
    builder.with_panel(
        _per_hour(
            "Wait: mean absolute error per hour",
            "Each bar: mean over the hour of |mean wait − forecast mean wait|, per hall.",
            "s",
            f"avg_over_time(abs{_wait_error(scale)}{hour})",
            scale,
        )
    )
    return number_panels(builder.build())
