"""What the explorer page shows now, read in one ``page.evaluate``: the page's own account
through ``window.__aeLive.probe()`` (the contract of issue 24), Plotly's axes, what is under the
pointer, whether the player says it plays, Streamlit's exception boxes, the URL. A page without
the probe is read from its DOM instead (the panel's canvas, the selected point's image, the
marker element): its images are 8-bit, so ``sequence_checks`` allows half a level more."""

from __future__ import annotations

import numpy as np

_DOM_PROBE = """
  const inShadow = (sel) => { for (const h of document.querySelectorAll('*')) {
    const r = h.shadowRoot && h.shadowRoot.querySelector(sel); if (r) return r; } return null; };
  const rgba = (src, w, h) => { const c = document.createElement('canvas'); c.width = w;
    c.height = h; const x = c.getContext('2d'); x.drawImage(src, 0, 0, w, h);
    return Array.from(x.getImageData(0, 0, w, h).data); };
  const zOf = (t) => { const m = /z = \\(([^)]*)\\)/.exec(t || ''); return m ?
    m[1].split(',').map(Number).filter(v => Number.isFinite(v)) : null; };
  const m = document.getElementById('ae-walk-marker');
  const marker = m && m.style.display !== 'none' ? {client: [parseFloat(m.style.left),
    parseFloat(m.style.top)], visible: true} : null;
  const G = window.__aeLive || {};
  const walk = G.play && G.play.p !== undefined ? {p: G.play.p, stops: null, method: null} : null;
  const live = inShadow('.ae-live');
  if (live && !live.hidden) {
    const c = live.querySelector('canvas'), title = live.querySelector('.ae-title').innerText;
    const shown = c.style.visibility !== 'hidden';
    return {state: title.startsWith('Under') ? 'hover' : 'play', title, walk, marker,
      z: zOf(live.innerText), rgba: shown ? rgba(c, c.width, c.height) : null,
      rgbaSize: [c.width, c.height], model: null, decoder: 'page'};
  }
  const dec = document.querySelector('.st-key-decoded');
  if (!dec || dec.style.display === 'none') return {state: 'none', title: '', walk, marker};
  const imgs = dec.querySelectorAll('img'), img = imgs[imgs.length - 1];
  const title = (dec.querySelector('h1,h2,h3') || {}).innerText || '';
  if (!img) return {state: 'none', title, walk, marker};
  return {state: 'selected', title, walk, marker, z: zOf(dec.innerText), model: null,
    decoder: 'server', rgba: img.complete && img.naturalWidth ? rgba(img, img.naturalWidth,
    img.naturalHeight) : null, rgbaSize: [img.naturalWidth, img.naturalHeight]};
"""

READ = """([px, py]) => {
  const out = {source: 'probe', exceptions: document.querySelectorAll(
    '[data-testid=stException]').length, search: location.search, path: location.pathname};
  const G = window.__aeLive;
  try { out.probe = G && typeof G.probe === 'function' ? G.probe() : null; }
  catch (e) { out.probeError = String(e); }
  if (!out.probe && !out.probeError) { out.source = 'dom'; out.probe = (() => { %s })(); }
  else if (out.probe && out.probe.state === 'selected' && !out.probe.pixels) {
    // a code the page leaves to the server (a deeper latent's test point): its image
    const dec = document.querySelector('.st-key-decoded'), imgs = dec ? dec.querySelectorAll(
      'img') : [], img = imgs[imgs.length - 1];
    if (img && img.complete && img.naturalWidth) { const c = document.createElement('canvas');
      c.width = img.naturalWidth; c.height = img.naturalHeight; const x = c.getContext('2d');
      x.drawImage(img, 0, 0); out.probe.rgba = Array.from(x.getImageData(0, 0, c.width,
      c.height).data); out.probe.rgbaSize = [c.width, c.height]; }
  }
  // the map shown (an old one may stay in the document, hidden, beside it)
  const gd = Array.from(document.querySelectorAll('.st-key-map .js-plotly-plot, ' +
    '.st-key-talkmap .js-plotly-plot')).find((g) => g.getClientRects().length > 0);
  const L = gd && gd._fullLayout;
  if (L && L.xaxis && L.yaxis) {
    const r = gd.getBoundingClientRect();
    out.axes = {x: [L.xaxis.range[0], L.xaxis.range[1], r.left + L.xaxis._offset, L.xaxis._length,
                    L.xaxis.type], y: [L.yaxis.range[0], L.yaxis.range[1], r.top + L.yaxis._offset,
                    L.yaxis._length, L.yaxis.type]};
    const under = px === null ? null : document.elementFromPoint(px, py);
    out.pointerOnMap = !!under && gd.contains(under);
  }
  // what the player's map bridge holds: said with a hidden marker, to tell why
  const P = window.__aeComponents && window.__aeComponents.get('live_play');
  if (P && P.bridge && out.probe) { const b = P.bridge, d = b.drag, L = b.gd && b.gd._fullLayout;
    const box = (el) => { const r = el.getBoundingClientRect(); return [Math.round(r.width),
      Math.round(r.height)]; };
    out.probe.bridge = {map: !!b.gd, connected: !!(b.gd && b.gd.isConnected), current: !!gd &&
      b.gd === gd, maps: document.querySelectorAll('.js-plotly-plot').length, at: P.marker.at,
      box: b.gd ? box(b.gd) : null, drag: d ? [...box(d), d.isConnected] : null,
      len: L && L.xaxis ? [L.xaxis._length, L.yaxis._length] : null, running: P.running}; }
  const button = (() => { for (const h of document.querySelectorAll('*')) {
    const b = h.shadowRoot && h.shadowRoot.querySelector('.ae-play button'); if (b) return b; }
    return null; })();
  out.playing = !!button && button.isConnected && button.textContent.trim() === 'Pause';
  return out; }""" % _DOM_PROBE


def shown_pixels(probe: dict, side: int, channels: int) -> np.ndarray | None:
    """The probe's pixels, or the RGBA read back from the page as the model's planes."""
    if probe.get("pixels") is not None:
        return np.asarray(probe["pixels"], dtype=np.float64)
    if probe.get("rgba") is None:
        return None
    w, h = probe["rgbaSize"]
    img = np.asarray(probe["rgba"], dtype=np.float64).reshape(h, w, 4) / 255
    s = side  # an enlarged image: the centre of each of its cells
    centres = ((np.arange(s) + 0.5) * h / s).astype(int), ((np.arange(s) + 0.5) * w / s).astype(int)
    img = img[centres[0]][:, centres[1]]
    return np.concatenate([img[..., c].reshape(-1) for c in range(channels)])
