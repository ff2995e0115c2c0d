"""A colour model in Chromium: the page's decoder gives torch's colours (three planes in
order), the hover panel paints them on its canvas, the drawing pad draws in the chosen pen
colour, and the Explorer at 1280x720 (a screenshot in test-artifacts/)."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from tests.browser import server
from tests.browser.helpers import TO_PIXELS, wait_idle
from tests.browser.server import ARTIFACTS
from tests.browser.test_live import LIVE_CANVAS, LIVE_TEXT, decode_in_page
from tests.helpers.checkpoints import make_colour_checkpoint

pytestmark = pytest.mark.browser
NAME = "colour-shapes.safetensors"
MAP_READY = """() => { const d = document.querySelector('.js-plotly-plot');
  return !!(d && d._fullData && d._fullData.length >= 2 && d._fullLayout.xaxis); }"""
PAD_PNG = """() => { for (const host of document.querySelectorAll('*')) {
  const c = host.shadowRoot && host.shadowRoot.querySelector('.ae-draw canvas');
  if (c) return c.toDataURL(); } return null; }"""
SET_PEN = """(value) => { for (const host of document.querySelectorAll('*')) {
  const i = host.shadowRoot && host.shadowRoot.querySelector('.ae-pen input');
  if (i) { i.value = value; i.dispatchEvent(new Event('input')); return true; } }
  return false; }"""


@pytest.fixture(scope="module")
def colour_ckpt(tmp_path_factory):
    folder = tmp_path_factory.mktemp("colour")
    return make_colour_checkpoint(folder / NAME, side=16, steps=300)


@pytest.fixture(scope="module")
def colour_url(colour_ckpt, browser, tmp_path_factory):
    env = {"AEEXPLORER_CHECKPOINT_DIRS": str(colour_ckpt.parent),
           "AEEXPLORER_DATA": str(tmp_path_factory.mktemp("no-data"))}
    with server.running(env, ARTIFACTS / "streamlit-colour.log") as url:
        yield url


def _open(page, url: str, query: str = "") -> None:
    page.goto(f"{url}/?ckpt={NAME}{query}")
    page.wait_for_function(MAP_READY, timeout=120_000)
    page.wait_for_selector(".st-key-decoded", timeout=60_000)
    wait_idle(page)


def _png(data_url: str) -> np.ndarray:
    png = Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))
    return np.asarray(png.convert("RGB"), dtype=np.float32) / 255


def test_the_page_decoder_gives_torchs_colours(browser, colour_ckpt):
    from aeexplorer.app.export import export_decoder
    from aeexplorer.core.checkpoints.file import load_checkpoint

    ckpt = load_checkpoint(colour_ckpt)
    exported = export_decoder(ckpt.model)
    z = np.random.default_rng(0).normal(0, 1.5, (200, 2)).astype(np.float32)
    want = ckpt.ops.decode(z)  # (N, 16, 16, 3)
    got = decode_in_page(browser, exported, z)
    planes = got.reshape(200, 3, 16, 16).transpose(0, 2, 3, 1)  # the planes, in order
    assert np.abs(planes - want).max() <= 1e-3


def test_hover_paints_the_colours_under_the_pointer(page, colour_url, colour_ckpt):
    from aeexplorer.core.checkpoints.file import load_checkpoint

    ckpt = load_checkpoint(colour_ckpt)
    _open(page, colour_url)
    page.wait_for_function("() => window.__aeNets && window.__aeNets.size > 0")
    page.wait_for_function("() => Promise.all([...window.__aeNets.values()]).then(() => 1)")
    seen = []
    for c in range(3):  # over a red, a green and a blue test code
        i = int(np.flatnonzero(ckpt.atlas.labels.numpy() == c)[0])
        x, y = ckpt.atlas.mu[i, :2].tolist()
        page.mouse.move(*page.evaluate(TO_PIXELS, [x, y]))
        page.wait_for_function(f"() => ({LIVE_TEXT})()?.includes('z = (')")
        z = [float(v) for v in re.search(r"z = \(([^)]*)\)", page.evaluate(LIVE_TEXT))
             .group(1).split(",")]
        shown = _png(page.evaluate(LIVE_CANVAS))
        assert shown.shape == (16, 16, 3)
        want = ckpt.ops.decode(z)[0]
        assert np.abs(shown - want).max() < 0.03  # z as shown, to 3 decimals
        bright = shown.reshape(-1, 3)[shown.reshape(-1, 3).max(1) > 0.3]
        seen.append(int(np.argmax(bright.mean(0))))
    assert seen == [0, 1, 2]  # red, green, blue: not grey, not swapped
    page.mouse.move(2, 2)


def test_the_pad_draws_in_the_pen_colour_and_the_explorer_at_1280x720(browser, colour_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        _open(page, colour_url, "&z=0.3,0.2&a=-1.5,0&b=1.5,0.5")
        page.screenshot(path=str(ARTIFACTS / "colour-explorer-1280x720.png"))
        page.get_by_role("tab", name="Your own image").click()
        pad = page.locator(".ae-draw canvas")
        pad.wait_for()
        assert page.evaluate(SET_PEN, "#00c000")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.5 * box["height"])
        page.mouse.down()
        page.mouse.move(box["x"] + 0.7 * box["width"], box["y"] + 0.5 * box["height"], steps=8)
        page.mouse.up()
        drawn = _png(page.evaluate(PAD_PNG))
        middle = drawn[drawn.shape[0] // 2, drawn.shape[1] // 2]
        assert middle.tolist() == pytest.approx([0, 192 / 255, 0], abs=1 / 255)
        page.wait_for_selector(".st-key-landing", timeout=60_000)
        wait_idle(page)
        assert page.get_by_text("16×16 input").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "colour-draw.png"), full_page=True)
    finally:
        context.close()
