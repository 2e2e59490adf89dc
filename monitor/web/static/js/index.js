// "/": every hall served here, sorted by risk, filtered by city and district.
import {
  banner,
  field,
  fmtClock,
  fmtPct,
  fmtWait,
  getJson,
  hallStatus,
  ok,
  poll,
  show,
} from "./lib.js";

const grid = document.getElementById("halls");
const cards = new Map([...grid.querySelectorAll(".hall-card")].map((c) => [c.dataset.hall, c]));
const citySelect = document.getElementById("city");
const districtSelect = document.getElementById("district");
const alertsOn = document.body.dataset.alerts === "on";
const RANK = { red: 0, amber: 1, green: 2, grey: 3 };

/** Risk of a hall: its colour and a score to sort by (higher: worse). */
function risk(h, status, alerts) {
  if (status.kind !== "open") return { level: "grey", score: 0 };
  const target = h.target_wait_s;
  const ratio = Math.max(h.oldest_wait_s / target, (h.expected_wait_s ?? 0) / target);
  const share = h.called_within_target_today;
  const high = alerts ? alerts.district + alerts.city : 0;
  const low = alerts ? alerts.hall_manager : 0;
  let level = "green";
  if (ratio >= 1 || (share !== null && share < h.objective) || high > 0) level = "red";
  else if (ratio >= 2 / 3 || (share !== null && share < h.objective + 0.05) || low > 0) {
    level = "amber";
  }
  return { level, score: ratio + high + low / 2 };
}

function render(h, alerts) {
  const card = cards.get(h.id);
  if (!card) return null;
  const status = hallStatus(h);
  const live = status.today;
  const statusNode = field(card, "status");
  const clock = `营业厅时间 hall time ${fmtClock(h.now)}`;
  show(statusNode, `${status.text} · ${clock}`, status.kind);
  statusNode.className = `status ${status.kind}`;
  show(field(card, "queue_length"), live ? String(h.queue_length) : "—", h.queue_length);
  let expected = "—";
  if (h.open && live && h.expected_wait_s !== null) expected = fmtWait(h.expected_wait_s);
  else if (h.open && live) expected = "计算中 computing…";
  show(field(card, "expected_wait_s"), expected, h.expected_wait_s);
  const oldest = live && h.queue_length ? fmtWait(h.oldest_wait_s) : "—";
  show(field(card, "oldest_wait_s"), oldest, h.oldest_wait_s);
  show(
    field(card, "called_within_target_today"),
    fmtPct(h.called_within_target_today),
    h.called_within_target_today,
  );
  const gone = h.no_shows_today + h.abandoned_today;
  show(field(card, "gave_up"), h.issued_today ? fmtPct(gone / h.issued_today) : "—", gone);
  show(
    field(card, "gave_up_detail"),
    live
      ? `过号 no-show ${h.no_shows_today} · 离开 left ${h.abandoned_today} / 取号 issued ${h.issued_today}`
      : "",
  );
  const counters = `${h.counters_busy} / ${h.counters_open}`;
  show(field(card, "counters"), live ? counters : "—", counters);
  if (alertsOn) {
    const a = alerts || { hall_manager: 0, district: 0, city: 0, names: [] };
    const counts = `${a.hall_manager} / ${a.district} / ${a.city}`;
    show(field(card, "alerts"), counts, counts);
    const listed = a.names.length ? ` · ${a.names.join(", ")}` : "";
    show(field(card, "alert_names"), `厅 hall / 区 district / 市 city${listed}`);
  }
  const r = risk(h, status, alerts);
  card.className = `hall-card risk-${r.level}`;
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
        alertNote = `告警服务无法连接 Alertmanager unreachable (${alerts.error}): alerts not shown`;
      }
    }
  }
  const order = [];
  for (const h of halls) {
    const r = render(h, alerts && alerts.reachable ? alerts.halls[h.id] : null);
    if (r) order.push([RANK[r.level], -r.score, h.name, h.id]);
  }
  order.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2].localeCompare(b[2]));
  for (const [, , , id] of order) grid.append(cards.get(id));
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
