"""views: what the explorer computes from a checkpoint, on a tiny random one."""

from __future__ import annotations

import numpy as np
import pytest

from aeexplorer.app import views
from aeexplorer.core.checkpoint import load_checkpoint
from conftest import make_checkpoint


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return load_checkpoint(make_checkpoint(tmp_path_factory.mktemp("v") / "t.safetensors"))


def test_atlas_read_without_weights_matches_the_loaded_one_and_bounds_hold_it(ckpt):
    from aeexplorer.core.checkpoint import read_atlas

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
    (x0, x1), _ = views.map_bounds(xy.astype(np.float32))
    assert x1 < 10


def test_decode_walk_prior_manifold(ckpt):
    img = views.decode_one(ckpt, [0.1, -0.2])
    assert img.shape == (28, 28) and 0 <= img.min() and img.max() <= 1
    zs, frames = views.walk(ckpt, [(0, 0), (1, 1), (2, 0)], 5, "slerp")
    assert zs.shape == (9, 2) and frames.shape == (9, 28, 28)
    assert np.allclose(zs[4], [1, 1], atol=1e-5)
    zs, imgs = views.prior(ckpt, 7, seed=3, temperature=0.5)
    assert zs.shape == (7, 2) and imgs.shape == (7, 28, 28)
    assert np.allclose(views.prior(ckpt, 7, seed=3, temperature=0.5)[0], zs)
    big, extent = views.manifold(ckpt, (-1, 1), (-2, 2), 4)
    assert big.shape == (112, 112)
    assert extent == pytest.approx((-1 - 1 / 3, 1 + 1 / 3, -2 - 2 / 3, 2 + 2 / 3))
    top_left = views.decode_one(ckpt, [-1, 2])  # grid rows run from high z2 down
    assert np.allclose(big[:28, :28], top_left, atol=1e-5)


def test_full_z_and_code_of(ckpt):
    assert views.full_z(ckpt, (1.0, 2.0)) == [1.0, 2.0]
    assert views.code_of(ckpt, 3) == pytest.approx(ckpt.atlas.mu[3].tolist())


def test_random_of_class_and_vote():
    labels = np.array([3, 8, 3, 1])
    assert views.random_of_class(labels, 3, seed=1) in (0, 2)
    assert views.random_of_class(labels, 5, seed=1) is None
    assert views.label_vote([3, 8, 8, 3, 1], list("0123456789")) == "3 (2 of 5)"
    assert views.label_vote([], list("0123456789")) == "no neighbours"


def test_majority_ties_go_to_the_nearer_neighbour():
    assert views.majority([2, 7, 7, 2, 1]) == 2  # a tie: the class met first (the nearer)
    assert views.majority([2, 7, 7]) == 7 and views.majority(np.array([4])) == 4
    with pytest.raises(ValueError):
        views.majority([])
    assert views.label_vote([8, 3, 3, 8], list("0123456789")) == "8 (2 of 4)"  # the same rule


def test_conv_checkpoints_decode_too(tmp_path):
    ck = load_checkpoint(make_checkpoint(tmp_path / "c.safetensors", kind="ae", arch="conv"))
    zs, frames = views.walk(ck, [(0, 0), (1, 1)], 3)
    assert frames.shape == (3, 28, 28)
