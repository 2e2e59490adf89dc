// The hall page's two lines about its model: where the model in use came from
// (fitted when, from how many days, and how it did against the model it
// replaced; or "learning: 4 of 7 days"), and what today's drift test says
// ("arrivals running 35% above the model since 10:30"), or that the model
// keeps the hall closed today (nothing is simulated for it then). Reads
// /v1/halls/{hall}/model; a failure leaves the lines as they were.
import { POLL_MS, field, fmtClock, getJson, show } from "./lib.js";

const hall = document.body.dataset.hall;
const path = `/v1/halls/${encodeURIComponent(hall)}/model?limit=0`;
const EVERY_MS = Math.max(POLL_MS, 30000); // a model changes nightly, a drift test each minute
const QUANTITY = {
  arrivals: ["到达", "arrivals"],
  service: ["办理时长", "service times"],
  no_show: ["过号", "no-shows"],
};
const SOURCE = {
  configured: "配置的场景 the configured scenario",
  cold_start: "新厅默认模型 the cold-start model of a new hall",
};

/** The day and time of an RFC 3339 stamp: "03:10", or "12-05 03:10" another day. */
function when(rfc3339, today) {
  const day = rfc3339.slice(0, 10);
  return day === today ? fmtClock(rfc3339) : `${day.slice(5)} ${fmtClock(rfc3339)}`;
}

function pct(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value)}%`;
}

function learningText(learning) {
  if (!learning.enabled) return "未开启夜间学习，模型不自动更新 · nightly learning is off: the model is not updated";
  if (learning.running) return "正在拟合 a fit is running";
  if (learning.days !== null && learning.days < learning.needed) {
    return `学习中 ${learning.days}/${learning.needed} 天 · learning: ${learning.days} of ${learning.needed} days`;
  }
  return "";
}

export function modelText(model, today) {
  const parts = [];
  if (model.source === "fitted") {
    const days = model.fitted_days.length;
    const at = when(model.created_at, today);
    let text = `模型 ${at} 用 ${days} 天数据拟合 · model fitted ${at} from ${days} days`;
    const b = model.backtest;
    if (b) {
      const scores = `wMAPE ${pct(b.replaced.arrivals_wmape)} → ${pct(b.candidate.arrivals_wmape)}`;
      text += ` (优于上一版 better than the previous one: ${scores})`;
    }
    parts.push(text);
  } else {
    parts.push(`模型 model: ${SOURCE[model.source] || model.source}`);
  }
  if (model.pinned) parts.push("已固定 pinned");
  const learning = learningText(model.learning);
  if (learning) parts.push(learning);
  return parts.join(" · ");
}

/** Said when the model in use keeps the hall closed today: no prediction. */
export function closedText(model) {
  if (model.open_today !== false) return "";
  return "在用模型今天不营业：今天没有排队预测、预报和偏离检测 · " +
    "the model in use keeps the hall closed today: no nowcast, forecast or drift test";
}

export function driftText(drift) {
  if (!drift || !drift.drifting) return "";
  const lines = [];
  for (const [name, q] of Object.entries(drift.quantities)) {
    if (!q.drifting || q.ratio === null) continue;
    const [zh, en] = QUANTITY[name] || [name, name];
    const off = Math.round(Math.abs(q.ratio - 1) * 100);
    const way = q.ratio >= 1 ? ["高于", "above"] : ["低于", "below"];
    lines.push(
      `${zh}自 ${q.since} 起${way[0]}模型 ${off}% · ${en} running ${off}% ${way[1]} the model since ${q.since}`,
    );
  }
  return lines.join("; ");
}

async function refresh() {
  const response = await getJson(path);
  if (response.status !== 200 || !response.body) return;
  const model = response.body;
  const today = document.body.dataset.now ? document.body.dataset.now.slice(0, 10) : "";
  const line = field(document, "model");
  show(line, modelText(model, today), model.version);
  const drift = field(document, "drift");
  const closed = closedText(model);
  const text = closed || driftText(model.drift);
  show(drift, text, closed ? "closed" : model.drift ? String(model.drift.drifting) : null);
  drift.hidden = !text;
}

async function tick() {
  try {
    await refresh();
  } catch {
    // the page's own poll reports an unreachable exporter
  } finally {
    setTimeout(tick, EVERY_MS);
  }
}

tick();
