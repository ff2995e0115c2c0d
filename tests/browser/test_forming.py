"""The Train page in Chromium against ``streamlit run app.py``: the fast recipe started with its
defaults, the map of the sample redrawn as the model trains (at least three different maps
within the first 60 s after Start), while the pointer rests over it and the image under it is
decoded in the page with each snapshot's decoder: the page's pixels are those of that
snapshot's weights (the file the training wrote, decoded by the numpy reference that
tests/app/test_export.py holds to torch), and they change as the model learns."""

from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np
import pytest

from aeexplorer.app.export import Exported, decode_exported
from tests.browser import fit, server
from tests.browser.server import ARTIFACTS, REPO

pytestmark = pytest.mark.browser
FORMING = """() => { const d = document.querySelector('.st-key-train_forming .js-plotly-plot');
  if (!d || !d._fullData) return null;
  return d._fullLayout.title.text + '|'
    + d._fullData.map(t => t.x[0] + ',' + t.y[0]).join(';'); }"""
PROBE = "() => window.__aeForming && window.__aeForming.probe ? window.__aeForming.probe() : null"
AREA = ".st-key-train_forming .js-plotly-plot .nsewdrag"
DECODERS = REPO / "static" / "decoders"


@contextmanager
def _training(browser, data_root, size: tuple[int, int], query: str, log: str):
    """A Train page (``query`` after /train) on a server of its own, the fast recipe started
    with its defaults; afterwards the training is cancelled and the page closed."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.set_default_timeout(120_000)
    try:
        with server.running({"AEEXPLORER_DATA": str(data_root)}, ARTIFACTS / log) as url:
            page.goto(f"{url}/train{query}")
            page.get_by_role("button", name="Start training").click()
            yield page
            cancel = page.get_by_role("button", name="Cancel")
            if cancel.count():
                cancel.click()
                time.sleep(2)
    finally:
        page.close()


def _point_at_the_map(page, k: int) -> None:
    """The pointer over the middle of the map's plot area, moved a pixel or two each time."""
    box = page.locator(AREA).first.bounding_box() if page.locator(AREA).count() else None
    if box:
        page.mouse.move(box["x"] + box["width"] * 0.6 + k % 3,
                        box["y"] + box["height"] * 0.4 + k % 2)


def _watch(page, seconds: float) -> tuple[list[str], dict]:
    """The different maps drawn, and per decoder file the first decode the page showed with
    it (its z, pixels and spec) and the file's bytes, read while the training still has it
    (None when it was already gone)."""
    maps, decoded = [], {}
    deadline, k = time.time() + seconds, 0
    while time.time() < deadline and (len(maps) < 4 or len(decoded) < 3):
        now = page.evaluate(FORMING)
        if now is not None and (not maps or now != maps[-1]):
            maps.append(now)
        if now is not None:
            _point_at_the_map(page, k)
            k += 1
        shown = page.evaluate(PROBE)
        if shown and shown["pixels"] and shown["url"] not in decoded:
            path = DECODERS / shown["url"].rsplit("/", 1)[-1]
            try:
                decoded[shown["url"]] = {**shown, "blob": path.read_bytes()}
            except FileNotFoundError:  # later snapshots' replaced it (a busy machine's page
                decoded[shown["url"]] = {**shown, "blob": None}  # lags): no parity for it
        time.sleep(0.2)
    return maps, decoded


def test_the_fast_recipe_forms_its_map_and_the_pointer_decodes_it(browser, data_root):
    with _training(browser, data_root, (1440, 1200), "", "forming-server.log") as page:
        maps, decoded = _watch(page, 60)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "forming-train-page.png"), full_page=True)
    assert len(maps) >= 3, maps  # three different maps of the sample within a minute
    assert maps[0].startswith("The map forming · before training"), maps[0][:80]
    assert len(decoded) >= 2, list(decoded)  # the pointer's image, from two snapshots at least
    images, checked = [], 0
    for shown in decoded.values():
        images.append(np.asarray(shown["pixels"]))
        if shown["blob"] is None:
            continue
        checked += 1
        z = np.asarray(shown["z"], dtype=np.float64)[None]
        want = decode_exported(Exported(shown["spec"], shown["blob"]), z).reshape(-1)
        assert np.abs(np.asarray(shown["pixels"]) - want).max() < 1e-4, shown["moment"]
    assert checked >= 1  # at least one decoder's file read while the training still had it
    assert np.abs(images[0] - images[-1]).max() > 0.05  # it decodes differently as it learns


TALK_BOXES = {"map": ".st-key-train_talkmap", "reconstruction": ".st-key-train_talkcurve_recon",
              "KL": ".st-key-train_talkcurve_kl", "pointer": ".st-key-train_forming_hover"}


def test_in_talk_mode_the_forming_map_fills_a_projectors_view(browser, data_root):
    """At 1280x720 in talk mode, while the fast recipe trains: the map, the image under the
    pointer and both curves wholly in view, no text under 18 px, no sideways scroll."""
    with _training(browser, data_root, (1280, 720), "?talk=1",
                   "forming-talk-server.log") as page:
        page.wait_for_selector(AREA, timeout=120_000)
        deadline, k, shown = time.time() + 60, 0, None
        while time.time() < deadline and not (shown and shown["pixels"]):
            _point_at_the_map(page, k)
            k += 1
            shown = page.evaluate(PROBE)
            time.sleep(0.3)
        time.sleep(1.5)  # the curves drawn after the map's rerun
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "forming-talk-1280x720.png"))
        outside, small, scroll = (fit.outside(page, TALK_BOXES), fit.small_text(page, 18),
                                  fit.h_scroll(page))
        title = page.locator("h1").count()
    assert shown and shown["pixels"], shown  # the pointer over the map decodes
    assert not outside, outside
    assert not small, small[:10]
    assert scroll is None, scroll
    assert title == 0  # the page's title and form give the room the view while it trains
