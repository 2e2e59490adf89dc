// "/halls/{hall}": one hall for its manager. Polls /state, /nowcast, /history
// (and /v1/alerts when alerts are configured); reads /forecast once a day
// (again while it is being computed).
import uPlot from "../vendor/uplot/uPlot.esm.js";
import {
  adviceText,
  banner,
  customerWait,
  el,
  field,
  fmtAge,
  fmtClock,
  fmtPct,
  fmtWait,
  getJson,
  hallStatus,
  names,
  ok,
  poll,
  show,
  waitLevel,
} from "./lib.js";

const hall = document.body.dataset.hall;
const alertsOn = document.body.dataset.alerts === "on";
const RUNG = { hall_manager: "厅经理 hall manager", district: "区县主管 district", city: "城市运营中心 city", info: "供参考 info" };
const STATE = { firing: "告警中 firing", pending: "待定 pending", inhibited: "已被上级抑制 inhibited", silenced: "已静默 silenced" };
const targetS = Number(document.body.dataset.targetS);
const base = `/v1/halls/${encodeURIComponent(hall)}`;
const ROOT_PATH = document.body.dataset.root || "..";
const HORIZONS = ["0m", "15m", "30m", "60m"];
let forecast = { day: null, body: null, note: "", retryAt: 0 };
const charts = new Map(); // service -> uPlot
const HOUR_STEPS = [3600, 7200, 10800, 14400, 21600];
const chartHeight = () => (window.innerWidth < 700 ? 150 : 190);

/** The element for ``service`` among ``selector``, made from ``make`` if new. */
function forService(container, selector, service, make) {
  for (const node of container.querySelectorAll(selector)) {
    if (node.dataset.service === service) return node;
  }
  const node = make();
  node.dataset.service = service;
  container.append(node);
  return node;
}

function newTile(label) {
  return el(
    "article",
    { class: "wait-tile" },
    el("h3", {}, label),
    el("p", { class: "big", "data-field": "expected_wait_s" }, "—"),
    el("p", { class: "big-en", "data-field": "wait_en" }, ""),
    el("p", { class: "range", "data-field": "wait_range" }, ""),
    el("p", { class: "range", "data-field": "wait_note" }, ""),
    el(
      "p",
      { class: "sub" },
      el("span", { "data-field": "waiting" }, "—"),
      " 人等候 waiting · 最久 oldest ",
      el("span", { "data-field": "oldest_wait_s" }, "—"),
      " ",
      el("span", { class: "ticket", "data-field": "oldest_ticket" }, ""),
    ),
    el("p", { class: "sub", "data-field": "on_the_way", hidden: "" }, ""),
  );
}

function renderTiles(state, nowcast, status, serviceNames) {
  const container = document.querySelector(".wait-tiles");
  const waits = new Map((nowcast?.services || []).map((s) => [s.service, s]));
  for (const q of state.queue) {
    const tile = forService(container, ".wait-tile", q.service, () =>
      newTile(serviceNames.get(q.service) || q.service),
    );
    const live = status.today;
    const predicted = waits.get(q.service);
    let told = { zh: "—", en: "", range: "", note: "", level: "none" };
    if (status.kind === "open" || status.kind === "silent") {
      told = customerWait(predicted, q.waiting, targetS, serviceNames.has(q.service));
      if (told.zh === "—") told = { ...told, zh: "计算中", en: "computing…" }; // first nowcast due
    } else if (status.kind === "closed") told = { ...told, zh: "闭厅", en: "closed" };
    const big = field(tile, "expected_wait_s");
    show(big, told.zh, predicted?.median_wait_s);
    big.className = `big level-${told.level}`;
    show(field(tile, "wait_en"), told.en);
    show(field(tile, "wait_range"), told.range, predicted?.p90_wait_s);
    show(field(tile, "wait_note"), told.note);
    show(field(tile, "waiting"), live ? String(q.waiting) : "—", q.waiting);
    const oldest = field(tile, "oldest_wait_s");
    show(oldest, live ? fmtWait(q.waiting ? q.oldest_wait_s : null) : "—", q.oldest_wait_s);
    oldest.className = `level-${q.waiting ? waitLevel(q.oldest_wait_s, targetS) : "none"}`;
    show(field(tile, "oldest_ticket"), q.oldest_ticket ? `#${q.oldest_ticket}` : "");
    // remote tickets whose holder is not in the hall yet: in the queue, not in the room
    const away = field(tile, "on_the_way");
    away.hidden = !live || !q.on_the_way;
    show(away, `其中 ${q.on_the_way} 人远程取号在途 ${q.on_the_way} of them remote, on the way`, q.on_the_way);
  }
  const asOf = status.kind === "nodata" ? null : nowcast?.as_of || nowcast?.computed_at;
  let note = "预测尚未计算 The nowcast has not run yet for this hall today.";
  if (status.kind === "closed") note = dayEnded(state);
  else if (asOf) {
    note = `按 ${fmtClock(asOf)} 的排队情况模拟 Simulated from the queue at ${fmtClock(asOf)}, as a ticket printer or SMS would tell a customer.`;
  } else if (status.kind === "nodata") note = "今日暂无数据 No data today: no expected wait to show.";
  show(field(document, "nowcast_note"), note);
}

/** How a closed hall's day ended: its share called in time against the objective. */
function dayEnded(state) {
  const share = state.called_within_target;
  if (share === null || share === undefined) return "已闭厅，今日无叫号 Closed: nobody was called today.";
  const met = share >= state.objective ? "达标 met" : "未达标 missed";
  return `已闭厅：今日 ${fmtPct(share)} 按时叫号，目标 ${fmtPct(state.objective)}（${met}） · Closed: ${fmtPct(share)} called in time today against ${fmtPct(state.objective)}.`;
}

function renderFloor(state, nowcast, status) {
  const plan = state.plan;
  const live = status.kind === "open" || status.kind === "silent";
  const opened = field(document, "plan_open");
  show(opened, plan && live ? String(plan.open) : "—", plan?.open);
  opened.className = plan && live && plan.open < plan.planned ? "level-bad" : "";
  show(field(document, "plan_planned"), plan && live ? String(plan.planned) : "—", plan?.planned);
  show(
    field(document, "plan_source"),
    plan ? (plan.source === "roster" ? "按排班 from the roster" : "按场景排班 from the scenario's schedule") : "",
  );
  const groups = field(document, "plan_groups");
  groups.replaceChildren(
    ...(plan && live ? plan.by_group : [])
      .filter((g) => g.planned || g.open)
      .map((g) =>
        el(
          "li",
          { class: g.open < g.planned ? "level-bad" : "", "data-group": g.group },
          `${g.group}: ${g.open}/${g.planned}`,
        ),
      ),
  );
  const callIn = live ? nowcast?.call_in : null;
  const advice = field(document, "advice");
  let text = adviceText(callIn);
  let kind = callIn && callIn.counters !== 0 ? "bad" : "ok";
  if (!text && callIn) {
    text = "30 分钟后取号预计在目标内，无需加开柜台 · a ticket taken in 30 min is expected within target: no extra counter needed";
  } else if (!text) text = "—";
  if (!callIn) kind = "none";
  show(advice, text, callIn ? String(callIn.counters) : null);
  advice.className = `advice-text level-${kind}`;
  show(
    field(document, "advice_note"),
    callIn && callIn.counters !== 0
      ? `模拟未来一小时：现在 ${fmtPct(callIn.breach_probability_now)} 的顾客 30 分钟后取号会超时（允许 ${fmtPct(callIn.budget)}）。 Simulated: ${fmtPct(callIn.breach_probability_now)} of customers taking a ticket in 30 min would wait past the target (${fmtPct(callIn.budget)} allowed)${callIn.breach_probability === null ? "" : `; with them ${fmtPct(callIn.breach_probability)}`}.`
      : "",
  );
}

function renderAlerts(body) {
  const list = document.getElementById("alert-list");
  if (!list) return;
  const mine = body?.halls?.[hall];
  const alerts = mine?.alerts || [];
  list.replaceChildren(
    ...alerts.map((a) => {
      const [zh, en] = (a.summary || "").split("\n");
      const runbook = a.runbook_url || `${ROOT_PATH}/runbook#${a.alertname.toLowerCase()}`;
      const links = [el("a", { href: runbook, rel: "noreferrer" }, "处置手册 runbook")];
      if (a.dashboard_url) links.push(" · ", el("a", { href: a.dashboard_url, rel: "noreferrer" }, "看板 dashboard"));
      return el(
        "li",
        { class: `alert rung-${a.rung} state-${a.state}`, "data-alert": a.alertname, "data-rung": a.rung, "data-state": a.state },
        el("span", { class: "alert-rung" }, RUNG[a.rung] || a.rung),
        el("b", { class: "alert-name" }, a.alertname + (a.service ? ` · ${a.service}` : "")),
        el("span", { class: "alert-state" }, `${STATE[a.state] || a.state} · ${fmtAge(a.since)}`),
        el("span", { class: "alert-text" }, zh || ""),
        el("span", { class: "alert-text en" }, en || ""),
        el("span", { class: "alert-links" }, ...links),
      );
    }),
  );
  const counts = mine
    ? `厅 ${mine.hall_manager} · 区 ${mine.district} · 市 ${mine.city}${mine.info ? ` · 参考 ${mine.info}` : ""}`
    : "";
  show(field(document, "alerts_summary"), counts);
  let note = alerts.length ? "" : "无告警 No alert for this hall.";
  if (body && body.reachable === false) note = `告警服务无法连接 Alerts unavailable (${body.error})`;
  else if (body && !body.pending) note += " 仅显示已触发的告警 Firing alerts only (no Prometheus configured).";
  show(field(document, "alerts_note"), note.trim());
}

function renderToday(state, status) {
  const t = state.totals;
  const live = status.today;
  show(field(document, "day"), state.day);
  for (const [name, value] of [
    ["issued", t.issued],
    ["served", t.served],
    ["no_shows", t.no_shows],
    ["abandoned", t.abandoned],
    ["waiting_total", t.waiting],
    ["on_the_way_total", state.queue.reduce((n, q) => n + (q.on_the_way || 0), 0)],
  ]) {
    show(field(document, name), live ? String(value) : "—", value);
  }
  const share = field(document, "called_within_target");
  show(share, fmtPct(state.called_within_target), state.called_within_target);
  share.className =
    state.called_within_target === null
      ? ""
      : state.called_within_target < state.objective
        ? "level-bad"
        : "level-ok";
}

function renderNowcast(nowcast, serviceNames, status) {
  // without a word from the ticket system today the nowcast starts from nothing known
  if (status.kind === "nodata") nowcast = null;
  const table = document.getElementById("nowcast-table");
  const tbody = table.tBodies[0];
  for (const row of tbody.rows) {
    for (const cell of row.querySelectorAll("[data-horizon]")) show(cell, "—", null);
  }
  for (const s of nowcast?.services || []) {
    const row = forService(tbody, "tr", s.service, () =>
      el(
        "tr",
        {},
        el("th", {}, serviceNames.get(s.service) || s.service),
        ...HORIZONS.map((h) => el("td", { "data-horizon": h }, "—")),
      ),
    );
    for (const h of HORIZONS) {
      const cell = row.querySelector(`[data-horizon="${h}"]`);
      const value = s.horizons?.[h]?.median_s ?? null;
      show(cell, fmtWait(value), value);
      cell.className = `level-${waitLevel(value, targetS)}`;
    }
  }
  const breach = table.querySelector('[data-field="breach"]');
  for (const h of HORIZONS) {
    const value = nowcast?.breach_probability ? nowcast.breach_probability[h] : null;
    show(breach.querySelector(`[data-horizon="${h}"]`), fmtPct(value), value);
  }
  const asOf = nowcast?.as_of || nowcast?.computed_at;
  show(
    field(document, "nowcast_as_of"),
    asOf
      ? `从 ${fmtClock(asOf)} 的实际状态向前模拟。 Simulated forward from the hall's state at ${fmtClock(asOf)}.`
      : status.kind === "nodata"
        ? "今日暂无数据，无法预测 No data today: no nowcast to show."
        : status.kind === "closed"
          ? "已闭厅，无需预测 Closed: no nowcast."
          : "尚无预测（尚未计算） No nowcast yet (not computed).",
  );
}

function renderPercentiles(state, serviceNames) {
  const tbody = document.getElementById("percentile-table").tBodies[0];
  const total = tbody.querySelector('tr[data-service="*"]');
  const services = [...state.services.map((s) => s.id), "*"];
  for (const svc of Object.keys(state.wait_percentiles)) {
    if (!services.includes(svc)) services.splice(services.length - 1, 0, svc);
  }
  for (const svc of services) {
    const row = forService(tbody, "tr", svc, () => {
      const tr = el(
        "tr",
        {},
        el("th", {}, serviceNames.get(svc) || svc),
        ...["p50_s", "p90_s", "p95_s", "max_s", "n"].map((q) => el("td", { "data-q": q }, "—")),
      );
      return tr;
    });
    if (svc !== "*" && row.nextSibling !== total) tbody.insertBefore(row, total);
    const q = state.wait_percentiles[svc];
    for (const key of ["p50_s", "p90_s", "p95_s", "max_s"]) {
      const cell = row.querySelector(`[data-q="${key}"]`);
      show(cell, q ? fmtWait(q[key]) : "—", q ? q[key] : null);
      cell.className = q ? `level-${waitLevel(q[key], targetS)}` : "";
    }
    show(row.querySelector('[data-q="n"]'), q ? String(q.n) : "0", q ? q.n : 0);
  }
}

function renderCounters(state, serviceNames, status) {
  const list = document.getElementById("counters");
  for (const c of state.counters) {
    const item = [...list.children].find((n) => n.dataset.counter === c.counter) ||
      list.appendChild(
        el(
          "li",
          { class: "counter", "data-counter": c.counter },
          el("b", {}, c.counter),
          " ",
          el("span", { "data-field": "state" }, "—"),
          el("span", { class: "now", "data-field": "now" }, ""),
          el("small", { "data-field": "called_today" }, ""),
        ),
      );
    let kind = c.busy ? "busy" : c.open ? "open" : "closed";
    if (status.kind === "nodata") kind = "unknown"; // nothing logged today: not "closed"
    item.className = `counter ${kind === "unknown" ? "closed" : kind}`;
    const label = {
      busy: "办理中 busy",
      open: "空闲 free",
      closed: "关闭 closed",
      unknown: "无数据 no data",
    }[kind];
    show(field(item, "state"), label, kind);
    show(
      field(item, "now"),
      c.ticket ? `#${c.ticket} ${serviceNames.get(c.service) || c.service || ""}` : "",
      c.ticket,
    );
    show(field(item, "called_today"), `今日叫号 called today ${c.called_today}`, c.called_today);
  }
  show(
    field(document, "counters_summary"),
    `${state.counters_busy} 办理中 busy / ${state.counters_open} 开放 open`,
  );
}

/** Seconds after local midnight of an RFC 3339 time, in its own offset. */
function localSeconds(rfc3339) {
  const [h, m, s] = rfc3339.slice(11, 19).split(":").map(Number);
  return h * 3600 + m * 60 + s;
}

function axisClock(_, values) {
  return values.map((v) => {
    const h = Math.floor(v / 3600);
    const m = Math.round((v % 3600) / 60);
    return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
  });
}

function chartData(service, history, known) {
  const intervals = forecast.body?.intervals || history.intervals;
  const xs = intervals.map((i) => (i.start_s + i.end_s) / 2);
  const actual = new Map(history.intervals.map((i) => [i.start_s, i.services[service]]));
  const cell = (i) => (forecast.body ? i.services[service]?.queue_length : null);
  const mean = intervals.map((i) => cell(i)?.mean ?? null);
  const half = intervals.map((i) => cell(i)?.ci95_half_width ?? 0);
  return [
    xs,
    mean.map((m, k) => (m === null ? null : Math.max(0, m - half[k]))),
    mean.map((m, k) => (m === null ? null : m + half[k])),
    mean,
    intervals.map((i) => (known ? (actual.get(i.start_s)?.queue_length ?? null) : null)),
  ];
}

function renderCharts(history, known) {
  for (const figure of document.querySelectorAll(".chart")) {
    const service = figure.dataset.service;
    const data = chartData(service, history, known);
    const box = figure.querySelector(".chart-box");
    let chart = charts.get(service);
    if (!chart) {
      const width = Math.max(260, box.clientWidth);
      chart = new uPlot(
        {
          width,
          height: chartHeight(),
          scales: { x: { time: false } },
          legend: { show: false },
          cursor: { show: false },
          axes: [
            { values: axisClock, incrs: HOUR_STEPS, space: 45, stroke: "#555" },
            { label: "排队 tickets", stroke: "#555", size: 50 },
          ],
          series: [
            {},
            { stroke: "transparent", points: { show: false } },
            { stroke: "transparent", points: { show: false } },
            { stroke: "#7a7a7a", dash: [6, 4], width: 1.5, points: { show: false } },
            { stroke: "#0b5fff", width: 2.5, points: { show: false } },
          ],
          bands: [{ series: [2, 1], fill: "rgba(120,120,120,0.22)" }],
        },
        data,
        box,
      );
      charts.set(service, chart);
    } else {
      chart.setData(data);
    }
  }
}

async function refreshForecast(day) {
  if (forecast.day === day && (forecast.body || Date.now() < forecast.retryAt)) return;
  const response = await getJson(`${base}/forecast`);
  if (response.status === 200) {
    forecast = { day, body: response.body, note: "", retryAt: 0 };
  } else if (response.status === 503) {
    forecast = {
      day,
      body: null,
      note: "预测计算中 The forecast is being computed.",
      retryAt: Date.now() + 1000 * Math.max(5, response.retryAfterS),
    };
  } else {
    forecast = {
      day,
      body: null,
      note: "无预测 No forecast (turned off in the config).",
      retryAt: Date.now() + 600000,
    };
  }
}

async function refresh() {
  const [stateR, nowcastR, historyR, alertsR] = await Promise.all([
    getJson(`${base}/state`),
    getJson(`${base}/nowcast`),
    getJson(`${base}/history`),
    alertsOn ? getJson("/v1/alerts") : Promise.resolve(null),
  ]);
  const state = ok(stateR, `${base}/state`);
  const nowcast = nowcastR.status === 200 ? nowcastR.body : null;
  const history = ok(historyR, `${base}/history`);
  await refreshForecast(state.day);
  const serviceNames = names(state.services);
  const status = hallStatus(state);
  const statusNode = field(document, "status");
  show(statusNode, status.text, status.kind);
  statusNode.className = `status ${status.kind}`;
  show(
    field(document, "clock"),
    `营业厅时间 hall time ${fmtClock(state.now)}${state.clock === "events" ? " (按事件 following the events)" : ""}`,
    state.now,
  );
  banner(status.kind === "open" ? null : status.text, status.kind === "silent" ? "bad" : "warn");
  document.body.dataset.status = status.kind;
  renderFloor(state, nowcast, status);
  renderAlerts(alertsR?.status === 200 ? alertsR.body : null);
  renderTiles(state, nowcast, status, serviceNames);
  renderToday(state, status);
  renderNowcast(nowcast, serviceNames, status);
  renderPercentiles(state, serviceNames);
  renderCounters(state, serviceNames, status);
  show(field(document, "forecast_note"), forecast.note);
  renderCharts(history, status.today);
  document.body.dataset.now = state.now || "";
  document.body.dataset.nowcastAt = nowcast?.as_of || "";
}

window.addEventListener("resize", () => {
  for (const [service, chart] of charts) {
    const box = document.querySelector(`.chart[data-service="${CSS.escape(service)}"] .chart-box`);
    if (box) chart.setSize({ width: Math.max(260, box.clientWidth), height: chartHeight() });
  }
});

poll(refresh);
