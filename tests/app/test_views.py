"""views: what the explorer shows of a checkpoint beyond its model's operations, on a tiny
random one."""

from __future__ import annotations

import numpy as np
import pytest

from aeexplorer.app import views
from aeexplorer.core.checkpoints.file import load_checkpoint
from tests.helpers.checkpoints import make_checkpoint


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return load_checkpoint(make_checkpoint(tmp_path_factory.mktemp("v") / "t.safetensors"))


def test_atlas_read_without_weights_matches_the_loaded_one_and_bounds_hold_it(ckpt):
    from aeexplorer.core.checkpoints.header import read_atlas

    mu, labels = read_atlas(ckpt.path)
    np.testing.assert_array_equal(mu, ckpt.atlas.mu.numpy())
    np.testing.assert_array_equal(labels, ckpt.atlas.labels.numpy())
    xy = views.map_xy(mu)
    assert xy.shape == (200, 2) and xy.dtype == np.float32
    assert views.map_xy(mu[:, :1]).shape == (200, 2)
    (x0, x1), (y0, y1) = views.map_bounds(xy)
    inside = (xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)
    assert inside.mean() > 0.99


def test_bounds_ignore_far_outliers():
    xy = np.concatenate([np.random.default_rng(0).normal(size=(5000, 2)), [[1e4, 1e4]]])
    bounds = views.map_bounds(xy.astype(np.float32))
    assert bounds[0][1] < 10
    assert views.outside(xy, bounds) == 1  # the far one, and only it


@pytest.mark.parametrize("seed", range(5))
def test_bounds_show_every_point_of_a_normal_map(seed):
    """A VAE-like map: no code is clipped, although the extremes of 10,000 codes lie past the
    0.2 and 99.8 percentiles (the shipped MNIST VAE's reach z2 = 3.19, past 3.13)."""
    rng = np.random.default_rng(seed)
    xy = np.concatenate([rng.normal(size=(10000, 2)),
                         rng.normal([2, -1], 0.3, size=(500, 2))]).astype(np.float32)
    bounds = views.map_bounds(xy)
    assert views.outside(xy, bounds) == 0
    (x0, x1), (y0, y1) = bounds
    assert x0 < xy[:, 0].min() and x1 > xy[:, 0].max() and y1 > xy[:, 1].max()


def test_every_shipped_map_shows_all_its_points():
    from aeexplorer.core.checkpoints.header import read_atlas
    from tests.helpers import REPO

    shipped = sorted((REPO / "checkpoints").glob("*.safetensors"))
    if not shipped:
        pytest.skip("no shipped checkpoints in this checkout")
    for path in shipped:
        xy = views.map_xy(read_atlas(path)[0])
        assert views.outside(xy, views.map_bounds(xy)) == 0, path.name


def test_manifold_tiles_the_grid_from_the_top_left(ckpt):
    big, extent = views.manifold(ckpt, (-1, 1), (-2, 2), 4)
    assert big.shape == (112, 112)
    assert extent == pytest.approx((-1 - 1 / 3, 1 + 1 / 3, -2 - 2 / 3, 2 + 2 / 3))
    top_left = ckpt.ops.decode([-1, 2])[0]  # grid rows run from high z2 down
    assert np.allclose(big[:28, :28], top_left, atol=1e-5)
    bottom_right = ckpt.ops.decode([1, -2])[0]
    assert np.allclose(big[-28:, -28:], bottom_right, atol=1e-5)


def test_full_z_code_of_and_decoded_codes(ckpt):
    assert views.full_z(ckpt, (1.0, 2.0)) == [1.0, 2.0]
    assert views.code_of(ckpt, 3) == pytest.approx(ckpt.atlas.mu[3].tolist())
    decoded = views.decoded_codes(ckpt, [3, 0])
    assert decoded.shape == (2, 28, 28)
    np.testing.assert_allclose(decoded[0], ckpt.ops.decode(views.code_of(ckpt, 3))[0], atol=1e-6)


def test_random_of_class():
    labels = np.array([3, 8, 3, 1])
    assert views.random_of_class(labels, 3, seed=1) in (0, 2)
    assert views.random_of_class(labels, 5, seed=1) is None


def test_manifold_of_a_colour_model_tiles_rgb(tmp_path):
    import torch

    from aeexplorer.core.checkpoints.file import Atlas, save_checkpoint
    from aeexplorer.core.models import ModelConfig, build_model

    model = build_model(ModelConfig(kind="ae", hidden=(8,), image_size=8, image_channels=3))
    atlas = Atlas(torch.zeros(2, 2), None, torch.tensor([-1, -1]))
    ckpt = load_checkpoint(save_checkpoint(tmp_path / "c.safetensors", model, "shapes", atlas,
                                           classes=()))
    big, _ = views.manifold(ckpt, (-1.0, 1.0), (-1.0, 1.0), 3)
    assert big.shape == (24, 24, 3)
    _, images = ckpt.ops.grid((-1.0, 1.0), (-1.0, 1.0), 3)
    np.testing.assert_array_equal(big[8:16, 16:24], images[5])  # row 1, column 2


def test_a_map_spread_along_one_axis_is_not_a_strip():
    """A VAE whose z2 collapsed to the prior's mean puts every code on a line: the view keeps
    one scale on both axes, so its short side is widened to half the long one, about the
    centre; a map of two similar spreads is left as it is."""
    rng = np.random.default_rng(0)
    line = np.stack([rng.uniform(-4.5, -3.5, 500), rng.normal(0, 0.005, 500)], axis=1)
    (x0, x1), (y0, y1) = views.map_bounds(line)
    assert (y1 - y0) == pytest.approx(0.5 * (x1 - x0))
    assert (y0 + y1) / 2 == pytest.approx(float(np.mean([line[:, 1].min(), line[:, 1].max()])),
                                          abs=0.01)
    blob = rng.normal(0, 1, (500, 2)) * [1.0, 0.8]
    (a0, a1), (b0, b1) = views.map_bounds(blob)
    assert b0 > blob[:, 1].min() - 0.5 and b1 < blob[:, 1].max() + 0.5  # only padding added


def test_image_colours_are_the_decoded_images_colours(tmp_path):
    """Each dot's colour is its decoded image's chroma-weighted mean at brightness 0.8: a
    model trained on red, green and blue shapes gives dots of those hues."""
    from tests.helpers.checkpoints import make_colour_checkpoint

    ckpt = load_checkpoint(make_colour_checkpoint(tmp_path / "c.safetensors", n_atlas=120))
    colours = views.image_colours(ckpt, batch=50)  # batches that do not divide the atlas
    assert colours.shape == (120, 3) and colours.dtype == np.float32
    assert np.allclose(colours.max(axis=1), 0.8, atol=1e-5)
    labels = ckpt.atlas.labels.numpy()
    assert (colours.argmax(axis=1) == labels).mean() > 0.8


def test_empty_space_is_judged_on_the_maps_scale():
    """A click among the dots (its nearest code within 2% of the map's longer side) is not
    empty space, whatever the map's units; a gap wider than that is."""
    for scale in (0.01, 1.0, 300.0):
        bounds = ((-2 * scale, 3 * scale), (-1 * scale, 1 * scale))  # 5 units wide
        assert not views.is_empty_space(0.0, bounds)
        assert not views.is_empty_space(0.099 * scale, bounds)
        assert views.is_empty_space(0.101 * scale, bounds)
    assert views.is_empty_space(float("nan"), ((0.0, 1.0), (0.0, 1.0)))
