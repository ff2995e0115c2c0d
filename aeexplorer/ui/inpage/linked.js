// Linked maps: a row of latent maps (Compare's two or three models, Anomalies' one) whose
// pointer is decoded in the page by every map's own decoder at once. The pointer over any map
// gives a z (its map coordinates); each map's cell shows its model's decode of that z, and the
// other maps show a ring at that z, so one move is read on all of them (no server message).
// Each cell lies over its server block (the selected point's images, which keep their place,
// hidden while the cell shows), as the Explorer's panel does. Mounted by
// aeexplorer/ui/inpage/linked.py; joined after player.js and before live.js (see live.py).

const LINK_RING = "position:absolute;z-index:1000;pointer-events:none;box-sizing:border-box;" +
  "width:28px;height:28px;margin:-14px 0 0 -14px;border-radius:50%;background:transparent;" +
  "border:4px solid #111;box-shadow:0 0 0 2px #fff,inset 0 0 0 2px #fff;left:0;top:0";
const LINK_FAILED = "The page could not load this model's decoder: the z under the pointer " +
  "is not decoded here.";
const CELL_HTML = '<div class="ae-title"></div><canvas class="ae-decoded"></canvas>' +
  '<div class="ae-z"></div><div class="ae-note"></div>';

/** One map of the row and its cell: the map found by its key, the cell over its block. */
class LinkedCell {
  cfg; el; title; canvas; zText; note; bridge; marker;
  net = null; failed = false; pixels = null;
  shown = { state: "none", title: "", z: null, pixels: null, decoder: null };

  constructor(root, cfg, handlers) {
    this.cfg = cfg;
    this.el = document.createElement("div");
    this.el.className = "ae-cell";
    this.el.innerHTML = CELL_HTML;  // a constant: every text below is set as text
    const q = (s) => this.el.querySelector(s);
    [this.title, this.canvas, this.zText, this.note] = [q(".ae-title"), q("canvas"), q(".ae-z"), q(".ae-note")];
    this.el.style.visibility = "hidden";
    root.appendChild(this.el);
    this.bridge = new MapBridge(handlers, `.st-key-${cfg.map} .js-plotly-plot`);
    this.marker = new Marker();
    this.marker.el.className = "ae-link-marker";
    this.marker.el.style.cssText = LINK_RING;
  }

  /** The block this cell lies over, or null (not drawn yet). */
  block() {
    return document.querySelector(`.st-key-${this.cfg.cover}`);
  }

  /** This model's code for a map point: the map's two coordinates, the rest zero. */
  code(xy) {
    const dim = Math.max(this.cfg.dim, 1);
    return xy.concat(new Array(Math.max(0, dim - 2)).fill(0)).slice(0, dim);
  }

  /** Whether map coordinates ``xy`` lie inside this map's plot area as drawn now. */
  inView(xy) {
    const a = this.bridge.area(), c = a && this.bridge.toClient(xy[0], xy[1]);
    if (!c) return false;
    const px = c[0] - a.left, py = c[1] - a.top;
    return px >= 0 && py >= 0 && px <= a.xa._length && py <= a.ya._length;
  }

  dispose() {
    this.bridge.dispose();
    this.marker.hide();
    const b = this.block();
    if (b) { b.style.visibility = ""; b.style.minHeight = ""; }
  }
}

class LinkedMaps {
  root; cells = [];
  data = null;
  parent = null; build = ""; key = "";  // its mount, models and layout (see ``mounted``)
  source = null;  // the index of the map under the pointer
  pointer = null;  // its map coordinates [x, y], while the pointer is over a map
  lastMove = null;  // the last pointer move: a map may move under a resting pointer
  unread = false;  // the last move came while the map under it was being redrawn
  clickAt = null;  // where the last click was (client px): hover waits for a move away
  reserved = new Set();  // the blocks given room for their cell
  trigger = null;
  listeners;

  constructor(parent, data) {
    this.root = parent.querySelector(".ae-linked");
    const moved = () => this.onMapMoved();
    const handlers = { plotly_click: (ev) => this.onClick(ev), plotly_relayout: moved,
                       plotly_afterplot: moved };
    for (const cfg of data.cells) {
      const cell = new LinkedCell(this.root, cfg, handlers);
      this.cells.push(cell);
      if (cfg.net) loadNet(cfg.net.url, cfg.net.spec).then((net) => {
        if (this.root) { cell.net = net; this.render(); }
      }).catch(() => { cell.failed = true; if (this.root) this.render(); });
    }
    const doc = document, leave = () => this.onLeave();
    this.listeners = [[doc, "pointermove", (e) => this.onMove(e)], [doc, "pointercancel", leave],
      [doc, "scroll", moved, true], [window, "resize", moved],
      [doc, "pointerup", (e) => { if (e.pointerType === "touch") leave(); }],
      [doc.documentElement, "pointerleave", leave]];
    for (const [el, name, fn, capture] of this.listeners) {
      el.addEventListener(name, fn, { passive: true, capture: !!capture });
    }
  }

  dispose() {
    for (const [el, name, fn, capture] of this.listeners) {
      el.removeEventListener(name, fn, { capture: !!capture });
    }
    for (const cell of this.cells) cell.dispose();
    this.root = null;  // a decoder still on its way finds the row gone
  }

  /** New data from the server (a rerun): sizes; the blocks may be new: room kept again. */
  update(data) {
    this.data = data;
    data.cells.forEach((cfg, i) => {
      const cell = this.cells[i];
      if (!cell) return;
      cell.cfg = cfg;
      if (cell.canvas.width !== cfg.side) cell.canvas.width = cell.canvas.height = cfg.side;
      cell.canvas.style.width = cell.canvas.style.height = cssSize(cfg.px);
      cell.pixels ||= new Float32Array(cfg.channels * cfg.side * cfg.side);
    });
    this.reserved.clear();
    this.render();
    // the blocks keep room for their cells from the start, so that a hover moves nothing
    requestAnimationFrame(() => { if (this.root) this.place(); });
    this.onMapMoved();
  }

  /** The map under a client point: [index, xy]; null over none; undefined while the map
   *  that had the pointer is being redrawn (nothing can be said then). */
  under(x, y) {
    for (let i = 0; i < this.cells.length; i++) {
      const xy = this.cells[i].bridge.toData(x, y);
      if (xy) return [i, xy];
    }
    const was = this.source !== null && this.cells[this.source];
    return was && was.bridge.toData(x, y) === undefined ? undefined : null;
  }

  onMove(e) {
    if (!alive(this)) return;
    this.lastMove = { clientX: e.clientX, clientY: e.clientY };
    const found = this.under(e.clientX, e.clientY);
    this.unread = found === undefined;
    if (found === undefined) return;
    if (found === null) { this.onLeave(); return; }
    if (this.clickAt && Math.hypot(e.clientX - this.clickAt[0], e.clientY - this.clickAt[1]) < MOVE_PX) return;
    this.clickAt = null;
    [this.source, this.pointer] = found;
    this.render();
    if (!e.moved) {  // a pointer move (not the map's), timed to every map's image painted
      const t0 = e.timeStamp;
      requestAnimationFrame(() => {
        (G.linkTimes ||= []).push(performance.now() - t0);
        if (G.linkTimes.length > 2000) G.linkTimes.splice(0, 1000);
      });
    }
  }

  /** A map moved under a resting pointer (zoom, pan, scroll, a redraw): read it again. */
  onMapMoved() {
    if (!this.lastMove || !(this.pointer || this.unread)) return;
    const again = (tries) => requestAnimationFrame(() => {
      if (!alive(this) || !this.lastMove || !(this.pointer || this.unread)) return;
      const m = this.lastMove;
      if (this.under(m.clientX, m.clientY) === undefined && tries > 0) again(tries - 1);
      else this.onMove({ ...m, moved: true });
    });
    again(30);
  }

  onLeave() {
    if (!this.pointer) return;
    this.pointer = this.source = null;
    this.render();
  }

  /** A click selects on the server: the blocks show again until the pointer moves away. */
  onClick(ev) {
    const e = ev && ev.event;
    this.clickAt = e ? [e.clientX, e.clientY] : null;
    this.pointer = this.source = null;
    this.render();
  }

  render() {
    if (!this.root || !this.data) return;
    if (this.pointer) this.place();  // anything above may have moved: placed on every move
    // a map "apart" (a reference map: its coordinates are no model's z) is linked to none
    const src = this.pointer ? this.cells[this.source] : null;
    this.cells.forEach((cell, i) => {
      const linked = src && (i === this.source || !(src.cfg.apart || cell.cfg.apart));
      if (linked) this.showCell(cell, i); else this.hideCell(cell);
    });
  }

  /** Every cell over its block (all read first, then all written: one layout). */
  place() {
    const blocks = this.cells.map((cell) => cell.block());
    this.cells.forEach((cell, i) => {  // room first: it may move the row (and this root)
      const b = blocks[i];
      if (b && !this.reserved.has(b)) {
        b.style.minHeight = this.tallest(cell, b.getBoundingClientRect().width) + "px";
        this.reserved.add(b);
      }
    });
    const r = this.root.getBoundingClientRect();
    const at = blocks.map((b) => b && b.getBoundingClientRect());
    this.cells.forEach((cell, i) => {
      const b = at[i], s = cell.el.style;
      if (!b) { s.display = "none"; return; }
      Object.assign(s, { display: "", left: b.left - r.left + "px", top: b.top - r.top + "px",
                         width: b.width + "px", height: b.height + "px" });
    });
  }

  /** The cell's height with its longest texts: its block keeps that much room. */
  tallest(cell, width) {
    const texts = [cell.title, cell.zText, cell.note], kept = texts.map((t) => t.textContent);
    const longest = [this.heading(cell, false), "z = (0.000, 0.000, …)", cell.cfg.net ? "" : cell.cfg.why];
    texts.forEach((t, i) => { t.textContent = longest[i]; });
    Object.assign(cell.el.style, { height: "auto", width: width + "px" });
    const need = cell.el.scrollHeight;
    texts.forEach((t, i) => { t.textContent = kept[i]; });
    return need;
  }

  /** A cell's title: its model's label and whether the pointer is over its own map. */
  heading(cell, own) {
    if (this.cells.length < 2) return "Under the pointer";
    return `${cell.cfg.label}: ${own ? "under the pointer" : "the same z"}`;
  }

  showCell(cell, i) {
    const many = this.cells.length > 1, own = i === this.source;
    const z = cell.code(this.pointer), title = this.heading(cell, own);
    const seen = own || cell.inView(this.pointer);
    let pixels = null, note = "";
    if (cell.net) pixels = decode(cell.net, z, cell.pixels);
    else note = cell.failed ? LINK_FAILED : cell.cfg.net ? "Loading the decoder into the page…" : cell.cfg.why;
    if (!seen) note = note || "This z lies outside this map's view.";
    if (pixels) paint(cell.canvas, pixels, cell.cfg.side);
    cell.canvas.style.visibility = pixels ? "" : "hidden";  // (never "visible": the cell hides it)
    cell.title.textContent = title;
    cell.zText.textContent = (cell.cfg.apart ? "at " : "z = ") + fmtZ(z);
    cell.note.textContent = note;
    cell.shown = { state: "hover", title, z, pixels, decoder: pixels ? "page" : null };
    if (many && !own && seen) cell.marker.place(cell.bridge, [z[0], z.length > 1 ? z[1] : 0]);
    else cell.marker.hide();
    const b = cell.block();
    cell.el.style.visibility = "visible";
    if (b) b.style.visibility = "hidden";
  }

  hideCell(cell) {
    cell.marker.hide();
    cell.shown = { state: "none", title: "", z: null, pixels: null, decoder: null };
    cell.el.style.visibility = "hidden";
    const b = cell.block();
    if (b) b.style.visibility = "";
  }

  /** What the row shows now, for tests (see ``G.linked``). */
  probe() {
    return {
      source: this.source === null ? null : this.cells[this.source].cfg.key,
      pointer: this.pointer ? Array.from(this.pointer) : null,
      cells: this.cells.map((c) => ({
        key: c.cfg.key, state: c.shown.state, title: c.shown.title,
        z: c.shown.z ? Array.from(c.shown.z) : null,
        pixels: c.shown.pixels ? Array.from(c.shown.pixels) : null, decoder: c.shown.decoder,
        note: c.note.textContent, marker: c.marker.probe() })),
    };
  }
}
