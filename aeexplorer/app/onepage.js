// The page of aeexplorer/app/onepage.py: a latent map that decodes the z under the pointer,
// selects on a click and plays the walk, from one file with no request. Appended to the app's
// decoder.js (parseNet, decode) and paint.js (paint, fmtZ) in one module script; the data is
// the JSON block of the page.
// Text from the data is set with textContent only: it comes from a checkpoint file.

const DATA = JSON.parse(document.getElementById("aeexplorer-data").textContent);
const CLICK_PX = 6;  // a click this close to a test point selects that point

/** The decoder's weights from their base64 text (in the file: nothing is fetched). */
function bytesOf(b64) {
  const text = atob(b64), bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes.buffer;
}


/** A map position as a full code: the other dimensions 0. */
const fullZ = (x, y) => [x, y, ...new Array(Math.max(0, DATA.dim - 2)).fill(0)].slice(0, DATA.dim);

/** The Plotly map: drawn from the data's figure; pixels to data and back (Plotly's axes). */
class MapBridge {
  gd = document.getElementById("map");
  selectedTrace = -1;

  async draw() {
    const { data, layout } = DATA.figure;
    this.selectedTrace = data.findIndex((t) => t.name === "selected z");
    await Plotly.newPlot(this.gd, data, layout, {
      responsive: true, displaylogo: false, scrollZoom: true,
      modeBarButtonsToRemove: ["select2d", "lasso2d"],
    });
  }

  /** Data coordinates under a client point, or null outside the plot area. */
  toData(clientX, clientY) {
    const L = this.gd._fullLayout;
    if (!L || !L.xaxis) return null;
    const r = this.gd.getBoundingClientRect(), xa = L.xaxis, ya = L.yaxis;
    const px = clientX - r.left - xa._offset, py = clientY - r.top - ya._offset;
    if (px < 0 || py < 0 || px > xa._length || py > ya._length) return null;
    return [xa.p2l(px), ya.p2l(py)];
  }

  /** A data point's position in the map's box (CSS pixels from its top left). */
  toBox(x, y) {
    const L = this.gd._fullLayout;
    return [L.xaxis._offset + L.xaxis.l2p(x), L.yaxis._offset + L.yaxis.l2p(y)];
  }

  /** The test point Plotly hovers last, when it lies within CLICK_PX of the client point. */
  testPointAt(clientX, clientY) {
    const hit = (this.gd._hoverdata || []).find((p) => typeof p.customdata === "number");
    if (!hit) return null;
    const r = this.gd.getBoundingClientRect(), [bx, by] = this.toBox(hit.x, hit.y);
    const near = Math.hypot(r.left + bx - clientX, r.top + by - clientY) <= CLICK_PX;
    return near ? { index: hit.customdata, x: hit.x, y: hit.y } : null;
  }

  moveSelected(x, y) {
    if (this.selectedTrace >= 0) Plotly.restyle(this.gd, { x: [[x]], y: [[y]] }, [this.selectedTrace]);
  }
}

/** The image beside the map: the z under the pointer, a walk's frame, or the selected point. */
class Panel {
  title = document.getElementById("panel-title");
  canvas = document.getElementById("image");
  still = document.getElementById("still");
  zText = document.getElementById("z");
  note = document.getElementById("note");
  net = null;
  pixels = new Float32Array(DATA.channels * DATA.side * DATA.side);
  selected = DATA.selected;  // {z, index, class} or null
  selectedImage = DATA.images ? DATA.images.selected : null;  // for a model without a net

  constructor(net) {
    this.net = net;
    this.canvas.width = this.canvas.height = DATA.side;
  }

  /** z decoded in the page (when it can be) under ``title``. */
  showZ(title, z, detail) {
    this.title.textContent = title;
    this.zText.textContent = "z = " + fmtZ(z) + (detail ? " · " + detail : "");
    if (this.net) {
      decode(this.net, z, this.pixels);
      this.paint(this.pixels);
      this.note.textContent = "";
    } else {
      this.showImage(null);
      this.note.textContent = DATA.why;
    }
  }

  /** A decoded image (a data URI) in place of the canvas; null: neither is shown. */
  showImage(uri) {
    [this.canvas.hidden, this.still.hidden] = [true, !uri];
    if (uri) this.still.src = uri;
  }

  showSelected() {
    const s = this.selected;
    if (!s) {
      this.title.textContent = "Selected point";
      this.showImage(null);
      this.zText.textContent = "";
      this.note.textContent = "Move the pointer over the map, or click a point.";
      return;
    }
    const what = s.index === null ? "a point of empty space" :
      "test image #" + s.index + (s.class === null ? "" : " · class " + s.class);
    this.showZ("Selected point", s.z, what);
    if (!this.net && this.selectedImage) {
      this.showImage(this.selectedImage);
      this.note.textContent = DATA.why;
    }
  }

  /** Decoded planes on the canvas (the app's own ``paint``, from ui/inpage/paint.js). */
  paint(pixels) {
    paint(this.canvas, pixels, DATA.side);
    [this.canvas.hidden, this.still.hidden] = [false, true];
  }
}

/** The walk: a marker moving along it over the map, its frame in the panel. The walk's codes
 *  (``steps`` per leg, as the app's walk makes them) are blended between neighbours. */
class Player {
  root = document.getElementById("player");
  button = document.getElementById("play");
  speed = document.getElementById("speed");
  speedText = document.getElementById("speed-text");
  loop = document.getElementById("loop");
  marker = document.getElementById("walk-marker");
  walk = DATA.walk;
  frames = DATA.images ? DATA.images.frames : [];
  p = 0;  // legs from the start
  running = false;
  last = 0;
  ticks = 0;  // frames drawn while playing (the tests read it)

  constructor(bridge, panel) {
    this.bridge = bridge;
    this.panel = panel;
    if (!this.walk) return;
    this.root.hidden = false;
    this.button.addEventListener("click", () => (this.running ? this.pause() : this.start()));
    const said = () => { this.speedText.textContent = Number(this.speed.value).toFixed(2) + " legs/s"; };
    this.speed.addEventListener("input", said);
    said();
  }

  get legs() { return this.walk.stops - 1; }

  /** The code at ``p`` legs from the start. */
  at(p) {
    const codes = this.walk.codes, f = p * (this.walk.steps - 1);
    const i = Math.min(Math.max(Math.floor(f), 0), codes.length - 2), t = Math.min(Math.max(f - i, 0), 1);
    return codes[i].map((v, d) => (1 - t) * v + t * codes[i + 1][d]);
  }

  start() {
    if (this.p >= this.legs - 1e-9) this.p = 0;
    this.running = true;
    this.button.textContent = "Pause";
    this.last = performance.now();
    requestAnimationFrame((now) => this.tick(now));
  }

  tick(now) {
    if (!this.running) return;
    this.p += ((now - this.last) / 1000) * Number(this.speed.value);
    this.last = now;
    if (this.p >= this.legs) {
      if (this.loop.checked) this.p %= this.legs;
      else { this.p = this.legs; this.draw(); this.pause(); return; }
    }
    this.draw();
    this.ticks += 1;
    requestAnimationFrame((t) => this.tick(t));
  }

  pause() { this.running = false; this.button.textContent = "Play the walk"; }

  draw() {
    const z = this.at(this.p);
    this.panel.showZ("On the walk", z);
    if (!this.panel.net && this.frames.length) {
      const i = Math.round((this.p / this.legs) * (this.frames.length - 1));
      this.panel.showImage(this.frames[i]);
    }
    this.place(z);
  }

  /** The marker over the map at z (again after a zoom or a resize). */
  place(z = this.at(this.p)) {
    if (!this.walk || (!this.running && this.p === 0)) return;
    const [x, y] = this.bridge.toBox(z[0], z.length > 1 ? z[1] : 0);
    this.marker.style.left = x + "px";
    this.marker.style.top = y + "px";
    this.marker.hidden = false;
  }
}

/** Talk mode: the map as high as the window (``#talk`` in the address, T, or the button). */
class TalkMode {
  button = document.getElementById("talk-toggle");
  on = false;
  legend = { ...DATA.figure.layout.legend };  // the legend's place out of talk mode

  constructor(bridge, player) {
    this.bridge = bridge;
    this.player = player;
    this.button.addEventListener("click", () => this.set(!this.on));
    document.addEventListener("keydown", (e) => {
      if ((e.key === "t" || e.key === "T") && !e.ctrlKey && !e.metaKey && !e.altKey
          && !(e.target instanceof HTMLInputElement)) this.set(!this.on);
    });
    window.addEventListener("hashchange", () => this.set(location.hash === "#talk"));
  }

  set(on) {
    this.on = on;
    document.body.classList.toggle("talk", on);
    this.button.setAttribute("aria-pressed", String(on));
    this.button.textContent = on ? "Leave talk mode" : "Talk mode";
    if ((location.hash === "#talk") !== on) history.replaceState(null, "", on ? "#talk" : "#");
    // as the app's talk mode: large type, the legend beside the map rather than under it
    const legend = on ? { orientation: "v", x: 1.02, xanchor: "left", y: 1, yanchor: "top" }
      : this.legend;
    Plotly.relayout(this.bridge.gd, {
      "font.size": on ? 20 : 13, legend: { ...legend, font: { size: on ? 20 : 13 } },
      margin: on ? { l: 10, r: 10, t: 10, b: 10 } : DATA.figure.layout.margin,
    }).then(() => { Plotly.Plots.resize(this.bridge.gd); this.player.place(); });
  }
}

/** The pointer over the map: decoded under it; a click selects. */
function listen(bridge, panel, player) {
  const gd = bridge.gd;
  let down = null;
  gd.addEventListener("pointermove", (e) => {
    if (player.running) return;
    const xy = bridge.toData(e.clientX, e.clientY);
    if (!xy) { panel.showSelected(); return; }
    panel.showZ("Under the pointer", fullZ(xy[0], xy[1]));
  }, { passive: true });
  gd.addEventListener("pointerleave", () => { if (!player.running) panel.showSelected(); });
  gd.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; });
  gd.addEventListener("click", (e) => {
    const still = down && Math.hypot(e.clientX - down[0], e.clientY - down[1]) < 5;
    const xy = still && bridge.toData(e.clientX, e.clientY);
    if (!xy) return;  // a drag (a zoom box), or outside the plot area
    const hit = bridge.testPointAt(e.clientX, e.clientY);
    // a test point's code is its map position when the latent is 2-D; deeper, the rest is 0
    const [x, y] = hit ? [hit.x, hit.y] : xy;
    panel.selected = { z: fullZ(x, y), index: hit ? hit.index : null, class: null };
    panel.selectedImage = null;
    bridge.moveSelected(x, y);
    const what = !hit ? "a point of empty space" : DATA.dim <= 2 ? "test image #" + hit.index
      : "the map position of test image #" + hit.index + ", the other dimensions 0";
    if (!player.running) panel.showZ("Selected point", panel.selected.z, what);
  });
  gd.on("plotly_relayout", () => player.place());
  window.addEventListener("resize", () => player.place());
}

async function main() {
  document.getElementById("caption").textContent = DATA.caption;
  document.getElementById("talk-caption").textContent = DATA.caption;
  const net = DATA.net ? parseNet(DATA.net.spec, bytesOf(DATA.net.weights)) : null;
  const bridge = new MapBridge(), panel = new Panel(net);
  await bridge.draw();
  const player = new Player(bridge, panel), talk = new TalkMode(bridge, player);
  listen(bridge, panel, player);
  panel.showSelected();
  if (location.hash === "#talk" || DATA.talk) talk.set(true);
  window.aeOnePage = { bridge, panel, player, talk };  // for the tests
}

main().catch((error) => {
  document.getElementById("note").textContent = "This page could not start: " + error.message;
});
