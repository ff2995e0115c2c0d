"""Talk mode on every page: carried with the models in each page's URL, so that a move from
a talk link's Explorer to another page and back, and a reload (F5) of any page, keep the
large type and the models on show."""

from __future__ import annotations

import time

import pytest

from tests.browser.helpers import open_app, wait_idle

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


def _to(page, link: str, heading: str) -> None:
    """Through the sidebar's navigation, as a presenter would (a talk folds the sidebar)."""
    _open_sidebar(page)
    page.get_by_role("link", name=link).click()
    page.get_by_role("heading", name=heading).wait_for(timeout=120_000)
    wait_idle(page, 120)
    time.sleep(0.5)


def _to_explorer(page) -> None:
    """Back to the Explorer, which in talk mode has no heading: its map."""
    _open_sidebar(page)
    page.get_by_role("link", name="Explorer").click()
    page.wait_for_selector(".st-key-decoded", timeout=120_000)
    wait_idle(page, 120)
    time.sleep(0.5)


def _reload(page, heading: str) -> None:
    page.reload()
    page.get_by_role("heading", name=heading).wait_for(timeout=120_000)
    wait_idle(page, 120)
    time.sleep(0.5)


def test_talk_mode_and_models_survive_navigation_and_reload(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        open_app(page, app_url, TALK_LINK)
        assert _in_talk_mode(page)
        _to(page, "Compare", "Compare models")
        q = _query(page)
        # the Explorer's model is Compare's model A; B the page's own pick
        assert q.get("talk") == "1" and q.get("ckpt") == "mnist-ae.safetensors", q
        assert q.get("vs", "").endswith(".safetensors") and _in_talk_mode(page), q
        _to_explorer(page)  # and back: the Explorer's scene as it was
        back = _query(page)
        assert back.get("talk") == "1" and back.get("ckpt") == "mnist-ae.safetensors", back
        assert back.get("z") == "0.5000,0.5000" and _in_talk_mode(page), back
        _to(page, "Compare", "Compare models")
        assert _query(page) == q
        _reload(page, "Compare models")
        assert _query(page) == q and _in_talk_mode(page)
        for link, heading, model in (
                ("Anomalies", "Anomalies: what the model reconstructs worst", "ckpt"),
                ("Denoise", "Denoise: a denoising autoencoder against a plain one", "dae"),
                ("Train", "Train a model", None)):
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
