"""The Train page's loss curves: what they plot, and a layout in which the legend covers
neither the "epoch" title of the x axis nor the chart's title (see also
tests/browser/test_train_chart.py, which measures the drawn boxes)."""

from __future__ import annotations

import pytest

from aeexplorer.app.curves import loss_curve
from tests.helpers.jobs import training


def test_the_curves_are_the_recent_batches_and_the_epoch_means():
    fig = loss_curve(training(), "recon", "Reconstruction")
    recent, means = fig.data
    assert (recent.name, means.name) == ("recent batches", "epoch mean")
    assert list(means.x) == [1.0, 2.0] and list(means.y) == [160.0, 140.0]
    assert fig.layout.xaxis.range == pytest.approx((0, 3 * 1.02))  # to the epoch under way
    assert fig.layout.yaxis.range[1] < 400.0  # the first batches are left off the scale


def test_the_legend_sits_between_the_title_and_the_plot():
    layout = loss_curve(training(), "recon", "Reconstruction").layout
    assert layout.xaxis.title.text == "epoch"
    legend = layout.legend
    # above the plot area, growing upwards: nowhere near the foot, where the axis title is
    assert legend.orientation == "h" and legend.y >= 1.0 and legend.yanchor == "bottom"
    assert legend.yref in (None, "paper")
    # the title hangs from the top of the figure; the top margin holds it and a legend row
    title = layout.title
    assert title.yref == "container" and title.yanchor == "top" and title.y > 0.95
    below_title = (1 - title.y) * layout.height + 1.3 * title.font.size
    assert layout.margin.t >= below_title + 1.6 * legend.font.size
