// The walk's player: Play / Pause, speed and loop; each frame decoded in the page, shown in
// its own canvas and in the panel beside the map, with a marker at the walk's point on the map.

/** The walk at ``p`` legs from its start: as aeexplorer.core.latent.ops (ModelOps.walk) interpolates, continuous. */
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

const SYNC_MS = 400;  // while paused, the marker is re-placed this often (a map redrawn anew)

class Player {
  root; button; speed; loop; canvas; hint; speedText;  // the player's own elements
  data = null;
  parent = null; build = ""; key = "";  // its mount, model and layout (see ``mounted``)
  net = null;
  imgs = [];  // the server's frames as images (no decoder in the page), loaded as drawn
  pixels = null;
  p = 0;  // the walk's position, in legs from its start
  running = false;
  last = 0;  // the time of the last frame
  raf = 0;
  timer = 0;
  counted = { frames: 0, t0: 0 };
  bridge;
  marker;
  listeners;

  constructor(parent, data) {
    this.root = parent.querySelector(".ae-play");
    const q = (s) => this.root.querySelector(s);
    [this.button, this.speed, this.loop] = [q("button"), q("input[type=range]"), q("input[type=checkbox]")];
    [this.canvas, this.hint, this.speedText] = [q("canvas"), q(".ae-hint"), q(".ae-speed")];
    this.bridge = new MapBridge({ plotly_relayout: () => this.sync(), plotly_relayouting: () => this.sync(),
                                  plotly_afterplot: () => this.sync() });
    this.marker = new Marker();
    const said = () => { this.speedText.textContent = Number(this.speed.value).toFixed(2) + " legs/s"; };
    this.listeners = [[this.button, "click", () => (this.running ? this.pause() : this.start())],
                      [this.speed, "input", said], [window, "resize", () => this.sync()]];
    for (const [el, name, fn] of this.listeners) el.addEventListener(name, fn);
    said();
    this.timer = setInterval(() => this.sync(), SYNC_MS);
    if (data.net) loadNet(data.net.url, data.net.spec).then((net) => {
      this.net = net;
      if (this.root && (this.running || this.p > 0)) this.draw();
    }).catch(() => {
      if (!this.root) return;
      this.stop();
      this.button.disabled = true;
      this.hint.textContent = "The page could not load the decoder: the strip below shows the walk.";
    });
  }

  dispose() {
    this.pause();
    clearInterval(this.timer);
    for (const [el, name, fn] of this.listeners) el.removeEventListener(name, fn);
    this.marker.hide();
    this.bridge.dispose();
    const panel = registry.get("live");
    if (panel) panel.setFrame(null);
    this.root = null;
  }

  /** New data from the server: the walk (its stops may have changed), sizes. */
  update(data) {
    const walk = JSON.stringify([data.stops, data.method]), same = this.data && walk === this.walkKey;
    this.data = data;
    this.walkKey = walk;
    this.imgs = same ? this.imgs : [];  // a new walk must not show the last one's frames
    this.canvas.width = this.canvas.height = data.side;
    this.canvas.style.width = this.canvas.style.height = cssSize(data.px);
    this.canvas.style.display = data.px ? "" : "none";  // talk mode: the frame shows beside the map
    this.pixels = new Float32Array(data.channels * data.side * data.side);
    this.button.disabled = !data.stops || data.stops.length < 2;
    this.hint.textContent = this.button.disabled ? "Two stops or more make a walk to play." : "";
    if (this.button.disabled) { this.p = 0; this.stop(); return; }
    this.p = Math.min(this.p, data.stops.length - 1);
    if (this.running || this.p > 0) this.draw();
  }

  start() {
    const end = this.data.stops.length - 1;
    if (this.p >= end - 1e-9) this.p = 0;
    this.running = true;
    this.button.textContent = "Pause";
    this.last = this.counted.t0 = performance.now();
    this.counted.frames = 0;
    const tick = (now) => {
      if (!this.running || !this.root) return;
      this.p += ((now - this.last) / 1000) * Number(this.speed.value);
      this.last = now;
      if (this.p >= end) {
        if (this.loop.checked) this.p %= end;
        else { this.p = end; this.pause(); return; }
      }
      this.draw();
      const n = ++this.counted.frames;
      G.play = { frames: n, fps: (n * 1000) / Math.max(now - this.counted.t0, 1), p: this.p };
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
    this.draw();
  }

  pause() {
    cancelAnimationFrame(this.raf);
    const was = this.running;
    this.running = false;
    if (this.button) this.button.textContent = "Play the walk";
    if (was && this.root) this.draw();  // the panel says "Walk paused" on this frame
  }

  stop() {
    this.pause();
    this.marker.hide();
    const panel = registry.get("live");
    if (panel) panel.setFrame(null);
  }

  /** The walk at ``p``: its decoded frame (here and beside the map) and the marker. */
  draw() {
    const d = this.data, end = d.stops.length - 1;
    const z = walkAt(d.stops, this.p, d.method);
    let pixels = null, image = null;
    if (this.net) {
      pixels = decode(this.net, z, this.pixels);
      paint(this.canvas, pixels, d.side);
    } else if (d.frames && d.frames.length) {  // the server's frame nearest the walk's point
      const i = Math.round((this.p / end) * (d.frames.length - 1));
      const img = this.imgs[i] || (this.imgs[i] = Object.assign(new Image(), { src: d.frames[i] }));
      if (img.complete) this.canvas.getContext("2d").drawImage(img, 0, 0, d.side, d.side);
      image = img.complete ? img : null;
    }
    const n = Math.max(d.n_frames, 1), k = Math.round((this.p / end) * (n - 1)) + 1;
    const decoder = pixels ? "page" : image ? "server" : null, panel = registry.get("live");
    if (panel) panel.setFrame({ z, pixels, image, decoder, k, n, playing: this.running, dismissed: false });
    this.marker.place(this.bridge, [z[0], z.length > 1 ? z[1] : 0]);
  }

  /** The marker where the map now draws the walk's point (scroll needs nothing: it is inside). */
  sync() {
    if (alive(this) && !this.running) this.marker.sync(this.bridge);
  }

  probe() {
    if (!this.data || !this.data.stops || this.data.stops.length < 2) return null;
    return { p: this.p, stops: this.data.stops, method: this.data.method === "slerp" ? "slerp" : "lerp" };
  }
}
