"""The shipped colour model, trained on the generated ``shapes`` data set: a fresh clone has it
and its data (nothing to download), it is a colour model of the shapes' classes, it gives back
each shape in its own colour, and its map shows what the README says: a ring for each kind of
shape but the circle and the square, which share the outer one, and hue running once around
each ring (the colour wheel)."""

from __future__ import annotations

import numpy as np
import pytest

from aeexplorer.core.datasets import shapes
from tests.helpers import REPO

PATH = REPO / "checkpoints" / "shapes-vae.safetensors"


@pytest.fixture(scope="module")
def ckpt():
    from aeexplorer.core.checkpoints.file import load_checkpoint

    return load_checkpoint(PATH)


def test_a_colour_vae_of_the_shapes_ships():
    from aeexplorer.core.checkpoints.header import read_card

    card = read_card(PATH)
    config = card["config"]
    assert card["dataset"] == "shapes" and config.kind == "vae" and config.latent_dim == 2
    assert config.colour and config.image_shape == (32, 32, 3)
    assert tuple(card["classes"]) == shapes.CLASS_NAMES


def _hue(rgb: np.ndarray) -> np.ndarray:
    """(N, 3) colours -> their hue angles in radians (the chroma plane's angle; red 0)."""
    r, g, b = rgb.T
    return np.arctan2(np.sqrt(3) * (g - b), 2 * r - g - b)


def test_it_gives_back_each_shape_in_its_own_colour(ckpt):
    images, _ = shapes.generate(300, seed=12345)  # images it never saw, made anew
    colour = shapes.hsv_to_rgb(shapes.draw(300, seed=12345).hue, shapes.SATURATION,
                               shapes.VALUE)
    rec = ckpt.ops.reconstruct(images).images
    assert rec.shape == (300, 32, 32, 3) and rec.min() >= 0.0 and rec.max() <= 1.0
    assert float(np.mean((rec - images.transpose(0, 2, 3, 1)) ** 2)) < 0.006
    # the colour given back where the shape is (its pixels weighed by how far they are from
    # the ground) has the shape's hue: a 2-D code keeps the colour, if not every edge
    weight = np.abs(images - shapes.BACKGROUND).max(axis=1)  # (N, S, S)
    given = (rec * weight[..., None]).sum((1, 2)) / weight.sum((1, 2))[:, None]
    error = np.angle(np.exp(1j * (_hue(given) - _hue(colour))))
    assert np.median(np.abs(error)) < np.radians(5)
    assert np.percentile(np.abs(error), 90) < np.radians(12)


def _polar(ckpt) -> tuple[np.ndarray, np.ndarray, shapes.Draws]:
    """The test codes' distance and angle about the map's centre, and what each image shows."""
    mu = ckpt.atlas.mu.numpy()
    z = mu - np.median(mu, axis=0)
    return np.hypot(z[:, 0], z[:, 1]), np.arctan2(z[:, 1], z[:, 0]), shapes.draw(
        shapes.SIZES[False], shapes.SEEDS[False])


def test_each_kind_on_its_ring_the_cross_inside(ckpt):
    radius, _, d = _polar(ckpt)
    ring = {name: radius[d.kind == k] for k, name in enumerate(shapes.CLASS_NAMES)}
    outer = np.concatenate([ring["circle"], ring["square"]])
    # the rings do not touch: 98 % of each kind's codes lie between ring gaps
    assert np.percentile(ring["cross"], 99) < np.percentile(ring["triangle"], 1)
    assert np.percentile(ring["triangle"], 99) < np.percentile(outer, 1)


def test_hue_runs_once_around_each_ring(ckpt):
    """The angle of each test image's code about the map's centre follows its hue (one turn
    of the colour wheel, either way round): their circular coherence, |mean(exp(i(angle -
    hue)))|, is 1 for a perfect wheel and near 0 for none."""
    _, angle, d = _polar(ckpt)
    hue = 2 * np.pi * d.hue
    for k, name in enumerate(shapes.CLASS_NAMES):
        mine = d.kind == k
        coherence = max(abs(np.mean(np.exp(1j * (angle[mine] - turn * hue[mine]))))
                        for turn in (1, -1))
        assert coherence > 0.95, name
