"""The Anomalies and Denoise pages in a real Chromium: the histogram and the error map draw,
moving the threshold changes the count above it, a click on the map's worst point shows that
image, an upload gets its percentile; the Denoise page shows its images (and the command that
trains a denoising model when there is none). Screenshots of both pages go to
test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import wait_idle
from tests.browser.server import ARTIFACTS
from tests.helpers.images import draw_digit, to_bytes

pytestmark = pytest.mark.browser
MAP = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).find(d => d._fullData
  && d._fullData.length && d._fullData[0].type === 'scattergl')"""
READY = f"""() => {{ const m = ({MAP})(); return !!(m && m._fullLayout.xaxis
  && m._fullData[0].x.length > 1000) && document.querySelectorAll('.js-plotly-plot')
  .length === 2; }}"""
# the worst reconstructed point (the trace is sorted by error: the last is the worst, drawn on
# top) that no other point lies within 8 pixels of, so that a click on it can mean only it;
# with its rank (1: the worst)
WORST = f"""() => {{ const m = ({MAP})(), t = m._fullData[0], L = m._fullLayout,
  r = m.getBoundingClientRect();
  const px = (k) => [r.left + L.xaxis._offset + L.xaxis.l2p(t.x[k]),
                     r.top + L.yaxis._offset + L.yaxis.l2p(t.y[k])];
  const all = Array.from(t.x, (_, k) => px(k));
  for (let n = t.x.length - 1; n >= 0; n--) {{
    const [x, y] = all[n];
    if (all.every(([a, b], k) => k === n || Math.hypot(a - x, b - y) >= 8))
      return [x, y, t.customdata[n], t.x.length - n];
  }}
  return null; }}"""


def _count(page) -> int:
    text = page.locator(".st-key-anom_controls").inner_text()
    return int(re.search(r"([\d,]+) of [\d,]+ test images", text).group(1).replace(",", ""))


def _open(page, url: str) -> None:
    page.goto(f"{url}/anomalies")
    page.wait_for_function(READY, timeout=180_000)
    page.wait_for_selector(".st-key-anom_gallery img")
    wait_idle(page)


def test_threshold_map_click_and_upload(page, app_url):
    _open(page, app_url)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "anomalies-page.png"), full_page=True)
    before = _count(page)
    assert 50 <= before <= 150  # the 99th percentile of 10,000
    assert page.locator(".st-key-anom_gallery img").count() == 16
    thumb = page.locator(".st-key-anom_threshold input[type=range]")
    thumb.focus()
    for _ in range(40):  # a lower threshold: more test images above it
        page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"""() => {{ const m = document.querySelector(
        '.st-key-anom_controls').innerText.match(/([\\d,]+) of [\\d,]+ test images/);
        return m && parseInt(m[1].replace(',', '')) > {before}; }}""", timeout=60_000)
    wait_idle(page)
    assert _count(page) > before

    x, y, index, rank = page.evaluate(WORST)
    page.mouse.move(x, y)
    page.wait_for_timeout(200)  # let Plotly register the hover that a click selects
    page.mouse.click(x, y)
    page.wait_for_function(f"""() => document.querySelector('.st-key-anom_selection')
        .innerText.includes('Test image #{index}')""", timeout=60_000)
    shown = page.locator(".st-key-anom_selection").inner_text()
    suffix = ("th" if rank % 100 in (11, 12, 13)
              else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th"))
    assert (f"the {'very' if rank == 1 else f'{rank}{suffix}'} worst of 10,000") in shown, shown
    assert page.locator(".st-key-anom_selection img").count() == 2  # original, reconstruction

    page.locator("input[type=file]").set_input_files(files=[{
        "name": "seven.png", "mimeType": "image/png",
        "buffer": to_bytes(draw_digit("7", ink=0, paper=255))}])
    page.wait_for_selector(".st-key-anom_upload_result", timeout=60_000)
    assert re.search(r"higher than (\d+\.\d %|every) ",
                     page.locator(".st-key-anom_upload_result").inner_text())
    page.screenshot(path=str(ARTIFACTS / "anomalies-after.png"), full_page=True)
    assert page.external_requests == []


def test_denoise_page_shows_the_noisy_image_and_outputs(page, app_url):
    page.goto(f"{app_url}/denoise")
    page.wait_for_selector(".st-key-dn_results img", timeout=180_000)
    wait_idle(page)
    images = page.locator(".st-key-dn_results img")
    assert images.count() >= 3  # clean, noisy, and at least one model's output
    text = page.locator(".st-key-dn_results").inner_text()
    assert "noisy input" in text and "MSE" in text
    body = page.locator('[data-testid="stMain"]').inner_text()
    if "denoising AE output" not in text:  # no denoising model here: the page says how
        assert "--noise gaussian --noise-level 0.5" in body
    page.locator(".st-key-dn_noise").get_by_text("Masking").click()
    page.wait_for_function("() => document.querySelector('.st-key-dn_noise').innerText"
                           ".includes('probability')")
    wait_idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "denoise-page.png"), full_page=True)
    assert page.external_requests == []
