"""The Explorer as a person sees it (issue 25): the map's legend, titled, clear of Plotly's
toolbar while the pointer is on the map, with a line saying what a dot is; the walk's player
beside the map at a laptop's 1400x900 and 1440x900, so that one watches the marker and presses
Pause without scrolling; talk mode's drawing pad and its result beside the map at 1280x720;
a drawing and a file each emptying the other; a click among a cluster's dots never called
"empty space"."""

from __future__ import annotations

import time

import pytest

from tests.browser import fit
from tests.browser.helpers import click_z, empty_spots, open_app, wait_idle
from tests.browser.server import ARTIFACTS
from tests.browser.test_draw import ONE, STAR, star, stroke, wait_star

pytestmark = pytest.mark.browser
WALK = "?ckpt=mnist-vae.safetensors&z=0.5,0.5&a=-1,0&b=1,0"
CAPTION = "Each dot is a test image, placed at its code z"


def _context(browser, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(120_000)
    return context, context.new_page()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _legend_clear(page, plot: str) -> str:
    """With the pointer on the map ``plot`` (its toolbar shown), the legend's title; asserts
    that no legend entry lies under the toolbar."""
    page.locator(plot).scroll_into_view_if_needed()
    left, top, right, bottom = fit.box(page, plot)
    page.mouse.move((left + right) / 2, (top + bottom) / 2)
    time.sleep(0.5)
    toolbar = fit.box(page, f"{plot} .modebar")
    assert toolbar is not None and toolbar[2] > toolbar[0]
    entries = page.locator(f"{plot} .legend .traces")
    assert entries.count() >= 10
    for i in range(entries.count()):
        entry = entries.nth(i).bounding_box()
        b = (entry["x"], entry["y"], entry["x"] + entry["width"], entry["y"] + entry["height"])
        assert not _overlap(b, toolbar), (plot, i, b, toolbar)
    return page.locator(f"{plot} .legendtitletext").first.text_content()


@pytest.mark.parametrize("size,talk", [((1280, 720), True), ((1400, 900), False),
                                       ((1920, 1080), True)], ids=["720p-talk", "1400", "1080p"])
def test_the_legend_is_titled_clear_of_the_toolbar_and_a_dot_is_explained(browser, app_url,
                                                                            size, talk):
    context, page = _context(browser, *size)
    try:
        open_app(page, app_url, WALK + ("&talk=1" if talk else ""))
        assert _legend_clear(page, ".st-key-talkmap .js-plotly-plot" if talk
                             else ".st-key-map_box .js-plotly-plot") == "digit"
        _shot(page, f"layout-legend-{size[0]}x{size[1]}{'-talk' if talk else ''}")
        caption = page.get_by_text(CAPTION)
        assert caption.is_visible() and "colour = its digit" in caption.inner_text()
        assert fit.outside(page, {"caption": f"text={CAPTION}"}) == {}
        if not talk:  # Compare's maps are drawn by the same code
            page.get_by_role("link", name="Compare").click()
            page.locator(".st-key-cmp_map_b .js-plotly-plot").wait_for()
            wait_idle(page)
            for side in "ab":
                assert _legend_clear(page, f".st-key-cmp_map_{side} .js-plotly-plot") == "digit"
    finally:
        context.close()


@pytest.mark.parametrize("size", [(1400, 900), (1440, 900)], ids=["1400", "1440"])
def test_the_player_is_beside_the_map_play_and_pause_without_scrolling(browser, app_url, size):
    context, page = _context(browser, *size)
    try:
        open_app(page, app_url, WALK)
        button = page.locator(".ae-play button")
        button.wait_for()
        wait_idle(page)
        _shot(page, f"layout-player-{size[0]}x{size[1]}")
        shown = {"map": ".st-key-map_box .js-plotly-plot", "play": ".ae-play button",
                 "speed": ".ae-play input[type=range]"}
        assert fit.outside(page, shown) == {}
        assert fit.box(page, shown["play"])[0] >= fit.box(page, shown["map"])[2] - 1  # beside
        button.click()
        assert button.inner_text() == "Pause"
        time.sleep(1.0)  # the marker walks; the page has not moved
        assert fit.outside(page, shown) == {}
        button.click()
        assert button.inner_text() == "Play the walk"
        assert page.evaluate("() => document.scrollingElement.scrollTop") == 0
    finally:
        context.close()


PLOT_WIDTH = "() => document.querySelector('.js-plotly-plot')._fullLayout.xaxis._length"


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["720p", "1080p"])
def test_talk_mode_draws_beside_the_map(browser, app_url, size):
    """The pad and what the drawing became in the window beside the map, no scrolling."""
    context, page = _context(browser, *size)
    try:
        open_app(page, app_url, WALK + "&talk=1")
        page.locator(".st-key-talkside").get_by_text("Draw", exact=True).click()
        pad = ".st-key-talkside .ae-draw canvas"
        page.locator(pad).wait_for()
        wait_idle(page)
        width = page.evaluate(PLOT_WIDTH)
        stroke(page, ONE, pad)
        wait_star(page, None, 120_000)
        page.wait_for_selector(".st-key-side_landing")
        wait_idle(page)
        time.sleep(0.5)
        _shot(page, f"layout-talk-draw-{size[0]}x{size[1]}")
        shown = {"map": ".st-key-talkmap .js-plotly-plot", "pad": pad,
                 "undo": ".st-key-talkside .ae-undo",
                 "input": ".st-key-side_result img >> nth=0",
                 "reconstruction": ".st-key-side_result img >> nth=1",
                 "where it lands": ".st-key-side_landing"}
        assert fit.outside(page, shown) == {}
        assert fit.box(page, pad)[0] >= fit.box(page, shown["map"])[2] - 1
        assert "vote" in page.locator(".st-key-side_landing").inner_text()
        assert star(page) is not None
        assert page.evaluate(PLOT_WIDTH) == pytest.approx(width, abs=1)  # the star: no shrink
        assert fit.h_scroll(page) is None and fit.small_text(page) == []
        assert page.evaluate("() => document.scrollingElement.scrollTop") == 0
        # a second stroke: the star and the result follow, still without scrolling
        before = star(page)
        stroke(page, [(0.3, 0.15), (0.7, 0.15)], pad)
        wait_star(page, before, 60_000)
        wait_idle(page)
        assert fit.outside(page, shown) == {}
        # Draw off: the image and the player again; the drawing and its star go with the pad
        page.locator(".st-key-talkside").get_by_text("Draw", exact=True).click()
        page.locator(".ae-play button").wait_for()
        page.wait_for_function(f"() => ({STAR})() === null")
        wait_idle(page)
        assert page.locator(pad).count() == 0 and star(page) is None
        assert fit.outside(page, {"selected": ".st-key-decoded", "play": ".ae-play button"}) == {}
    finally:
        context.close()


def _file(page, data: bytes, name: str) -> None:
    page.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "image/png", "buffer": data}])


def test_a_drawing_empties_the_uploader_and_a_file_empties_the_pad(page, app_url):
    from tests.helpers.images import draw_digit, to_bytes

    eight = to_bytes(draw_digit("8", width=20))
    open_app(page, app_url, "?ckpt=mnist-vae.safetensors")
    page.get_by_role("tab", name="Your own image").click()
    _file(page, eight, "eight.png")
    page.get_by_text("eight.png").wait_for()
    wait_star(page, None, 120_000)
    wait_idle(page)
    from_file = star(page)
    stroke(page, ONE)
    wait_star(page, from_file)
    wait_idle(page)
    assert page.get_by_text("eight.png").count() == 0  # one image in use, one shown
    drawn = star(page)
    assert page.locator(".ae-draw").get_attribute("data-strokes") == "1"
    _file(page, eight, "eight-again.png")
    page.get_by_text("eight-again.png").wait_for()
    wait_star(page, drawn)
    wait_idle(page)
    assert star(page) == pytest.approx(from_file, abs=1e-6)
    page.locator(".ae-draw canvas").wait_for()
    assert page.locator(".ae-draw").get_attribute("data-strokes") == "0"  # the pad is empty
    assert page.locator('[data-testid="stException"]').count() == 0


# spots inside a class's cluster: between its dots (none within 3 px), with 4 or more dots
# within 15 px; the most crowded first
AMONG = """(name) => { const d = document.querySelector('.js-plotly-plot');
  const xa = d._fullLayout.xaxis, ya = d._fullLayout.yaxis;
  const all = d._fullData.filter(t => t.customdata && t.x.length > 1);
  const mine = all.find(t => t.name === name);
  const px = (t) => Array.from(t.x, v => xa.l2p(v)), py = (t) => Array.from(t.y, v => ya.l2p(v));
  const xs = all.flatMap(px), ys = all.flatMap(py), mx = px(mine), my = py(mine);
  const cx = mx.reduce((a, b) => a + b) / mx.length, cy = my.reduce((a, b) => a + b) / my.length;
  const out = [];
  for (let dx = -24; dx <= 24; dx += 2) for (let dy = -24; dy <= 24; dy += 2) {
    const x = cx + dx, y = cy + dy; let gap = Infinity, n = 0;
    for (let i = 0; i < xs.length; i++) { const g = Math.hypot(xs[i] - x, ys[i] - y);
      gap = Math.min(gap, g); if (g < 15) n++; }
    if (gap > 3 && n >= 4) out.push([x, y, n]); }
  out.sort((a, b) => b[2] - a[2]);
  const apart = [];  // 10 px apart: each click lands on another point of the click grid
  for (const s of out) if (apart.length < 3 &&
      apart.every(a => Math.hypot(a[0] - s[0], a[1] - s[1]) >= 10)) apart.push(s);
  return apart.map(([x, y, n]) => [xa.p2l(x), ya.p2l(y), n]); }"""
DECODED = "() => document.querySelector('.st-key-decoded').textContent"


def test_a_click_among_a_clusters_dots_is_not_empty_space(page, app_url):
    open_app(page, app_url, "?ckpt=mnist-vae.safetensors")
    spots = page.evaluate(AMONG, "1")
    assert spots, "no spot between the 1s' dots"
    for x, y, _ in spots:
        before = page.evaluate(DECODED)
        click_z(page, x, y)
        page.wait_for_function(f"(b) => ({DECODED})() !== b", arg=before)
        wait_idle(page)
        text = page.evaluate(DECODED)
        assert "empty space" not in text, (x, y, text)
        assert "among the test images" in text or "Test image #" in text, text
    far = empty_spots(page, 40)
    assert far, "no empty spot on this map"
    click_z(page, *far[0])
    wait_idle(page)
    page.wait_for_function("() => document.querySelector('.st-key-decoded').innerText"
                           ".includes('empty space')")


# the text an input shows (its value, else its placeholder) and whether it fits the box
SHOWN = """(label) => { const i = document.querySelector(
    `[data-testid=stSidebar] input[aria-label="${label}"]`);
  const cs = getComputedStyle(i), ctx = document.createElement('canvas').getContext('2d');
  ctx.font = cs.font; const text = i.value || i.placeholder;
  const room = i.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  return [text, ctx.measureText(text).width <= room + 0.5]; }"""


@pytest.mark.parametrize("size,talk", [((1280, 720), True), ((1400, 900), False)],
                         ids=["720p-talk", "1400"])
def test_the_sidebars_find_boxes_show_their_whole_text(browser, app_url, size, talk):
    """"4242" typed into *Find test image #* shows whole; *Highlight a class* with nothing
    picked reads "none", whole (its placeholder was cut to "Choose an")."""
    context, page = _context(browser, *size)
    try:
        open_app(page, app_url, "?ckpt=mnist-vae.safetensors" + ("&talk=1" if talk else ""))
        if talk:  # a talk link folds the sidebar away
            page.locator('[data-testid="stExpandSidebarButton"]').click()
            time.sleep(0.8)
        assert page.evaluate(SHOWN, "Highlight a class") == ["none", True]
        find = page.get_by_label("Find test image #")
        find.scroll_into_view_if_needed()
        find.fill("4242")
        find.press("Enter")
        page.wait_for_function("() => location.search.includes('i=4242')")
        wait_idle(page)
        assert page.evaluate(SHOWN, "Find test image #") == ["4242", True]
        # the block streams in after its heading: wait for its text, not for one reading of it
        page.wait_for_function("() => (document.querySelector('.st-key-decoded') || {})"
                               ".textContent?.includes('Test image #4242')", timeout=15_000)
    finally:
        context.close()
