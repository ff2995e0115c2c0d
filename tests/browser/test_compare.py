"""The Compare page in a real Chromium: the three maps drawn (A, B and C by default), a click
on one selects the test image on all and shows each model's reconstruction under its map; a
click on empty space decodes it."""

from __future__ import annotations

import time

import pytest

from tests.browser.helpers import wait_idle
from tests.browser.server import ARTIFACTS

pytestmark = pytest.mark.browser

BOTH_READY = """() => { const ds = document.querySelectorAll('.js-plotly-plot');
  return ds.length === 3 && Array.from(ds).every(d => d._fullData && d._fullData.length > 10
    && d._fullLayout.xaxis); }"""
# of the first 300 points of a class on map n, the one farthest (in pixels) from other classes
LONELY = """([n, name]) => { const d = document.querySelectorAll('.js-plotly-plot')[n];
  const xa = d._fullLayout.xaxis, ya = d._fullLayout.yaxis;
  const mine = d._fullData.find(t => t.name === name);
  const others = d._fullData.filter(t => t.customdata && t.name !== name);
  let best = null, gap = -1;
  for (let i = 0; i < Math.min(300, mine.x.length); i++) {
    const px = xa.l2p(mine.x[i]), py = ya.l2p(mine.y[i]); let g = Infinity;
    for (const t of others) for (let j = 0; j < t.x.length; j++)
      g = Math.min(g, Math.hypot(xa.l2p(t.x[j]) - px, ya.l2p(t.y[j]) - py));
    if (g > gap) { gap = g; best = [mine.x[i], mine.y[i], mine.customdata[i]]; } }
  return best; }"""
TO_PIXELS = """([n, x, y]) => { const d = document.querySelectorAll('.js-plotly-plot')[n];
  const L = d._fullLayout, r = d.getBoundingClientRect();
  return [r.left + L.xaxis._offset + L.xaxis.l2p(x), r.top + L.yaxis._offset + L.yaxis.l2p(y)];
}"""
# map n's marker of the selection, and where test image i sits on that map
MARKER = """([n, i]) => { const d = document.querySelectorAll('.js-plotly-plot')[n];
  const m = d._fullData.find(t => t.name === 'selected z');
  let at = null;
  for (const t of d._fullData) { if (!t.customdata) continue;
    const j = Array.from(t.customdata).indexOf(i); if (j >= 0) at = [t.x[j], t.y[j]]; }
  return [m ? [m.x[0], m.y[0]] : null, at]; }"""
SELECTED = ".st-key-cmp_selected"


def _click(page, n: int, x: float, y: float) -> None:
    page.locator(".js-plotly-plot").nth(n).scroll_into_view_if_needed()
    px, py = page.evaluate(TO_PIXELS, [n, x, y])
    page.mouse.move(px, py)
    time.sleep(0.15)  # let Plotly register the hover that a click selects
    page.mouse.click(px, py)


def _selected_text(page) -> str:
    return page.locator(SELECTED).inner_text()


def test_a_click_on_one_map_selects_on_all(page, app_url):
    page.goto(f"{app_url}/compare")
    page.wait_for_function(BOTH_READY, timeout=120_000)
    wait_idle(page)
    assert "Click a test point on any map" in _selected_text(page)
    x, y, index = page.evaluate(LONELY, [0, "1"])
    _click(page, 0, x, y)
    page.wait_for_function(
        f"(i) => {{ const s = document.querySelector('{SELECTED}');"
        f" return s && s.innerText.includes('test image #' + i) &&"
        f" s.querySelectorAll('img').length === 6 && Array.from(s.querySelectorAll('img'))"
        f".every(im => im.complete && im.naturalWidth > 0); }}", arg=index)
    wait_idle(page)
    shown = _selected_text(page)
    assert shown.count("decoded · MSE") == 3 and shown.count(f"test image #{index} · 1") == 3
    assert "A · VAE" in shown and "B · AE" in shown and "C · PCA" in shown
    for n in (1, 2):  # B and C mark the same test image
        mark, at = page.evaluate(MARKER, [n, index])
        assert mark == pytest.approx(at, abs=1e-4)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    # empty space on B: that z decoded by B, and the nearest test image shared
    corner = page.evaluate("() => { const L = document.querySelectorAll('.js-plotly-plot')[1]"
                           "._fullLayout; return [L.xaxis.range[0] + 0.04 * (L.xaxis.range[1]"
                           " - L.xaxis.range[0]), L.yaxis.range[1] - 0.04 * (L.yaxis.range[1]"
                           " - L.yaxis.range[0])]; }")
    _click(page, 1, *corner)
    page.wait_for_function(f"() => document.querySelector('{SELECTED}').innerText"
                           ".includes('empty space on map B')")
    wait_idle(page)
    shown = _selected_text(page)
    assert "clicked z" in shown and shown.count("decoded · MSE") == 3
    page.screenshot(path=str(ARTIFACTS / "compare-empty.png"), full_page=True)
    assert page.external_requests == []
