"""**Region** (区域): every hall of a city or district at once. For the district
and city supervisors: which halls burn their error budget fastest, which miss
their objective today, and how the day has gone so far (sparklines)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import common as common_builder
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import table
from grafana_foundation_sdk.models import dashboard as model

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
    number_panels,
    query,
    ranking,
    thresholds,
)

UID = "hallq-region"
ALL = 'hall=~".+"'  # every hall: the region is chosen by joining hall_info below
REGION = 'city=~"$city", district=~"$district"'
# Burn rate 1 spends the error budget exactly by the end of the window; at an
# objective of 80% the highest possible is 5, so the colours stop below it.
BURN = thresholds(("green", None), ("yellow", 1.0), ("orange", 2.0), ("red", 3.0))
MARGIN = thresholds(("red", None), ("yellow", 0.0), ("green", 0.05))
SERVICE_LEVEL = thresholds(("red", None), ("orange", 0.7), ("green", 0.8))


def _in_region(expr: str) -> str:
    return q.with_info(expr, REGION)


def _halls_table() -> table.Panel:
    columns = [
        ("service level today", q.service_level(ALL), "percentunit"),
        ("objective", q.objective(ALL), "percentunit"),
        ("margin", q.margin(ALL), "percentunit"),
        ("burn 1h", q.burn_rate(ALL, "1h"), "none"),
        ("burn 6h", q.burn_rate(ALL, "6h"), "none"),
        ("waiting", q.queue(ALL), "short"),
        (
            "oldest × target",
            f"{q.oldest_wait(ALL)} / on (hall) {q.target(ALL)}",
            "suffix:×",
        ),
    ]
    panel = (
        table.Panel()
        .title("Halls")
        .description(
            "One row per hall of the region, worst burn rate first. Margin: today's service "
            "level minus the hall's own objective. Burn: share called late over the last hour "
            "(6 hours) divided by the share the objective allows. Oldest: the longest wait so "
            "far in multiples of the hall's target wait (the escalation ladder's 1×, 2×, 4×)."
        )
        .datasource(DATASOURCE)
        .unit("none")
        .span(24)
        .height(10)
        .sort_by([common_builder.TableSortByFieldState().display_name("burn 1h").desc(True)])
    )
    for i, (_, expr, _unit) in enumerate(columns):
        panel.with_target(query(_in_region(expr), "", chr(ord("A") + i), instant=True))
    panel.with_transformation(model.DataTransformerConfig(id_val="merge", options={}))
    panel.with_transformation(
        model.DataTransformerConfig(
            id_val="organize",
            options={
                "excludeByName": {"Time": True, "instance": True, "job": True},
                "indexByName": {"name": 0, "district": 1, "city": 2, "hall": 3},
                "renameByName": {
                    "name": "hall name",
                    **{f"Value #{chr(ord('A') + i)}": c[0] for i, c in enumerate(columns)},
                },
            },
        )
    )
    colours = {"margin": MARGIN, "burn 1h": BURN, "burn 6h": BURN}
    for name, _, unit in columns:
        properties = [model.DynamicConfigValue(id_val="unit", value=unit)]
        steps = colours.get(name)
        if name == "oldest × target":
            steps = dash.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(LADDER)
        if steps is not None:
            properties += [
                model.DynamicConfigValue(id_val="thresholds", value=steps.build()),
                model.DynamicConfigValue(
                    id_val="custom.cellOptions", value={"type": "color-background"}
                ),
            ]
        panel.override_by_name(name, properties)
    return panel


def build() -> model.Dashboard:
    """The Region dashboard."""
    # sums of 0/1 per hall rather than counts of a filter: zero is a number, and
    # a region without data stays without data
    halls_open = f"sum({_in_region(f'max by (hall) (hall_open{{{ALL}}})')})"
    breaching = f"sum(({_in_region(q.margin(ALL))}) < bool 0)"
    builder = (
        dash.Dashboard("Region 区域")
        .uid(UID)
        .description("Every hall of a city or district: burn rate, service level, queues.")
        .tags([*TAGS, "region"])
        .refresh("1m")
        .time("now-12h", "now")
        .timezone("browser")
        .editable()
        .with_variable(datasource_variable())
        .with_variable(city_variable())
        .with_variable(district_variable())
        .with_row(dash.Row("Now 当前"))
        .with_panel(
            big_number(
                "Halls open",
                "Halls of the region open now.",
                "short",
                [(halls_open, "open")],
                thresholds(("blue", None)),
                width=6,
            )
        )
        .with_panel(
            big_number(
                "Customers waiting",
                "Tickets waiting in all halls of the region.",
                "short",
                [(f"sum({_in_region(q.queue(ALL))})", "waiting")],
                thresholds(("blue", None)),
                width=6,
            )
        )
        .with_panel(
            big_number(
                "Halls below objective today",
                "Halls whose service level today is below their own objective.",
                "short",
                [(breaching, "below")],
                thresholds(("green", None), ("red", 1.0)),
                width=6,
            )
        )
        .with_panel(
            big_number(
                "Firing alerts",
                "Alerts firing now for the region's halls, all rungs.",
                "short",
                [(f'count(ALERTS{{alertstate="firing", {REGION}}})', "alerts")],
                thresholds(("green", None), ("red", 1.0)),
                width=6,
            ).no_value("0")
        )
        .with_panel(
            ranking(
                "Halls ranked by burn rate (1h)",
                "Error-budget burn rate over the last hour, fastest first: 1 spends the budget "
                "exactly; the ceiling is 1 / (1 − objective), 5 at 80%.",
                "none",
                f"sort_desc({_in_region(q.burn_rate(ALL, '1h'))})",
                "{{name}}",
                BURN,
            ).min(0)
        )
        .with_panel(
            ranking(
                "Halls ranked by service level today",
                "Share of today's called tickets called within each hall's own target wait, "
                "worst first. Colours at the default objective (80%); the table's margin "
                "column uses each hall's own objective.",
                "percentunit",
                f"sort({_in_region(q.service_level(ALL))})",
                "{{name}}",
                SERVICE_LEVEL,
            )
            .min(0)
            .max(1)
        )
        .with_panel(_halls_table())
        .with_row(dash.Row("Today 今日"))
        .with_panel(
            big_number(
                "Service level today per hall",
                "Each hall's service level today, its course over the time range as a sparkline.",
                "percentunit",
                [(_in_region(q.service_level(ALL)), "{{name}}")],
                SERVICE_LEVEL,
                width=24,
                height=6,
                sparkline=True,
            )
        )
        .with_panel(
            graph(
                "Burn rate per hall (1h)",
                "Error-budget burn rate over the last hour, per hall.",
                "none",
                [(_in_region(q.burn_rate(ALL, "1h")), "{{name}}")],
            ).thresholds(BURN)
        )
        .with_panel(
            graph(
                "Waiting customers per hall",
                "Tickets waiting, per hall.",
                "short",
                [(_in_region(q.queue(ALL)), "{{name}}")],
            )
        )
        .with_row(dash.Row("Districts and cities 区县与城市"))
        .with_panel(
            ranking(
                "Districts ranked by service level today",
                "Share of the district's customers called today within their hall's target: "
                "every hall's customers counted, not an average over halls. Worst first.",
                "percentunit",
                f"sort({q.service_level(REGION, level='district')})",
                "{{city}} {{district}}",
                SERVICE_LEVEL,
                width=8,
                height=8,
            )
            .min(0)
            .max(1)
        )
        .with_panel(
            graph(
                "Service level per district and city (last hour)",
                "Share of customers called within their hall's target over the last hour, "
                "weighted by customers, per district and per city.",
                "percentunit",
                [
                    (q.service_level(REGION, "1h", level="district"), "{{district}}"),
                    (q.service_level('city=~"$city"', "1h", level="city"), "{{city}}"),
                ],
                width=8,
                height=8,
            )
            .min(0)
            .max(1)
        )
        .with_panel(
            graph(
                "Queue above forecast per district",
                "Customers waiting beyond the forecast, summed over the district's halls.",
                "short",
                [(q.queue_minus_forecast(REGION, level="district"), "{{district}}")],
                width=8,
                height=8,
            )
        )
    )
    return number_panels(builder.build())
