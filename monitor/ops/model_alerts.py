"""The alerts about a hall's model rather than its customers, for the team that
owns the halls' models (severity ``info``, no rung of the ladder): the live
stream has left the model (``HallModelDrift``), or the model's week keeps an
open hall closed today (``HallModelClosed``). Part of the rule group of
:mod:`monitor.ops.alerts`; hall time, as the ladder's."""

from __future__ import annotations

from monitor.ops.annotations import HALL_LABELS, WHO, WHO_EN, Context, Rule, alert, hall_panel

MODEL_CLOSED_FOR = "10m"


def drift_alert(ctx: Context) -> Rule:
    """For information: today's live stream has left the hall's model (the
    drift test of arrivals, service times or no-shows, with its documented
    false-alarm rate), while the hall is open. Not a rung of the ladder: the
    model's owners look, the nightly fit learns what lasts."""
    expr = (
        "(\n"
        "  max by (hall, quantity) (hall_model_drift_score) >= 1\n"
        "  and on (hall)\n"
        "  hall_open == 1\n"
        ")\n"
        f"{HALL_LABELS}"
    )
    ratio = (
        '{{ with printf "hall_model_drift_ratio{hall=%q,quantity=%q}" $labels.hall '
        "$labels.quantity | query }}{{ . | first | value | humanizePercentage }}{{ end }}"
    )
    lasted = (
        '{{ with printf "time() - hall_model_drift_since_timestamp_seconds'
        '{hall=%q,quantity=%q}" $labels.hall $labels.quantity | query }}'
        "{{ . | first | value | humanizeDuration }}{{ end }}"
    )
    return alert(
        "HallModelDrift",
        "info",
        expr,
        "0m",
        (
            f"{WHO}：{{{{ $labels.quantity }}}} 近 {lasted} 为模型预期的 {ratio}，"
            "已偏离模型（预测、预警随之偏差）。今晚的模型重估会学习持续的变化；"
            "若营业厅有长期变动（新业务、人员调整），请核查模型（hallmon model show）。",
            f"{WHO_EN}: {{{{ $labels.quantity }}}} at {ratio} of what the model expects for the "
            f"last {lasted}: the live stream has left the model (forecasts and alerts are off "
            "by as much). Tonight's re-fit learns what lasts; if the hall changed for good (a "
            "new service, other staff), check its model (hallmon model show).",
        ),
        ctx=ctx,
        panel=hall_panel("Queue against forecast"),
    )


def model_closed_alert(ctx: Context) -> Rule:
    """For information: a hall open by its configured hours whose model in use
    keeps it closed today (its week or holidays, ``hall_model_day_open``), for
    :data:`MODEL_CLOSED_FOR`. Nothing is simulated for it that day: no nowcast
    (``HallNowcastStale`` stays silent: the pool is not at fault), no forecast,
    no drift test. Either the model is wrong (the hall is open: roll back or
    fix it) or the hours are (the hall is closed: fix the scenario)."""
    expr = (
        "(\n"
        "  max by (hall) (hall_model_day_open) == 0\n"
        "  and on (hall)\n"
        "  hall_open == 1\n"
        ")\n"
        f"{HALL_LABELS}"
    )
    return alert(
        "HallModelClosed",
        "info",
        expr,
        MODEL_CLOSED_FOR,
        (
            f"{WHO}：按配置的营业时间正在营业，但在用模型的周计划（week/holidays）今天不营业："
            "今天没有排队预测（nowcast）、预报和偏离检测。若营业厅今天营业，请回滚或修正模型"
            "（hallmon model show / rollback）；若今天确实不营业，请修正该厅场景的营业时间。",
            f"{WHO_EN}: open by its configured hours, but the model in use keeps it closed today "
            "(its week or holidays): no nowcast, forecast or drift test today. If the hall is "
            "open, roll back or fix its model (hallmon model show, hallmon model rollback); if it "
            "is closed today, fix the hours in its scenario (week, holidays).",
        ),
        ctx=ctx,
        panel=hall_panel("Queue against forecast"),
    )
