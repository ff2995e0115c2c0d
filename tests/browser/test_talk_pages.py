"""Talk mode on every page: carried with the models in each page's URL, so that a move from
a talk link's Explorer to another page and back, and a reload (F5) of any page, keep the
large type and the models on show."""

from __future__ import annotations

import time

import pytest

from tests.browser import fit
from tests.browser.helpers import open_app, wait_idle
from tests.browser.server import ARTIFACTS

pytestmark = pytest.mark.browser
TALK_LINK = "?ckpt=mnist-ae.safetensors&talk=1&z=0.5,0.5"
ROOT_PX = "() => getComputedStyle(document.documentElement).fontSize"


def _query(page) -> dict[str, str]:
    return page.evaluate("() => Object.fromEntries(new URLSearchParams(location.search))")


def _in_talk_mode(page) -> bool:
    return page.evaluate(ROOT_PX) == "22px"  # style.py's talk type


def _open_sidebar(page) -> None:
    """A folded sidebar is moved off the page, not hidden: unfolded when it is."""
    if not page.evaluate("() => document.querySelector('[data-testid=stSidebar]')"
                         ".getBoundingClientRect().right > 100"):
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        time.sleep(0.6)  # the sidebar opens in an animation


def _to(page, link: str, ready: str) -> None:
    """Through the sidebar's navigation, as a presenter would (a talk folds the sidebar)."""
    _open_sidebar(page)
    page.get_by_role("link", name=link).click()
    page.wait_for_selector(ready, timeout=120_000)
    wait_idle(page, 120)
    time.sleep(0.5)


def _to_explorer(page) -> None:
    """Back to the Explorer, which in talk mode has no heading: its map."""
    _open_sidebar(page)
    page.get_by_role("link", name="Explorer").click()
    page.wait_for_selector(".st-key-decoded", timeout=120_000)
    wait_idle(page, 120)
    time.sleep(0.5)


def _reload(page, ready: str) -> None:
    page.reload()
    page.wait_for_selector(ready, timeout=120_000)
    wait_idle(page, 120)
    time.sleep(0.5)


def test_talk_mode_and_models_survive_navigation_and_reload(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        open_app(page, app_url, TALK_LINK)
        assert _in_talk_mode(page)
        _to(page, "Compare", READY["compare"])
        q = _query(page)
        # the Explorer's model is Compare's model A; B the page's own pick
        assert q.get("talk") == "1" and q.get("ckpt") == "mnist-ae.safetensors", q
        assert q.get("vs", "").endswith(".safetensors") and _in_talk_mode(page), q
        _to_explorer(page)  # and back: the Explorer's scene as it was
        back = _query(page)
        assert back.get("talk") == "1" and back.get("ckpt") == "mnist-ae.safetensors", back
        assert back.get("z") == "0.5000,0.5000" and _in_talk_mode(page), back
        _to(page, "Compare", READY["compare"])
        assert _query(page) == q
        _reload(page, READY["compare"])
        assert _query(page) == q and _in_talk_mode(page)
        for link, heading, model in (("Anomalies", READY["anomalies"], "ckpt"),
                                     ("Denoise", READY["denoise"], "dae"),
                                     ("Train", READY["train"], None)):
            _to(page, link, heading)
            q = _query(page)
            assert q.get("talk") == "1" and _in_talk_mode(page), (link, q)
            assert model is None or q.get(model, "").endswith(".safetensors"), (link, q)
            if link == "Anomalies":  # the Explorer's model, carried
                assert q["ckpt"] == "mnist-ae.safetensors", q
            _reload(page, heading)
            assert _query(page) == q and _in_talk_mode(page), (link, _query(page), q)
        assert _query(page) == {"talk": "1"}  # Train shows no model
    finally:
        context.close()


POINT = """() => { const d = document.querySelector('.js-plotly-plot');
  const t = d._fullData.find(t => t.customdata && t.x.length > 100), L = d._fullLayout;
  const r = d.getBoundingClientRect(), i = Math.floor(t.x.length / 2);
  return [r.left + L.xaxis._offset + L.xaxis.l2p(t.x[i]),
          r.top + L.yaxis._offset + L.yaxis.l2p(t.y[i])]; }"""


def _click_a_test_point(page) -> None:
    """A click on a test image's dot on map A."""
    x, y = page.evaluate(POINT)
    page.mouse.move(x, y)
    time.sleep(0.2)  # Plotly picks the hovered point on the click
    page.mouse.click(x, y)


# each page's main view (issue 25) and the element whose arrival says the page is drawn
MAIN_VIEW = {
    "compare": {"map A": ".st-key-cmp_map_a", "map B": ".st-key-cmp_map_b",
                "map C": ".st-key-cmp_map_c", "selected": ".st-key-cmp_selected"},
    "anomalies": {"map": ".st-key-anom_map",
                  "threshold": ".st-key-anom_controls [data-testid=stSlider]",
                  "first gallery row": ".st-key-anom_gallery img >> nth=5"},
    "denoise": {"four images": ".st-key-dn_results img >> nth=3",
                "their errors": ".st-key-dn_results strong >> nth=-1", "noise": ".st-key-dn_noise"},
    "train": {"form's start": "[data-testid=stRadio] >> nth=0",
              "live view": "[data-testid=stAlert] >> nth=0"},
}
READY = {"compare": ".js-plotly-plot", "anomalies": ".st-key-anom_gallery img",
         "denoise": ".st-key-dn_results img", "train": "h1"}


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["720p", "1080p"])
@pytest.mark.parametrize("name", list(MAIN_VIEW))
def test_each_page_fits_a_projector_in_talk_mode(browser, app_url, name, size):
    """The main view in the window without scrolling, no horizontal scroll anywhere, and no
    text under 18 px on the page (Plotly's ticks, legends and captions included)."""
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(120_000)
    page = context.new_page()
    try:
        page.goto(f"{app_url}/{name}?talk=1")
        page.wait_for_selector(READY[name])
        wait_idle(page, 120)
        time.sleep(1.5)  # Plotly draws after the run
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"talk-{name}-{width}x{height}.png"))
        assert _in_talk_mode(page)
        assert fit.outside(page, MAIN_VIEW[name]) == {}
        if name == "compare":  # a point clicked: its images beside the maps, in view too
            _click_a_test_point(page)
            page.wait_for_selector(".st-key-cmp_selected img >> nth=5")
            wait_idle(page)
            time.sleep(0.5)
            page.screenshot(path=str(ARTIFACTS / f"talk-compare-clicked-{width}x{height}.png"))
            assert fit.outside(page, {f"image {i}": f".st-key-cmp_selected img >> nth={i}"
                                      for i in range(6)}) == {}  # two under each of 3 maps
        assert fit.small_text(page) == []
        assert fit.h_scroll(page) is None
        assert page.evaluate("() => document.scrollingElement.scrollTop") == 0
    finally:
        context.close()
