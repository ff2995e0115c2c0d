"""The latent space under the mouse, in Chromium: the page's decoder against torch for every
shipped checkpoint, a hover that changes the image with no message to the server, the panel
back to the selected point when the pointer leaves, the walk played with a moving marker, and
a conv model decoded in the page as a dense one is."""

from __future__ import annotations

import base64
import re
import time

import numpy as np
import pytest

from tests.browser import server
from tests.browser.helpers import TO_PIXELS, open_app, wait_idle
from tests.browser.server import ARTIFACTS
from tests.helpers import REPO
from tests.helpers.checkpoints import make_checkpoint

pytestmark = pytest.mark.browser
DECODER_JS = REPO / "aeexplorer" / "ui" / "inpage" / "decoder.js"
SHIPPED = sorted((REPO / "checkpoints").glob("*.safetensors"))
# the module, imported in a blank page from its own source
IMPORT = """async (src) => { const url = URL.createObjectURL(new Blob([src],
  {type: 'text/javascript'})); window.__live = await import(url); return true; }"""
DECODE_ALL = """([spec, b64, zs]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const net = window.__live.parseNet(spec, bytes.buffer); const side = spec.side;
  const out = new Float32Array(spec.channels * side * side), all = [];
  for (const z of zs) { window.__live.decode(net, z, out); all.push(Array.from(out)); }
  return all; }"""


def decode_in_page(browser, exported, z: np.ndarray) -> np.ndarray:
    """The exported decoder run by decoder.js in a blank page on each code of ``z``: (N, C*S*S)
    float32, the planes in order."""
    page = browser.new_page()
    try:
        page.evaluate(IMPORT, DECODER_JS.read_text())
        got = page.evaluate(DECODE_ALL, [exported.spec, base64.b64encode(exported.blob).decode(),
                                         z.tolist()])
    finally:
        page.close()
    return np.array(got, dtype=np.float32)


LIVE_CANVAS = """() => { for (const host of document.querySelectorAll('*')) {
  const c = host.shadowRoot && host.shadowRoot.querySelector('.ae-live canvas');
  if (c) return c.toDataURL(); } return null; }"""
# the panel's text while it shows (it lies over the selected point's block, hidden otherwise)
LIVE_TEXT = """() => { for (const host of document.querySelectorAll('*')) {
  const r = host.shadowRoot && host.shadowRoot.querySelector('.ae-live');
  if (r) return r.hidden || r.style.visibility === 'hidden' ? null : r.innerText; }
  return null; }"""
LIVE_MOUNTED = """() => [...document.querySelectorAll('*')].some(
  h => h.shadowRoot && h.shadowRoot.querySelector('.ae-live'))"""
SELECTED_SHOWN = """() => { const d = document.querySelector('.st-key-decoded');
  return !!d && getComputedStyle(d).visibility !== 'hidden'; }"""
MARKER = "() => window.__aeLive.probe().marker?.client || null"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_page_decoder_matches_torch(browser, path):
    """1,000 random z over the map's range: at most 1e-3 per pixel from torch's decode."""
    import torch

    from aeexplorer.app.export import export_decoder
    from aeexplorer.app.views import map_bounds, map_xy
    from aeexplorer.core.checkpoints.file import load_checkpoint

    ckpt = load_checkpoint(path)
    exported = export_decoder(ckpt.model)
    assert exported is not None, f"{path.name} has no page decoder"
    (x0, x1), (y0, y1) = map_bounds(map_xy(ckpt.atlas.mu.numpy()))
    rng = np.random.default_rng(0)
    z = np.zeros((1000, ckpt.config.latent_dim), np.float32)
    z[:, 0] = rng.uniform(x0, x1, 1000)
    if ckpt.config.latent_dim > 1:
        z[:, 1] = rng.uniform(y0, y1, 1000)
    with torch.no_grad():
        want = ckpt.model.decode(torch.from_numpy(z)).numpy().reshape(1000, -1)
    got = decode_in_page(browser, exported, z)
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-3


def _move_across(page, y: float, xs) -> list[str]:
    images = []
    for x in xs:
        px, py = page.evaluate(TO_PIXELS, [x, y])
        page.mouse.move(px, py)
        page.wait_for_timeout(30)
        images.append(page.evaluate(LIVE_CANVAS))
    return images


def test_hover_decodes_in_the_page_with_no_server_message(page, app_url):
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    open_app(page, app_url, "?ckpt=mnist-vae.safetensors&z=0.5,0.5")
    page.wait_for_function("() => window.__aeNets && window.__aeNets.size > 0")
    page.wait_for_function("() => Promise.all([...window.__aeNets.values()]).then(() => 1)")
    before = len(sent)
    images = _move_across(page, 0.3, np.linspace(-1.5, 1.5, 12))
    assert len(sent) == before  # nothing reached the server
    assert len(set(images)) >= 10  # a new image as the pointer moved
    text = page.evaluate(LIVE_TEXT)
    assert "Under the pointer" in text and "z = (1.500, 0.300)" in text
    assert not page.evaluate(SELECTED_SHOWN)  # the live image stands in for the selected point
    page.mouse.move(2, 2)  # off the map
    page.wait_for_function(SELECTED_SHOWN)
    assert page.evaluate(LIVE_TEXT) is None


def test_a_click_still_selects_after_hovering(page, app_url):
    from tests.browser.helpers import click_z, decoded_src, text_of, wait_decoded_change

    open_app(page, app_url, "?ckpt=mnist-vae.safetensors")
    _move_across(page, 0.0, [-1.0, 0.0, 1.0])
    before = decoded_src(page)
    click_z(page, 0.5, 0.5)
    wait_decoded_change(page, before)
    page.mouse.move(2, 2)
    page.wait_for_function(SELECTED_SHOWN)
    wait_idle(page)
    # the spot clicked, or the dot under it (the map of the shipped model has one there)
    shown = re.search(r"z = \((-?[\d.]+), (-?[\d.]+)\)", text_of(page, "decoded"))
    assert shown and abs(float(shown[1]) - 0.5) < 0.06 and abs(float(shown[2]) - 0.5) < 0.06


def test_the_walk_plays_with_a_marker_moving_on_the_map(page, app_url):
    open_app(page, app_url, "?ckpt=mnist-vae.safetensors&a=-1.5,0&b=1.5,1")
    page.get_by_text("Play the walk").click()
    page.wait_for_function(MARKER)
    first = page.evaluate(MARKER)
    time.sleep(0.5)
    second = page.evaluate(MARKER)
    assert first != second
    play = page.evaluate("() => window.__aeLive.play")
    assert play["frames"] > 10 and play["fps"] >= 20  # 60 in a quiet browser
    assert page.evaluate(LIVE_TEXT) is not None  # the frame beside the map too
    page.get_by_role("button", name="Pause").click()  # the walk's (the replay has its own)
    paused = page.evaluate(MARKER)
    time.sleep(0.3)
    assert page.evaluate(MARKER) == paused
    page.screenshot(path=str(ARTIFACTS / "live-walk.png"))


@pytest.fixture(scope="module")
def conv_url(tmp_path_factory, checkpoint_env, browser):
    folder = tmp_path_factory.mktemp("conv")
    make_checkpoint(folder / "conv-vae.safetensors", arch="conv")
    env = {**checkpoint_env, "AEEXPLORER_CHECKPOINT_DIRS": str(folder)}
    with server.running(env, ARTIFACTS / "streamlit-conv.log") as url:
        yield url


def test_a_conv_model_decodes_in_the_page_with_no_server_message(page, conv_url):
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    open_app(page, conv_url, "?ckpt=conv-vae.safetensors")
    page.wait_for_function(LIVE_MOUNTED)  # a fresh server mounts it once the model is loaded
    page.wait_for_function("() => window.__aeNets && window.__aeNets.size > 0")
    page.wait_for_function("() => Promise.all([...window.__aeNets.values()]).then(() => 1)")
    wait_idle(page)
    before = len(sent)
    images = _move_across(page, 0.0, np.linspace(-1.5, 1.5, 8))
    page.wait_for_timeout(600)  # the pointer at rest, longer than live.py's REST_MS
    assert len(sent) == before  # nothing reached the server, not even at rest
    assert len(set(images)) >= 6
    text = page.evaluate(LIVE_TEXT)
    assert "Under the pointer" in text and "z = (1.500, 0.000)" in text
    assert "convolutions" not in text and "server" not in text


def test_a_finger_dragged_over_the_map_decodes_under_it(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 1100}, has_touch=True)
    page = context.new_page()
    try:
        open_app(page, app_url, "?ckpt=mnist-vae.safetensors")
        page.wait_for_function("() => window.__aeNets && window.__aeNets.size > 0")
        cdp = context.new_cdp_session(page)
        touch = lambda kind, points: cdp.send("Input.dispatchTouchEvent",  # noqa: E731
                                              {"type": kind, "touchPoints": points})
        x, y = page.evaluate(TO_PIXELS, [-1.0, 0.2])
        touch("touchStart", [{"x": x, "y": y}])
        seen = []
        for zx in np.linspace(-1.0, 1.0, 8):
            x, y = page.evaluate(TO_PIXELS, [float(zx), 0.2])
            touch("touchMove", [{"x": x, "y": y}])
            page.wait_for_timeout(60)
            seen.append(page.evaluate(LIVE_TEXT))
        assert "z = (1.000, 0.200)" in seen[-1] and len(set(seen)) == 8
        touch("touchEnd", [])
        page.wait_for_function(SELECTED_SHOWN)  # the finger lifted: the selected point again
    finally:
        context.close()
