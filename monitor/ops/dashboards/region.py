"""**Region** (区域): every hall of a city or district at once. For the district
and city supervisors: which halls burn their error budget fastest, which miss
their objective today, and how the day has gone so far (sparklines).

Halls have objectives of their own, so the region is coloured by each hall's
margin to its own objective (service level today minus objective), never by
one fixed percentage; a hall's row and bars link to its Hall live dashboard
and its page on the exporter."""

from __future__ import annotations

from grafana_foundation_sdk.builders import common as common_builder
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import table
from grafana_foundation_sdk.cog import builder as cogbuilder
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
    hallmon_variable,
    link,
    number_panels,
    query,
    ranking,
    thresholds,
)
from monitor.ops.dashboards.hall_live import UID as HALL_UID
from monitor.ops.timescale import REAL_TIME, TimeScale

UID = "hallq-region"
SHOWN = "12h"  # the time range shown when the dashboard opens (hall time)
ALL = 'hall=~".+"'  # every hall: the region is chosen by joining hall_info below
REGION = 'city=~"$city", district=~"$district"'
# Burn rate 1 spends the error budget exactly by the end of the window; at an
# objective of 80% the highest possible is 5, so the colours stop below it.
BURN = thresholds(("green", None), ("yellow", 1.0), ("orange", 2.0), ("red", 3.0))
MARGIN = thresholds(("red", None), ("yellow", 0.0), ("green", 0.05))
# a table row is a hall (its field `hall`); a bar or sparkline is one hall's series
ROW_LINKS = [
    (
        "Hall live: ${__data.fields.hall}",
        f"/d/{HALL_UID}/?var-hall=${{__data.fields.hall}}&${{__url_time_range}}",
    ),
    ("hallmon page: ${__data.fields.hall}", "${hallmon}/halls/${__data.fields.hall}"),
]
SERIES_LINKS = [
    (
        "Hall live: ${__field.labels.name}",
        f"/d/{HALL_UID}/?var-hall=${{__field.labels.hall}}&${{__url_time_range}}",
    ),
    ("hallmon page: ${__field.labels.name}", "${hallmon}/halls/${__field.labels.hall}"),
]


def _links(links: list[tuple[str, str]]) -> list[cogbuilder.Builder[model.DashboardLink]]:
    return [
        dash.DashboardLink(title).type(model.DashboardLinkType.LINK).url(url)
        for title, url in links
    ]


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
        ("on the way", q.on_the_way(ALL), "short"),
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
            "(6 hours) divided by the share the objective allows. On the way: waiting tickets "
            "taken remotely whose holder has not checked in yet (counted in waiting too). "
            "Oldest: the longest wait so far in multiples of the hall's target wait (the "
            "escalation ladder's 1×, 2×, 4×)."
        )
        .datasource(DATASOURCE)
        .unit("none")
        .span(24)
        .height(10)
        .sort_by([common_builder.TableSortByFieldState().display_name("burn 1h").desc(True)])
        .data_links(_links(ROW_LINKS))
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


def build(scale: TimeScale = REAL_TIME) -> model.Dashboard:
    """The Region dashboard, its time range in hall time at ``scale`` (its
    windows are the recording rules', scaled with them)."""
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
        .time(f"now-{scale.duration(SHOWN)}", "now")
        .timezone("browser")
        .editable()
        .with_variable(datasource_variable())
        .with_variable(city_variable())
        .with_variable(district_variable())
        .with_variable(hallmon_variable())
        .link(link("Hall live 营业厅实时", f"/d/{HALL_UID}/", "One hall now."))
        .link(link("Runbook 处置手册", "${hallmon}/runbook", "What to do for each alert."))
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
                "Tickets waiting in all halls of the region, and of them those taken remotely "
                "whose holder is still on the way (not in the hall yet).",
                "short",
                [
                    (f"sum({_in_region(q.queue(ALL))})", "waiting"),
                    (f"sum({_in_region(q.on_the_way(ALL))})", "on the way"),
                ],
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
            )
            .min(0)
            .data_links(_links(SERIES_LINKS))
        )
        .with_panel(
            ranking(
                "Halls ranked by margin to their objective today",
                "Each hall's service level today (share called within its own target wait) "
                "minus its own objective, worst first: red below its objective, yellow within "
                "5 points above it.",
                "percentunit",
                f"sort({_in_region(q.margin(ALL))})",
                "{{name}}",
                MARGIN,
            ).data_links(_links(SERIES_LINKS))
        )
        .with_panel(_halls_table())
        .with_row(dash.Row("Today 今日"))
        .with_panel(
            big_number(
                "Margin to objective today per hall",
                "Each hall's service level today minus its own objective, its course over the "
                "time range as a sparkline: red below the objective, yellow within 5 points.",
                "percentunit",
                [(_in_region(q.margin(ALL)), "{{name}}")],
                MARGIN,
                width=24,
                height=6,
                sparkline=True,
            ).data_links(_links(SERIES_LINKS))
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
                "Districts: halls below their objective today",
                "Halls of each district whose service level today is below their own objective, "
                "most first.",
                "short",
                f"sort_desc(sum by (city, district) (({_in_region(q.margin(ALL))}) < bool 0))",
                "{{city}} {{district}}",
                thresholds(("green", None), ("orange", 1.0), ("red", 2.0)),
                width=8,
                height=8,
            ).min(0)
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
    builder.with_row(dash.Row("Exporters 采集器"))
    builder.with_panel(
        graph(
            "Exporters",
            "Each hallmon exporter Prometheus scrapes: 1 while it answers, 0 when it cannot be "
            "scraped (the exporter-down alert, city rung, after 2 minutes).",
            "none",
            [('up{job="hallmon"}', "{{instance}}")],
            width=12,
            height=6,
        )
        .min(0)
        .max(1)
    )
    builder.with_panel(
        graph(
            "Simulation workers' CPU by task",
            "CPU cores each exporter's simulation processes spend, by task: nowcast, call_in "
            "(the advice to call staff in), forecast, drift (the drift tests' references), eta, "
            "learn. A nowcast share near the exporter's workers means its nowcasts fall behind.",
            "short",
            [
                (
                    'sum by (instance, task) (rate(hallmon_pool_cpu_seconds_total{job="hallmon"}'
                    "[$__rate_interval]))",
                    "{{instance}} {{task}}",
                )
            ],
            width=12,
            height=6,
        ).min(0)
    )
    return number_panels(builder.build())
