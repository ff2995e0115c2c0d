// The decoder that runs in the page: the weights written by aeexplorer/app/export.py, parsed
// once and evaluated on a z. Loaded before live.js (aeexplorer/ui/explorer/live.py joins the
// two sources), and imported alone by the tests and benchmarks that check it against torch.

/** Layers from the float32 blob: each weight (out x in, row-major) then its bias. */
export function parseNet(spec, buffer) {
  const flat = new Float32Array(buffer);
  let at = 0;
  const layers = spec.layers.map((l) => {
    const w = flat.subarray(at, at + l.in * l.out);
    at += l.in * l.out;
    const b = flat.subarray(at, at + l.out);
    at += l.out;
    return { n: l.in, m: l.out, act: l.act, w, b };
  });
  if (at !== flat.length) throw new Error("the decoder's weights do not match its layers");
  const width = Math.max(spec.latent_dim, ...layers.map((l) => l.m));
  return { spec, layers, a: new Float64Array(width), b: new Float64Array(width) };
}

/** The network at ``url`` (fetched once per page, whatever the reruns). */
export function loadNet(url, spec) {
  const nets = (window.__aeNets ||= new Map());
  if (!nets.has(url)) {
    nets.set(url, fetch(url).then((r) => {
      if (!r.ok) throw new Error(`decoder ${r.status}`);
      return r.arrayBuffer();
    }).then((buffer) => parseNet(spec, buffer)).catch((error) => {
      nets.delete(url);  // a later rerun tries again
      throw error;
    }));
  }
  return nets.get(url);
}

/** z (missing dimensions are 0) -> ``out`` (channels*side*side values in [0, 1]: the image's
 *  planes one after the other, grey or red, green, blue). */
export function decode(net, z, out) {
  let x = net.a, y = net.b;
  for (let i = 0; i < net.spec.latent_dim; i++) x[i] = i < z.length ? z[i] : 0;
  for (const { n, m, act, w, b } of net.layers) {
    for (let j = 0; j < m; j++) {
      let s = b[j];
      const row = j * n;
      for (let i = 0; i < n; i++) s += w[row + i] * x[i];
      y[j] = act === "relu" ? (s > 0 ? s : 0) : act === "sigmoid" ? 1 / (1 + Math.exp(-s)) : s;
    }
    [x, y] = [y, x];
  }
  const sigmoid = net.spec.output === "sigmoid";
  for (let k = 0; k < out.length; k++) {
    const v = x[k];
    out[k] = sigmoid ? 1 / (1 + Math.exp(-v)) : Math.min(1, Math.max(0, v));
  }
  return out;
}
