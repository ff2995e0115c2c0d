"""The replay of how a map formed, played by plotly.js in Chromium: the figure alone (its own
HTML, no server), where Play moves the dots through the snapshots; and in the Explorer served by
``streamlit run app.py`` for the shipped ``mnist-vae``, trained with snapshots."""

from __future__ import annotations

import time

import pytest

from aeexplorer.app.replay import replay_figure
from aeexplorer.core.checkpoints.snapshots import read_snapshots
from tests.browser.helpers import open_app
from tests.browser.server import ARTIFACTS
from tests.helpers.checkpoints import make_snapshot_checkpoint

pytestmark = pytest.mark.browser
ACTIVE = """(sel) => document.querySelector(sel)._fullLayout.sliders[0].active"""
FIRST_X = """(sel) => { const d = document.querySelector(sel);
  return d._fullData.map(t => t.x[0]).join(','); }"""
NAMES = tuple(str(d) for d in range(10))


def _positions_while_playing(page, seconds: float, sel: str = ".js-plotly-plot") -> list[str]:
    seen, deadline = [page.evaluate(FIRST_X, sel)], time.time() + seconds
    while time.time() < deadline:
        now = page.evaluate(FIRST_X, sel)
        if now != seen[-1]:
            seen.append(now)
        time.sleep(0.05)
    return seen


def test_play_moves_the_dots_through_the_snapshots(browser, tmp_path):
    snaps = read_snapshots(make_snapshot_checkpoint(tmp_path / "s.safetensors", n_snaps=6))
    fig = replay_figure(snaps, NAMES)
    page = browser.new_page(viewport={"width": 900, "height": 700})
    try:
        page.set_content(fig.to_html(include_plotlyjs=True, full_html=True))
        page.wait_for_selector(".updatemenu-button")
        page.locator(".updatemenu-button").first.click()  # ▶ Play
        seen = _positions_while_playing(page, 6.0)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "replay-figure.png"))
        active = page.evaluate(ACTIVE, ".js-plotly-plot")
    finally:
        page.close()
    assert len(set(seen)) >= 4, seen  # the dots moved through several snapshots
    assert active == 5  # and ended on the last one


def test_the_explorer_replays_how_the_shipped_mnist_vae_formed(page, app_url):
    """The shipped model was trained with 40 snapshots: its replay plays in the Explorer."""
    open_app(page, app_url, "?ckpt=mnist-vae.safetensors")
    page.locator("summary", has_text="How this map formed").click()
    page.wait_for_selector(".stExpander .js-plotly-plot .updatemenu-button")
    said = page.locator(".stExpander").first.inner_text()
    page.locator(".stExpander .updatemenu-button").first.click()  # ▶ Play
    seen = _positions_while_playing(page, 6.0, ".stExpander .js-plotly-plot")
    page.locator(".stExpander .updatemenu-button").nth(1).click()  # ❚❚ Pause
    time.sleep(1.0)
    paused = page.evaluate(FIRST_X, ".stExpander .js-plotly-plot")
    time.sleep(1.5)
    page.locator(".stExpander").first.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "replay-explorer.png"), full_page=True)
    still = page.evaluate(FIRST_X, ".stExpander .js-plotly-plot")
    assert "40 snapshots of 2,000 test images" in said, said
    assert len(set(seen)) >= 4, seen  # the dots moved through several snapshots
    assert paused == still  # and Pause holds them
