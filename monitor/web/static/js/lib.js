// Shared by the pages: reading the /v1 API, formatting what people read, and
// writing it into the page. Everything from the API is written as text
// (textContent), never as HTML, so a name like "<script>" shows as itself.

const body = document.body;
export const ROOT = body.dataset.root || ".";
export const POLL_MS = 1000 * Number(body.dataset.pollS || 5);
export const SILENT_S = Number(body.dataset.silentS || 600);
const TIMEOUT_MS = 8000;

/** The URL of an API path ("/v1/halls"), relative to the page's root. */
export function api(path) {
  return new URL(ROOT + path, window.location.href).toString();
}

/** GET a JSON document; resolves to {status, body, retryAfterS}. */
export async function getJson(path) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(api(path), {
      headers: { Accept: "application/json" },
      cache: "no-store",
      signal: controller.signal,
    });
    const text = await response.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    const retry = Number(response.headers.get("Retry-After") || "0");
    return { status: response.status, body: parsed, retryAfterS: retry };
  } finally {
    clearTimeout(timer);
  }
}

/** A duration as a hall manager reads it: "< 1 min", "12 min", "1 h 05 min". */
export function fmtWait(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 60) return "< 1 min";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = String(minutes % 60).padStart(2, "0");
  return `${h} h ${m} min`;
}

/**
 * What a customer is told about a ticket taken now, from the nowcast's median
 * and 90th percentile (never the mean: it can sit below the median and read as
 * a promise nobody keeps). ``headline``: "约 12 分钟 · about 12 min"; ``range``:
 * "九成 20 分钟内 · 9 in 10 within 20 min". When nobody waits and the median is
 * under a minute the headline is "无需等候 · no wait"; when nobody waits but
 * the counters are busy with other services, ``note`` says so. A service the
 * nowcast does not know is "unknown", not "computing". ``level`` colours the
 * headline against the target.
 */
export function customerWait(predicted, waiting, targetS, known = true) {
  const told = (zh, en, range, note, level) => ({ headline: `${zh} ${en}`, zh, en, range, note, level });
  if (!known) return told("未知业务", "unknown", "无预测 no estimate for this service", "", "none");
  const median = predicted?.median_wait_s;
  const p90 = predicted?.p90_wait_s;
  if (median === null || median === undefined || !Number.isFinite(median)) {
    return { headline: "—", zh: "—", en: "", range: "", note: "", level: "none" };
  }
  const level = waitLevel(median, targetS);
  const range =
    p90 === null || p90 === undefined ? "" : `九成 ${fmtMinutes(p90)}内 · 9 in 10 within ${fmtWait(p90)}`;
  if (waiting === 0 && median < 60) {
    return told("无需等候", "no wait", range, "现在无人等候 nobody is waiting", "ok");
  }
  const note =
    waiting === 0 ? "无人排队，柜台正忙于其他业务 · nobody in line, counters busy with other services" : "";
  return told(`约 ${fmtMinutes(median)}`, `about ${fmtWait(median)}`, range, note, level);
}

/** A duration in Chinese minutes: "12 分钟", "不到 1 分钟", "1 小时 05 分". */
export function fmtMinutes(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 60) return "不到 1 分钟";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} 分钟`;
  return `${Math.floor(minutes / 60)} 小时 ${String(minutes % 60).padStart(2, "0")} 分`;
}

/** The nowcast's call-in advice in both languages ("" when none is needed or known). */
export function adviceText(callIn) {
  if (!callIn || callIn.counters === 0) return "";
  if (callIn.counters === null) {
    return `即使加开 ${callIn.max_extra} 个柜台，30 分钟内也无法恢复达标：请调派支援 · even ${callIn.max_extra} more counters would not bring it back within target in 30 min: call for help`;
  }
  const k = callIn.counters;
  const group = callIn.group ? ` ${callIn.group}` : "";
  return `开 ${k} 个${group} 组柜台，30 分钟内恢复达标 · open ${k} more${group} counter${k > 1 ? "s" : ""} to be back within target in 30 min`;
}

/** How long ago an RFC 3339 time was, by the wall clock: "40 s", "12 min", "2 h 05 min". */
export function fmtAge(rfc3339) {
  if (!rfc3339) return "—";
  const seconds = Math.max(0, (Date.now() - Date.parse(rfc3339)) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s`;
  return fmtWait(seconds);
}

/** A share as a whole percentage ("87%"), "—" when unknown. */
export function fmtPct(share) {
  if (share === null || share === undefined || !Number.isFinite(share)) return "—";
  return `${Math.round(share * 100)}%`;
}

/** HH:MM of an RFC 3339 time in the hall's zone (its own offset, not the browser's). */
export function fmtClock(rfc3339) {
  return rfc3339 ? rfc3339.slice(11, 16) : "—";
}

/** HH:MM:SS of an RFC 3339 time in the hall's zone. */
export function fmtClockS(rfc3339) {
  return rfc3339 ? rfc3339.slice(11, 19) : "—";
}

/** Set a node's text, and its raw value in data-value (for tests and tooltips). */
export function show(node, text, raw) {
  if (!node) return;
  node.textContent = text;
  if (raw === undefined || raw === null) node.removeAttribute("data-value");
  else node.dataset.value = String(raw);
}

/** The first descendant of ``root`` with data-field="name". */
export function field(root, name) {
  return root.querySelector(`[data-field="${name}"]`);
}

/** A new element with text children only (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.dataset[toCamel(key.slice(5))] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function toCamel(name) {
  return name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}

/** Colour class of a wait against the target: ok, warn (2/3 of it), bad. */
export function waitLevel(seconds, targetS) {
  if (seconds === null || seconds === undefined) return "none";
  if (seconds >= targetS) return "bad";
  if (seconds >= (2 * targetS) / 3) return "warn";
  return "ok";
}

/**
 * What state a hall is in, from a /v1/halls line or a /state body (fields
 * open, day, last_event, silent_s, silent_limit_s, opens, closes). kind is
 * "closed", "nodata" (open, nothing received today), "silent" (open, no event
 * for silent_limit_s) or "open"; text is what the page says, in Chinese and
 * English.
 */
export function hallStatus(h) {
  const today = Boolean(h.last_event) && h.last_event.slice(0, 10) === h.day;
  const hours = h.opens ? ` ${h.opens}–${h.closes}` : "";
  if (!h.open) {
    const data = today ? "今日数据如下 today's figures below" : "今日暂无数据 no data yet today";
    return { kind: "closed", today, text: `已闭厅 Closed (hours${hours}) · ${data}` };
  }
  if (!today) {
    return {
      kind: "nodata",
      today,
      text: `暂无数据 No data: the ticket system has sent nothing today (${h.day})`,
    };
  }
  // silent past what the hall's traffic explains now (the no-events alert's limit)
  const limit = h.silent_limit_s ?? SILENT_S;
  if (h.silent_s !== null && h.silent_s !== undefined && h.silent_s >= limit) {
    const minutes = Math.floor(h.silent_s / 60);
    return {
      kind: "silent",
      today,
      text: `票务系统已 ${minutes} 分钟无数据 Ticket system silent for ${minutes} min: figures as of ${fmtClock(h.last_event)}`,
    };
  }
  return { kind: "open", today, text: "营业中 Open" };
}

/** Show (or hide, with null) the page's banner; kind "bad" or "warn". */
export function banner(text, kind = "warn") {
  const node = document.getElementById("banner");
  if (!node) return;
  if (text === null) {
    node.hidden = true;
    node.textContent = "";
    return;
  }
  node.hidden = false;
  node.className = `banner ${kind}`;
  node.textContent = text;
}

/**
 * Call ``refresh`` now and every POLL_MS after it finished. A failure keeps
 * what is shown, says since when it is stale, and tries again.
 */
export function poll(refresh) {
  let lastGood = null;
  const updated = document.getElementById("updated");
  function age() {
    if (!lastGood) return;
    const seconds = Math.max(0, Math.round((Date.now() - lastGood) / 1000));
    const text = seconds < 2 ? "刚刚更新 updated just now" : `${seconds} 秒前更新 updated ${seconds} s ago`;
    show(updated, text, new Date(lastGood).toISOString());
  }
  async function tick() {
    try {
      await refresh();
      lastGood = Date.now();
      age();
      document.body.classList.remove("stale");
    } catch (error) {
      document.body.classList.add("stale");
      const seconds = lastGood ? Math.round((Date.now() - lastGood) / 1000) : null;
      const since = seconds === null ? "no figures yet" : `showing figures from ${seconds} s ago`;
      banner(`无法连接监控服务 Cannot reach the exporter (${error.message}): ${since}`, "bad");
    } finally {
      setTimeout(tick, POLL_MS);
    }
  }
  setInterval(age, 1000);
  tick();
}

/** A response that must be 200, else an Error naming the path and status. */
export function ok(response, path) {
  if (response.status !== 200 || response.body === null) {
    throw new Error(`${path}: HTTP ${response.status}`);
  }
  return response.body;
}

/** The hall's display names: id -> name from a /state body's services or segments. */
export function names(items) {
  const out = new Map();
  for (const item of items || []) out.set(item.id, item.name || item.id);
  return out;
}
