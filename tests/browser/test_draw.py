"""The drawing pad in a real Chromium: mouse strokes on the pad move the star on the map and
show the prepared input; undo and clear; a drawn digit as a path stop; the pad on the Anomalies
and Denoise pages."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.server import ARTIFACTS
from tests.browser.helpers import click_z, empty_spots, open_app, traces, wait_idle

pytestmark = pytest.mark.browser
QUERY = "?ckpt=mnist-vae.safetensors"
PAD = ".ae-draw canvas"
STAR = """() => { const d = document.querySelector('.js-plotly-plot');
  const t = d && d._fullData.find(t => t.name === 'your image');
  return t ? [t.x[0], t.y[0]] : null; }"""
LANDING = ".st-key-landing"


def stroke(page, points: list[tuple[float, float]], pad: str = PAD) -> None:
    """A mouse stroke through ``points``, given as fractions of the pad's side."""
    page.locator(pad).scroll_into_view_if_needed()
    box = page.locator(pad).bounding_box()
    at = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()


def star(page) -> list[float] | None:
    return page.evaluate(STAR)


def wait_star(page, before, timeout: float = 30_000) -> float:
    """Seconds until the star is somewhere other than ``before`` (None: until there is none)."""
    start = time.perf_counter()
    page.wait_for_function(f"(b) => JSON.stringify(({STAR})()) !== JSON.stringify(b)",
                           arg=before, timeout=timeout)
    return time.perf_counter() - start


SEVEN_TOP = [(0.25, 0.2), (0.75, 0.2)]
SEVEN_LEG = [(0.75, 0.2), (0.45, 0.85)]
ONE = [(0.5, 0.15), (0.5, 0.85)]


def test_drawing_moves_the_star_undo_and_clear(page, app_url):
    open_app(page, app_url, QUERY)
    page.get_by_role("tab", name="Your own image").click()
    page.locator(PAD).wait_for()
    assert star(page) is None
    stroke(page, ONE)
    seconds = wait_star(page, None)
    page.wait_for_selector(LANDING)
    wait_idle(page)
    one = star(page)
    text = page.locator(LANDING).inner_text()
    assert "Lands at z =" in text and "vote **" not in text
    assert page.get_by_text("28×28 input").count() >= 1  # the prepared input is shown
    # a second stroke: the drawing is now another digit, and the star moves
    stroke(page, [(0.3, 0.15), (0.7, 0.15)])
    again = wait_star(page, one)
    wait_idle(page)
    moved = star(page)
    assert moved != one
    print(f"first stroke (model loading) -> star: {seconds * 1000:.0f} ms, "
          f"next stroke -> star: {again * 1000:.0f} ms")
    # undo: back to the first stroke's place
    page.get_by_role("button", name="Undo stroke").click()
    wait_star(page, moved)
    wait_idle(page)
    assert star(page) == pytest.approx(one, abs=1e-6)
    page.screenshot(path=str(ARTIFACTS / "draw-explorer.png"), full_page=True)
    # clear: no image, no star
    page.get_by_role("button", name="Clear").click()
    wait_star(page, one)
    wait_idle(page)
    assert star(page) is None and page.locator(LANDING).count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_drawn_digit_is_a_path_stop(page, app_url):
    open_app(page, app_url, QUERY)
    page.get_by_role("tab", name="Your own image").click()
    stroke(page, SEVEN_TOP)
    wait_star(page, None)
    wait_idle(page)
    top = star(page)
    stroke(page, SEVEN_LEG)
    wait_star(page, top)
    wait_idle(page)
    mine = star(page)
    page.get_by_role("button", name="Add it as a path stop").click()
    wait_idle(page)
    # then a point of the map as the second stop: a walk from my digit to it
    page.get_by_role("radio", name="Add a path stop").click()
    wait_idle(page)
    page.evaluate("() => document.querySelector('.js-plotly-plot').scrollIntoView()")
    page.wait_for_timeout(300)
    x, y = empty_spots(page)[0]
    click_z(page, x, y)
    wait_idle(page)
    page.get_by_role("tab", name="Interpolation path").click()
    page.get_by_text("decoded frames").wait_for(timeout=60_000)
    wait_idle(page)
    stops = page.locator("[data-testid='stTabs']").inner_text()
    a = re.search(r"A \((\S+), (\S+)\)", stops).groups()
    assert [float(v) for v in a] == pytest.approx(mine, abs=2e-3), (a, mine)  # stop A: my digit
    assert traces(page)["path"]  # the walk is drawn on the map
    assert page.locator('[data-testid="stException"]').count() == 0


def test_the_pad_on_the_anomalies_and_denoise_pages(page, app_url):
    page.goto(f"{app_url}/anomalies")
    page.locator(PAD).wait_for(timeout=120_000)
    wait_idle(page)
    stroke(page, ONE)
    page.wait_for_selector(".st-key-anom_upload_result", timeout=60_000)
    assert "Reconstruction error" in page.locator(".st-key-anom_upload_result").inner_text()
    page.goto(f"{app_url}/denoise")
    page.wait_for_selector(".st-key-dn_results img", timeout=180_000)
    page.locator(".st-key-dn_image").get_by_text("Your own image").click()
    page.locator(PAD).wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator(".st-key-dn_results").count() == 0  # no image of one's own yet
    stroke(page, ONE)
    page.wait_for_selector(".st-key-dn_results img", timeout=60_000)
    assert "noisy input" in page.locator(".st-key-dn_results").inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0



def test_an_upload_lands_where_encode_puts_it(page, app_url):
    """The app places an upload as ``encode`` does by default: for an autoencoder that is the
    searched code, not the encoder's."""
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.latent.placement import Method, place_bytes
    from tests.helpers import REPO
    from tests.helpers.images import draw_digit, to_bytes

    data = to_bytes(draw_digit("8", width=20))
    ckpt = load_checkpoint(REPO / "checkpoints" / "mnist-ae.safetensors")
    expected, encoder = place_bytes(ckpt, data).z, place_bytes(ckpt, data, Method("encoder")).z
    open_app(page, app_url, "?ckpt=mnist-ae.safetensors")
    page.get_by_role("tab", name="Your own image").click()
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "eight.png", "mimeType": "image/png", "buffer": data}])
    page.wait_for_selector(LANDING)
    wait_idle(page)
    shown = re.search(r"z = \((\S+), (\S+)\)", page.locator(LANDING).inner_text()).groups()
    assert [float(v) for v in shown] == pytest.approx(expected, abs=2e-3)
    assert [float(v) for v in shown] != pytest.approx(encoder, abs=2e-3)
