"""The latent space under the mouse, measured in Chromium: the page decodes the z under the
pointer itself (aeexplorer/ui/inpage/live.js), so these figures are the page's own work.

- pointer move -> decoded image painted, timed in the page: ``window.__aeLive.hoverTimes``
  holds, per move, the ms from the pointer event's ``timeStamp`` to the first animation frame
  after the draw; only the samples of this benchmark's moves are read;
- the same, end to end: Playwright's ``mouse.move`` to the first animation frame in which the
  panel's canvas holds different pixels (polled in the page, every frame);
- the websocket frames the page sends to the server during those moves (expected none);
- one decode in the page: ``decode`` of a fresh import of decoder.js (a Blob URL ``import()`` of
  the file's text), on the net the page loaded, 1,000 z in a row;
- the decoder's weights payload (the ``.bin`` the page fetched), page load -> first live
  decode, and the walk player's frame rate;
- the same pointer moves over the shipped conv VAE (``conv_hover``: its decoder's transposed
  convolutions run in the page too), and its ``decode`` per z;
- click on the map -> the selected point's image painted by the page, timed in the page as a
  hover is: ``window.__aeLive.clickTimes`` holds, per click the page painted, the ms from the
  click's pointer event (Plotly's ``plotly_click`` carries it) to the first animation frame
  after the draw; read after ``bench_browser``'s timed clicks (each waits for the server's
  answer before the next).

Everything runs against an open explorer page (``bench_browser.run_browser`` drives it);
``python benchmarks/bench_live.py [--clicks N] [--conv]`` runs the clicks and hovers alone
and prints their JSON."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from report import percentiles

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser.helpers import PLOT_READY, TO_PIXELS, wait_idle  # noqa: E402

DECODER_JS = ROOT / "aeexplorer" / "ui" / "inpage" / "decoder.js"
PAUSE_S = 0.02  # between moves: each move is its own pointer event (about a frame apart)

# the panel's canvas, inside the component's shadow root: found by walking shadow roots once
# per page, kept while it stays in the document
_CANVAS = """() => { const B = (window.__aeBench ||= {});
  if (B.canvas && B.canvas.isConnected) return B.canvas;
  const walk = (root) => { const c = root.querySelector('.ae-live canvas'); if (c) return c;
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) {
      const f = walk(el.shadowRoot); if (f) return f; }
    return null; };
  return (B.canvas = walk(document)); }"""
CANVAS_DATA = f"() => {{ const c = ({_CANVAS})(); return c ? c.toDataURL() : null; }}"
# after a move: resolves as soon as the canvas differs from `before` ("changed": checked at
# once, then in every animation frame, as wait_for_function does), or once the page recorded
# a hover but the pixels are the same ("same")
WAIT_PAINT = f"""([before, n0]) => new Promise((resolve) => {{
  const t = setTimeout(() => resolve(['timeout', before]), 5000);
  const check = () => {{ const c = ({_CANVAS})(), d = c ? c.toDataURL() : null;
    const n = window.__aeLive ? window.__aeLive.hoverTimes.length : 0;
    if (d !== before) {{ clearTimeout(t); resolve(['changed', d]); }}
    else if (n > n0) {{ clearTimeout(t); resolve(['same', d]); }}
    else requestAnimationFrame(check); }};
  check(); }})"""
HOVERS = "() => window.__aeLive ? window.__aeLive.hoverTimes.length : 0"
# one animation frame later (a hover recorded in the frame after its draw is then in the list)
HOVERS_NEXT_FRAME = ("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame("
                     "() => r(window.__aeLive ? window.__aeLive.hoverTimes.length : 0))))")
CLICKS_NEXT_FRAME = ("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame("
                     "() => r((window.__aeLive && window.__aeLive.clickTimes || []).slice()))))")
AXES = """() => { const d = document.querySelector('.js-plotly-plot');
  return [d._fullLayout.xaxis.range, d._fullLayout.yaxis.range]; }"""
PAGE_DECODE = """async ([source, calls]) => {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const mod = await import(url);
  URL.revokeObjectURL(url);
  const G = window.__aeLive;
  const net = (G.panel && G.panel.net) || await [...window.__aeNets.values()][0];
  const out = new Float32Array(net.spec.side * net.spec.side);
  const zs = Array.from({ length: calls }, (_, i) =>
    Array.from({ length: net.spec.latent_dim }, (_, k) => Math.sin(0.37 * i + k) * 2));
  for (let i = 0; i < 200; i++) mod.decode(net, zs[i % calls], out);  // warm-up (JIT)
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) mod.decode(net, zs[i], out);
  const ms = performance.now() - t0;
  const weights = net.layers.reduce((s, l) => s + 4 * (l.w.length + l.b.length), 0);
  const fetched = performance.getEntriesByType('resource')
    .filter((e) => e.name.includes('/static/decoders/'));
  return { ms, layers: net.layers.map((l) => [l.n, l.m]), weights,
           fetches: fetched.length,
           body: fetched.length ? fetched[0].decodedBodySize : null,
           transfer: fetched.length ? fetched[0].encodedBodySize : null,
           fetchMs: fetched.length ? fetched[0].duration : null }; }"""


class SentFrames:
    """Websocket frames the page sends (register before ``goto``). ``count()`` lets Playwright
    deliver the events already received before reading."""

    def __init__(self, page: Any):
        self.page, self.sent = page, 0
        page.on("websocket", lambda ws: ws.on("framesent", self._one))

    def _one(self, _payload: Any) -> None:
        self.sent += 1

    def count(self) -> int:
        self.page.evaluate("() => 0")  # a round trip: the events that arrived are handled
        return self.sent

    def quiet(self, for_s: float = 1.0, timeout: float = 30.0) -> None:
        """Until the page has sent nothing for ``for_s`` seconds (a rerun in flight is over)."""
        deadline, last, since = time.perf_counter() + timeout, self.count(), time.perf_counter()
        while time.perf_counter() < deadline and time.perf_counter() - since < for_s:
            time.sleep(0.1)
            if (n := self.count()) != last:
                last, since = n, time.perf_counter()


def zigzag(page: Any, n: int, phase: float = 0.0, crossing: int = 20) -> list[tuple]:
    """``n`` page pixels on a zig-zag over the plot area, in data coordinates (3% to 97% of
    each axis): across the map and back every ``2 * crossing`` moves while climbing from the
    bottom to the top, so the whole area is crossed and consecutive z differ."""
    (x0, x1), (y0, y1) = page.evaluate(AXES)
    pts = []
    for i in range(n):
        u = ((i / crossing) + phase) % 2
        fx = 0.03 + 0.94 * (u if u <= 1 else 2 - u)
        fy = 0.03 + 0.94 * i / max(n - 1, 1)
        pts.append([x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)])
    return [tuple(p) for p in page.evaluate(f"(pts) => pts.map({TO_PIXELS})", pts)]


def leave_map(page: Any) -> None:
    """The pointer off the map (the panel gives the selected point its place back)."""
    page.mouse.move(5, 5)
    time.sleep(0.1)


def hover_series(page: Any, frames: SentFrames, moves: int) -> dict:
    """Two series of ``moves`` moves each over the map: timed in the page, then end to end;
    and the websocket frames sent from the first move to the last (and 0.5 s after it)."""
    # not counted: the page decodes (its decoder has loaded), and then nothing is in flight
    if first_live_decode(page, time.perf_counter(), timeout=60) is None:
        raise RuntimeError("no live decode under the pointer: does the page decode this model?")
    frames.quiet()
    wait_idle(page)
    sent0 = frames.count()
    # timed in the page: the list emptied first (the page trims it beyond 2,000)
    page.evaluate("() => { window.__aeLive.hoverTimes.length = 0; }")
    for px, py in zigzag(page, moves):
        page.mouse.move(px, py)
        time.sleep(PAUSE_S)
    page.evaluate(HOVERS_NEXT_FRAME)
    in_page = page.evaluate("() => window.__aeLive.hoverTimes.slice()")
    # end to end: before each move the canvas's pixels, after it the frame that shows others
    e2e, same, timeouts = [], 0, 0
    before = page.evaluate(CANVAS_DATA)
    for px, py in zigzag(page, moves, phase=0.5):
        n = page.evaluate(HOVERS)
        t0 = time.perf_counter()
        page.mouse.move(px, py)
        status, before = page.evaluate(WAIT_PAINT, [before, n])
        elapsed = (time.perf_counter() - t0) * 1000
        if status == "changed":
            e2e.append(elapsed)
        else:
            same += status == "same"
            timeouts += status == "timeout"
    time.sleep(0.5)  # a message the moves caused (a resting pointer's request) has gone
    sent = frames.count() - sent0
    leave_map(page)
    if not in_page or not e2e:
        raise RuntimeError(f"no live decode under the pointer ({len(in_page)} in-page samples, "
                           f"{len(e2e)} canvas changes): does the page decode this model?")
    out = {"hover_moves": moves, "hover_samples": len(in_page),
           "hover_server_messages": sent, "hover_e2e_moves": moves,
           "hover_e2e_samples": len(e2e), "hover_e2e_unchanged": same,
           "hover_e2e_timeouts": timeouts}
    out["hover_p50_ms"], out["hover_p95_ms"] = percentiles(in_page)
    out["hover_e2e_p50_ms"], out["hover_e2e_p95_ms"] = percentiles(e2e)
    return out


def page_decode(page: Any, calls: int = 1000) -> dict:
    """ms per z of decoder.js's ``decode`` in the page, and the weights the page fetched."""
    r = page.evaluate(PAGE_DECODE, [DECODER_JS.read_text(encoding="utf-8"), calls])
    return {"page_decode_ms": r["ms"] / calls, "page_decode_calls": calls,
            "decoder_layers": r["layers"],
            "decoder_payload_bytes": r["body"] or r["weights"],
            "decoder_transfer_bytes": r["transfer"], "decoder_fetches": r["fetches"],
            "decoder_fetch_ms": r["fetchMs"]}


def first_live_decode(page: Any, t0: float, timeout: float = 90) -> float | None:
    """Seconds from ``t0`` (before ``goto``) to the first move over the map that the page
    decodes: the pointer goes back and forth over the map until a hover is recorded."""
    page.wait_for_function(PLOT_READY, timeout=timeout * 1000)
    path = zigzag(page, 21)
    a, b = path[0], path[10]
    i = 0
    while time.perf_counter() - t0 < timeout:
        page.mouse.move(*(a if i % 2 == 0 else b))
        if page.evaluate(HOVERS_NEXT_FRAME) > 0:
            return time.perf_counter() - t0
        time.sleep(PAUSE_S)
        i += 1
    return None


def playback(page: Any, seconds: float = 3.0) -> dict:
    """Frames per second of the walk player (a page opened with a two-stop path): the player's
    own count (frames drawn / time since Play), after ``seconds`` of playing."""
    button = page.get_by_role("button", name="Play the walk")
    button.wait_for(state="visible", timeout=60_000)
    button.scroll_into_view_if_needed()
    button.click()
    page.wait_for_function("() => window.__aeLive && window.__aeLive.play.frames > 0",
                           timeout=30_000)
    time.sleep(seconds)
    play = page.evaluate("() => window.__aeLive.play")
    page.get_by_role("button", name="Pause").click()
    return {"playback_fps": play["fps"], "playback_frames": play["frames"],
            "playback_s": seconds}


CONV_NAME = "mnist-conv-vae.safetensors"  # shipped: checkpoints/


def conv_hover(new_page: Any, url: str, moves: int) -> dict:
    """The hover figures on the shipped conv VAE, measured as ``hover_series`` measures them,
    in a page of its own (``new_page()``) on the running server; and its decode per z."""
    if not (ROOT / "checkpoints" / CONV_NAME).is_file():
        return {}
    page = new_page()
    try:
        frames = SentFrames(page)
        page.goto(f"{url}/?ckpt={CONV_NAME}")
        page.wait_for_function(PLOT_READY, timeout=120_000)
        hover = hover_series(page, frames, moves)
        decode = page_decode(page)
    finally:
        page.context.close()
    out = {f"hover_conv_{key.removeprefix('hover_')}": value for key, value in hover.items()}
    return {**out, "page_decode_conv_ms": decode["page_decode_ms"],
            "decoder_conv_payload_bytes": decode["decoder_payload_bytes"]}


def reset_clicks(page: Any) -> None:
    """Forget the clicks timed so far (the first ones pay for the JIT and the sprite sheet)."""
    page.evaluate("() => { if (window.__aeLive && window.__aeLive.clickTimes) "
                  "window.__aeLive.clickTimes.length = 0; }")


def click_page(page: Any, clicks: int) -> dict:
    """p50 / p95 of click -> selected image painted by the page, over the clicks since
    ``reset_clicks`` (``clicks`` of them were made)."""
    times = page.evaluate(CLICKS_NEXT_FRAME)
    if not times:
        raise RuntimeError("no click painted in the page: does the page decode this model?")
    p50, p95 = percentiles(times)
    return {"click_page_p50_ms": p50, "click_page_p95_ms": p95, "click_page_samples": len(times),
            "click_page_clicks": clicks}


def main() -> None:
    """Clicks (test points and empty space in turn) and hovers on mnist-vae, in a fresh server."""
    import argparse
    import json
    import os

    import bench_browser
    from playwright.sync_api import sync_playwright

    from tests.browser.server import running

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--clicks", type=int, default=30)
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--conv", action="store_true",
                        help="also the hover figures on the shipped conv VAE (conv_hover)")
    args = parser.parse_args()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "aeexplorer-bench-live.log"
    with running({}, log) as url, sync_playwright() as pw:
        browser = bench_browser._launch(pw)
        page = bench_browser.new_page(browser)
        frames = SentFrames(page)
        page.goto(f"{url}/?ckpt=mnist-vae.safetensors")
        page.wait_for_function(PLOT_READY, timeout=120_000)
        out = bench_browser._clicks(page, args.clicks)
        out.update(hover_series(page, frames, args.moves))
        if args.conv:
            out.update(conv_hover(lambda: bench_browser.new_page(browser), url, args.moves))
        browser.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
