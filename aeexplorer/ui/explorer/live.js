// The latent map under the pointer, in the page: a dense decoder evaluated in JavaScript
// (aeexplorer/app/export.py writes its weights), the decoded image of the z under the pointer
// drawn beside the map on every move with no message to the server, and the interpolation
// walk played with a marker moving over the map. Mounted by aeexplorer/ui/live.py as a
// Streamlit components.v2 component (in the page, no iframe), in two modes: "hover" (the
// panel beside the map) and "play" (the walk's controls). The Plotly map itself is
// Streamlit's own chart; this code only listens to the pointer over it and draws over it.

const G = (window.__aeLive ||= { hoverTimes: [], play: { frames: 0, fps: 0 } });

// ---- the walk ------------------------------------------------------------------------------

/** The walk at ``p`` legs from its start: as aeexplorer.core.ops (ModelOps.walk) interpolates, continuous. */
export function walkAt(stops, p, method) {
  const leg = Math.min(Math.max(Math.floor(p), 0), stops.length - 2);
  const t = Math.min(Math.max(p - leg, 0), 1);
  const a = stops[leg], b = stops[leg + 1];
  const lerp = () => a.map((v, i) => (1 - t) * v + t * b[i]);
  if (method !== "slerp") return lerp();
  const na = Math.hypot(...a), nb = Math.hypot(...b);
  if (na < 1e-8 || nb < 1e-8) return lerp();
  const dot = a.reduce((s, v, i) => s + (v / na) * (b[i] / nb), 0);
  const omega = Math.acos(Math.min(1, Math.max(-1, dot)));
  if (Math.PI - omega < 1e-6) return lerp();
  const norm = (1 - t) * na + t * nb;
  if (omega < 1e-6) return a.map((v) => (v / na) * norm);
  const sa = Math.sin((1 - t) * omega) / Math.sin(omega), sb = Math.sin(t * omega) / Math.sin(omega);
  return a.map((v, i) => (sa * (v / na) + sb * (b[i] / nb)) * norm);
}

// ---- drawing -------------------------------------------------------------------------------

/** A canvas's shown size: pixels, or a CSS length (talk mode sizes it to the window). */
function size(px) {
  return typeof px === "number" ? px + "px" : String(px);
}

/** Decoded planes (see ``decode``) on a side x side canvas: one plane is grey, three are
 *  red, green and blue. */
function paint(canvas, pixels, side) {
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(side, side);
  const n = side * side, colour = pixels.length >= 3 * n;
  for (let k = 0; k < n; k++) {
    const r = Math.round(pixels[k] * 255);
    img.data[4 * k] = r;
    img.data[4 * k + 1] = colour ? Math.round(pixels[n + k] * 255) : r;
    img.data[4 * k + 2] = colour ? Math.round(pixels[2 * n + k] * 255) : r;
    img.data[4 * k + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// as ``common.fmt_z``: a value that rounds to zero is shown as 0.000, never -0.000
const fix3 = (v) => { const s = v.toFixed(3); return s === "-0.000" ? "0.000" : s; };
const fmt = (z) => "(" + z.slice(0, 4).map(fix3).join(", ") + (z.length > 4 ? ", …" : "") + ")";

/** The Plotly map of this page, and the data coordinates under a client point (null outside
 *  its plot area). Plotly's axis objects convert pixels to data (``p2l``). */
function findMap() {
  return document.querySelector(".st-key-map .js-plotly-plot") || document.querySelector(".js-plotly-plot");
}
function toData(gd, clientX, clientY) {
  const L = gd && gd._fullLayout;
  if (!L || !L.xaxis || !L.yaxis) return null;
  const r = gd.getBoundingClientRect(), xa = L.xaxis, ya = L.yaxis;
  const px = clientX - r.left - xa._offset, py = clientY - r.top - ya._offset;
  if (px < 0 || py < 0 || px > xa._length || py > ya._length) return null;
  return [xa.p2l(px), ya.p2l(py)];
}
function toClient(gd, x, y) {
  const L = gd._fullLayout, r = gd.getBoundingClientRect();
  return [r.left + L.xaxis._offset + L.xaxis.l2p(x), r.top + L.yaxis._offset + L.yaxis.l2p(y)];
}

/** A marker over the map (fixed to the viewport, placed from the map's own axes each frame). */
function marker() {
  let el = document.getElementById("ae-walk-marker");
  if (!el) {
    el = document.createElement("div");
    el.id = "ae-walk-marker";
    el.style.cssText = "position:fixed;z-index:1000;pointer-events:none;width:18px;height:18px;" +
      "margin:-9px 0 0 -9px;border-radius:50%;background:#e4572e;border:3px solid #fff;" +
      "box-shadow:0 0 0 2px #111;display:none";
    document.body.appendChild(el);
    // the marker belongs to the player: gone with it (another page, the path cleared)
    setInterval(() => {
      if (el.style.display !== "none" && !(G.player && G.player.root.isConnected)) {
        el.style.display = "none";
        if (G.player) pause(G.player);
      }
    }, 300);
  }
  return el;
}

// ---- the panel beside the map ("hover") ---------------------------------------------------

const FAILED = "The page could not load this model's decoder: hold the pointer still and the " +
  "server decodes that z.";

/** What the panel shows: the live image in place of the selected point, or the selected
 *  point again (``pixels`` null). Shared with the player, which shows its frames here. */
function show(panel, pixels, z, note) {
  const selected = document.querySelector(".st-key-decoded");
  if (pixels === null && note === undefined) {
    panel.root.hidden = true;
    if (selected) selected.style.display = "";
    return;
  }
  if (selected) selected.style.display = "none";
  panel.root.hidden = false;
  if (pixels) paint(panel.canvas, pixels, panel.side);
  panel.canvas.style.visibility = pixels || note === undefined ? "visible" : "hidden";
  panel.z.textContent = z ? "z = " + fmt(z) : "";
  panel.note.textContent = note || "";
}

function hover(component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".ae-live");
  const panel = (root.__ae ||= {
    root, canvas: root.querySelector("canvas"), z: root.querySelector(".ae-z"),
    note: root.querySelector(".ae-note"), side: 28, pixels: null, timer: 0, gd: null,
  });
  panel.data = data;
  panel.side = data.side;
  panel.canvas.width = panel.canvas.height = data.side;
  panel.canvas.style.width = panel.canvas.style.height = size(data.px);
  panel.pixels = new Float32Array(data.channels * data.side * data.side);
  panel.net = null;
  if (data.net) loadNet(data.net.url, data.net.spec).then((net) => {
    if (panel.data === data) panel.net = net;
  }).catch(() => { panel.failed = true; });
  G.panel = panel;
  if (data.server && panel.inside && panel.restingAt === data.server.key) {
    showServer(panel, data.server);
  }
  attach(panel, setTriggerValue);
}

function showServer(panel, server) {
  const img = new Image();
  img.onload = () => {
    panel.canvas.getContext("2d").drawImage(img, 0, 0, panel.side, panel.side);
    show(panel, undefined, server.z, "decoded on the server");
    panel.canvas.style.visibility = "visible";
  };
  img.src = server.uri;
}

/** Pointer listeners on the current map (once per map element; they read ``panel``'s latest
 *  data, so a rerun changes what they do without adding listeners). */
function attach(panel, setTriggerValue) {
  const gd = findMap();
  if (!gd) { setTimeout(() => attach(panel, setTriggerValue), 200); return; }
  if (gd.__aeHover === panel) return;
  gd.__aeHover = panel;
  const move = (e) => {
    if (!panel.root.isConnected) { detach(); return; }  // a rerun mounted a new panel
    if (G.playing) return;
    const xy = toData(gd, e.clientX, e.clientY);
    if (!xy) { leave(); return; }
    panel.inside = true;
    const z = xy.concat(new Array(Math.max(0, panel.data.dim - 2)).fill(0)).slice(0, Math.max(panel.data.dim, 1));
    clearTimeout(panel.timer);  // a rest asked for before the decoder arrived: not needed now
    if (panel.net) {
      decode(panel.net, z, panel.pixels);
      show(panel, panel.pixels, z);
      const t0 = e.timeStamp;
      requestAnimationFrame(() => {
        G.hoverTimes.push(performance.now() - t0);
        if (G.hoverTimes.length > 2000) G.hoverTimes.splice(0, 1000);
      });
      return;
    }
    if (panel.data.net && !panel.failed) {  // its weights are still on their way
      show(panel, null, z, "Loading the decoder into the page…");
      return;
    }
    // no decoder in the page: say so, and ask the server once the pointer rests
    show(panel, null, z, panel.failed ? FAILED : panel.data.why);
    clearTimeout(panel.timer);
    panel.timer = setTimeout(() => {
      panel.restingAt = xy.map((v) => v.toFixed(4)).join(",");
      setTriggerValue("rest", panel.restingAt);
    }, panel.data.rest_ms);
  };
  const leave = () => {
    if (!panel.inside) return;
    panel.inside = false;
    clearTimeout(panel.timer);
    if (!G.playing) show(panel, null);
  };
  const detach = () => {
    gd.removeEventListener("pointermove", move);
    gd.removeEventListener("pointerleave", leave);
    if (gd.__aeHover === panel) gd.__aeHover = null;
  };
  gd.addEventListener("pointermove", move, { passive: true });
  gd.addEventListener("pointerleave", leave, { passive: true });
}

// ---- the walk player ("play") --------------------------------------------------------------

function play(component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".ae-play");
  const ui = (root.__ae ||= setupPlayer(root));
  G.player = ui;
  ui.data = data;
  ui.stops = data.stops;
  ui.frames = data.frames;  // server-decoded frames (data URIs) when there is no page decoder
  ui.imgs = [];  // their images, loaded as drawn: a new walk must not show the last one's
  ui.net = null;
  ui.canvas.width = ui.canvas.height = data.side;
  ui.canvas.style.width = ui.canvas.style.height = size(data.px);
  ui.canvas.style.display = data.px ? "" : "none";  // talk mode: the frame shows beside the map
  ui.pixels = new Float32Array(data.channels * data.side * data.side);
  ui.button.disabled = !ui.stops || ui.stops.length < 2;
  ui.hint.textContent = ui.button.disabled ? "Two stops or more make a walk to play." : "";
  if (data.net) loadNet(data.net.url, data.net.spec).then((net) => {
    if (ui.data === data) { ui.net = net; draw(ui); }
  }).catch(() => {
    stop(ui);
    ui.button.disabled = true;
    ui.hint.textContent = "The page could not load the decoder: the strip below shows the walk.";
  });
  ui.p = Math.min(ui.p || 0, Math.max(0, (ui.stops || []).length - 1));
  if (!ui.button.disabled) draw(ui);
  else stop(ui);
}

function setupPlayer(root) {
  const ui = {
    root, button: root.querySelector("button"), speed: root.querySelector("input[type=range]"),
    loop: root.querySelector("input[type=checkbox]"), canvas: root.querySelector("canvas"),
    hint: root.querySelector(".ae-hint"), speedText: root.querySelector(".ae-speed"), p: 0,
    running: false, last: 0,
  };
  ui.button.addEventListener("click", () => (ui.running ? pause(ui) : start(ui)));
  const said = () => { ui.speedText.textContent = Number(ui.speed.value).toFixed(2) + " legs/s"; };
  ui.speed.addEventListener("input", said);
  said();
  return ui;
}

function start(ui) {
  if (ui.p >= ui.stops.length - 1 - 1e-9) ui.p = 0;
  ui.running = true;
  G.playing = true;
  ui.button.textContent = "Pause";
  ui.last = performance.now();
  const t0 = ui.last;
  let n = 0;
  const tick = (now) => {
    if (!ui.running) return;
    ui.p += ((now - ui.last) / 1000) * Number(ui.speed.value);
    ui.last = now;
    const end = ui.stops.length - 1;
    if (ui.p >= end) {
      if (ui.loop.checked) ui.p %= end;
      else { ui.p = end; draw(ui); pause(ui); return; }
    }
    draw(ui);
    n += 1;
    G.play = { frames: n, fps: (n * 1000) / Math.max(now - t0, 1), p: ui.p };
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

function pause(ui) {
  ui.running = false;
  G.playing = false;
  ui.button.textContent = "Play the walk";
}

function stop(ui) {
  pause(ui);
  marker().style.display = "none";
}

/** The walk at ``ui.p``: its decoded frame (in the tab and beside the map) and the marker. */
function draw(ui) {
  const z = walkAt(ui.stops, ui.p, ui.data.method);
  if (ui.net) decode(ui.net, z, ui.pixels);
  else if (ui.frames && ui.frames.length) {
    const i = Math.round((ui.p / (ui.stops.length - 1)) * (ui.frames.length - 1));
    const img = ui.imgs?.[i] || ((ui.imgs ||= [])[i] = Object.assign(new Image(), { src: ui.frames[i] }));
    if (img.complete) ui.canvas.getContext("2d").drawImage(img, 0, 0, ui.data.side, ui.data.side);
  }
  if (ui.net) paint(ui.canvas, ui.pixels, ui.data.side);
  if (G.panel && (ui.running || ui.p > 0)) show(G.panel, ui.net ? ui.pixels : undefined, z);
  const gd = findMap(), m = marker();
  if (gd && (ui.running || ui.p > 0)) {
    const [x, y] = toClient(gd, z[0], z.length > 1 ? z[1] : 0);
    m.style.left = x + "px";
    m.style.top = y + "px";
    m.style.display = "block";
  }
}

export default function (component) {
  if (component.data.mode === "play") play(component);
  else hover(component);
}
