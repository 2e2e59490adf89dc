"""The alerts that say the figures cannot be trusted: a hall's ticket system
has gone quiet (``HallNoEvents``), or the exporter that serves it cannot be
scraped (``HallmonExporterDown``, ``HallmonNotScraped``), or its batches are
refused by the hall's limits (``HallIngestLimited``), or its nowcast is no
longer refreshed (``HallNowcastStale``). Part of the rule group of
:mod:`monitor.ops.alerts`."""

from __future__ import annotations

from textwrap import indent

from monitor.core.silence import CEILING_S, FLOOR_S, SPELLS
from monitor.ops.annotations import (
    HALL_LABELS,
    REGION,
    WHO,
    WHO_EN,
    Context,
    Rule,
    alert,
    hall_panel,
)
from monitor.ops.timescale import duration_s, duration_text

# a nowcast older than this many of its exporter's nowcast.every, and than the
# floor (three times the default 60 s), is stale: see nowcast_stale_alerts
NOWCAST_STALE_INTERVALS = 3
NOWCAST_STALE_MIN_S = 180
NOWCAST_STALE_FOR = "1m"
# an open or closed hall whose nowcast is stale (wall time at any time scale; a
# `clock: events` hall only once its clock has passed the nowcast's as-of
# time): HallNowcastStale pages on it, HallBreachPredicted does not trust it
NOWCAST_STALE = (
    "time() - hall_nowcast_computed_timestamp_seconds\n"
    "> on (instance) group_left ()\n"
    f"clamp_min({NOWCAST_STALE_INTERVALS} * hallmon_nowcast_interval_seconds, "
    f"{NOWCAST_STALE_MIN_S})\n"
    "and on (hall)\n"
    "hall_clock_timestamp_seconds > on (hall) hall_nowcast_as_of_timestamp_seconds"
)


def silence_limit(per_hour: str) -> str:
    """PromQL of :func:`monitor.core.silence.silence_limit_s` at the tickets an
    hour ``per_hour`` (a PromQL expression): the silence HallNoEvents allows."""
    return f"clamp({SPELLS} * 3600 / {per_hour}, {FLOOR_S}, {CEILING_S})"


# a hall the model in use keeps closed today is not nowcast (not the pool's fault),
# and its silent ticket system is what a closed hall sounds like (a holiday its
# configured hours forget): HallModelClosed tells the model's owners instead.
# Absent (an older exporter), no matter
_NOT_CLOSED_BY_MODEL = "  unless on (hall)\n  hall_model_day_open == 0\n"


def no_events_alerts(ctx: Context) -> list[Rule]:
    """An open hall whose ticket system has been silent longer than its
    traffic explains (:func:`silence_limit`: 7 mean gaps between tickets at the
    day forecast's rate now, ``hall_forecast_arrivals_per_hour`` of all
    services, 10 minutes to 2 hours); 10 minutes without a forecast. A county
    hall of a hundred tickets a day is silent for 10 minutes several times a
    healthy day (``benchmarks/bench_no_events.py``).
    Or that has never sent anything while open for 10 minutes. Not while the
    model in use keeps the hall closed today (:data:`_NOT_CLOSED_BY_MODEL`).
    Silence is wall time (``hall_last_heard_timestamp_seconds``: with ``clock:
    events`` the hall's clock stops when its events do), counted in hall time
    at a time scale."""
    zh = "营业中，但已超过10分钟未收到取号/叫号系统的事件。请检查取号机、叫号系统和网络。"
    en = (
        "open, but no event from the ticket system for over 10 minutes. "
        "Check the ticket printer, the calling system and the network."
    )
    since = "{{ $value | humanizeDuration }}"
    silent = ctx.scale.hall_seconds("time() - hall_last_heard_timestamp_seconds")
    panel = hall_panel("Ticket system: time since it was last heard")
    limit = (
        f"  (\n    {silence_limit('sum by (hall) (hall_forecast_arrivals_per_hour)')}\n"
        f"    or on (hall)\n    {FLOOR_S} * group by (hall) (hall_open)\n  )\n"
    )
    return [
        alert(
            "HallNoEvents",
            "hall_manager",
            f"(\n  {silent}\n  > on (hall) group_left ()\n{limit}  and on (hall)\n"
            f"  hall_open == 1\n{_NOT_CLOSED_BY_MODEL})\n{HALL_LABELS}",
            "0m",
            (
                f"{WHO}（全部业务）：最近事件在 {since} 前；营业中，"
                "按预测客流早该收到取号/叫号系统的事件（至少10分钟）。请检查取号机、叫号系统和网络。",
                f"{WHO_EN}, all services: last event {since} ago; open, and its forecast "
                "traffic would have brought an event from the ticket system by now (10 minutes "
                "at least). Check the ticket printer, the calling system and the network.",
            ),
            ctx=ctx,
            panel=panel,
            events="stale",
        ),
        alert(
            "HallNoEvents",
            "hall_manager",
            "(\n"
            "  hall_open == 1\n"
            "  unless on (hall)\n"
            "  hall_last_event_timestamp_seconds\n"
            f"{_NOT_CLOSED_BY_MODEL}"
            ")\n"
            f"{HALL_LABELS}",
            f"{FLOOR_S // 60}m",
            (
                f"{WHO}（全部业务）：从未收到事件；{zh}",
                f"{WHO_EN}, all services: no event ever received; {en}",
            ),
            ctx=ctx,
            panel=panel,
            events="never",
        ),
    ]


def exporter_alerts(ctx: Context) -> list[Rule]:
    """The exporter of a hall cannot be scraped (one alert per hall it
    served in the last 6 hours), or Prometheus has no hallmon target at all.
    Wall time at any time scale: they are about processes, not halls' days."""
    wall = Context(ctx.links)
    panel = (*REGION, "Exporters", "")
    return [
        alert(
            "HallmonExporterDown",
            "city",
            "group by (hall, name, district, city, instance) (last_over_time(hall_info[6h]))\n"
            "* on (instance) group_left ()\n"
            '(up{job="hallmon"} == 0)',
            "2m",
            (
                f"{WHO}（全部业务）：hallmon 采集器 {{{{ $labels.instance }}}} 无法抓取，"
                "该厅的监控与告警已中断。请检查 hallmon 服务、主机和网络。",
                f"{WHO_EN}, all services: the hallmon exporter {{{{ $labels.instance }}}} cannot "
                "be scraped; this hall is not monitored. Check the hallmon service, its host and "
                "the network.",
            ),
            ctx=wall,
            panel=panel,
        ),
        alert(
            "HallmonNotScraped",
            "city",
            'absent(up{job="hallmon"})',
            "5m",
            (
                "Prometheus 没有任何 hallmon 抓取目标，所有营业厅均未被监控。"
                "请检查 prometheus.yml。",
                "Prometheus has no hallmon target: no hall is monitored. Check prometheus.yml "
                "(hallmon prometheus-config).",
            ),
            ctx=wall,
            panel=panel,
            name="hallmon",
            district="全部 all",
            city="全部 all",
        ),
    ]


def limited_alert(ctx: Context) -> Rule:
    """A hall's batches are being refused by its limits (429: events a second,
    bytes stored a day) for 5 minutes: a ticket system replaying in a loop,
    one catching up faster than its limit allows, or a stolen token. Its events
    arrive late or not at all until it slows down (or the day ends). Wall time
    at any time scale: the limits are per wall second and day."""
    return alert(
        "HallIngestLimited",
        "city",
        "(\n"
        "  sum by (hall, limit) (increase(hallmon_limited_requests_total[5m])) > 0\n"
        ")\n"
        f"{HALL_LABELS}",
        "5m",
        (
            f"{WHO}（全部业务）：叫号系统发送的事件超过该厅上限（{{{{ $labels.limit }}}}），"
            "已被拒收（429），数据延迟。请检查该厅叫号系统是否重复发送，或调整 limits.hall。",
            f"{WHO_EN}, all services: its ticket system is over the hall's limit "
            "({{ $labels.limit }}) and its batches are refused (429); its events are late. "
            "Check the ticket system for a resend loop or a leaked token, or raise limits.hall.",
        ),
        ctx=Context(ctx.links),
        panel=hall_panel("Ticket system: events in, batches refused"),
    )


def nowcast_stale_alerts(ctx: Context) -> list[Rule]:
    """An open hall whose nowcast the exporter no longer refreshes: its last
    one is over :data:`NOWCAST_STALE_INTERVALS` times its exporter's
    ``nowcast.every`` old (``hallmon_nowcast_interval_seconds``; at least
    :data:`NOWCAST_STALE_MIN_S`, wall clock) for :data:`NOWCAST_STALE_FOR`
    (``nowcast="stale"``), or it has had none for :data:`NOWCAST_STALE_MIN_S`
    and the ``for`` while its exporter is set to nowcast (``nowcast="never"``).
    The predictive alert, the advice and the dashboards show an old forecast
    meanwhile.

    The exporter publishes each hall's nowcast before it is ``nowcast.every``
    old (58-63 s at most at the default 60 s in the province soaks), and
    Prometheus sees it up to a scrape (15 s) late. Three intervals is more
    than a slow round reaches (one twice as long leaves a nowcast two
    intervals old), while a broken or saturated pool, or a hall whose nowcast
    fails every time, pages 4 minutes after its last nowcast at the default.
    The floor of 3 minutes keeps a short interval (the demo's 3 s) from paging
    on a scrape's or a busy event loop's delay. The threshold is each
    exporter's own (``on (instance)``): a deployment nowcasting every 5
    minutes pages once a nowcast is over 15 minutes old, not all day. The
    minute of ``for`` rides out the seconds a hall's old nowcast is the latest
    once it is due again (a ``clock: events`` hall hearing again after a quiet
    spell).

    A ``clock: events`` hall keeps its nowcast while no event comes (it would
    come out the same): its nowcast is stale only once the hall's clock has
    passed the nowcast's as-of time. Before its first event its clock is the
    wall clock and it is nowcast as a wall-clock hall is, so a hall without
    events is watched as any other.

    The "never" part reads only the exporter's setting, not whether its pool
    has finished or failed a nowcast: a pool that hangs from its start
    finishes and fails nothing, and must page too. With ``nowcast.every: 0``
    the interval is 0 and the exporter publishes no nowcast: neither part
    fires. The 4 minutes do not scale with the interval: a hall without a
    nowcast of its day is due at once, whatever the interval. Wall time at
    any time scale: the nowcast's schedule is the exporter's, in wall seconds
    (the demo nowcasts every 3 s at 60x)."""
    wall = Context(ctx.links)
    zh = (
        "超时预警、加开柜台建议和看板因此不可信。"
        "请检查 hallmon 采集器 {{ $labels.instance }} 的模拟进程（CPU、失败次数）和日志。"
    )
    en = (
        "the breach prediction, the advice and the dashboards cannot be trusted. Check the "
        "simulation workers (CPU, failures) and the log of the hallmon exporter "
        "{{ $labels.instance }}."
    )
    age = "{{ $value | humanizeDuration }}"
    panel = (*REGION, "Simulation workers' CPU by task", "")
    n, floor_min = NOWCAST_STALE_INTERVALS, NOWCAST_STALE_MIN_S // 60
    never_for = duration_text(NOWCAST_STALE_MIN_S + duration_s(NOWCAST_STALE_FOR))
    return [
        alert(
            "HallNowcastStale",
            "city",
            f"(\n{indent(NOWCAST_STALE, '  ')}\n  and on (hall)\n  hall_open == 1\n"
            f"{_NOT_CLOSED_BY_MODEL})\n{HALL_LABELS}",
            NOWCAST_STALE_FOR,
            (
                f"{WHO}（全部业务）：营业中，但排队预测（nowcast）已 {age} 未更新"
                f"（超过采集器预测间隔的{n}倍，至少{floor_min}分钟）；{zh}",
                f"{WHO_EN}, all services: open, but its nowcast is {age} old "
                f"(over {n} times its exporter's nowcast.every, {floor_min} minutes at least); "
                f"{en}",
            ),
            ctx=wall,
            panel=panel,
            nowcast="stale",
        ),
        alert(
            "HallNowcastStale",
            "city",
            "(\n"
            "  (\n"
            "    hall_open == 1\n"
            "    unless on (hall)\n"
            "    hall_nowcast_computed_timestamp_seconds\n"
            "  )\n"
            "  and on (instance)\n"
            "  hallmon_nowcast_interval_seconds > 0\n"
            f"{_NOT_CLOSED_BY_MODEL})\n"
            f"{HALL_LABELS}",
            never_for,
            (
                f"{WHO}（全部业务）：营业中，但超过{duration_s(never_for) // 60}分钟没有排队预测"
                f"（nowcast）；{zh}",
                f"{WHO_EN}, all services: open, but no nowcast for over "
                f"{duration_s(never_for) // 60} minutes; {en}",
            ),
            ctx=wall,
            panel=panel,
            nowcast="never",
        ),
    ]
