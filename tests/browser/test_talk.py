"""A talk on a projector: at 1280x720 the map, the decoded image and the path's player are all
in view; at 1920x1080 the map grows with the height; turning talk mode off keeps the sidebar;
the Explorer's settings and its URL survive a visit to another page."""

from __future__ import annotations

import time

import pytest

from tests.browser.server import ARTIFACTS
from tests.browser.helpers import open_app, wait_idle

pytestmark = pytest.mark.browser
SCENE = ("?ckpt=mnist-vae.safetensors&talk=1&z=0.5,0.5&i=7&a=-1,0&b=1,0&n=6&m=slerp&seed=7"
         "&t=0.7&k=9")
# what must be in view at once (the player is a component: in its own shadow DOM, which
# Playwright's selectors enter)
IN_VIEW = {"map": ".js-plotly-plot", "legend": ".js-plotly-plot .legend",
           "image": ".st-key-decoded img >> nth=-1", "z": ".st-key-decoded strong >> nth=0",
           "play": ".ae-play button", "speed": ".ae-play input[type=range]",
           "click mode": ".st-key-talkside button >> nth=-1"}


def _boxes(page) -> dict[str, tuple[float, float, float, float] | None]:
    boxes = {}
    for name, selector in IN_VIEW.items():
        box = page.locator(selector).first.bounding_box()
        boxes[name] = box and (box["x"], box["y"], box["x"] + box["width"],
                               box["y"] + box["height"])
    return boxes


def _talk_page(browser, app_url, width: int, height: int, query: str = SCENE):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(60_000)
    page = context.new_page()
    open_app(page, app_url, query)
    page.wait_for_selector(".ae-play button", state="attached")  # the last thing drawn
    wait_idle(page)
    return context, page


@pytest.mark.parametrize("size,mode", [((1280, 720), ""), ((1280, 720), "&c=stop"),
                                       ((1920, 1080), "")], ids=["720p", "720p-add-stop", "1080p"])
def test_talk_mode_shows_map_image_and_player_without_scrolling(browser, app_url, size, mode):
    """Also while clicks add stops, when the control for where the next one goes is there."""
    width, height = size
    context, page = _talk_page(browser, app_url, width, height, SCENE + mode)
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"talk-{width}x{height}{mode and '-stop'}.png"))
        boxes = _boxes(page)
        for name, box in boxes.items():
            assert box is not None, f"no {name} on the page"
            left, top, right, bottom = box
            assert left >= 0 and top >= 0 and right <= width and bottom <= height, (name, box)
        map_height = boxes["map"][3] - boxes["map"][1]
        assert map_height > 0.85 * height  # the map takes the window's height
        assert page.evaluate("() => document.scrollingElement.scrollTop") == 0
        legend = page.evaluate("() => getComputedStyle(document.querySelector("
                               "'.js-plotly-plot .legendtext')).fontSize")
        assert float(legend.rstrip("px")) >= 20  # read from the back of the room
    finally:
        context.close()


def _sidebar_open(page) -> bool:
    """Whether the sidebar is in view (a folded one is moved off the page, not hidden)."""
    return page.evaluate("() => document.querySelector('[data-testid=stSidebar]')"
                         ".getBoundingClientRect().right > 100")


def test_the_sidebar_fits_and_stays_when_talk_mode_is_turned_off(browser, app_url):
    context, page = _talk_page(browser, app_url, 1280, 720)
    try:
        assert not _sidebar_open(page)  # a talk link opens with the sidebar folded away
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        page.get_by_text("Talk mode").wait_for()
        time.sleep(0.5)
        fits = """() => { const side = document.querySelector('[data-testid=stSidebar]')
            .getBoundingClientRect();
          const name = document.querySelector('[data-testid=stSidebar] input[role=combobox]');
          const table = document.querySelector('[data-testid=stSidebar] table')
            .getBoundingClientRect();
          return {tableInside: table.right <= side.right,
                  nameWhole: name.scrollWidth <= name.clientWidth, name: name.value}; }"""
        shown = page.evaluate(fits)
        assert shown["tableInside"] and shown["nameWhole"], shown
    finally:
        context.close()
    # turned on and off from the sidebar: it stays open, with the toggle in it
    context, page = _talk_page(browser, app_url, 1280, 720, SCENE.replace("&talk=1", ""))
    try:
        for wanted in ("talk=1", None):
            page.get_by_text("Talk mode").click()
            page.wait_for_function("(w) => w ? location.search.includes(w) : "
                                   "!location.search.includes('talk=1')", arg=wanted)
            wait_idle(page)
            time.sleep(1)  # the sidebar folds in an animation
            assert _sidebar_open(page), wanted
        page.screenshot(path=str(ARTIFACTS / "talk-mode-off.png"))
    finally:
        context.close()


def test_settings_and_url_survive_a_visit_to_another_page(browser, app_url):
    query = SCENE.replace("&talk=1", "") + "&c=stop&tab=samples&ps=1"
    context, page = _talk_page(browser, app_url, 1440, 1000, query)
    try:
        before = page.url
        assert page.get_by_role("tab", name="Samples from the prior").get_attribute(
            "aria-selected") == "true"
        page.get_by_role("link", name="Compare").click()
        page.get_by_role("heading", name="Compare models").wait_for(timeout=60_000)
        wait_idle(page)
        page.get_by_role("link", name="Explorer").click()
        page.wait_for_selector(".st-key-decoded")
        wait_idle(page)
        assert page.url.split("?")[1] == before.split("?")[1]
        assert page.get_by_role("radio", name="Add a path stop").is_checked()
        assert page.get_by_role("tab", name="Samples from the prior").get_attribute(
            "aria-selected") == "true"
        assert page.get_by_text("9 samples, seed 7").is_visible()
        page.get_by_role("tab", name="Interpolation path").click()
        wait_idle(page)
        assert page.get_by_role("radio", name="spherical").is_checked()
        assert "tab=samples" not in page.url  # the tab just opened is in the URL now
    finally:
        context.close()
