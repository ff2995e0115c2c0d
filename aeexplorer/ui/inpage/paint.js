// Drawing for the panel and the player: decoded planes on a canvas, a z in words, the test
// images' sprite sheet. Joined after mapbridge.js (see live.py).

/** A canvas's shown size: pixels, or a CSS length (talk mode sizes it to the window). */
function cssSize(px) {
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
const fmtZ = (z) => "(" + z.slice(0, 4).map(fix3).join(", ") + (z.length > 4 ? ", …" : "") + ")";

/** The test images' sprite sheet at ``url``, fetched once per page. */
function spriteImage(url) {
  const sheets = (window.__aeSprites ||= new Map());
  if (!sheets.has(url)) sheets.set(url, Object.assign(new Image(), { src: url }));
  return sheets.get(url);
}
