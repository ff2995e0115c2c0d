// A drawing pad for a digit: light strokes on dark, drawn with a mouse, a pen or a finger
// (pointer events), with undo and clear; for a colour model, a pen colour to choose (each
// stroke keeps the colour it was drawn in). Mounted by aeexplorer/ui/draw.py as a Streamlit
// components.v2 component. When a stroke ends (and on undo or clear) the pad sends its picture
// as a PNG data URL in its state value "png" ("" when empty); the server prepares, encodes and
// places it, and the page's map moves its star. The strokes are kept in the element, so a rerun
// of the page keeps the drawing.

const SIDE = 280;  // the canvas's own pixels, whatever its size on screen

function setup(root) {
  const pad = {
    root, canvas: root.querySelector("canvas"), undo: root.querySelector(".ae-undo"),
    clear: root.querySelector(".ae-clear"), strokes: [], current: null, send: null, pen: 22,
    colour: root.querySelector(".ae-pen input"), penBox: root.querySelector(".ae-pen"),
    colours: false,
  };
  pad.canvas.width = pad.canvas.height = SIDE;
  const at = (e) => {
    const r = pad.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * SIDE, ((e.clientY - r.top) / r.height) * SIDE];
  };
  pad.canvas.addEventListener("pointerdown", (e) => {
    if (e.button !== 0 && e.pointerType === "mouse") return;
    e.preventDefault();
    pad.canvas.setPointerCapture(e.pointerId);
    pad.current = [at(e)];
    pad.current.ink = pad.colours ? pad.colour.value : "#fff";
    pad.strokes.push(pad.current);
    paint(pad);
  });
  pad.canvas.addEventListener("pointermove", (e) => {
    if (!pad.current) return;
    for (const ev of e.getCoalescedEvents ? e.getCoalescedEvents() : [e]) pad.current.push(at(ev));
    paint(pad);
  });
  const end = () => {
    if (!pad.current) return;
    pad.current = null;
    changed(pad);
  };
  pad.canvas.addEventListener("pointerup", end);
  pad.canvas.addEventListener("pointercancel", end);
  pad.undo.addEventListener("click", () => { pad.strokes.pop(); paint(pad); changed(pad); });
  pad.clear.addEventListener("click", () => { pad.strokes = []; paint(pad); changed(pad); });
  return pad;
}

/** Every stroke again: round pen, white (or its colour) on black. A single tap is a dot. */
function paint(pad) {
  const ctx = pad.canvas.getContext("2d");
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, SIDE, SIDE);
  ctx.lineWidth = pad.pen;
  ctx.lineCap = ctx.lineJoin = "round";
  for (const s of pad.strokes) {
    ctx.strokeStyle = s.ink;
    ctx.beginPath();
    ctx.moveTo(s[0][0], s[0][1]);
    if (s.length === 1) ctx.lineTo(s[0][0] + 0.01, s[0][1]);
    for (let i = 1; i < s.length; i++) ctx.lineTo(s[i][0], s[i][1]);
    ctx.stroke();
  }
  pad.undo.disabled = pad.clear.disabled = pad.strokes.length === 0;
}

function changed(pad) {
  const png = pad.strokes.length ? pad.canvas.toDataURL("image/png") : "";
  pad.root.dataset.strokes = String(pad.strokes.length);
  if (pad.send) pad.send("png", png);
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const root = parentElement.querySelector(".ae-draw");
  const pad = (root.__ae ||= setup(root));
  pad.send = setStateValue;
  pad.pen = data.pen;
  pad.colours = Boolean(data.colour);
  pad.penBox.hidden = !pad.colours;
  pad.canvas.style.width = pad.canvas.style.height =
    typeof data.px === "number" ? data.px + "px" : String(data.px);  // pixels, or a CSS length
  paint(pad);
  pad.root.dataset.strokes = String(pad.strokes.length);
}
