"""The Train page's loss chart drawn by plotly.js in Chromium (no server: the figure's own
HTML), at the widths a column of the page takes: the legend's box overlaps neither the x
axis's "epoch" title nor the chart's title, and stays off the plot area."""

from __future__ import annotations

import pytest

from aeexplorer.app.curves import loss_curve
from tests.helpers.jobs import training

pytestmark = pytest.mark.browser
BOXES = """() => { const box = s => { const e = document.querySelector(s);
  if (!e) return null; const r = e.getBoundingClientRect();
  return [r.left, r.top, r.right, r.bottom]; };
  return {legend: box('.legend'), xtitle: box('.xtitle'), title: box('.gtitle'),
          plot: box('.nsewdrag')}; }"""


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("width", [300, 420, 700])
def test_the_legend_covers_no_title(browser, width):
    fig = loss_curve(training(), "recon", "Reconstruction (nats / image)")
    fig.update_layout(width=width)
    page = browser.new_page(viewport={"width": width + 40, "height": 400})
    try:
        page.set_content(fig.to_html(include_plotlyjs=True, full_html=True))
        page.wait_for_selector(".legend")
        boxes = page.evaluate(BOXES)
    finally:
        page.close()
    assert all(boxes.values()), boxes
    assert not overlap(boxes["legend"], boxes["xtitle"]), boxes
    assert not overlap(boxes["legend"], boxes["title"]), boxes
    assert not overlap(boxes["legend"], boxes["plot"]), boxes
