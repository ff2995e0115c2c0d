// The panel beside the map: what the page shows of the latent space, in exactly one of four
// states, each only while it is true: "Under the pointer" (the z under the pointer, decoded in
// the page), "Playing the walk (frame k of n)" / "Walk paused (frame k of n)" (the player's
// frame), "Selected point" (a click, painted by the page at once, then the server's own block
// once its answer for that click arrives) and nothing (the server's block says what to do).
// It lies over the server's "Selected point" block (``overlay.js``): nothing on the page moves.

const FAILED = "The page could not load this model's decoder: hold the pointer still and the " +
  "server decodes that z.";
const MOVE_PX = 4;  // after a click, a move this far hands the panel back to the pointer
const STALE_MS = 5000;  // a server answer this late is taken whatever it says
const WATCH_MS = 400;  // the map under a resting pointer is looked at this often (see ``watch``)
// a selection's identity, to tell the server's answer to a click from an older one
const selKey = (s) => (s ? `${s.xy[0].toFixed(4)},${s.xy[1].toFixed(4)},${s.index}` : "none");

class Panel {
  root; title; canvas; original; zText; note;  // the panel's own elements
  data = null;  // the server's latest data for it
  parent = null; build = ""; key = "";  // its mount, model and layout (see ``mounted``)
  net = null;  // the page's decoder, once loaded
  failed = false;  // its weights could not be loaded
  sprite = null;  // the test images' sprite sheet (an Image), once asked for
  pixels = null;  // what the canvas shows, as decoded
  bridge;
  pointer = null;  // the z under the pointer, while it is over the plot area
  clickAt = null;  // where the last click was (client px): hover waits for a move away
  lastMove = null;  // the last pointer move ({clientX, clientY}): the map may move under a
                    // resting pointer (zoom, pan, scroll, resize, a redraw), the z with it
  unread = false;  // the last move came while the map was being redrawn: read it once drawn
  outside = false;  // the pointer left the window (or a finger lifted): nothing is under it
  seen = null;  // the map the last move was read on: [element, left, top, x range, y range]
  // {xy, index, z}, and for a click painted here and not yet confirmed by the server: page,
  // prev (the selection before it), before (prev's key) and at (when)
  selection = null;
  frame = null;  // the player's frame: {z, pixels | image, decoder, k, n, playing, dismissed}
  restTimer = 0; watchTimer = 0; restingAt = null;
  shown = { state: "none", title: "", z: null, pixels: null, decoder: null };
  overlay;  // where the panel lies: over the server's block beside the map (``overlay.js``)
  trigger = null;  // sends a value to the server (the component's setTriggerValue)
  listeners;

  constructor(parent, data) {
    this.root = parent.querySelector(".ae-live");
    const q = (s) => this.root.querySelector(s);
    [this.title, this.canvas, this.original] = [q(".ae-title"), q("canvas.ae-decoded"), q("canvas.ae-original")];
    [this.zText, this.note] = [q(".ae-z"), q(".ae-note")];
    this.overlay = new Overlay(this.root, this.title, this.zText, this.original);
    const unclick = () => this.unclick();  // a double-click clears the selection instead
    const moved = () => this.onMapMoved();
    this.bridge = new MapBridge({ plotly_click: (ev) => this.onClick(ev), plotly_doubleclick: unclick,
                                  plotly_deselect: unclick, plotly_relayout: moved,
                                  plotly_afterplot: moved });
    const doc = document;
    this.listeners = [[doc, "pointermove", (e) => this.onMove(e)], [doc, "pointercancel", () => this.onOut()],
      [doc, "scroll", moved, true], [window, "resize", moved],  // (Streamlit scrolls a box: capture)
      [doc, "pointerup", (e) => { if (e.pointerType === "touch") this.onOut(); }],  // a finger lifted
      [doc.documentElement, "pointerleave", () => this.onOut()]];  // out of the window
    for (const [el, name, fn, capture] of this.listeners) {
      el.addEventListener(name, fn, { passive: true, capture: !!capture });
    }
    if (data.net) loadNet(data.net.url, data.net.spec).then((net) => {
      if (this.root) { this.net = net; this.render(); }
    }).catch(() => { this.failed = true; });
    if (data.sprite) this.sprite = spriteImage(data.sprite.url);
    this.lastMove = G.pointerAt || null;  // built by a rerun: a resting pointer is read (``watch``)
    this.watchTimer = setInterval(() => this.watch(), WATCH_MS);
  }

  dispose() {
    for (const [el, name, fn, capture] of this.listeners) {
      el.removeEventListener(name, fn, { capture: !!capture });
    }
    clearTimeout(this.restTimer);
    clearInterval(this.watchTimer);
    this.bridge.dispose();
    this.overlay.release();
    this.root = null;  // a decoder still on its way finds the panel gone
  }

  /** New data from the server (a rerun): sizes, and the selection it now holds. */
  update(data) {
    this.data = data;
    for (const c of [this.canvas, this.original]) {
      if (c.width !== data.side) c.width = c.height = data.side;  // (which clears it)
      c.style.width = c.style.height = cssSize(data.px);
    }
    this.pixels ||= new Float32Array(data.channels * data.side * data.side);
    const mine = this.selection, theirs = data.selected && { ...data.selected, page: false };
    const older = mine && mine.page && selKey(theirs) === mine.before && selKey(theirs) !== selKey(mine);
    if (!older || performance.now() - mine.at > STALE_MS) this.selection = theirs;
    this.overlay.unplaced();  // the server's block may be new: place the panel over it again
    if (data.server && this.pointer && this.restingAt === data.server.key) this.showServer(data.server);
    else this.render();
    this.onMapMoved();  // a rerun may have redrawn the map under a pointer that moved meanwhile
  }

  onMove(e) {
    if (!alive(this)) return;
    this.lastMove = { clientX: e.clientX, clientY: e.clientY };
    if (!e.moved) [this.outside, G.pointerAt] = [false, this.lastMove];
    const xy = this.bridge.toData(e.clientX, e.clientY);
    [this.unread, this.seen] = [xy === undefined, this.mapNow()];
    if (xy === undefined) return;
    if (xy === null || !this.onMap(e)) { this.onLeave(); return; }
    if (this.clickAt && Math.hypot(e.clientX - this.clickAt[0], e.clientY - this.clickAt[1]) < MOVE_PX) return;
    this.clickAt = null;
    const d = this.data;
    this.pointer = xy.concat(new Array(Math.max(0, d.dim - 2)).fill(0)).slice(0, Math.max(d.dim, 1));
    if (this.frame && !this.frame.playing) this.frame.dismissed = true;  // the pointer takes over
    if (this.frame && this.frame.playing) return;
    this.render();
    if (this.net && !e.moved) {  // a pointer move (not the map's), timed for bench_live
      const t0 = e.timeStamp;
      requestAnimationFrame(() => {
        G.hoverTimes.push(performance.now() - t0);
        if (G.hoverTimes.length > 2000) G.hoverTimes.splice(0, 1000);
      });
    } else if (!d.net || this.failed) this.askServer(xy);
  }

  /** The map moved under a resting pointer (a zoom, a pan, a scroll, a resize): the z under
   *  it is read again once Plotly has drawn the new axes (the next frames). */
  onMapMoved() {
    if (!this.lastMove || !(this.pointer || this.unread)) return;
    const again = (tries) => requestAnimationFrame(() => {
      if (!alive(this) || !this.lastMove || !(this.pointer || this.unread)) return;
      const m = this.lastMove;
      if (this.bridge.toData(m.clientX, m.clientY) === undefined && tries > 0) again(tries - 1);
      else this.onMove({ ...m, moved: true });
    });
    again(30);
  }

  /** Whether the pointer is on the map itself, not on what lies over it there (Streamlit's
   *  header over a map scrolled under it: seen in the sequence benchmark, seed 206). */
  onMap(e) {
    const gd = this.bridge.map(), el = document.elementFromPoint(e.clientX, e.clientY);
    return Boolean(gd && el && gd.contains(el));
  }

  /** The map as drawn now, to tell whether it moved or was replaced since the last read. */
  mapNow() {
    const a = this.bridge.area();
    return a ? [a.gd, a.left, a.top, a.xa._length, a.ya._length, ...a.xa.range, ...a.ya.range] : null;
  }

  /** A rerun may replace or move the map with no Plotly event reaching this panel (its events
   *  are bound to the element it saw): a pointer resting over it would then go unread, and the
   *  panel would keep showing the selected point (seen in the sequence benchmark after a click
   *  that added a stop, and in CI after a click reported once the pointer had moved on). So
   *  the z under the last pointer position is read again whenever the map drawn there changed
   *  or no z is read under it (a pointer still where it clicked stays unread: ``onMove``). */
  watch() {
    if (!alive(this) || !this.lastMove || this.outside) return;
    const now = this.mapNow(), was = this.seen;
    const same = now && was && now.length === was.length && now.every((v, i) => v === was[i]);
    if (!now || (same && this.pointer)) return;
    this.onMove({ ...this.lastMove, moved: true });
  }

  onOut() {
    [this.outside, G.pointerAt] = [true, null];
    this.onLeave();
  }

  onLeave() {
    if (!this.pointer) return;
    this.pointer = null;
    clearTimeout(this.restTimer);
    this.render();
  }

  /** No decoder in the page: the server decodes the z once the pointer rests there. */
  askServer(xy) {
    clearTimeout(this.restTimer);
    this.restTimer = setTimeout(() => {
      this.restingAt = xy.map((v) => v.toFixed(4)).join(",");
      if (this.trigger) this.trigger("rest", this.restingAt);
    }, this.data.rest_ms);
  }

  /** A click on the map: its selection painted here at once; the server follows. */
  onClick(ev) {
    const pick = this.root && clickedPoint(ev.points);
    if (!pick) return;
    const d = this.data, dim = Math.max(d.dim, 1);
    const z = dim <= 2 || pick.index === null
      ? pick.xy.concat(new Array(Math.max(0, dim - 2)).fill(0)).slice(0, dim) : null;  // a deeper code is the server's
    const prev = this.selection && this.selection.page ? this.selection.prev : this.selection;
    this.selection = { ...pick, z, page: true, prev, before: selKey(prev), at: performance.now() };
    const e = ev.event;
    this.clickAt = e ? [e.clientX, e.clientY] : null;
    this.pointer = null;
    if (this.frame) this.frame.dismissed = !this.frame.playing;
    this.render();
    if (e && this.shown.pixels) {  // timed when the page painted it (benchmarks/bench_live.py)
      const t0 = e.timeStamp;
      requestAnimationFrame(() => {
        G.clickTimes.push(performance.now() - t0);
        if (G.clickTimes.length > 2000) G.clickTimes.splice(0, 1000);
      });
    }
  }

  /** The selection before a click that the server will not take (a double-click). */
  unclick() {
    if (!this.root || !this.selection || !this.selection.page) return;
    this.selection = this.selection.prev;
    this.render();
  }

  /** The player's frame (null: no walk), shown while it plays and after a pause. */
  setFrame(frame) {
    if (frame && this.frame && frame.playing === false && !this.frame.playing) frame.dismissed = this.frame.dismissed;
    this.frame = frame;
    if (this.root) this.render();
  }

  state() {
    const f = this.frame;
    if (f && f.playing) return "play";
    if (this.pointer) return "hover";
    if (f && !f.dismissed) return "play";
    return this.selection ? "selected" : "none";
  }

  /** Show the state that is true now. */
  render() {
    if (!this.root || !this.data) return;
    const state = this.state(), f = this.frame;
    if (state === "play") {
      const title = `${f.playing ? "Playing the walk" : "Walk paused"} (frame ${f.k} of ${f.n})`;
      this.show(state, title, f.z, f.pixels, f.decoder, f.decoder === "server" ? "decoded on the server" : "");
      if (!f.pixels && f.image) this.canvas.getContext("2d").drawImage(f.image, 0, 0, this.data.side, this.data.side);
    } else if (state === "hover") {
      const z = this.pointer;
      if (this.net) this.show(state, "Under the pointer", z, decode(this.net, z, this.pixels), "page", "");
      else this.show(state, "Under the pointer", z, null, null, this.data.net && !this.failed
        ? "Loading the decoder into the page…" : this.failed ? FAILED : this.data.why);
    } else if (state === "selected" && this.selection.page) {
      this.showSelected(this.selection);
    } else {
      this.hide(state);
    }
  }

  showSelected(s) {
    const pixels = this.net && s.z ? decode(this.net, s.z, this.pixels) : null;
    const what = "a point of empty space, decoded.";
    this.show("selected", "Selected point", s.z, pixels, pixels ? "page" : null,
      pixels ? "" : "decoding on the server…");
    const cell = this.data.sprite, img = this.sprite;
    const inSheet = s.index !== null && cell && s.index < cell.n && img && img.complete && img.naturalWidth > 0;
    this.original.hidden = !inSheet;
    if (inSheet) {
      const side = cell.side, col = s.index % cell.cols, row = Math.floor(s.index / cell.cols);
      const ctx = this.original.getContext("2d");
      ctx.clearRect(0, 0, side, side);
      ctx.drawImage(img, col * side, row * side, side, side, 0, 0, side, side);
    }
    const z = s.z ? `z = ${fmtZ(s.z)}` : "";  // worded as the server's block words it
    this.zText.textContent = s.index === null ? `${z} — ${what}` : `Test image #${s.index} · ${z}`;
  }

  show(state, title, z, pixels, decoder, note) {
    if (pixels) paint(this.canvas, pixels, this.data.side);
    this.original.hidden = true;
    this.canvas.style.visibility = pixels || decoder === "server" ? "" : "hidden";  // not "visible": it shows through
    this.title.textContent = title;
    this.zText.textContent = z ? "z = " + fmtZ(z) : "";
    this.note.textContent = note || "";
    this.shown = { state, title, z, pixels, decoder };
    this.overlay.place(true);
  }

  hide(state) {
    const s = state === "selected" ? this.selection : null;
    const pixels = s && s.z && this.net ? decode(this.net, s.z, this.pixels) : null;
    this.shown = { state, title: state === "none" ? "" : "Selected point", z: s ? s.z : null,
                   pixels, decoder: pixels ? "page" : s ? "server" : null };
    this.overlay.place(false);
  }

  showServer(server) {
    const img = new Image();
    img.onload = () => {
      if (!this.root || !this.pointer) return;
      this.show("hover", "Under the pointer", server.z, null, "server", "decoded on the server");
      this.canvas.getContext("2d").drawImage(img, 0, 0, this.data.side, this.data.side);
    };
    img.src = server.uri;
  }

  /** What the panel shows now, for tests (see ``G.probe``). */
  probe() {
    const s = this.shown, title = s.state === "none" ? this.overlay.heading() : s.title;
    return { state: s.state, title, z: s.z ? Array.from(s.z) : null,
             pixels: s.pixels ? Array.from(s.pixels) : null, decoder: s.decoder };
  }
}
