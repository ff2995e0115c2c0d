"""The page owns the pointer (issue 24), as a presenter uses it, each bug seen once as a
sequence of actions: a model switched in the sidebar then hovered, the walk played, scrolled,
paused, scrolled, zoomed and resized with its marker on the walk, a click painted at once and
not flickering back when the server answers, and talk mode's first hover and its panel that
does not move between states. What the page shows is read through ``window.__aeLive.probe()``
and checked against Plotly's own axes and torch."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.browser.helpers import (
    PLOT_READY,
    TO_PIXELS,
    lonely_point,
    open_app,
    wait_idle,
)
from tests.browser.server import ARTIFACTS
from tests.helpers import REPO

pytestmark = pytest.mark.browser
PROBE = "() => window.__aeLive && window.__aeLive.probe ? window.__aeLive.probe() : null"
DECODER_READY = "() => window.__aeNets && window.__aeNets.size > 0"
# the panel's heading and the player's button: where a person sees them
BOXES = """() => { const out = {};
  for (const host of document.querySelectorAll('*')) { const s = host.shadowRoot; if (!s) continue;
    const t = s.querySelector('.ae-live'), b = s.querySelector('.ae-play button');
    if (t) out.panel = t.getBoundingClientRect().toJSON();
    if (b) out.button = b.getBoundingClientRect().toJSON(); }
  const d = document.querySelector('.st-key-decoded');
  if (d) out.block = d.getBoundingClientRect().toJSON();
  return out; }"""
ORIGINAL = """() => { for (const host of document.querySelectorAll('*')) {
  const c = host.shadowRoot && host.shadowRoot.querySelector('.ae-live canvas.ae-original');
  if (c) { if (c.hidden || getComputedStyle(c).visibility === 'hidden') return null;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, grey = [];
    for (let i = 0; i < d.length; i += 4) grey.push(d[i] / 255);
    return grey; } } return null; }"""
# probes taken in every animation frame for `ms`: a click's states as the page shows them
WATCH = """(ms) => new Promise((resolve) => { const seen = [], t0 = performance.now();
  const step = () => { const p = window.__aeLive.probe();
    seen.push([p.state, p.title, p.z]);
    if (performance.now() - t0 < ms) requestAnimationFrame(step); else resolve(seen); };
  step(); })"""


# scrolls the element the page scrolls in (Streamlit's main area, not the window) by dy px
SCROLL = """(dy) => { let el = document.querySelector('.js-plotly-plot');
  while (el && !(el.scrollHeight > el.clientHeight + 1
                 && /(auto|scroll)/.test(getComputedStyle(el).overflowY))) el = el.parentElement;
  el = el || document.scrollingElement;
  el.scrollTop = dy === null ? 0 : el.scrollTop + dy; return el.scrollTop; }"""
RANGE = "() => document.querySelector('.js-plotly-plot')._fullLayout.xaxis.range"
# what of a hidden panel still shows (a child set "visible" shows through its hidden parent)
SHOWS_THROUGH = """() => { for (const h of document.querySelectorAll('*')) {
  const r = h.shadowRoot && h.shadowRoot.querySelector('.ae-live');
  if (r && getComputedStyle(r).visibility === 'hidden')
    return [...r.querySelectorAll('*')].filter((e) => e.getClientRects().length > 0 &&
      getComputedStyle(e).visibility === 'visible').map((e) => e.className || e.tagName);
  } return []; }"""


def new_page(browser, width: int = 1400, height: int = 1000):
    """A fresh context and page, with the page's uncaught errors collected in ``page.errors``."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return context, page


def probe(page) -> dict:
    return page.evaluate(PROBE)


def decode(name: str, z) -> np.ndarray:
    """Torch's decode of ``z`` by shipped model ``name``: flat planes, as the probe's pixels."""
    import torch

    from aeexplorer.core.checkpoints.file import load_checkpoint

    ckpt = load_checkpoint(REPO / "checkpoints" / name)
    with torch.no_grad():
        return ckpt.model.decode(torch.tensor([z], dtype=torch.float32)).numpy().reshape(-1)


def hover_at(page, x: float, y: float) -> dict:
    px, py = page.evaluate(TO_PIXELS, [x, y])
    page.mouse.move(px, py)
    page.wait_for_function("(xy) => { const p = window.__aeLive.probe(); return p.state === "
                           "'hover' && p.decoder === 'page' && p.z && "
                           "Math.hypot(p.z[0] - xy[0], p.z[1] - xy[1]) < 0.05; }",
                           arg=[x, y], timeout=10_000)
    return probe(page)


def assert_shows_decode(shown: dict, name: str) -> None:
    assert shown["model"] == name and shown["decoder"] == "page"
    got = np.array(shown["pixels"], dtype=np.float32)
    assert np.abs(got - decode(name, shown["z"])).max() <= 1e-3


def pick_model(page, name: str) -> None:
    if page.locator('[data-testid="stExpandSidebarButton"]').count():
        page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").first.click()
    stem = name.removesuffix(".safetensors")
    page.keyboard.type(stem)
    # the option by its own name, not whichever the filter shows first when Enter comes
    page.locator("[role=option]").filter(has_text=f"{stem} ·").first.click()
    page.wait_for_function("(n) => location.search.includes('ckpt=' + n)", arg=name,
                           timeout=60_000)
    wait_idle(page)
    page.wait_for_function("(n) => { const p = window.__aeLive.probe(); return p.model === n; }",
                           arg=name, timeout=60_000)


def test_hover_follows_a_model_switch_and_a_click_after_it(browser, app_url):
    context, page = new_page(browser)
    try:
        open_app(page, app_url, "?ckpt=mnist-vae.safetensors")
        page.wait_for_function(DECODER_READY)
        assert_shows_decode(hover_at(page, 0.5, 0.5), "mnist-vae.safetensors")
        page.mouse.move(2, 2)
        for name in ("mnist-ae.safetensors", "fashion-vae.safetensors"):
            pick_model(page, name)
            for x, y in ((-0.2, -1.0), (0.3, 0.4), (1.0, -0.5)):
                shown = hover_at(page, x, y)
                assert shown["title"] == "Under the pointer"
                assert_shows_decode(shown, name)
            page.mouse.move(2, 2)
            page.wait_for_function("() => window.__aeLive.probe().state !== 'hover'")
        x, y, _ = lonely_point(page, "Trouser")
        px, py = page.evaluate(TO_PIXELS, [x, y])
        page.mouse.move(px, py)
        time.sleep(0.15)
        page.mouse.click(px, py)
        page.wait_for_function("() => window.__aeLive.probe().state === 'selected'")
        assert probe(page)["title"] == "Selected point"
        hover_at(page, 0.1, 0.1)  # and the pointer takes over again after the click
        assert not page.errors
    finally:
        context.close()


def _walk_point(walk: dict) -> list[float]:
    stops, p = np.array(walk["stops"], dtype=np.float64), walk["p"]
    leg = int(min(max(np.floor(p), 0), len(stops) - 2))
    t = min(max(p - leg, 0.0), 1.0)
    return ((1 - t) * stops[leg] + t * stops[leg + 1])[:2].tolist()


def assert_marker_on_walk(page) -> None:
    shown = probe(page)
    assert shown["marker"] and shown["marker"]["visible"], shown["marker"]
    want = page.evaluate(TO_PIXELS, _walk_point(shown["walk"]))
    assert np.hypot(*np.subtract(shown["marker"]["client"], want)) <= 3, (shown["marker"], want)


def test_the_walks_marker_stays_on_the_walk_through_scroll_pause_zoom_and_resize(browser,
                                                                                  app_url):
    context, page = new_page(browser)
    try:
        open_app(page, app_url, "?ckpt=mnist-vae.safetensors&a=-1.5,0&b=1.5,1")
        page.wait_for_function(DECODER_READY)
        wide = np.subtract(*page.evaluate(RANGE)[::-1])
        page.get_by_role("button", name="Play the walk").click()
        page.wait_for_function("() => window.__aeLive.probe().state === 'play'")
        assert probe(page)["title"].startswith("Playing the walk (frame ")
        assert page.evaluate(SCROLL, 350) > 0
        time.sleep(0.4)
        assert_marker_on_walk(page)
        page.get_by_role("button", name="Pause").click()
        page.mouse.move(150, 600)  # over the sidebar: a scroll moves no map under it
        time.sleep(0.2)
        shown = probe(page)
        assert shown["state"] == "play" and shown["title"].startswith("Walk paused (frame ")
        assert_shows_decode(shown, "mnist-vae.safetensors")
        for i, action in enumerate((lambda: page.evaluate(SCROLL, -200),
                                    lambda: page.evaluate(SCROLL, None),
                                    lambda: page.set_viewport_size({"width": 1200, "height": 900}),
                                    lambda: _zoom_in(page))):
            action()
            time.sleep(0.6)
            assert_marker_on_walk(page)
            if probe(page)["state"] != "hover":  # a zoom box is dragged over the map
                assert probe(page)["title"].startswith("Walk paused (frame "), i  # until a hover
        assert page.evaluate(RANGE)[1] - page.evaluate(RANGE)[0] < wide  # it did zoom
        page.screenshot(path=str(ARTIFACTS / "pointer-paused-marker.png"))
        hover_at(page, 0.0, 0.0)
        page.mouse.move(2, 2)
        page.wait_for_function("() => window.__aeLive.probe().state !== 'hover'")
        assert not probe(page)["title"].startswith("Walk paused")
        assert not page.errors
    finally:
        context.close()


def _zoom_in(page) -> None:
    """A zoom box dragged over the map (its drag mode is zoom)."""
    (x0, y0), (x1, y1) = (page.evaluate(TO_PIXELS, xy) for xy in ([-2.2, -1.5], [2.0, 1.8]))
    page.mouse.move(x0, y0)
    page.mouse.down()
    for f in np.linspace(0.1, 1, 8):
        page.mouse.move(x0 + f * (x1 - x0), y0 + f * (y1 - y0))
    page.mouse.up()


def _png_grey(src: str) -> np.ndarray:
    import base64
    import io

    from PIL import Image

    data = base64.b64decode(src.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.float32) / 255


def test_a_click_is_painted_in_the_page_at_once_and_the_server_follows(browser, app_url):
    context, page = new_page(browser)
    try:
        open_app(page, app_url, "?ckpt=mnist-vae.safetensors&z=0.5,0.5")
        page.wait_for_function(DECODER_READY)
        page.wait_for_function("() => [...(window.__aeSprites || new Map()).values()]"
                               ".some(i => i.complete && i.naturalWidth > 0)")
        before = probe(page)
        assert before["state"] == "selected" and before["z"] == [0.5, 0.5]
        x, y, index = lonely_point(page, "1")
        px, py = page.evaluate(TO_PIXELS, [x, y])
        page.mouse.move(px, py)
        time.sleep(0.15)
        page.mouse.click(px, py)
        # the mouse-up has been handled: the page shows it, with no server answer yet
        shown, original = probe(page), page.evaluate(ORIGINAL)
        assert shown["state"] == "selected" and shown["title"] == "Selected point"
        assert np.allclose(shown["z"], [x, y], atol=1e-6)
        assert_shows_decode(shown, "mnist-vae.safetensors")
        original = np.array(original, dtype=np.float32)
        assert original.size == 28 * 28 and original.max() > 0.5
        seen = page.evaluate(WATCH, 3000)  # every frame while the server answers
        assert {s[0] for s in seen} == {"selected"} and {s[1] for s in seen} == {"Selected point"}
        assert all(np.allclose(s[2], [x, y], atol=1e-6) for s in seen), seen[:3]
        wait_idle(page)
        text = page.locator(".st-key-decoded").inner_text()
        assert f"Test image #{index}" in text
        shown = probe(page)
        assert shown["state"] == "selected" and np.allclose(shown["z"], [x, y], atol=1e-6)
        served = _png_grey(page.locator(".st-key-decoded img").first.get_attribute("src"))
        served = served[::served.shape[0] // 28, ::served.shape[1] // 28]  # enlarged 5x
        assert np.abs(served - original.reshape(28, 28)).max() <= 1 / 255  # the same image
        page.screenshot(path=str(ARTIFACTS / "pointer-click.png"))
        # empty space: the decoded point at once, then the server's block
        page.mouse.move(2, 2)
        spot = page.evaluate("() => { const L = document.querySelector('.js-plotly-plot')"
                             "._fullLayout; "
                             "return [L.xaxis.range[0] * 0.9, L.yaxis.range[1] * 0.9]; }")
        px, py = page.evaluate(TO_PIXELS, spot)
        page.mouse.move(px, py)
        time.sleep(0.15)
        page.mouse.click(px, py)
        shown = probe(page)
        assert shown["state"] == "selected" and page.evaluate(ORIGINAL) is None
        assert np.allclose(shown["z"], spot, atol=0.05)
        wait_idle(page)
        assert "a point of empty space" in page.locator(".st-key-decoded").inner_text()
        assert not page.errors
    finally:
        context.close()


def test_talk_mode_first_hover_and_a_panel_that_does_not_move(browser, app_url):
    context, page = new_page(browser, 1280, 720)
    try:
        open_app(page, app_url, "?ckpt=mnist-vae.safetensors&talk=1&z=0.5,0.5&a=-1,0&b=1,0")
        page.wait_for_selector(".ae-play button", state="attached")
        page.wait_for_function(DECODER_READY)
        wait_idle(page)
        boxes = {"selected": page.evaluate(BOXES)}
        shown = hover_at(page, -0.2, -1.0)  # the first hover: the pointer's own z
        assert abs(shown["z"][0] + 0.2) < 0.02 and abs(shown["z"][1] + 1.0) < 0.02
        assert_shows_decode(shown, "mnist-vae.safetensors")
        boxes["hover"] = page.evaluate(BOXES)
        page.mouse.move(1270, 710)
        page.locator(".ae-play button").click()
        page.wait_for_function("() => window.__aeLive.probe().state === 'play'")
        boxes["play"] = page.evaluate(BOXES)
        page.locator(".ae-play button").click()
        assert probe(page)["title"].startswith("Walk paused (frame ")
        boxes["paused"] = page.evaluate(BOXES)
        page.screenshot(path=str(ARTIFACTS / "pointer-talk-paused.png"))
        px, py = page.evaluate(TO_PIXELS, [2.5, -2.5])  # a click: painted here at once
        page.mouse.move(px, py)
        time.sleep(0.15)
        page.mouse.click(px, py)
        assert probe(page)["state"] == "selected"
        boxes["clicked"] = page.evaluate(BOXES)
        wait_idle(page)
        boxes["served"] = page.evaluate(BOXES)
        # the server's block shows the selection now: nothing of the panel over it (its
        # decoded image once showed through, below the block's own)
        assert page.evaluate(SHOWS_THROUGH) == []
        first = boxes["selected"]
        for state, box in boxes.items():  # nothing moves between the states
            for name in ("block", "button"):
                assert abs(box[name]["y"] - first[name]["y"]) <= 1, (state, name, box, first)
            if state not in ("selected", "served"):  # the panel lies just over the server's block
                for k in ("x", "y", "width", "height"):
                    assert abs(box["panel"][k] - box["block"][k]) <= 1, (state, box)
        assert not page.errors
    finally:
        context.close()


def test_another_page_removes_the_panel_and_player_and_back_they_work(browser, app_url):
    context, page = new_page(browser)
    try:
        open_app(page, app_url, "?ckpt=mnist-vae.safetensors&a=-1.5,0&b=1.5,1")
        page.wait_for_function(DECODER_READY)
        page.get_by_role("button", name="Play the walk").click()
        time.sleep(0.5)
        page.get_by_role("button", name="Pause").click()
        assert probe(page)["marker"]["visible"]
        page.get_by_role("link", name="Compare").click()
        page.get_by_role("heading", name="Compare models").wait_for(timeout=60_000)
        wait_idle(page)
        page.wait_for_function("() => window.__aeComponents.size === 0")  # disposed
        assert page.locator(".ae-walk-marker").count() == 0
        assert probe(page)["marker"] is None and probe(page)["state"] == "none"
        page.get_by_role("link", name="Explorer").click()
        page.wait_for_function("() => window.__aeComponents.size === 2", timeout=60_000)
        wait_idle(page)
        page.wait_for_function(PLOT_READY)
        assert_shows_decode(hover_at(page, 0.4, -0.6), "mnist-vae.safetensors")
        page.mouse.move(150, 600)
        page.get_by_role("button", name="Play the walk").click()
        time.sleep(0.3)
        page.get_by_role("button", name="Pause").click()
        assert_marker_on_walk(page)
        assert page.locator(".ae-walk-marker").count() == 1
        assert not page.errors
    finally:
        context.close()
