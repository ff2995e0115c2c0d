"""The talk in one file, in Chromium: the exported page opened from ``file://`` with every
request recorded and refused. It shows the map, decodes the z under the pointer as torch does,
selects on a click, plays the walk with a moving marker, fills a 1280x720 window in talk mode,
and no request leaves the file. A model whose decoder the page cannot run shows its images."""

from __future__ import annotations

import time

import numpy as np
import pytest

from aeexplorer.app import onepage
from aeexplorer.app.scene import Scene
from aeexplorer.core.checkpoints.file import load_checkpoint
from tests.browser.server import ARTIFACTS
from tests.helpers import REPO
from tests.helpers.checkpoints import make_checkpoint

pytestmark = pytest.mark.browser
SCENE = {"a": "-1,0", "b": "1,1", "wp": "0,-1", "z": "0.5,0.5", "hl": "3"}
READY = "() => !!window.aeOnePage"
# the client point of data coordinates (x, y), and the data coordinates the page reads there
TO_CLIENT = """([x, y]) => { const b = aeOnePage.bridge, r = b.gd.getBoundingClientRect();
  const [px, py] = b.toBox(x, y); return [r.left + px, r.top + py]; }"""
TO_DATA = "([cx, cy]) => aeOnePage.bridge.toData(cx, cy)"
PAINTED = """() => { const c = document.getElementById('image');
  return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }"""
MARKER = """() => { const m = document.getElementById('walk-marker');
  return m.hidden ? null : [parseFloat(m.style.left), parseFloat(m.style.top)]; }"""


def model_path(tmp_path_factory):
    shipped = REPO / "checkpoints" / "mnist-vae.safetensors"
    return shipped if shipped.is_file() else make_checkpoint(
        tmp_path_factory.mktemp("onepage") / "mnist-vae.safetensors")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = model_path(tmp_path_factory)
    ckpt = load_checkpoint(path)
    out = tmp_path_factory.mktemp("onepage-html") / "talk.html"
    out.write_bytes(onepage.build(ckpt, path.name, Scene.from_query(SCENE)))
    return ckpt, out


def open_offline(browser, html_path, fragment: str = ""):
    """The file in a 1280x720 window: every request is recorded, and any but the file's own
    is refused (``left`` lists them)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.requests, page.left, page.errors, page.refused = [], [], [], []
    url = html_path.resolve().as_uri()
    page.on("request", lambda r: page.requests.append(r.url))
    # the file's policy refuses a request in the browser (it never reaches the network)
    page.on("requestfailed", lambda r: page.refused.append(r.url) if r.failure == "csp"
            else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))

    def refuse(route):
        page.left.append(route.request.url)
        route.abort()

    page.route("**/*", lambda route: route.continue_() if route.request.url == url
               else refuse(route))
    page.goto(url + fragment)
    page.wait_for_function(READY, timeout=120_000)
    return page


def leaving(page) -> list[str]:
    """Requests for anything but the file itself that the browser sent (inline data: URIs,
    and requests the file's policy refused, never leave it)."""
    page.wait_for_timeout(200)  # a refusal is reported after its request
    me = page.url.split("#")[0]
    sent = [u for u in page.requests if u != me and not u.startswith("data:")
            and u not in page.refused]
    return sorted(set(page.left + sent))


def test_the_file_shows_the_map_decodes_under_the_pointer_and_plays_the_walk(browser, exported):
    ckpt, html_path = exported
    page = open_offline(browser, html_path)
    try:
        # the map: the classes' traces and the path, the highlighted class standing out
        traces = page.evaluate("() => aeOnePage.bridge.gd._fullData.map(t => t.name)")
        assert [str(i) for i in range(10)] == [t for t in traces if t.isdigit()]
        assert "path" in traces and "selected z" in traces
        assert "VAE" in page.inner_text("#caption") or "AE" in page.inner_text("#caption")
        # the selected point from the scene is shown first
        assert page.inner_text("#panel-title") == "Selected point"
        assert "0.500, 0.500" in page.inner_text("#z")
        # under the pointer: decoded in the page as torch decodes that z
        for fx, fy in ((0.3, -0.4), (-1.2, 1.1), (1.5, 0.2)):
            cx, cy = page.evaluate(TO_CLIENT, [fx, fy])
            page.mouse.move(cx, cy)
            page.wait_for_function("() => document.getElementById('panel-title')"
                                   ".textContent === 'Under the pointer'")
            x, y = page.evaluate(TO_DATA, [cx, cy])
            z = np.zeros((1, ckpt.config.latent_dim), np.float32)
            z[0, :2] = x, y
            want = ckpt.ops.decode(z)[0].reshape(-1)
            got = np.array(page.evaluate("() => Array.from(aeOnePage.panel.pixels)"))
            assert np.abs(got - want).max() <= 1e-3
            painted = np.array(page.evaluate(PAINTED)).reshape(-1, 4)
            assert np.array_equal(painted[:, 0], np.round(got * 255))  # what the canvas shows
        # the pointer off the map: the selected point again
        page.mouse.move(5, 5)
        page.wait_for_function("() => document.getElementById('panel-title')"
                               ".textContent === 'Selected point'")
        # a click on the map selects that point: the marker trace moves there
        cx, cy = page.evaluate(TO_CLIENT, [-1.8, -1.9])
        page.mouse.click(cx, cy)
        sel = page.evaluate("() => { const g = aeOnePage.bridge.gd, i = aeOnePage.bridge"
                            ".selectedTrace; return [g.data[i].x[0], g.data[i].y[0]]; }")
        assert np.allclose(sel, page.evaluate(TO_DATA, [cx, cy]), atol=1e-9) or np.hypot(
            *(np.array(page.evaluate(TO_CLIENT, sel)) - [cx, cy])) <= 6  # or a test point
        # the walk: the marker moves over the map and the frame follows
        page.click("#play")
        seen = []
        for _ in range(6):
            time.sleep(0.4)
            seen.append(page.evaluate(MARKER))
        page.click("#play")  # pause
        assert all(s is not None for s in seen) and len({tuple(s) for s in seen}) >= 4
        assert page.evaluate("() => aeOnePage.player.ticks") > 5
        assert page.inner_text("#panel-title") == "On the walk"
        box = page.locator("#map").bounding_box()
        assert all(0 <= x <= box["width"] and 0 <= y <= box["height"] for x, y in seen)
        assert not page.errors, page.errors
        assert leaving(page) == []
    finally:
        page.context.close()


def test_talk_mode_fills_a_1280x720_window(browser, exported):
    _, html_path = exported
    page = open_offline(browser, html_path, "#talk")
    try:
        page.wait_for_function("() => document.body.classList.contains('talk')")
        time.sleep(0.5)  # Plotly's relayout to the new size
        plot = page.locator("#map .main-svg").first.bounding_box()
        assert plot["height"] >= 700 and plot["width"] >= 800
        for what in ("#image", "#play", "#z"):  # beside it, all in view without scrolling
            b = page.locator(what).bounding_box()
            assert b["y"] >= 0 and b["y"] + b["height"] <= 720 and b["x"] + b["width"] <= 1280
        assert page.evaluate("() => document.scrollingElement.scrollHeight") <= 720
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "onepage-talk-1280x720.png"))
        page.keyboard.press("t")  # and back
        page.wait_for_function("() => !document.body.classList.contains('talk')")
        assert leaving(page) == []
    finally:
        page.context.close()


def test_a_model_the_page_cannot_decode_shows_its_images(browser, tmp_path, monkeypatch):
    monkeypatch.setattr(onepage, "export_decoder", lambda model: None)  # a layer it has no form for
    ckpt = load_checkpoint(make_checkpoint(tmp_path / "conv.safetensors", arch="conv"))
    html_path = tmp_path / "conv.html"
    html_path.write_bytes(onepage.build(ckpt, "conv.safetensors", Scene.from_query(SCENE)))
    page = open_offline(browser, html_path)
    try:
        assert page.inner_text("#note") == onepage.NO_PAGE_DECODER
        assert page.evaluate("() => { const i = document.getElementById('still');"
                             " return !i.hidden && i.complete && i.naturalWidth > 0; }")
        page.click("#play")
        page.wait_for_function("() => aeOnePage.player.ticks > 3")
        assert page.evaluate(MARKER) is not None
        assert leaving(page) == []
    finally:
        page.context.close()


def test_the_recorder_sees_a_request_and_the_files_policy_refuses_one(browser, exported,
                                                                       tmp_path):
    """The checks above could see a request: one from a copy of the file that asks for an
    image is recorded; the file itself refuses a fetch before it leaves."""
    _, html_path = exported
    leaky = tmp_path / "leaky.html"
    leaky.write_text(html_path.read_text("utf-8").replace(
        "<body>", '<body><img src="http://example.invalid/x.png" alt="">', 1), "utf-8")
    page = open_offline(browser, leaky)
    try:
        assert leaving(page) == []  # the policy refused it: the browser never asked
        assert page.refused == ["http://example.invalid/x.png"]
    finally:
        page.context.close()
    open_policy = tmp_path / "no-policy.html"
    open_policy.write_text(leaky.read_text("utf-8").replace("Content-Security-Policy", "x-off"),
                           "utf-8")
    page = open_offline(browser, open_policy)
    try:
        assert leaving(page) == ["http://example.invalid/x.png"]
    finally:
        page.context.close()
    page = open_offline(browser, html_path)
    try:
        refused = page.evaluate("""() => new Promise((done) => {
          document.addEventListener('securitypolicyviolation', (e) => done(e.blockedURI));
          fetch('http://example.invalid/data').catch(() => {}); })""")
        assert refused.startswith("http://example.invalid") and leaving(page) == []
        assert page.left == []
    finally:
        page.context.close()


def test_the_explorers_button_downloads_the_view_that_opens_offline(browser, app_url, page,
                                                                     tmp_path):
    from tests.browser.helpers import open_app

    open_app(page, app_url, "?ckpt=mnist-vae.safetensors&a=-1,0&b=1,1&z=0.5,0.5&hl=3")
    button = page.get_by_role("button", name="Download this view as one page")
    button.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "onepage-button.png"))
    with page.expect_download(timeout=120_000) as download:
        button.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "mnist-vae-view.html" and saved.stat().st_size <= 12 * 2**20
    offline = open_offline(browser, saved)
    try:
        assert offline.evaluate("() => aeOnePage.player.walk.stops") == 2
        assert "0.500, 0.500" in offline.inner_text("#z")
        assert leaving(offline) == []
    finally:
        offline.context.close()
