// The decoder that runs in the page: the weights written by aeexplorer/app/export.py (its
// docstring gives the layout), parsed once and evaluated on a z. Dense layers and transposed
// convolutions, batch norm already folded in. Loaded before live.js (aeexplorer/ui/explorer/
// live.py joins the two sources), and imported alone by the tests and benchmarks that check it
// against torch.

const MAX_VALUES = 1 << 22;  // one layer's outputs: beyond every model the project builds
const ACTS = new Set(["relu", "sigmoid", "none"]);

/** A whole number in [lo, hi], or throw: the spec comes from a file, and sizes buffers. */
function count(value, lo, hi) {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new Error("the decoder's layers are malformed");
  }
  return value;
}

/** One spec entry checked against the size of its input; its inputs, outputs and floats. */
function checked(l) {
  if (!l || !ACTS.has(l.act)) throw new Error("the decoder's layers are malformed");
  if (l.type === undefined || l.type === "dense") {
    const n = count(l.in, 1, MAX_VALUES), m = count(l.out, 1, MAX_VALUES);
    return { dense: true, n, m, floats: n * m + m };
  }
  if (l.type !== "convT") throw new Error("the decoder's layers are malformed");
  const k = count(l.k, 1, 64), stride = count(l.stride, 1, 64), pad = count(l.pad, 0, k - 1);
  const inC = count(l.in_c, 1, 4096), outC = count(l.out_c, 1, 4096);
  const inSide = count(l.in_side, 1, 4096), outSide = count(l.out_side, 1, 4096);
  if (outSide !== (inSide - 1) * stride - 2 * pad + k) {
    throw new Error("the decoder's layers are malformed");
  }
  const n = count(inC * inSide * inSide, 1, MAX_VALUES), m = count(outC * outSide * outSide, 1, MAX_VALUES);
  return { dense: false, n, m, floats: k * k * inC * outC + outC, k, stride, pad, inC, outC,
           inSide, outSide };
}

/** Layers from the float32 blob, each weight then its bias, after checking that the spec
 *  chains (each layer reads what the one before it writes, the last writes the image) and
 *  that the blob holds exactly its weights. Buffers are allocated here, once; a dense
 *  layer's weights are kept transposed (see ``dense``). */
export function parseNet(spec, buffer) {
  if (!spec || typeof spec !== "object") throw new Error("the decoder's layers are malformed");
  const flat = new Float32Array(buffer);
  const dim = count(spec.latent_dim, 1, 4096);
  const pixels = count(spec.channels, 1, 3) * count(spec.side, 1, 4096) ** 2;
  if (!Array.isArray(spec.layers) || !spec.layers.length || spec.layers.length > 64 ||
      (spec.output !== "sigmoid" && spec.output !== "clip")) {
    throw new Error("the decoder's layers are malformed");
  }
  let at = 0, width = dim, widest = dim;
  const layers = spec.layers.map((l) => {
    const c = checked(l);
    if (c.n !== width || at + c.floats > flat.length) {
      throw new Error("the decoder's weights do not match its layers");
    }
    const split = at + c.floats - (c.dense ? c.m : c.outC);
    const w = flat.subarray(at, split);
    const layer = { ...c, act: l.act, w: c.dense ? transposed(w, c.n, c.m) : w,
                    b: flat.subarray(split, at + c.floats),
                    acc: c.dense ? null : new Float64Array(c.outC) };
    at += c.floats;
    width = c.m;
    widest = Math.max(widest, width);
    return layer;
  });
  if (at !== flat.length || width !== pixels) {
    throw new Error("the decoder's weights do not match its layers");
  }
  const last = layers[layers.length - 1];
  return { spec, layers, channelsLast: !last.dense, a: new Float64Array(widest),
           b: new Float64Array(widest) };
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

function activate(s, act) {
  return act === "relu" ? (s > 0 ? s : 0) : act === "sigmoid" ? 1 / (1 + Math.exp(-s)) : s;
}

/** y = act(W x + b), with W stored transposed (n x m, see parseNet): each input adds its
 *  column, so the inputs a ReLU zeroed (about half) cost nothing. Measured in Node on the
 *  conv VAE's 256 -> 3136 layer: about twice as fast as a dot product per output. */
function dense({ n, m, act, w, b }, x, y) {
  for (let j = 0; j < m; j++) y[j] = b[j];
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (v === 0) continue;
    const col = i * m;
    for (let j = 0; j < m; j++) y[j] += v * w[col + j];
  }
  if (act !== "none") for (let j = 0; j < m; j++) y[j] = activate(y[j], act);
}

/** The (m x n) row-major weights of a dense layer as (n x m), copied once. */
function transposed(w, n, m) {
  const t = new Float32Array(n * m);
  for (let j = 0; j < m; j++) {
    const row = j * n;
    for (let i = 0; i < n; i++) t[i * m + j] = w[row + i];
  }
  return t;
}

/** A transposed convolution, channels-last in and out, gathered per output pixel: the taps
 *  (ky, kx) that reach it are those with ky = (oy + pad) mod stride, then every stride-th
 *  up to oy + pad (iy = (oy + pad - ky) / stride >= 0),
 *  each adding W[ky, kx] (in_c x out_c, contiguous) times the input pixel's channels. Zeros
 *  (ReLU's) are skipped. Measured in Node against scattering from each input pixel and
 *  against planes (channels-first): the same speed or faster, with no bounds test per write. */
function convT(l, x, y) {
  const { k, stride, pad, inC, outC, inSide, outSide, act, w, b, acc } = l;
  for (let oy = 0; oy < outSide; oy++) {
    for (let ox = 0; ox < outSide; ox++) {
      for (let co = 0; co < outC; co++) acc[co] = b[co];
      for (let ky = (oy + pad) % stride; ky < k && ky <= oy + pad; ky += stride) {
        const iy = (oy + pad - ky) / stride;
        if (iy >= inSide) continue;
        for (let kx = (ox + pad) % stride; kx < k && kx <= ox + pad; kx += stride) {
          const ix = (ox + pad - kx) / stride;
          if (ix >= inSide) continue;
          const xb = (iy * inSide + ix) * inC, wk = (ky * k + kx) * inC;
          for (let ci = 0; ci < inC; ci++) {
            const v = x[xb + ci];
            if (v === 0) continue;
            const wb = (wk + ci) * outC;
            for (let co = 0; co < outC; co++) acc[co] += v * w[wb + co];
          }
        }
      }
      const yb = (oy * outSide + ox) * outC;
      for (let co = 0; co < outC; co++) y[yb + co] = activate(acc[co], act);
    }
  }
}

/** z (missing dimensions are 0) -> ``out`` (channels*side*side values in [0, 1]: the image's
 *  planes one after the other, grey or red, green, blue). */
export function decode(net, z, out) {
  let x = net.a, y = net.b;
  for (let i = 0; i < net.spec.latent_dim; i++) x[i] = i < z.length ? z[i] : 0;
  for (const layer of net.layers) {
    if (layer.dense) dense(layer, x, y);
    else convT(layer, x, y);
    [x, y] = [y, x];
  }
  const sigmoid = net.spec.output === "sigmoid";
  const channels = net.spec.channels, plane = net.spec.side * net.spec.side;
  const n = Math.min(out.length, channels * plane);
  for (let k = 0; k < n; k++) {
    // out is planes; a convolution's output is channels-last
    const v = net.channelsLast ? x[(k % plane) * channels + Math.floor(k / plane)] : x[k];
    out[k] = sigmoid ? 1 / (1 + Math.exp(-v)) : Math.min(1, Math.max(0, v));
  }
  return out;
}
