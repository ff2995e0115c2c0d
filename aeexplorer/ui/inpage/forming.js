// The Train page's "Under the pointer" beside the forming map: the z under the pointer over the
// map, decoded in the page by the model as it is at its latest snapshot. Each snapshot line of
// the training names a new decoder file (aeexplorer/app/snapshot_decoders.py); the panel loads
// it and swaps it in once parsed, keeping the one before until then, and drops the old one from
// the page's cache (each is a few MB). Mounted by aeexplorer/ui/forming.py; joined after
// decoder.js, mapbridge.js and paint.js.

const FORMING_MAP = ".st-key-train_forming .js-plotly-plot";
const FORMING = (window.__aeForming ||= { panel: null });

class FormingPanel {
  root; title; canvas; zText; note;
  data = null;
  parent = null;
  net = null;  // the parsed decoder in use, its url and the moment it is of
  netUrl = null;
  netMoment = "";
  loadingUrl = null;  // the decoder on its way (a newer one overtakes it)
  swaps = 0;  // decoders swapped in so far (for the tests)
  pointer = null;  // the z under the pointer while it is over the plot area
  lastMove = null;  // {clientX, clientY}: the map moves under a resting pointer at each snapshot
  pixels = null;
  shown = { state: "none", z: null, pixels: null };
  bridge;
  listeners;

  constructor(parent) {
    this.parent = parent;
    this.root = parent.querySelector(".ae-forming");
    const q = (s) => this.root.querySelector(s);
    [this.title, this.canvas, this.zText, this.note] = [q(".ae-title"), q("canvas"), q(".ae-z"), q(".ae-note")];
    const moved = () => this.reread();
    this.bridge = new MapBridge({ plotly_afterplot: moved, plotly_relayout: moved }, FORMING_MAP);
    const doc = document, leave = () => this.onLeave();
    this.listeners = [[doc, "pointermove", (e) => this.onMove(e)], [doc, "pointercancel", leave],
      [doc, "scroll", moved, true], [window, "resize", moved], [doc.documentElement, "pointerleave", leave]];
    for (const [el, name, fn, capture] of this.listeners) {
      el.addEventListener(name, fn, { passive: true, capture: !!capture });
    }
  }

  dispose() {
    for (const [el, name, fn, capture] of this.listeners) {
      el.removeEventListener(name, fn, { capture: !!capture });
    }
    this.bridge.dispose();
    if (this.netUrl && window.__aeNets) window.__aeNets.delete(this.netUrl);
    this.root = null;  // a decoder still on its way finds the panel gone
  }

  /** New data from the server (each second while it trains): the latest decoder's file. */
  update(data) {
    this.data = data;
    this.root.classList.toggle("talk", Boolean(data.talk));
    const net = data.net;
    if (net) {
      const side = net.spec.side;
      if (this.canvas.width !== side) this.canvas.width = this.canvas.height = side;
      this.canvas.style.width = this.canvas.style.height = cssSize(data.px);
      if (net.url !== this.netUrl && net.url !== this.loadingUrl) this.load(net);
    }
    this.render();
  }

  load(net) {
    this.loadingUrl = net.url;
    loadNet(net.url, net.spec).then((parsed) => {
      if (!this.root || this.loadingUrl !== net.url) {  // gone, or a newer one overtook it
        window.__aeNets.delete(net.url);
        return;
      }
      const old = this.netUrl;
      Object.assign(this, { net: parsed, netUrl: net.url, netMoment: net.moment, loadingUrl: null });
      this.pixels = new Float32Array(parsed.spec.channels * parsed.spec.side ** 2);
      this.swaps += 1;
      if (old && old !== net.url) window.__aeNets.delete(old);
      this.render();
    }).catch(() => {  // removed already (a later snapshot's came): the next update asks again
      if (this.loadingUrl === net.url) this.loadingUrl = null;
    });
  }

  onMove(e) {
    if (!this.root) return;
    if (!this.parent.isConnected) { this.dispose(); return; }
    this.lastMove = { clientX: e.clientX, clientY: e.clientY };
    const xy = this.bridge.toData(e.clientX, e.clientY);
    if (xy === undefined) return;  // the map is being redrawn: read again after it
    if (xy === null) { this.onLeave(); return; }
    const dim = this.net ? this.net.spec.latent_dim : 2;
    this.pointer = xy.concat(new Array(Math.max(0, dim - 2)).fill(0)).slice(0, Math.max(dim, 1));
    this.render();
  }

  /** The map was redrawn (a new snapshot moves its axes) or scrolled under a resting pointer:
   *  the z under it is read again. */
  reread() {
    if (this.lastMove && this.pointer) requestAnimationFrame(() => {
      if (this.root && this.lastMove) this.onMove(this.lastMove);
    });
  }

  onLeave() {
    if (!this.pointer) return;
    this.pointer = null;
    this.render();
  }

  render() {
    if (!this.root || !this.data) return;
    const z = this.pointer;
    let note = "", pixels = null;
    if (!this.data.net && !this.net) note = this.data.why || "The decoder comes with the first snapshot.";
    else if (!this.net) note = "Loading the model's decoder into the page…";
    else if (!z) note = "Point at the map: the image there, as the model decodes it now.";
    else {
      pixels = decode(this.net, z, this.pixels);
      paint(this.canvas, pixels, this.net.spec.side);
      note = `Decoded in this page by the model at ${this.netMoment}.`;
    }
    this.canvas.style.visibility = pixels ? "visible" : "hidden";
    this.zText.textContent = pixels ? "z = " + fmtZ(z) : "";
    this.note.textContent = note;
    this.shown = { state: pixels ? "hover" : "none", z: pixels ? Array.from(z) : null, pixels };
  }

  /** What the panel shows now, for tests. */
  probe() {
    const s = this.shown;
    return { state: s.state, z: s.z, pixels: s.pixels ? Array.from(s.pixels) : null,
             url: this.netUrl, spec: this.net ? this.net.spec : null, moment: this.netMoment,
             swaps: this.swaps, note: this.note.textContent };
  }
}

FORMING.probe = () => (FORMING.panel && FORMING.panel.root ? FORMING.panel.probe() : null);

export default function (component) {
  const { data, parentElement } = component;
  let it = FORMING.panel;
  if (!it || !it.root || it.parent !== parentElement) {
    if (it && it.root) it.dispose();
    it = FORMING.panel = new FormingPanel(parentElement);
  }
  it.update(data);
  // Streamlit calls this on unmount, and at once for a call a newer one overtook
  return () => setTimeout(() => {
    if (it.root && !it.parent.isConnected) {
      if (FORMING.panel === it) FORMING.panel = null;
      it.dispose();
    }
  }, 0);
}
