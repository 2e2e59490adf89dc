// "/": every hall served here, sorted by risk, filtered by city and district.
import {
  adviceText,
  banner,
  field,
  fmtClock,
  fmtMinutes,
  fmtPct,
  fmtWait,
  getJson,
  hallStatus,
  ok,
  poll,
  show,
  waitLevel,
} from "./lib.js";

const grid = document.getElementById("halls");
const cards = new Map([...grid.querySelectorAll(".hall-card")].map((c) => [c.dataset.hall, c]));
const citySelect = document.getElementById("city");
const districtSelect = document.getElementById("district");
const alertsOn = document.body.dataset.alerts === "on";
const RANK = { red: 0, amber: 1, green: 2, grey: 3 };

/** Risk of a hall: its colour and a score to sort by (higher: worse). A
 * closed hall is coloured by how its day ended (share called in time against
 * its objective), sorted after the open ones. */
function risk(h, status, alerts) {
  const share = h.called_within_target_today;
  if (status.kind === "closed") {
    if (share === null) return { level: "grey", score: 0, closed: true };
    return { level: share < h.objective ? "red" : "green", score: 0, closed: true };
  }
  if (status.kind !== "open") return { level: "grey", score: 0, closed: false };
  const target = h.target_wait_s;
  const wait = h.median_wait_s ?? h.expected_wait_s ?? 0;
  const ratio = Math.max(h.oldest_wait_s / target, wait / target);
  const short = h.counters_planned !== null && h.counters_open < h.counters_planned;
  const high = alerts ? alerts.district + alerts.city : 0;
  const low = alerts ? alerts.hall_manager : 0;
  let level = "green";
  if (ratio >= 1 || (share !== null && share < h.objective) || high > 0) level = "red";
  else if (ratio >= 2 / 3 || (share !== null && share < h.objective + 0.05) || low > 0 || short) {
    level = "amber";
  }
  return { level, score: ratio + high + low / 2 + (short ? 0.5 : 0), closed: false };
}

/** Colour one figure: ``level`` ok, warn, bad or none ("" leaves it plain). */
function mark(node, level) {
  if (node) node.className = level && level !== "ok" && level !== "none" ? `level-${level}` : "";
}

function render(h, alerts) {
  const card = cards.get(h.id);
  if (!card) return null;
  const status = hallStatus(h);
  const live = status.today;
  const open = status.kind === "open" || status.kind === "silent";
  const statusNode = field(card, "status");
  const clock = `营业厅时间 hall time ${fmtClock(h.now)}`;
  let text = status.text;
  const share = h.called_within_target_today;
  if (status.kind === "closed" && share !== null) {
    const met = share >= h.objective ? "达标 met" : "未达标 missed";
    text = `已闭厅 Closed · 今日 ${fmtPct(share)} 按时叫号，目标 ${fmtPct(h.objective)}（${met}） · ${fmtPct(share)} called in time today against ${fmtPct(h.objective)}`;
  }
  show(statusNode, `${text} · ${clock}`, status.kind);
  statusNode.className = `status ${status.kind}`;
  show(field(card, "queue_length"), live ? String(h.queue_length) : "—", h.queue_length);
  const wait = h.median_wait_s;
  let expected = "—";
  if (open && live && wait !== null) {
    expected = wait < 60 && h.queue_length === 0 ? "无需等候" : `约 ${fmtMinutes(wait)}`;
  }
  else if (open && live && h.nowcast_at) expected = "—";
  else if (open && live) expected = "计算中 computing…";
  const expectedNode = field(card, "expected_wait_s");
  show(expectedNode, expected, wait);
  mark(expectedNode, open && live ? waitLevel(wait, h.target_wait_s) : "none");
  const oldest = live && h.queue_length ? fmtWait(h.oldest_wait_s) : "—";
  const oldestNode = field(card, "oldest_wait_s");
  show(oldestNode, oldest, h.oldest_wait_s);
  mark(oldestNode, live && h.queue_length ? waitLevel(h.oldest_wait_s, h.target_wait_s) : "none");
  const shareNode = field(card, "called_within_target_today");
  show(shareNode, fmtPct(share), share);
  mark(shareNode, share === null ? "none" : share < h.objective ? "bad" : share < h.objective + 0.05 ? "warn" : "ok");
  const gone = h.no_shows_today + h.abandoned_today;
  show(field(card, "gave_up"), h.issued_today ? fmtPct(gone / h.issued_today) : "—", gone);
  show(
    field(card, "gave_up_detail"),
    live
      ? `过号 no-show ${h.no_shows_today} · 离开 left ${h.abandoned_today} / 取号 issued ${h.issued_today}`
      : "",
  );
  const planned = h.counters_planned;
  const counters = planned === null ? `${h.counters_open}` : `${h.counters_open} / ${planned}`;
  const countersNode = field(card, "counters");
  show(countersNode, live && open ? counters : "—", counters);
  mark(countersNode, live && open && planned !== null && h.counters_open < planned ? "bad" : "none");
  show(field(card, "counters_detail"), live && open ? `忙 busy ${h.counters_busy}` : "");
  const advice = open ? adviceText(h.call_in) : "";
  const adviceNode = field(card, "advice");
  show(adviceNode, advice);
  adviceNode.className = advice ? "advice-line level-bad" : "advice-line";
  if (alertsOn) {
    const a = alerts || { hall_manager: 0, district: 0, city: 0, names: [] };
    const counts = `${a.hall_manager} / ${a.district} / ${a.city}`;
    const alertNode = field(card, "alerts");
    show(alertNode, counts, counts);
    mark(alertNode, a.district + a.city > 0 ? "bad" : a.hall_manager > 0 ? "warn" : "none");
    const listed = a.names.length ? ` · ${a.names.join(", ")}` : "";
    show(field(card, "alert_names"), `厅 hall / 区 district / 市 city${listed}`);
  }
  const r = risk(h, status, alerts);
  card.className = `hall-card risk-${r.level}${r.closed ? " closed" : ""}`;
  card.dataset.risk = r.level;
  card.dataset.now = h.now;
  card.dataset.nowcastAt = h.nowcast_at || "";
  return r;
}

function applyFilters() {
  const city = citySelect.value;
  const district = districtSelect.value;
  for (const option of districtSelect.options) {
    option.hidden = Boolean(option.value && city && option.dataset.city !== city);
  }
  let shown = 0;
  for (const card of cards.values()) {
    const visible =
      (!city || card.dataset.city === city) && (!district || card.dataset.district === district);
    card.hidden = !visible;
    if (visible) shown += 1;
  }
  show(document.getElementById("shown"), `${shown} / ${cards.size} 个营业厅 halls`);
  const params = new URLSearchParams();
  if (city) params.set("city", city);
  if (district) params.set("district", district);
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : window.location.pathname);
}

async function refresh() {
  const halls = ok(await getJson("/v1/halls"), "/v1/halls");
  let alerts = null;
  let alertNote = null;
  if (alertsOn) {
    const response = await getJson("/v1/alerts");
    if (response.status === 200 && response.body) {
      alerts = response.body;
      if (alerts.reachable === false) {
        alertNote = `告警服务无法连接 Alerts unreachable (${alerts.error}): alerts not shown`;
      }
    }
  }
  const order = [];
  for (const h of halls) {
    const r = render(h, alerts && alerts.reachable ? alerts.halls[h.id] : null);
    if (r) order.push([r.closed ? 1 : 0, RANK[r.level], -r.score, h.name, h.id]);
  }
  // open halls first, worst first; then the closed ones, those that missed first
  order.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3].localeCompare(b[3]));
  for (const [, , , , id] of order) grid.append(cards.get(id));
  banner(alertNote);
  applyFilters();
}

const params = new URLSearchParams(window.location.search);
citySelect.value = params.get("city") || "";
districtSelect.value = params.get("district") || "";
citySelect.addEventListener("change", () => {
  districtSelect.value = "";
  applyFilters();
});
districtSelect.addEventListener("change", applyFilters);
applyFilters();
poll(refresh);
