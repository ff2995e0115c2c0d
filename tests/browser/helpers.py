"""Driving the explorer page: open it, click the map at a latent z, read what is shown."""

from __future__ import annotations

import time

PLOT_READY = """() => { const d = document.querySelector('.js-plotly-plot');
  return !!(d && d._fullData && d._fullData.length > 10 && d._fullLayout.xaxis); }"""
TO_PIXELS = """([x, y]) => { const d = document.querySelector('.js-plotly-plot');
  const L = d._fullLayout, r = d.getBoundingClientRect();
  return [r.left + L.xaxis._offset + L.xaxis.l2p(x), r.top + L.yaxis._offset + L.yaxis.l2p(y)]; }"""
DECODED_SRC = """() => Array.from(document.querySelectorAll('.st-key-decoded img'))
  .map(i => i.src.slice(-64)).join('|')"""
TRACES = """() => Object.fromEntries(document.querySelector('.js-plotly-plot')._fullData
  .map(t => [t.name, Array.from(t.x)]))"""
# a spot in the view that is at least `px` pixels away from every test-set code
EMPTY_SPOT = """([fx, fy]) => { const d = document.querySelector('.js-plotly-plot');
  const L = d._fullLayout, xa = L.xaxis, ya = L.yaxis;
  const x = xa.range[0] + fx * (xa.range[1] - xa.range[0]);
  const y = ya.range[0] + fy * (ya.range[1] - ya.range[0]);
  let best = Infinity;
  for (const t of d._fullData) { if (!t.customdata) continue;
    for (let i = 0; i < t.x.length; i++) {
      const dx = xa.l2p(t.x[i]) - xa.l2p(x), dy = ya.l2p(t.y[i]) - ya.l2p(y);
      best = Math.min(best, Math.hypot(dx, dy)); } }
  return [x, y, best]; }"""


def open_app(page, url: str, query: str = "") -> None:
    page.goto(f"{url}/{query}")
    page.wait_for_function(PLOT_READY, timeout=120_000)
    page.wait_for_selector(".st-key-decoded", timeout=60_000)
    wait_idle(page)


def wait_idle(page, timeout: float = 60) -> None:
    """Until Streamlit has finished the current run (no 'running' status widget)."""
    deadline = time.time() + timeout
    time.sleep(0.3)
    while time.time() < deadline:
        if page.locator('[data-testid="stStatusWidget"]').count() == 0:
            return
        time.sleep(0.2)


def click_z(page, x: float, y: float) -> None:
    px, py = page.evaluate(TO_PIXELS, [x, y])
    page.mouse.move(px, py)
    time.sleep(0.15)  # let Plotly register the hover that a click selects
    page.mouse.click(px, py)


def decoded_src(page) -> str:
    return page.evaluate(DECODED_SRC)


def wait_decoded_change(page, before: str, timeout: float = 30_000) -> float:
    start = time.perf_counter()
    page.wait_for_function(  # a new image, loaded and decoded by the browser
        f"(b) => {{ const s = ({DECODED_SRC})(); return s && s !== b && Array.from("
        f"document.querySelectorAll('.st-key-decoded img')).every(i => i.complete && "
        f"i.naturalWidth > 0); }}", arg=before, timeout=timeout)
    return time.perf_counter() - start


def empty_spots(page, min_px: float = 12.0) -> list[tuple[float, float]]:
    spots = []
    for fx in (0.06, 0.94, 0.5, 0.2, 0.8):
        for fy in (0.06, 0.94, 0.5):
            x, y, gap = page.evaluate(EMPTY_SPOT, [fx, fy])
            if gap >= min_px:
                spots.append((x, y))
    return spots


def traces(page) -> dict[str, list[float]]:
    return page.evaluate(TRACES)


def text_of(page, key: str) -> str:
    return page.locator(f".st-key-{key}").inner_text()


# of the first 300 points of a class, the one farthest (in pixels) from any other class's point
LONELY_POINT = """(name) => { const d = document.querySelector('.js-plotly-plot');
  const xa = d._fullLayout.xaxis, ya = d._fullLayout.yaxis;
  const mine = d._fullData.find(t => t.name === name);
  const others = d._fullData.filter(t => t.customdata && t.name !== name);
  let best = null, bestGap = -1;
  for (let i = 0; i < Math.min(300, mine.x.length); i++) {
    const px = xa.l2p(mine.x[i]), py = ya.l2p(mine.y[i]);
    let gap = Infinity;
    for (const t of others) for (let j = 0; j < t.x.length; j++)
      gap = Math.min(gap, Math.hypot(xa.l2p(t.x[j]) - px, ya.l2p(t.y[j]) - py));
    if (gap > bestGap) { bestGap = gap; best = [mine.x[i], mine.y[i], mine.customdata[i]]; } }
  return best; }"""


def lonely_point(page, class_name: str) -> tuple[float, float, int]:
    x, y, index = page.evaluate(LONELY_POINT, class_name)
    return x, y, int(index)
