"""Alert rules of the escalation ladder (hall manager → district → city), as
data: :func:`alert_groups` returns what ``hallmon prometheus-config`` writes to
``rules/hallq-alerts.yml``. The runbook (``monitor/ops/RUNBOOK.md``, served by
the exporter at ``/runbook``) explains every alert, with one section per alert
name (the ``runbook_url`` anchors).

Every alert carries ``severity`` (the rung: ``hall_manager``, ``district``,
``city``; ``info`` for the model's alerts, which are no rung), the hall's
``name``, ``district`` and ``city`` (joined from ``hall_info``) and the
annotations of :mod:`monitor.ops.annotations`. Hall alerts are silent while a
hall is closed and no counter is open.

Durations are hall time: with a :class:`~monitor.ops.timescale.TimeScale`
(the demo, a replay at speed) every ``for:``, window and seconds threshold of
the hall alerts is divided by its factor; at 1× the rules are exactly those
of production. The exporter alerts are about processes, which live in wall
time, and are never scaled; nor is ``HallNowcastStale`` (the nowcast's schedule
is the exporter's, in wall seconds).

Burn-rate rungs. The error budget is ``1 - objective``; a burn rate ``b``
over a window spends ``b × window / day`` of the day's budget, and can reach
at most the ceiling ``1 / (1 - objective)`` (5 at 80%: the textbook 14.4×/6×
for 30-day periods can never fire). Each rung fires when its long *and* short
windows burn faster than ``min(share × DAY / long, CAP × ceiling)``: the
share of a 12-hour day's budget the long window spends, capped at
:data:`BURN_CAP` of the hall's own ceiling so that it can fire at any
objective. RUNBOOK.md tabulates detection and reset times.
"""

from __future__ import annotations

from dataclasses import dataclass
from textwrap import indent

from monitor.ops.annotations import (
    BUDGET,
    HALL_LABELS,
    OBJECTIVE,
    TARGET_EN,
    TARGET_ZH,
    WHO,
    WHO_EN,
    Context,
    Rule,
    alert,
    hall_panel,
    query,
)
from monitor.ops.feed_alerts import (
    NOWCAST_STALE,
    exporter_alerts,
    limited_alert,
    no_events_alerts,
    nowcast_stale_alerts,
)
from monitor.ops.links import Links, exporter_runbook
from monitor.ops.model_alerts import drift_alert, model_closed_alert
from monitor.ops.recording import CEILING
from monitor.ops.timescale import REAL_TIME, TimeScale

# the runbook on the exporter of the default deployment (`hallmon prometheus-config`)
RUNBOOK_URL = exporter_runbook("localhost", 9180)

DAY_H = 12.0  # the opening day a budget is spent over (the flagship hall's 09:00–21:00)
BURN_CAP = 0.75  # a rung never asks more than 3/4 of the customers to be late
ESCALATION_MIN_ISSUED_1H = 5  # oldest-wait rungs above the hall manager need this many tickets
QUEUE_EXCESS = 10  # queue above forecast: at least this many more customers ...
QUEUE_FACTOR = 2  # ... and at least this many times the forecast
PLAN_FOR = "10m"  # fewer counters open than planned this long, while people wait


STAFFED = "(hall_open == 1 or hall_counters_open > 0)"


@dataclass(frozen=True)
class BurnRung:
    """One burn-rate rung: windows, the share of the day's budget the long
    window spends, and the volume guard (customers called in the long window)."""

    severity: str
    long: str
    short: str
    budget_share: float
    min_called: int

    @property
    def factor(self) -> float:
        """The burn rate that spends ``budget_share`` of a day in the long window."""
        hours = int(self.long[:-1]) / (60 if self.long.endswith("m") else 1)
        return round(self.budget_share * DAY_H / hours, 2)


# hall manager: 1/12 of the day's budget in half an hour (2.0: 40% late at 80%);
# district: a quarter of it in two hours (1.5); city: 60% of it in six hours (1.2),
# when the day's objective is as good as lost
BURN_RUNGS: tuple[BurnRung, ...] = (
    BurnRung("hall_manager", "30m", "5m", 1 / 12, 6),
    BurnRung("district", "2h", "5m", 0.25, 20),
    BurnRung("city", "6h", "30m", 0.60, 40),
)
OLDEST_RUNGS: tuple[tuple[str, int], ...] = (("hall_manager", 1), ("district", 2), ("city", 4))


_BURN_TEXT = {
    "hall_manager": (
        "请立即加开柜台，引导缴费、查询类顾客使用自助终端。",
        "Open more counters now and steer payment and enquiry customers to the kiosks.",
    ),
    "district": (
        "已持续两小时：区县主管请从邻近营业厅调派人员支援，并核对排班。",
        "Two hours running: district supervisor, send staff from nearby halls "
        "and check the roster.",
    ),
    "city": (
        "今日服务水平目标已无法达成：城市运营中心请协调人员并准备顾客安抚。",
        "The day's objective is lost: city operations, coordinate staff and customer care.",
    ),
}


_ZH_WINDOW = {"30m": "30分钟", "2h": "2小时", "6h": "6小时"}


def burn_alert(rung: BurnRung, ctx: Context) -> Rule:
    """Both windows of ``rung`` burn faster than its factor, with enough customers."""
    threshold = f"clamp_max({BURN_CAP} * {CEILING}, {rung.factor})"
    expr = (
        "(\n"
        f"  hall:hall_slo_error_budget:burn_rate{rung.long} > on (hall) {threshold}\n"
        "  and on (hall)\n"
        f"  hall:hall_slo_error_budget:burn_rate{rung.short} > on (hall) {threshold}\n"
        "  and on (hall)\n"
        f"  hall:hall_wait_seconds_count:increase{rung.long} >= {rung.min_called}\n"
        "  and on (hall)\n"
        f"  {STAFFED}\n"
        ")\n"
        f"{HALL_LABELS}"
    )
    sli = query(
        f"hall:hall_called_within_target:ratio_rate{rung.long}{{hall=%q}}", "humanizePercentage"
    )
    burn = '{{ printf "%.1f" $value }}'
    zh, en = _BURN_TEXT[rung.severity]
    return alert(
        "HallErrorBudgetBurn",
        rung.severity,
        expr,
        "2m",
        (
            f"{WHO}（全部业务）：近{_ZH_WINDOW[rung.long]}仅 {sli} 的顾客在 {TARGET_ZH} 内被叫号"
            f"（目标 {OBJECTIVE}），错误预算消耗速度 {burn} 倍。{zh}",
            f"{WHO_EN}, all services: only {sli} of customers called within {TARGET_EN} "
            f"over the last {rung.long} (objective {OBJECTIVE}); error budget burning {burn}x. "
            f"{en}",
        ),
        ctx=ctx,
        panel=hall_panel("Error-budget burn rate"),
        advice=rung.severity == "hall_manager",
        window=f"{rung.long}/{rung.short}",
    )


_OLDEST_TEXT = {
    1: ("请立即叫号或加开柜台。", "Call them now or open another counter."),
    2: (
        "已超目标两倍：区县主管请协调支援，并安抚等候顾客。",
        "Twice the target: district supervisor, send help and look after the waiting customers.",
    ),
    4: (
        "已超目标四倍，投诉风险高：城市运营中心请介入。",
        "Four times the target, complaints likely: city operations, step in.",
    ),
}


def oldest_wait_alert(severity: str, multiple: int, ctx: Context) -> Rule:
    """The oldest waiting customer of a service has waited past ``multiple``
    times the hall's target; above the hall manager only with enough tickets."""
    guard = ""
    if multiple > 1:
        volume = f"hall:hall_tickets_issued:increase1h >= {ESCALATION_MIN_ISSUED_1H}"
        guard = f"  and on (hall)\n  {volume}\n"
    expr = (
        "(\n"
        "  hall_oldest_wait_seconds\n"
        f"    > on (hall) group_left () ({multiple} * hall_slo_target_wait_seconds)\n"
        "  and on (hall)\n"
        f"  {STAFFED}\n"
        f"{guard}"
        ")\n"
        f"{HALL_LABELS}"
    )
    zh, en = _OLDEST_TEXT[multiple]
    wait = "{{ $value | humanizeDuration }}"
    times = "" if multiple == 1 else f"的 {multiple} 倍"
    times_en = "" if multiple == 1 else f" {multiple}×"
    return alert(
        "HallOldestWaitPastTarget",
        severity,
        expr,
        "1m",
        (
            f"{WHO} {{{{ $labels.service }}}}：最久等待的顾客已等 {wait}，"
            f"超过目标 {TARGET_ZH}{times}。{zh}",
            f"{WHO_EN} {{{{ $labels.service }}}}: the oldest waiting customer has waited "
            f"{wait}, past{times_en} the {TARGET_EN} target. {en}",
        ),
        ctx=ctx,
        panel=hall_panel("Oldest waiting ticket per service"),
        advice=multiple == 1,
        multiple=str(multiple),
    )


def queue_alert(ctx: Context) -> Rule:
    """The queue far above the day forecast for 15 minutes: call in staff."""
    expr = (
        "(\n"
        f"  hall:hall_queue_length:minus_forecast >= {QUEUE_EXCESS}\n"
        "  and on (hall)\n"
        f"  hall:hall_queue_length:sum >= {QUEUE_FACTOR} * hall:hall_forecast_queue_length:sum\n"
        "  and on (hall)\n"
        "  hall_open == 1\n"
        ")\n"
        f"{HALL_LABELS}"
    )
    queue = query("hall:hall_queue_length:sum{hall=%q}", 'printf "%.0f"')
    forecast = query("hall:hall_forecast_queue_length:sum{hall=%q}", 'printf "%.1f"')
    more = '{{ printf "%.1f" $value }}'  # a forecast is fractional: "0.5", never "493.3m"
    return alert(
        "HallQueueAboveForecast",
        "hall_manager",
        expr,
        "15m",
        (
            f"{WHO}（全部业务）：排队 {queue} 人，"
            f"比预测的 {forecast} 人多出 {more} 人，"
            f"已持续15分钟（目标：{TARGET_ZH} 内叫号）。请召回休息人员、加开柜台。",
            f"{WHO_EN}, all services: {queue} waiting against {forecast} forecast "
            f"({more} more) for 15 minutes (target: called within {TARGET_EN}). "
            "Call in staff from breaks and open counters.",
        ),
        ctx=ctx,
        panel=hall_panel("Queue against forecast"),
        advice=True,
    )


def breach_predicted_alert(ctx: Context) -> Rule:
    """The nowcast says a ticket taken 30 minutes from now is more likely to
    wait past the target than the objective allows, while nobody waits past it
    yet. Not on a stale nowcast (:data:`~monitor.ops.feed_alerts.NOWCAST_STALE`):
    a prediction nobody refreshes could neither resolve nor be trusted, and
    ``HallNowcastStale`` says so to the city rung."""
    expr = (
        "(\n"
        '  hall_nowcast_breach_probability{horizon="30m"}\n'
        "    > on (hall) (1 - max by (hall) (hall_slo_objective_ratio))\n"
        "  unless on (hall)\n"
        "  (hall:hall_oldest_wait_seconds:max\n"
        "    >= on (hall) max by (hall) (hall_slo_target_wait_seconds))\n"
        "  unless on (hall)\n"
        f"  (\n{indent(NOWCAST_STALE, '    ')}\n  )\n"
        "  and on (hall)\n"
        "  hall_open == 1\n"
        ")\n"
        f"{HALL_LABELS}"
    )
    p = "{{ $value | humanizePercentage }}"
    return alert(
        "HallBreachPredicted",
        "hall_manager",
        expr,
        "2m",
        (
            f"{WHO}（全部业务）：预测30分钟后取号的顾客有 {p} 的可能等待超过 {TARGET_ZH}"
            f"（目标只允许 {BUDGET}），目前尚在目标内。请现在加开柜台或推迟休息，避免超时。",
            f"{WHO_EN}, all services: a customer taking a ticket 30 minutes from now has a {p} "
            f"chance of waiting past {TARGET_EN} (the objective allows {BUDGET}); the hall is "
            "still within target. Open a counter or postpone breaks now.",
        ),
        ctx=ctx,
        panel=hall_panel("Breach risk, next 30 min"),
        advice=True,
        horizon="30m",
    )


def below_plan_alert(ctx: Context) -> Rule:
    """Fewer counters open than the plan (the scenario's schedule for the day,
    or the hall's roster) while people wait, for :data:`PLAN_FOR`."""
    expr = (
        "(\n"
        "  max by (hall) (hall_counters_open)\n"
        "    < on (hall) max by (hall) (hall_counters_planned)\n"
        "  and on (hall)\n"
        "  hall:hall_queue_length:sum > 0\n"
        "  and on (hall)\n"
        "  hall_open == 1\n"
        ")\n"
        f"{HALL_LABELS}"
    )
    planned = query("max(hall_counters_planned{hall=%q})", "humanize")
    queue = query("hall:hall_queue_length:sum{hall=%q}", "humanize")
    opened = "{{ $value | humanize }}"
    return alert(
        "HallCountersBelowPlan",
        "hall_manager",
        expr,
        PLAN_FOR,
        (
            f"{WHO}（全部业务）：计划开 {planned} 个柜台，实际只开 {opened} 个，"
            f"{queue} 人在等候，已持续10分钟。请按排班开齐柜台。",
            f"{WHO_EN}, all services: {opened} counters open against {planned} planned, "
            f"with {queue} waiting, for 10 minutes. Open the counters the plan staffs.",
        ),
        ctx=ctx,
        panel=hall_panel("Counters: planned, open, busy"),
        advice=True,
    )


def alert_groups(
    links: Links | None = None, scale: TimeScale = REAL_TIME
) -> list[dict[str, object]]:
    """The alert rule groups with ``links`` (default: the runbook on the
    default exporter, the compose file's Grafana), durations in hall time at ``scale``."""
    ctx = Context(links or Links(RUNBOOK_URL), scale)
    rules: list[Rule] = [breach_predicted_alert(ctx)]
    rules += [oldest_wait_alert(sev, m, ctx) for sev, m in OLDEST_RUNGS]
    rules += [burn_alert(rung, ctx) for rung in BURN_RUNGS]
    rules.append(queue_alert(ctx))
    rules.append(below_plan_alert(ctx))
    rules += no_events_alerts(ctx)
    rules += exporter_alerts(ctx)
    rules.append(limited_alert(ctx))
    rules += nowcast_stale_alerts(ctx)
    rules.append(drift_alert(ctx))
    rules.append(model_closed_alert(ctx))
    return [{"name": "hallq-alerts", "rules": rules}]
