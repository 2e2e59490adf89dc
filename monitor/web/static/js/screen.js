// "/halls/{hall}/screen": the wall screen above the ticket machine. Expected
// wait per service in large type and the tickets being called, by counter.
import {
  banner,
  customerWait,
  el,
  field,
  fmtClock,
  getJson,
  hallStatus,
  names,
  ok,
  poll,
  show,
} from "./lib.js";

const hall = document.body.dataset.hall;
const targetS = Number(document.body.dataset.targetS);
const base = `/v1/halls/${encodeURIComponent(hall)}`;
const MAX_CALLS = 6;

function tile(service) {
  for (const node of document.querySelectorAll(".screen-tile")) {
    if (node.dataset.service === service) return node;
  }
  return null;
}

function renderWaits(state, nowcast, status) {
  const waits = new Map((nowcast?.services || []).map((s) => [s.service, s]));
  for (const q of state.queue) {
    const node = tile(q.service);
    if (!node) continue; // a service the scenario does not know: not on the wall
    const predicted = waits.get(q.service);
    // closed, no data, or silent: nothing to promise
    let told = { headline: "—", range: "", note: "", level: "none" };
    if (status.kind === "open") {
      told = customerWait(predicted, q.waiting, targetS);
      if (told.headline === "—") told.headline = "…";
    }
    const huge = field(node, "expected_wait_s");
    show(huge, told.zh, predicted?.median_wait_s);
    huge.className = `huge level-${told.level}`;
    show(field(node, "wait_en"), told.en);
    show(field(node, "wait_range"), told.range, predicted?.p90_wait_s);
    const waiting = status.today ? `${q.waiting} 人等候 waiting` : "—";
    show(field(node, "waiting"), told.note && q.waiting === 0 ? told.note : waiting, q.waiting);
  }
}

function renderCalls(state, serviceNames) {
  const list = document.getElementById("calls");
  const calls = state.counters
    .filter((c) => c.busy && c.ticket)
    .sort((a, b) => (b.called_at || "").localeCompare(a.called_at || ""))
    .slice(0, MAX_CALLS);
  list.replaceChildren(
    ...calls.map((c, i) =>
      el(
        "li",
        { class: i === 0 ? "call latest" : "call", "data-ticket": c.ticket },
        el("span", { class: "call-ticket" }, c.ticket),
        el("span", { class: "call-arrow" }, "→"),
        el("span", { class: "call-counter" }, `${c.counter} 号柜台`),
        el("span", { class: "call-service" }, serviceNames.get(c.service) || c.service || ""),
      ),
    ),
  );
  show(field(document, "calls_empty"), calls.length ? "" : "暂无叫号 No ticket being called");
}

async function refresh() {
  const [stateR, nowcastR] = await Promise.all([
    getJson(`${base}/state`),
    getJson(`${base}/nowcast`),
  ]);
  const state = ok(stateR, `${base}/state`);
  const nowcast = nowcastR.status === 200 ? nowcastR.body : null;
  const status = hallStatus(state);
  show(field(document, "clock"), fmtClock(state.now), state.now);
  const statusNode = field(document, "status");
  show(statusNode, status.text, status.kind);
  // the wall faces customers: say what they need; the footer keeps the detail
  let notice = null;
  if (status.kind === "closed") {
    const hours = state.opens ? ` · 营业时间 Opening hours ${state.opens}–${state.closes}` : "";
    notice = `已闭厅 Closed${hours}`;
  } else if (status.kind !== "open") {
    notice = "暂无等候时间信息 Waiting times are not available right now";
  }
  banner(notice, status.kind === "silent" ? "bad" : "warn");
  document.body.dataset.status = status.kind;
  renderWaits(state, nowcast, status);
  renderCalls(state, names(state.services));
  document.body.dataset.now = state.now || "";
  document.body.dataset.nowcastAt = nowcast?.as_of || "";
}

poll(refresh);
