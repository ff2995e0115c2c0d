"""Big and unlabelled maps: a big atlas is drawn as its density with a bounded, class-stratified
sample of points (every code counted in the density, small classes kept in the sample, the
payload bounded); an unlabelled atlas (labels -1, no class names) is drawn in one neutral
colour with no legend and no class in the hover; the error map of the Anomalies page too."""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.io as pio
import pytest
from PIL import Image

from aeexplorer.app import anomaly, density, figures, views

NAMES = [f"class {i}" for i in range(10)]


def mixture(n: int, seed: int = 0, tiny: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """n codes from 10 Gaussians of very unequal sizes; class 9 holds only ``tiny`` codes, in
    the middle of class 0 (a small class hidden in a big one)."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(9, size=n - tiny, p=np.arange(1, 10) / 45)
    centres = rng.normal(size=(10, 2)) * 3
    centres[9] = centres[0]
    labels = np.concatenate([labels, np.full(tiny, 9)])
    xy = centres[labels] + rng.normal(size=(n, 2)) * 0.5
    return xy.astype(np.float32), labels.astype(np.int64)


def point_traces(fig) -> list:
    return [t for t in fig.data if t.customdata is not None]


def image_of(uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


@pytest.fixture(scope="module")
def big():
    xy, labels = mixture(300_000)
    xy[:25] += 1000  # far outliers, outside the view
    bounds = views.map_bounds(xy)
    return xy, labels, bounds, figures.latent_map(xy, labels, NAMES, bounds)


def test_a_big_map_draws_a_bounded_sample_with_every_class(big):
    xy, labels, _, fig = big
    traces = point_traces(fig)
    assert [t.name for t in traces] == NAMES  # the legend is the classes, as on a small map
    drawn = np.concatenate([np.asarray(t.customdata) for t in traces])
    assert len(drawn) == density.SAMPLE_POINTS and len(np.unique(drawn)) == len(drawn)
    for label, t in enumerate(traces):
        idx = np.asarray(t.customdata)
        assert np.all(labels[idx] == label)
        np.testing.assert_array_equal(t.x, xy[idx, 0])  # a click still reads its test index
        np.testing.assert_array_equal(t.y, xy[idx, 1])
    # the tiny class (40 of 300k) is kept whole: a proportional sample would draw one point
    assert len(traces[9].customdata) == 40
    assert set(range(25)) <= set(drawn.tolist())  # the far outliers are points


def test_the_density_counts_every_code_in_view_and_is_drawn_where_they_are(big):
    xy, labels, bounds, fig = big
    (image,) = [i for i in fig.layout.images if i.name == figures.DENSITY]
    assert image.layer == "below" and image.sizing == "stretch"
    counts, extent, inside = density.class_counts(xy, labels, 10, bounds)
    assert counts.sum() == len(xy) - 25 and inside.sum() == len(xy) - 25
    assert (image.x, image.x + image.sizex) == pytest.approx(extent[:2])
    assert (image.y - image.sizey, image.y) == pytest.approx(extent[2:])
    pixels = image_of(image.source)
    total = counts.sum(axis=0)[::-1]  # the image's top row is the highest y
    assert pixels.shape == (*total.shape, 4)
    np.testing.assert_array_equal(pixels[..., 3] > 0, total > 0)
    # the densest bin is the most opaque; a bin of one code still shows
    assert pixels[..., 3].max() == pixels[..., 3][total == total.max()].max()
    assert pixels[..., 3][total == 1].min() > 40


def test_a_big_map_payload_is_bounded_and_a_small_map_is_drawn_whole(big):
    fig = big[3]
    assert len(pio.to_json(figures.from_dict(fig.to_dict()), validate=False)) < 1_200_000
    xy, labels = mixture(5_000)
    small = figures.latent_map(xy, labels, NAMES, views.map_bounds(xy))
    assert not small.layout.images and small.layout.xaxis.gridcolor == "#eee"
    assert sum(len(t.customdata) for t in point_traces(small)) == 5_000
    assert {t.marker.size for t in point_traces(small)} == {4}


def test_highlighting_a_class_fades_the_density_too(big):
    fig = figures.from_dict(big[3].to_dict())
    figures.dim_classes(fig, 3)
    figures.add_manifold(fig, "data:image/png;base64,AAAA", (-2, 2, -1, 3))
    assert [i.name for i in fig.layout.images] == [None, figures.DENSITY]  # manifold under it
    assert fig.layout.images[1].opacity < 0.5
    assert point_traces(fig)[3].marker.opacity == 0.75
    assert point_traces(fig)[4].marker.opacity < 0.1


def test_a_stratified_sample_keeps_small_classes_and_the_budget():
    labels = np.repeat([0, 1, 2, 3], [100_000, 5_000, 30, 1])
    idx = density.stratified(labels, 1_000, seed=1)
    assert len(idx) == 1_000 and np.all(np.diff(idx) > 0)
    kept = np.bincount(labels[idx], minlength=4)
    assert kept[2] == 30 and kept[3] == 1 and kept[1] >= 125 and kept[0] > kept[1]
    assert np.array_equal(density.stratified(labels[:500], 1_000), np.arange(500))
    np.testing.assert_array_equal(idx, density.stratified(labels, 1_000, seed=1))


@pytest.mark.parametrize("n", [3_000, 60_000])
def test_an_unlabelled_map_has_one_neutral_colour_and_no_classes(n):
    xy, _ = mixture(n)
    labels = np.full(n, -1)
    fig = figures.latent_map(xy, labels, (), views.map_bounds(xy))
    (points,) = point_traces(fig)
    assert points.showlegend is False and points.marker.color == figures.NEUTRAL
    assert "fullData.name" not in points.hovertemplate and "test #" in points.hovertemplate
    assert not [t for t in fig.data if t.showlegend is not False]  # no legend entry at all
    assert len(points.customdata) == min(n, density.SAMPLE_POINTS if n > density.MAX_POINTS
                                         else n)
    if n > density.MAX_POINTS:
        pixels = image_of(fig.layout.images[0].source)
        shown = pixels[pixels[..., 3] > 0][:, :3]
        assert len(np.unique(shown, axis=0)) == 1  # one colour, the density in its opacity


def test_codes_without_a_label_on_a_labelled_map_are_drawn_apart():
    xy, labels = mixture(400)
    labels[:7] = -1
    fig = figures.latent_map(xy, labels, NAMES, views.map_bounds(xy))
    rest = point_traces(fig)[-1]
    assert rest.name == "no label" and sorted(rest.customdata) == list(range(7))
    assert views.class_name(NAMES, -1) is None and views.class_name(NAMES, 3) == "class 3"
    assert views.class_name((), 0) is None


def test_a_big_error_map_draws_the_worst_and_a_sample_over_a_grey_density():
    xy, labels = mixture(100_000, seed=2)
    errors = np.random.default_rng(3).gamma(2.0, 0.01, len(xy)).astype(np.float32)
    fig = anomaly.error_map(xy, errors, labels, NAMES, views.map_bounds(xy))
    trace = fig.data[0]
    idx = np.asarray(trace.customdata)
    assert len(idx) <= density.SAMPLE_POINTS and len(np.unique(idx)) == len(idx)
    worst = np.argsort(errors)[-density.SAMPLE_POINTS // 2:]
    assert set(worst.tolist()) <= set(idx.tolist())
    assert set(labels[idx].tolist()) == set(range(10))
    assert np.all(np.diff(trace.marker.color) >= 0)  # the worst drawn last, on top
    assert trace.marker.cmax == pytest.approx(np.percentile(errors, 99.5))
    assert fig.layout.images[0].name == "density"
    unlabelled = anomaly.error_map(xy[:50], errors[:50], np.full(50, -1), (),
                                   views.map_bounds(xy[:50]))
    assert "class" not in unlabelled.data[0].hovertemplate
    assert not unlabelled.layout.images


def test_class_names_from_a_file_are_escaped_in_the_legend():
    xy, labels = mixture(200)
    names = ["<b>bold</b>", "a & b", *NAMES[2:]]
    fig = figures.latent_map(xy, labels, names, views.map_bounds(xy))
    assert [t.name for t in point_traces(fig)][:2] == ["&lt;b&gt;bold&lt;/b&gt;", "a &amp; b"]
