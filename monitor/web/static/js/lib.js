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

/** "半数 4 min 内，最多 9 min · half wait 4 min or less, at most 9 min": the nowcast's median and
 * 90th percentile, as a customer would be told; "" when either is unknown. */
export function fmtRange(predicted) {
  const median = predicted?.median_wait_s;
  const p90 = predicted?.p90_wait_s;
  if (median === null || median === undefined || p90 === null || p90 === undefined) return "";
  const m = fmtWait(median);
  const hi = fmtWait(p90);
  return `半数 ${m} 内，最多 ${hi} · half wait ${m} or less, at most ${hi}`;
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
 * open, day, last_event, silent_s, opens, closes). kind is "closed", "nodata"
 * (open, nothing received today), "silent" (open, no event for SILENT_S) or
 * "open"; text is what the page says, in Chinese and English.
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
  if (h.silent_s !== null && h.silent_s !== undefined && h.silent_s >= SILENT_S) {
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
