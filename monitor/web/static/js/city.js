// "/cities/{city}": the city's halls on its outline (Leaflet, no tiles: the
// outline comes from /v1/cities/{city}/outline), coloured by the predicted
// wait of the chosen service against each hall's target, with the ranking of
// /v1/cities/{city}/halls beside the map (below it on a phone). A click on
// the map sets the customer's location: the ranking then adds the travel.
// Every name is written as text (el(), textContent), never as HTML.
import { el, fmtPct, fmtWait, getJson, ok, poll, show, waitLevel } from "./lib.js";

const L = window.L;
const city = document.body.dataset.city;
const base = `/v1/cities/${encodeURIComponent(city)}`;
const serviceSelect = document.getElementById("service");
const viewSelect = document.getElementById("view");
const originText = document.getElementById("origin-text");
const clearButton = document.getElementById("clear-origin");
const rankedList = document.getElementById("ranked");
const apartList = document.getElementById("apart");
const LEVEL_CLASS = { ok: "green", warn: "amber", bad: "red", none: "grey" };
const APART_TEXT = {
  closed: "已闭厅 closed now",
  closes_before_arrival: "到达前闭厅 closes before you would arrive",
  not_offered: "不办理此业务 does not offer this service",
  no_location: "未配置坐标 no coordinates configured",
  no_route: "无路线 no route there",
};

const params = new URLSearchParams(window.location.search);
const state = {
  service: params.get("service") || serviceSelect.value,
  view: params.get("view") === "manager" ? "manager" : "customer",
  origin: null,
};
const lat = Number.parseFloat(params.get("lat"));
const lon = Number.parseFloat(params.get("lon"));
if (Number.isFinite(lat) && Number.isFinite(lon)) state.origin = { lat, lon };
if ([...serviceSelect.options].some((o) => o.value === state.service)) {
  serviceSelect.value = state.service;
} else {
  state.service = serviceSelect.value;
}
viewSelect.value = state.view;

const map = L.map("map", { attributionControl: false, zoomSnap: 0.25, minZoom: 6 });
const hallLayer = L.layerGroup().addTo(map);
const originLayer = L.layerGroup().addTo(map);
map.setView([23.13, 113.26], 9); // replaced by the outline's or the halls' bounds
let frame = null; // what the map shows whole: the outline, else the halls

function fit() {
  if (frame) map.fitBounds(frame, { padding: [12, 12], maxZoom: 13, animate: false });
}

async function drawOutline() {
  const response = await getJson(`${base}/outline`);
  if (response.status !== 200 || !response.body) return;
  const layer = L.geoJSON(response.body, {
    interactive: false,
    style: (f) => ({
      className: f.properties && f.properties.level === "district" ? "outline-district" : "outline-city",
    }),
  }).addTo(map);
  layer.bringToBack();
  frame = layer.getBounds();
  fit();
}

function syncUrl() {
  const next = new URLSearchParams();
  next.set("service", state.service);
  if (state.view === "manager") next.set("view", "manager");
  if (state.origin) {
    next.set("lat", state.origin.lat.toFixed(5));
    next.set("lon", state.origin.lon.toFixed(5));
  }
  window.history.replaceState(null, "", `?${next.toString()}`);
}

function query() {
  const q = new URLSearchParams({ service: state.service });
  if (state.origin) {
    q.set("lat", String(state.origin.lat));
    q.set("lon", String(state.origin.lon));
  }
  return `${base}/halls?${q.toString()}`;
}

function fmtKm(metres) {
  if (metres === null || metres === undefined) return "—";
  return metres < 1000 ? `${Math.round(metres)} m` : `${(metres / 1000).toFixed(1)} km`;
}

/** Whether the customer is best off taking this hall's ticket from home (with a location). */
function fromHome(h, withOrigin) {
  return withOrigin && h.remote_ticket && h.remote_called_in_s !== null;
}

/** The wait a hall is coloured and labelled by: with a location, the wait in the
 * hall on arrival (with a ticket taken from home where the hall takes them: only
 * what is left of its wait after the travel), else the wait of a ticket taken now. */
function shownWait(h, withOrigin) {
  if (!withOrigin) return h.wait_s;
  if (fromHome(h, withOrigin)) return Math.max(0, h.remote_called_in_s - h.travel_s);
  return h.wait_on_arrival_s;
}

function levelOf(h, withOrigin) {
  if (h.rank === null) return "none";
  return waitLevel(shownWait(h, withOrigin), h.load.target_wait_s);
}

function figure(label, value, level) {
  const dd = el("dd", {}, value);
  if (level) dd.className = `level-${level}`;
  return el("div", {}, el("dt", {}, label), dd);
}

function hallItem(h, withOrigin, manager) {
  const level = levelOf(h, withOrigin);
  const link = el("a", { href: `../halls/${encodeURIComponent(h.id)}` }, h.name);
  const head = el("p", { class: "name" });
  if (h.rank !== null) head.append(el("span", { class: `rank risk-${LEVEL_CLASS[level]}` }, String(h.rank)));
  head.append(link, " ", el("span", { class: "district" }, h.district));
  const figures = el("dl", { class: "figures" });
  const wait = h.rank === null ? h.wait_s : shownWait(h, withOrigin);
  const onArrival = withOrigin && h.rank !== null;
  const waitLabel = onArrival ? "到达后等候 Wait on arrival" : "预计等候 Wait now";
  // what the hall is ranked by comes first: when the customer is called, or the wait now
  if (onArrival) figures.append(figure("约何时叫号 Called in", fmtWait(h.soonest_s), level));
  if (onArrival && fromHome(h, withOrigin)) {
    const take = h.take_ticket_in_s < 60 ? "现在 now" : `${fmtWait(h.take_ticket_in_s)} 后 from now`;
    figures.append(figure("线上取号 Take a ticket from home", take));
  }
  figures.append(figure(waitLabel, fmtWait(wait), h.rank === null ? "" : level));
  if (onArrival) {
    figures.append(figure("路程 Travel", `${fmtWait(h.travel_s)} · ${fmtKm(h.distance_m)}`));
  }
  const load = h.load;
  if (manager) {
    const ratio = wait === null || wait === undefined ? "—" : fmtPct(wait / load.target_wait_s);
    figures.append(figure("目标 Target", `${fmtWait(load.target_wait_s)} · ${ratio}`));
    figures.append(figure("排队 Queue", `${load.service_queue_length} / ${load.queue_length}`));
    figures.append(figure("在途 On the way", String(load.on_the_way)));
    const planned = load.counters_planned === null ? "" : ` / ${load.counters_planned}`;
    const short = load.counters_planned !== null && load.counters_open < load.counters_planned;
    figures.append(figure("柜台 Counters open/plan", `${load.counters_open}${planned}`, short ? "warn" : ""));
    figures.append(figure("超时概率 Breach risk", load.breach_probability === null ? "—" : fmtPct(load.breach_probability)));
  }
  const item = el("li", { class: `city-hall risk-${LEVEL_CLASS[level]}`, "data-hall": h.id }, head, figures);
  if (h.apart) item.append(el("p", { class: "reason" }, APART_TEXT[h.apart] || h.apart));
  else if (wait === null) item.append(el("p", { class: "reason" }, "暂无预测 no prediction yet"));
  return item;
}

const LABEL_CHARS = 8; // of a hall's name on the map (the list gives it whole)
const NAMED_WIDTH = 600; // a narrower map (a phone) labels rank and wait only

/** A marker's label: rank, the name cut short (isolated: right-to-left names
 * keep their direction) and the wait as text, so colour is never alone. */
function markerLabel(h, withOrigin) {
  const chars = Array.from(h.name);
  const short = chars.length > LABEL_CHARS ? `${chars.slice(0, LABEL_CHARS).join("")}…` : h.name;
  const wait = h.rank === null ? (h.apart ? "—" : "") : fmtWait(shownWait(h, withOrigin));
  const rank = h.rank === null ? "" : `${h.rank} `;
  if (map.getSize().x < NAMED_WIDTH) return el("span", { class: "marker-label" }, `${rank}· ${wait || "—"}`);
  return el("span", { class: "marker-label" }, rank, el("bdi", {}, short), ` · ${wait || "—"}`);
}

/** Whether a hall's label goes right of its dot: away from its nearest
 * neighbour, so two halls of one district both keep their label. */
function labelRight(h, placed) {
  let nearest = null;
  let best = Infinity;
  const scale = Math.cos((h.location.lat * Math.PI) / 180);
  for (const other of placed) {
    if (other === h) continue;
    const dx = (other.location.lon - h.location.lon) * scale;
    const dy = other.location.lat - h.location.lat;
    const d = dx * dx + dy * dy;
    if (d < best) [best, nearest] = [d, dx];
  }
  return nearest === null || nearest <= 0;
}

function drawMarkers(body, withOrigin) {
  hallLayer.clearLayers();
  const points = [];
  const placed = [...body.halls, ...body.apart].filter((h) => h.location);
  placed.forEach((h) => {
    const level = levelOf(h, withOrigin);
    const marker = L.circleMarker([h.location.lat, h.location.lon], {
      radius: h.rank === null ? 7 : 11,
      className: `hall-marker risk-${LEVEL_CLASS[level]}`,
    });
    const right = labelRight(h, placed);
    marker.bindTooltip(markerLabel(h, withOrigin), {
      permanent: true,
      direction: right ? "right" : "left",
      offset: [right ? 10 : -10, 0],
      className: `hall-tip risk-${LEVEL_CLASS[level]}`,
    });
    marker.on("click", () => {
      const item = rankedList.querySelector(`[data-hall="${CSS.escape(h.id)}"]`)
        || apartList.querySelector(`[data-hall="${CSS.escape(h.id)}"]`);
      if (item) {
        item.scrollIntoView({ block: "nearest" });
        item.classList.add("picked");
        setTimeout(() => item.classList.remove("picked"), 1500);
      }
    });
    marker.addTo(hallLayer);
    points.push([h.location.lat, h.location.lon]);
  });
  if (!frame && points.length) {
    frame = L.latLngBounds(points).pad(0.2);
    fit();
  }
}

function drawOrigin() {
  originLayer.clearLayers();
  clearButton.hidden = state.origin === null;
  if (!state.origin) {
    originText.textContent = "点击地图设定您的位置，按路程加等候排序 · Click the map to set your location and rank by travel plus wait";
    return;
  }
  const { lat: a, lon: b } = state.origin;
  L.circleMarker([a, b], { radius: 6, className: "origin-marker" })
    .bindTooltip(el("span", {}, "您的位置 You"), { permanent: true, direction: "left", offset: [-8, 0], className: "origin-tip" })
    .addTo(originLayer);
  originText.textContent = `您的位置 Your location ${a.toFixed(4)}, ${b.toFixed(4)} · 再次点击地图更改 click the map again to move it`;
}

let asked = 0; // the latest request: an answer to an older one (a poll in flight) is dropped

async function refresh() {
  const path = query();
  const mine = ++asked;
  const body = ok(await getJson(path), path);
  if (mine !== asked) return;
  const withOrigin = body.origin !== null;
  const manager = state.view === "manager";
  const by = document.getElementById("ranked-by");
  if (withOrigin) {
    const speed = body.travel && body.travel.speed_km_per_h;
    const how = speed ? `straight line at ${speed} km/h` : body.travel ? body.travel.basis : "";
    const home = body.halls.some((h) => h.remote_ticket)
      ? " (or a ticket taken from home, timed to be called on arrival)"
      : "";
    by.textContent = `按路程加到达后等候 Ranked by travel (${how}) plus the wait on arrival${home}`;
  } else {
    by.textContent = "按现在取号的预计等候 Ranked by the predicted wait of a ticket taken now";
  }
  rankedList.replaceChildren(...body.halls.map((h) => hallItem(h, withOrigin, manager)));
  apartList.replaceChildren(...body.apart.map((h) => hallItem(h, withOrigin, manager)));
  document.getElementById("none-ranked").hidden = body.halls.length > 0;
  document.getElementById("apart-title").hidden = body.apart.length === 0;
  document.body.classList.toggle("manager", manager);
  const source = document.getElementById("source");
  source.href = `..${path}`;
  show(source, path);
  drawMarkers(body, withOrigin);
}

map.on("click", (e) => {
  state.origin = { lat: e.latlng.lat, lon: e.latlng.lng };
  syncUrl();
  drawOrigin();
  refresh().catch(() => {});
});
clearButton.addEventListener("click", () => {
  state.origin = null;
  syncUrl();
  drawOrigin();
  refresh().catch(() => {});
});
serviceSelect.addEventListener("change", () => {
  state.service = serviceSelect.value;
  syncUrl();
  refresh().catch(() => {});
});
viewSelect.addEventListener("change", () => {
  state.view = viewSelect.value;
  syncUrl();
  refresh().catch(() => {});
});

// the map frames the city again when its box changes size (the page laid out, a phone turned)
new ResizeObserver(() => {
  map.invalidateSize();
  fit();
}).observe(document.getElementById("map"));
drawOrigin();
drawOutline()
  .catch(() => {})
  .finally(() => poll(refresh));
