"""What an alert says: the template fragments of the alert rules' annotations
and the one builder every rule goes through (:func:`alert`).

Every alert has a ``summary`` of two lines, Chinese then English, naming the
hall, the service, the figure, the target and what to do; a ``runbook_url``
to its section of the runbook and a ``dashboard_url`` to the Grafana panel
that shows what it fired on (:mod:`monitor.ops.links`). The hall's alerts
that ask for staff end each line with the nowcast's advice, "open k more
counters of group G to be back within target in 30 minutes"
(``hall_nowcast_counters_to_open``, see :data:`ADVICE_ZH`), the same words
the hall's page shows; nothing when the nowcast has none.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.ops.links import Links
from monitor.ops.timescale import REAL_TIME, TimeScale

Rule = dict[str, object]


def query(promql: str, render: str) -> str:
    """A template fragment: the first value of ``promql`` (``%q`` is the hall)
    piped through ``render``."""
    return (
        f'{{{{ with printf "{promql}" $labels.hall | query }}}}'
        f"{{{{ . | first | value | {render} }}}}{{{{ end }}}}"
    )


# the target in whole minutes as people say it ("15 分钟", "15 min"), not
# humanizeDuration's "15m 0s"; up to three digits keep a target of 90 s "1.5"
_TARGET_MIN = "hall_slo_target_wait_seconds{hall=%q} / 60"
TARGET_ZH = query(_TARGET_MIN, 'printf "%.3g 分钟"')
TARGET_EN = query(_TARGET_MIN, 'printf "%.3g min"')
OBJECTIVE = query("hall_slo_objective_ratio{hall=%q}", "humanizePercentage")
BUDGET = query("1 - hall_slo_objective_ratio{hall=%q}", "humanizePercentage")
WHO = "{{ $labels.name }}"
WHO_EN = "{{ $labels.name }} ({{ $labels.hall }})"
MORE_THAN = 3  # the nowcast tries up to this many more counters of a group
HALL_LABELS = "* on (hall) group_left (name, district, city) hall_info"
HALL_LIVE = ("hall-live.json", "hallq-hall-live")  # the dashboards' files and uids
REGION = ("region.json", "hallq-region")


def hall_panel(title: str) -> tuple[str, str, str, str]:
    """A panel of the Hall live dashboard, for the alert's hall."""
    return (*HALL_LIVE, title, "var-hall={{ $labels.hall }}")


def _advice(enough: str, too_few: str) -> str:
    """The nowcast's advice for the hall (nothing when it has none, or when the
    hall is within target): ``enough`` with ``{k}`` and ``{group}``, or
    ``too_few`` when even :data:`MORE_THAN` more counters would not do."""
    k = '{{ value . | printf "%.0f" }}'
    group = '{{ label "group" . }}'
    return (
        '{{ with printf "hall_nowcast_counters_to_open{hall=%q} > 0" $labels.hall | query }}'
        f"{{{{ with first . }}}}{{{{ if gt (value .) {MORE_THAN}.0 }}}}{too_few}"
        f"{{{{ else }}}}{enough.format(k=k, group=group)}{{{{ end }}}}{{{{ end }}}}{{{{ end }}}}"
    )


ADVICE_ZH = _advice(
    "建议：加开 {k} 个 {group} 组柜台，30 分钟内恢复达标。",
    f"即使加开 {MORE_THAN} 个柜台，30 分钟内也无法恢复达标：请调派支援。",
)
ADVICE_EN = _advice(
    " Advice: open {k} more {group} counters to be back within target in 30 min.",
    f" Even {MORE_THAN} more counters would not bring it back within target in 30 min: "
    "call for help.",
)


@dataclass(frozen=True)
class Context:
    """What every rule is generated with: its links and the time scale."""

    links: Links
    scale: TimeScale = REAL_TIME


def alert(
    alertname: str,
    severity: str,
    expr: str,
    for_: str,
    text: tuple[str, str],
    *,
    ctx: Context,
    panel: tuple[str, str, str, str],
    advice: bool = False,
    **labels: str,
) -> Rule:
    """One alert rule: ``for_`` in hall time (scaled by ``ctx.scale``), the two
    lines of its summary ``(zh, en)``, its runbook section and its dashboard
    ``panel`` (``(file, uid, panel title, variables)``), the nowcast's advice at
    the end of each line when ``advice``."""
    zh, en = text
    if advice:
        zh, en = zh + ADVICE_ZH, en + ADVICE_EN
    rule: Rule = {"alert": alertname, "expr": expr}
    links, wall_for = ctx.links, ctx.scale.duration(for_)
    if for_ != "0m":
        rule["for"] = wall_for
    annotations = {
        "summary": f"{zh}\n{en}",
        "runbook_url": links.runbook(alertname),
        "dashboard_url": links.panel(*panel),
    }
    return rule | {"labels": {"severity": severity, **labels}, "annotations": annotations}
