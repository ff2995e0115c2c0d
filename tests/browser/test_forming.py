"""The Train page in Chromium against ``streamlit run app.py``: the fast recipe started with its
defaults, and the map of the sample redrawn as the model trains: at least three different maps
within the first 60 s after Start."""

from __future__ import annotations

import time

import pytest

from tests.browser import server
from tests.browser.server import ARTIFACTS

pytestmark = pytest.mark.browser
FORMING = """() => { const d = document.querySelector('.st-key-train_forming .js-plotly-plot');
  if (!d || !d._fullData) return null;
  return d._fullLayout.title.text + '|'
    + d._fullData.map(t => t.x[0] + ',' + t.y[0]).join(';'); }"""


def test_the_fast_recipe_forms_its_map_on_the_train_page(browser, tmp_path, data_root):
    env = {"AEEXPLORER_DATA": str(data_root)}
    page = browser.new_page(viewport={"width": 1440, "height": 1200})
    page.set_default_timeout(120_000)
    maps: list[str] = []
    try:
        with server.running(env, ARTIFACTS / "forming-server.log") as url:
            page.goto(f"{url}/train")
            page.get_by_role("button", name="Start training").click()
            deadline = time.time() + 60
            while time.time() < deadline and len(maps) < 4:
                now = page.evaluate(FORMING)
                if now is not None and (not maps or now != maps[-1]):
                    maps.append(now)
                time.sleep(0.2)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "forming-train-page.png"), full_page=True)
            cancel = page.get_by_role("button", name="Cancel")
            if cancel.count():
                cancel.click()
                time.sleep(2)
    finally:
        page.close()
    assert len(maps) >= 3, maps  # three different maps of the sample within a minute
    assert maps[0].startswith("The map forming · before training"), maps[0][:80]
