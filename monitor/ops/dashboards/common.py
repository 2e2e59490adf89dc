"""What the three dashboards share: the Prometheus datasource variable, the
hall/city/district variables, and panel builders with this project's defaults
(every panel and query on ``${datasource}``, a unit on every panel)."""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import bargauge, stat, table, timeseries
from grafana_foundation_sdk.builders import common as common_builder
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import prometheus as prom
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import prometheus as prom_model

DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
TAGS = ["hallq", "generated"]
HALLMON_URL = "http://localhost:9180"  # the default deployment's exporter (deploy/compose.yaml)

# Regex turning Grafana's ``query_result(hall_info)`` lines, whose labels
# Prometheus sorts by name, into the hall id (value) shown by its name (text).
HALL_REGEX = '/hall="(?<value>[^"]+)".*name="(?<text>[^"]+)"/'

# Colours by multiple of the target wait: the escalation ladder of the alerts
# (hall manager at 1×, district at 2×, city at 4×).
LADDER = [
    model.Threshold(color="green", value=None),
    model.Threshold(color="yellow", value=1.0),
    model.Threshold(color="orange", value=2.0),
    model.Threshold(color="red", value=4.0),
]


def thresholds(*steps: tuple[str, float | None]) -> dash.ThresholdsConfig:
    """Absolute thresholds: ``(colour, from value)``, the first from ``None``."""
    return (
        dash.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(color=c, value=v) for c, v in steps])
    )


def datasource_variable() -> dash.DatasourceVariable:
    """``$datasource``: any Prometheus datasource, so the dashboards work in a
    Grafana whose datasource is not the provisioned one."""
    return dash.DatasourceVariable("datasource").label("Prometheus").type("prometheus")


def label_variable(name: str, label: str, query: str) -> dash.QueryVariable:
    """A multi-value variable over a label's values, ``All`` matching any (``.*``)."""
    return (
        dash.QueryVariable(name)
        .label(label)
        .query(query)
        .datasource(DATASOURCE)
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(model.VariableOption(selected=True, text="All", value="$__all"))
    )


def city_variable() -> dash.QueryVariable:
    return label_variable("city", "City 城市", "label_values(hall_info, city)")


def district_variable() -> dash.QueryVariable:
    return label_variable(
        "district", "District 区县", 'label_values(hall_info{city=~"$city"}, district)'
    )


def hall_variable(*, multi: bool) -> dash.QueryVariable:
    """``$hall``: hall ids, shown by name, of the chosen city and district."""
    variable = (
        dash.QueryVariable("hall")
        .label("Hall 营业厅")
        .query('query_result(hall_info{city=~"$city", district=~"$district"})')
        .regex(HALL_REGEX)
        .datasource(DATASOURCE)
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
    )
    if multi:
        return (
            variable.multi(True)
            .include_all(True)
            .all_value(".*")
            .current(model.VariableOption(selected=True, text="All", value="$__all"))
        )
    return variable.multi(False).include_all(False)


def query(expr: str, legend: str, ref_id: str, *, instant: bool = False) -> prom.Dataquery:
    """A Prometheus query on ``${datasource}``; ``instant`` ones come as a table."""
    q = prom.Dataquery().expr(expr).legend_format(legend).ref_id(ref_id).datasource(DATASOURCE)
    if instant:
        return q.instant().format(prom_model.PromQueryFormat.TABLE)
    return q.range()


def targets(
    panel: timeseries.Panel | stat.Panel | bargauge.Panel | table.Panel,
    queries: Sequence[tuple[str, str]],
    *,
    instant: bool = False,
) -> None:
    """Add ``(expr, legend)`` queries with ref ids A, B, C..."""
    for i, (expr, legend) in enumerate(queries):
        panel.with_target(query(expr, legend, chr(ord("A") + i), instant=instant))


def graph(
    title: str,
    description: str,
    unit: str,
    queries: Sequence[tuple[str, str]],
    *,
    width: int = 12,
    height: int = 8,
) -> timeseries.Panel:
    """A time series panel with a table legend (last, max) under it."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(height)
        .line_width(2)
        .fill_opacity(10)
        .show_points(common.VisibilityMode.NEVER)
        .span_nulls(False)
        .legend(
            common_builder.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.TABLE)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["lastNotNull", "max"])
        )
        .tooltip(
            common_builder.VizTooltipOptions()
            .mode(common.TooltipDisplayMode.MULTI)
            .sort(common.SortOrder.DESCENDING)
        )
    )
    targets(panel, queries)
    return panel


def big_number(
    title: str,
    description: str,
    unit: str,
    queries: Sequence[tuple[str, str]],
    steps: dash.ThresholdsConfig,
    *,
    width: int = 4,
    height: int = 4,
    sparkline: bool = False,
) -> stat.Panel:
    """A stat panel of the last value, coloured by ``steps``."""
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(height)
        .thresholds(steps)
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .graph_mode(common.BigValueGraphMode.AREA if sparkline else common.BigValueGraphMode.NONE)
        .reduce_options(common_builder.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    targets(panel, queries)
    return panel


def ranking(
    title: str,
    description: str,
    unit: str,
    expr: str,
    legend: str,
    steps: dash.ThresholdsConfig,
    *,
    width: int = 12,
    height: int = 10,
) -> bargauge.Panel:
    """Horizontal bars, one per series, in the order the query returns them
    (``sort``/``sort_desc`` of an instant query ranks them)."""
    panel = (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(height)
        .thresholds(steps)
        .orientation(common.VizOrientation.HORIZONTAL)
        .display_mode(common.BarGaugeDisplayMode.GRADIENT)
        .show_unfilled(True)
        .reduce_options(common_builder.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    panel.with_target(query(expr, legend, "A").instant())
    return panel


def number_panels(built: model.Dashboard) -> model.Dashboard:
    """Give every panel (rows included) the ids 1, 2, 3... in layout order:
    Grafana keys panel links and repeats by id, so they must be unique and
    stable from one generation to the next."""
    for i, panel in enumerate(built.panels or [], start=1):
        panel.id_val = i
    return built


def threshold_from(
    panel: stat.Panel | bargauge.Panel | timeseries.Panel,
    expr: str,
    legend: str,
    colour: str,
    ref_id: str = "Z",
) -> None:
    """Colour ``panel`` from ``colour`` upward at the value of ``expr``, each
    hall's own (its objective, its target's level): Grafana's *config from
    query results* transformation turns the query's last value into the
    panel's threshold, and the query is not drawn."""
    panel.with_target(query(expr, legend, ref_id))
    panel.with_transformation(
        model.DataTransformerConfig(
            id_val="configFromData",
            options={
                "configRefId": ref_id,
                "applyTo": {"id": "byFrameRefID", "options": "A"},
                "mappings": [
                    {
                        "fieldName": legend,
                        "handlerKey": "threshold1",
                        "handlerArguments": {"threshold": {"color": colour}},
                        "reducerId": "lastNotNull",
                    }
                ],
            },
        )
    )


def link(title: str, url: str, tooltip: str) -> dash.DashboardLink:
    """A link in the dashboard's header, carrying the time range and variables."""
    return (
        dash.DashboardLink(title)
        .type(model.DashboardLinkType.LINK)
        .url(url)
        .tooltip(tooltip)
        .keep_time(True)
        .include_vars(True)
    )


def hallmon_variable() -> dash.TextBoxVariable:
    """``$hallmon``: the exporter whose pages (``/halls/…``) and runbook
    (``/runbook``) the dashboards link to."""
    return (
        dash.TextBoxVariable("hallmon")
        .label("hallmon")
        .description("The hallmon exporter's address, for links to its pages and runbook.")
        .default_value(HALLMON_URL)
    )
