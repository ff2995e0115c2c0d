"""A picture of a clothing item prepared the way Fashion-MNIST was made (``core.images.garment``):
Fashion-MNIST's own images come back as they were, a shop's photo of one (dark item on a white
page, a margin, noise, JPEG) comes out as the item, a shirt that fills its picture is not taken
for the background, and the shipped Fashion model places such photos among their own kind as
it places the test images themselves. Before, the digit preparation shrank each item into
MNIST's 20-pixel box and thinned it: 29 to 34 % were placed among their own kind."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from aeexplorer.core.errors import ImageError
from aeexplorer.core.images.garment import prepare_item
from aeexplorer.core.images.photo import item_like, prepare_bytes
from tests.helpers import REPO

# a shop photo's prepared item against the test image it was made from, as a mean absolute
# difference per pixel (measured 0.038 median, 0.079 at most; the digit preparation: 0.235)
OFF_MEDIAN, OFF_MAX = 0.05, 0.12


@pytest.fixture(scope="module")
def fashion(data_root):
    from aeexplorer.core.datasets.loading import load_split

    return load_split("fashion", False, data_root)


def _picked(n: int) -> np.ndarray:
    return np.random.default_rng(0).choice(10_000, n, replace=False)


def _studio(item: np.ndarray, rng: np.random.Generator) -> bytes:
    """A Fashion-MNIST item as a shop shows it: dark on an off-white page larger than it,
    anywhere on it, with sensor noise, saved as a JPEG."""
    h, w = rng.integers(200, 400, size=2)
    side = int(rng.integers(100, min(h, w) - 20))
    page = np.full((h, w), 0.96 + 0.03 * rng.random(), np.float32)
    dark = Image.fromarray(((1 - item) * 255).astype(np.uint8)).resize(
        (side, side), Image.Resampling.BICUBIC)
    top, left = rng.integers(0, h - side), rng.integers(0, w - side)
    page[top:top + side, left:left + side] = np.minimum(
        page[top:top + side, left:left + side], np.asarray(dark, np.float32) / 255)
    page = np.clip(page + rng.normal(0, 0.01, page.shape), 0, 1)
    out = io.BytesIO()
    Image.fromarray((page * 255).astype(np.uint8)).save(out, "JPEG", quality=85)
    return out.getvalue()


def test_fashion_mnists_own_images_come_back_as_they_were(fashion):
    """Most exactly; an item whose faint edge (under 0.08) is left out of its box is fitted
    to the field again from the rest, which moves it by a pixel or so."""
    off = []
    for i in _picked(100):
        item = fashion.images[i, 0].numpy()
        steps = prepare_item(item)
        assert steps.kind == "item" and not steps.inverted
        off.append(float(np.abs(steps.image - item).mean()))
    assert np.mean(np.array(off) < 1e-3) >= 0.75 and max(off) < 0.2


def test_a_shirt_that_fills_its_picture_is_not_taken_for_the_background():
    shirt = np.zeros((28, 28), np.float32)
    shirt[3:26, 3:25] = 0.93  # three quarters of the field is bright, the edge is black
    steps = prepare_item(shirt)
    assert not steps.inverted and steps.box == (3, 3, 26, 25)
    # its longer side now spans the field, as Fashion-MNIST's items do
    assert steps.image[:, 14].min() > 0.9 and steps.image.mean() > 0.8


def test_a_shops_photo_comes_out_as_the_item(fashion):
    rng = np.random.default_rng(3)
    off = []
    for i in _picked(40):
        item = fashion.images[i, 0].numpy()
        steps = prepare_bytes(_studio(item, rng), _config(), "fashion")
        assert steps.inverted and steps.kind == "item"
        off.append(float(np.abs(steps.image - item).mean()))
    # resampled twice (up for the photo, down again), through a JPEG
    assert np.median(off) < OFF_MEDIAN and max(off) < OFF_MAX, sorted(off)[-5:]


def test_a_blank_picture_is_refused_in_words():
    for blank in (np.full((50, 50), 0.9, np.float32), np.zeros((50, 50), np.float32)):
        with pytest.raises(ImageError, match="looks blank"):
            prepare_item(blank)


def test_only_fashion_takes_the_items_preparation():
    assert item_like("fashion") and item_like("Fashion")
    assert not item_like("mnist") and not item_like("folder:fashion")


@pytest.mark.slow
def test_the_shipped_fashion_model_places_shop_photos_as_the_test_images(fashion):
    """100 test items as shop photos: placed among their own kind (the vote of the 5 nearest
    test codes) about as often as the test images themselves (0.82 on all 10,000)."""
    import torch

    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.latent.neighbours import knn_accuracy
    from aeexplorer.core.latent.refine import model_codes

    ckpt = load_checkpoint(REPO / "checkpoints" / "fashion-map-ae.safetensors")
    rng = np.random.default_rng(4)
    picked = _picked(100)
    images = np.stack([prepare_bytes(_studio(fashion.images[i, 0].numpy(), rng), ckpt.config,
                                     "fashion").image for i in picked])
    codes = model_codes(ckpt.model, torch.from_numpy(images)[:, None])[0].numpy()
    labels = fashion.labels[picked].numpy()
    placed = knn_accuracy(ckpt.atlas.mu.numpy(), ckpt.atlas.labels.numpy(), codes, labels, k=5)
    assert placed >= 0.75


def _config():
    from aeexplorer.core.models import ModelConfig

    return ModelConfig(kind="ae")
