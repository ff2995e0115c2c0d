// The one place that reads Plotly's private fields (``_fullLayout``, the axes' ``_offset``,
// ``_length``, ``p2l``/``l2p``): the latent map's plot element, found again whenever Streamlit
// replaced it, its data <-> client pixel conversions, and its events. And the walk's marker,
// which lives inside the map's element, placed from the walk point's data coordinates.
// Joined after decoder.js and before paint.js, panel.js, player.js and live.js (see live.py).

// The hooks of tests and benchmarks (apart from the classes): per pointer move and per click,
// the ms from the event to the animation frame after its image was painted; the walk player's
// frame count and rate; ``probe()`` (live.js).
const G = (window.__aeLive ||= { hoverTimes: [], play: { frames: 0, fps: 0 } });
G.clickTimes ||= [];

/** The latent map for one component (the element ``selector`` finds): re-found when its element left the document, with the
 *  Plotly events ``handlers`` names bound to whichever element is the map now. */
class MapBridge {
  gd = null;  // the map's plot element (Plotly's "graph div"), while it is in the document
  drag = null;  // its plot area's drag rectangle: what Plotly has drawn, to check the axes by
  handlers;  // {plotly event name: function}, bound to each new map element
  bound = [];  // [element, event, function] bound now
  selector;  // where the map is: the Explorer's by default, another page's map by its key

  constructor(handlers = {}, selector = ".st-key-map .js-plotly-plot") {
    this.handlers = handlers;
    this.selector = selector;
  }

  /** The map's element now, or null (none on this page, or not drawn yet). One that is still
   *  in the document but no longer shown is not it: Streamlit may keep an old map, hidden,
   *  beside the new one (seen in the sequence benchmark: the walk marker placed on a hidden
   *  map after talk mode was turned on). */
  map() {
    const shown = (el) => el.isConnected && el.getClientRects().length > 0;
    if (this.gd && shown(this.gd)) return this.gd;
    this.unbind();
    const gd = Array.from(document.querySelectorAll(this.selector)).find(shown);
    if (!gd || typeof gd.on !== "function" || !this.axes(gd)) return null;
    this.gd = gd;
    for (const [name, fn] of Object.entries(this.handlers)) {
      gd.on(name, fn);
      this.bound.push([gd, name, fn]);
    }
    return gd;
  }

  unbind() {
    for (const [gd, name, fn] of this.bound) {  // a purged map has lost them with its methods
      if (typeof gd.removeListener === "function") gd.removeListener(name, fn);
    }
    this.bound = [];
    this.gd = this.drag = null;
  }

  axes(gd) {
    const L = gd && gd._fullLayout;
    return L && L.xaxis && L.yaxis && L.xaxis._length > 0 && L.yaxis._length > 0 ? L : null;
  }

  /** The plot area in client pixels, or null while the axes in memory are not the ones drawn
   *  (a relayout under way: a z read then would not be the pointer's). */
  area() {
    const gd = this.map(), L = this.axes(gd);
    if (!L) return null;
    if (!this.drag || !this.drag.isConnected) this.drag = gd.querySelector(".nsewdrag");
    const r = gd.getBoundingClientRect(), xa = L.xaxis, ya = L.yaxis;
    const area = { left: r.left + xa._offset, top: r.top + ya._offset, xa, ya, gd };
    if (this.drag) {
      const d = this.drag.getBoundingClientRect();
      if (Math.abs(d.width - xa._length) > 1 || Math.abs(d.height - ya._length) > 1) return null;
    }
    return area;
  }

  /** Data coordinates under a client point, null outside the plot area, undefined while the
   *  map is not there or is being redrawn (nothing can be said of the pointer then). */
  toData(clientX, clientY) {
    const a = this.area();
    if (!a) return undefined;
    const px = clientX - a.left, py = clientY - a.top;
    if (px < 0 || py < 0 || px > a.xa._length || py > a.ya._length) return null;
    return [a.xa.p2l(px), a.ya.p2l(py)];
  }

  /** Client pixels of a data point, null when there is no map. */
  toClient(x, y) {
    const a = this.area();
    return a ? [a.left + a.xa.l2p(x), a.top + a.ya.l2p(y)] : null;
  }

  dispose() {
    this.unbind();
  }
}

/** The selection a Plotly click makes, as ``common.dot_first`` and ``figures.read_click``
 *  read it: a test point (a dot, its index in customdata) wins over the click grid beneath it,
 *  the dot nearest where the click landed; else the clicked spot. */
function clickedPoint(points) {
  const pts = (points || []).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (!pts.length) return null;
  const isDot = (p) => Number.isInteger(p.customdata) && p.customdata >= 0;
  const dots = pts.filter(isDot);
  const mean = (ps) => [0, 1].map((k) => ps.reduce((s, p) => s + (k ? p.y : p.x), 0) / ps.length);
  if (pts.length === 1) return { xy: [pts[0].x, pts[0].y], index: dots.length ? pts[0].customdata : null };
  if (!dots.length) return { xy: mean(pts), index: null };
  const landed = pts.filter((p) => !isDot(p));
  const [x, y] = mean(landed.length ? landed : dots);
  const dot = dots.reduce((a, b) => (Math.hypot(b.x - x, b.y - y) < Math.hypot(a.x - x, a.y - y) ? b : a));
  return { xy: [dot.x, dot.y], index: dot.customdata };
}

/** The walk's marker: an element inside the map's element, at a data point. Being inside the
 *  map, it scrolls with it and goes with it; zoom, pan and resize move it by ``sync``. */
class Marker {
  el;
  at = null;  // [x, y] in data coordinates, or null: not shown

  constructor() {
    this.el = document.createElement("div");
    this.el.className = "ae-walk-marker";
    this.el.style.cssText = "position:absolute;z-index:1000;pointer-events:none;box-sizing:border-box;" +
      "width:24px;height:24px;margin:-12px 0 0 -12px;border-radius:50%;background:#e4572e;" +
      "border:3px solid #fff;box-shadow:0 0 0 2px #111;left:0;top:0";
  }

  place(bridge, xy) {
    this.at = xy;
    this.sync(bridge);
  }

  hide() {
    this.at = null;
    this.el.remove();
  }

  /** Where the map draws ``at`` now (the map's element may be new, its axes zoomed). */
  sync(bridge) {
    const gd = this.at && bridge.map(), c = gd && bridge.toClient(this.at[0], this.at[1]);
    if (!c) { this.el.remove(); return; }
    if (getComputedStyle(gd).position === "static") gd.style.position = "relative";
    if (this.el.parentNode !== gd) gd.appendChild(this.el);
    const r = gd.getBoundingClientRect();
    // its margin (half its 24 px) centres it on the point
    this.el.style.transform = `translate(${c[0] - r.left - gd.clientLeft}px, ` +
      `${c[1] - r.top - gd.clientTop}px)`;
  }

  /** The marker's centre in client pixels and whether it is shown (for the probe). */
  probe() {
    if (!this.at || !this.el.isConnected) return null;
    const r = this.el.getBoundingClientRect();
    return { client: [r.left + r.width / 2, r.top + r.height / 2], visible: r.width > 0 };
  }
}
