"""The generated ``shapes`` data set: the same pixels from the same seed, separate splits,
balanced labels, each image one anti-aliased shape of its kind and hue, and ``load_split``
giving it in colour or grey at any size with no data root."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aeexplorer.core.datasets import shapes
from aeexplorer.core.datasets.loading import load_split, missing_files
from aeexplorer.core.datasets.registry import DATASETS


def test_the_same_seed_gives_the_same_images_and_another_seed_others():
    a, la = shapes.generate(64, seed=5)
    b, lb = shapes.generate(64, seed=5)
    c, _ = shapes.generate(64, seed=6)
    assert np.array_equal(a, b) and np.array_equal(la, lb)
    assert not np.isclose(a, c).all(axis=(1, 2, 3)).any()  # no image of seed 5 recurs


def test_arrays_ranges_and_balanced_labels():
    images, labels = shapes.generate(1002, seed=0, image_size=20)
    assert images.shape == (1002, 3, 20, 20) and images.dtype == np.float32
    assert labels.shape == (1002,) and labels.dtype == np.int64
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert sorted(np.bincount(labels, minlength=4).tolist()) == [250, 250, 251, 251]
    assert len(shapes.CLASS_NAMES) == 4 and labels.max() == 3


def test_rendering_in_steps_gives_what_one_pass_gives(monkeypatch):
    whole, _ = shapes.generate(50, seed=3)
    monkeypatch.setattr(shapes, "PIXELS_AT_ONCE", 7 * 32 * 32)  # 7 images a step
    assert np.array_equal(shapes.generate(50, seed=3)[0], whole)


def test_each_image_is_its_hue_on_the_ground_with_soft_edges():
    d = shapes.draw(200, seed=1)
    images = shapes.render(d, 32)
    colour = shapes.hsv_to_rgb(d.hue, shapes.SATURATION, shapes.VALUE)
    corner = images[:, :, 0, 0]
    assert np.allclose(corner, shapes.BACKGROUND)  # shapes stay clear of the border
    # the pixel at the shape's centre is the shape's colour
    side = 32
    cx = np.floor(side * (0.5 + d.dx)).astype(int)
    cy = np.floor(side * (0.5 + d.dy)).astype(int)
    centre = images[np.arange(200), :, cy, cx]
    assert np.allclose(centre, colour, atol=1e-5)
    # anti-aliased: some pixels lie strictly between the ground and the colour, each on the
    # line between them (a mix, never another colour)
    cover = (images - shapes.BACKGROUND) / (colour - shapes.BACKGROUND)[:, :, None, None]
    assert np.allclose(cover, cover[:, :1], atol=1e-4)
    partial = (cover[:, 0] > 0.05) & (cover[:, 0] < 0.95)
    assert partial.sum(axis=(1, 2)).min() >= 8


def test_the_shapes_cover_their_area_and_the_kinds_differ():
    """At 128 pixels a shape's coverage sums to its area (the kinds are drawn to the same area
    for the same radius) within a percent; and the four kinds' masks differ."""
    n = 8
    d = shapes.Draws(kind=np.arange(n) % 4, hue=np.zeros(n), radius=np.full(n, 0.2),
                     dx=np.zeros(n), dy=np.zeros(n))
    images = shapes.render(d, 128)
    colour = shapes.hsv_to_rgb(d.hue, shapes.SATURATION, shapes.VALUE)
    cover = (images[:, 0] - shapes.BACKGROUND) / (colour[:, 0] - shapes.BACKGROUND)[:, None, None]
    area = cover.sum(axis=(1, 2))
    assert area == pytest.approx(np.full(n, np.pi * (0.2 * 128) ** 2), rel=0.01)
    masks = cover[:4] > 0.5
    for i in range(4):
        for j in range(i + 1, 4):
            assert (masks[i] != masks[j]).sum() > 200, (i, j)
    # a triangle points up, centred on its centroid: 5/9 of it lies below the centre, where
    # its base is
    tri = cover[2]
    assert tri[64:].sum() / tri.sum() == pytest.approx(5 / 9, abs=0.01)


def test_the_hues_cover_the_colour_wheel():
    d = shapes.draw(10_000, seed=0)
    counts = np.histogram(d.hue, bins=12, range=(0, 1))[0]
    assert counts.min() > 700
    rgb = shapes.hsv_to_rgb(np.array([0.0, 1 / 3, 2 / 3]), 1.0, 1.0)
    assert np.allclose(rgb, np.eye(3))  # red, green, blue


def test_train_and_test_are_separate_draws():
    assert shapes.SEEDS[True] != shapes.SEEDS[False]
    train = shapes.draw(shapes.SIZES[True], shapes.SEEDS[True])
    test = shapes.draw(shapes.SIZES[False], shapes.SEEDS[False])
    assert not np.isin(test.hue, train.hue).any()  # no test image repeats a training one


def test_load_split_needs_no_files(tmp_path):
    assert "shapes" in DATASETS and missing_files("shapes", tmp_path) == []
    split = load_split("shapes", False, tmp_path / "nowhere")
    assert split.images.shape == (10_000, 3, 32, 32) and split.images.dtype == torch.float32
    assert split.labels.dtype == torch.int64 and split.labelled
    assert split.class_names == ("circle", "square", "triangle", "cross")
    assert split.labels.bincount().tolist() == [2500] * 4
    assert not any(tmp_path.iterdir())  # nothing written


def test_load_split_in_grey_and_at_other_sizes():
    colour = load_split("shapes", False)
    grey = load_split("shapes", False, channels=1)
    assert grey.images.shape == (10_000, 1, 32, 32)
    luma = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    torch.testing.assert_close(grey.images, (colour.images * luma).sum(1, keepdim=True))
    assert torch.equal(grey.labels, colour.labels)
    big = load_split("shapes", False, image_size=64)
    assert big.images.shape == (10_000, 3, 64, 64)
    # rendered at 64, not enlarged: the same picture, each 2x2 block averaging to about
    # the 32-pixel image's pixel
    small = torch.nn.functional.avg_pool2d(big.images[:100], 2)
    assert (small - colour.images[:100]).abs().mean() < 0.01
    tiny = load_split("shapes", True, image_size=12, channels=1)
    assert tiny.images.shape == (60_000, 1, 12, 12) and len(tiny) == 60_000


def test_a_split_over_the_memory_budget_streams_or_is_refused(monkeypatch):
    """10k 32x32 colour images are 123 MB as float32: over a 100 MB budget the test split is
    rendered batch by batch, the same images as in memory; without streaming, one line."""
    from aeexplorer.core.datasets.stream import Streamed, indexed_batches
    from aeexplorer.core.errors import DataNotFound

    whole = load_split("shapes", False, channels=1)
    monkeypatch.setenv("AEEXPLORER_STREAM_MB", "100")
    with pytest.raises(DataNotFound, match="over the AEEXPLORER_STREAM_MB budget") as info:
        load_split("shapes", False)
    assert "\n" not in str(info.value)
    assert not isinstance(load_split("shapes", False, channels=1).images, Streamed)  # 41 MB
    streamed = load_split("shapes", False, stream=True)
    assert isinstance(streamed.images, Streamed) and streamed.images.shape == (10_000, 3, 32, 32)
    assert torch.equal(streamed.labels, whole.labels)
    order = torch.tensor([9_999, 0, 4_321, 17])
    ((batch, _),) = list(indexed_batches(streamed.images, order, batch_size=8))
    luma = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    torch.testing.assert_close((batch * luma).sum(1, keepdim=True), whole.images[order])
