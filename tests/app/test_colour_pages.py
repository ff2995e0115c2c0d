"""The app logic of Anomalies, Denoise and Compare on colour (H, W, 3) images and unlabelled
data: errors per image over all channels, originals beside reconstructions, noise on colour
images, image shapes in words, and metrics left out with their reason."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aeexplorer.app import anomaly, compare, denoise, image_shapes
from aeexplorer.core.checkpoints.file import load_checkpoint
from aeexplorer.core.checkpoints.header import read_card
from aeexplorer.core.checkpoints.metric_table import MAX_NOTE, why_missing
from aeexplorer.core.training.noise import corrupt
from tests.helpers.checkpoints import NO_LABELS_NOTE, make_checkpoint, make_colour_page_checkpoint
from tests.helpers.colour_pages import colour_split


@pytest.fixture(scope="module", params=["dense", "conv"])
def colour(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("colour") / f"{request.param}.safetensors"
    return load_checkpoint(make_colour_page_checkpoint(path, arch=request.param, side=16))


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return colour_split(23, 16)[0]


def test_colour_errors_average_every_channel_of_every_pixel(colour, images):
    scores = anomaly.score(colour, images, batch_size=8)
    assert scores.errors.shape == (23,) and scores.codes.shape == (23, 2)
    with torch.no_grad():
        x = torch.from_numpy(images[5]).permute(2, 0, 1)[None]  # (1, 3, 16, 16)
        mu, _ = colour.model.encode(x)
        want = float(((colour.model.decode(mu) - x) ** 2).mean())
    assert scores.errors[5] == pytest.approx(want, rel=1e-5)
    error, recon = anomaly.image_error(colour, images[5])
    assert recon.shape == (16, 16, 3) and error == pytest.approx(want, rel=1e-5)


def test_pairs_put_each_colour_image_beside_its_reconstruction(colour, images):
    recons = anomaly.reconstruct(colour, images[:4])
    pairs = anomaly.pairs(images[:4], recons)
    assert pairs.shape == (4, 16, 34, 3)
    np.testing.assert_array_equal(pairs[2, :, :16], images[2])
    np.testing.assert_array_equal(pairs[2, :, 18:], recons[2])
    assert (pairs[:, :, 16:18] == 1.0).all()  # the white gap


def test_grey_pairs_keep_their_shape():
    grey = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    assert anomaly.pairs(grey, grey).shape == (3, 28, 58)


def test_the_error_map_of_unlabelled_data_names_no_class():
    xy = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    errors = np.linspace(0, 1, 50, dtype=np.float32)
    bounds = ((-3.0, 3.0), (-3.0, 3.0))
    fig = anomaly.error_map(xy, errors, np.full(50, -1), (), bounds)
    trace = fig.data[0]
    assert "class" not in trace.hovertemplate and len(trace.x) == 50
    assert set(trace.text) == {""}
    labelled = anomaly.error_map(xy, errors, np.arange(50) % 3, ("a<b>", "g", "b"), bounds)
    assert "class" in labelled.data[0].hovertemplate
    assert "a&lt;b&gt;" in set(labelled.data[0].text)  # a name from a file is not markup


def test_class_text_leaves_images_without_a_label_blank():
    text = anomaly.class_text(np.array([0, -1, 2, 5]), ("zero", "one", "two"))
    assert list(text) == ["zero", "", "two", ""]
    assert list(anomaly.class_text(np.array([-1, -1]), ())) == ["", ""]


def test_colour_noise_gaussian_per_channel_and_mask_per_pixel(images):
    clean = np.full((16, 16, 3), 0.5, np.float32)
    noisy = denoise.add_noise(clean, "gaussian", 0.2, seed=4)
    assert noisy.shape == (16, 16, 3)
    assert not np.allclose(noisy[..., 0], noisy[..., 1])  # each channel its own noise
    masked = denoise.add_noise(clean, "mask", 0.5, seed=4)
    dropped = (masked == 0).all(axis=-1)
    kept = (masked == clean).all(axis=-1)
    assert (dropped | kept).all()  # a pixel is dropped in all its channels or none
    assert 0.35 < dropped.mean() < 0.65
    np.testing.assert_array_equal(masked, denoise.add_noise(clean, "mask", 0.5, seed=4))


def test_a_grey_mask_draws_as_before():
    """Masking a (B, 1, H, W) batch pixel by pixel draws what masking each value did."""
    x = torch.rand(4, 1, 8, 8)
    before = x * (torch.rand(x.shape, generator=torch.Generator().manual_seed(2)) >= 0.3)
    after = corrupt(x, "mask", 0.3, torch.Generator().manual_seed(2), channel_dim=1)
    assert torch.equal(before, after)
    colour = corrupt(torch.rand(4, 3, 8, 8) + 0.1, "mask", 0.3,
                     torch.Generator().manual_seed(2), channel_dim=1)
    zero = colour == 0
    assert torch.equal(zero.all(1), zero.any(1))


def test_denoise_runs_colour_images_through_colour_models(colour, images):
    result = denoise.denoise(images[0], [colour], "mask", 0.3, seed=1)
    assert result.clean.shape == result.noisy.shape == (16, 16, 3)
    out = result.outputs[0]
    assert out.image.shape == (16, 16, 3)
    assert out.mse == pytest.approx(float(np.mean((out.image - images[0]) ** 2)), rel=1e-5)


def test_denoise_refuses_a_model_of_another_shape(colour, tmp_path):
    grey = load_checkpoint(make_checkpoint(tmp_path / "grey.safetensors", kind="ae"))
    with pytest.raises(ValueError, match="16×16 colour.*28×28 grey"):
        denoise.denoise(np.zeros((16, 16, 3), np.float32), [colour, grey], "gaussian", 0.1)


def test_shapes_in_words_and_fits():
    assert image_shapes.describe((28, 28)) == "28×28 grey"
    assert image_shapes.describe((32, 32, 3)) == "32×32 colour"
    assert image_shapes.mismatch((16, 16, 3), (16, 16, 3)) is None
    assert image_shapes.mismatch((28, 28), (32, 32, 3)) == (
        "the images are 28×28 grey and the model takes 32×32 colour images")


def test_compare_says_why_a_metric_is_left_out(tmp_path):
    unlabelled = make_colour_page_checkpoint(tmp_path / "u.safetensors", labelled=False)
    labelled = make_colour_page_checkpoint(tmp_path / "l.safetensors")
    entries = [("u", read_card(unlabelled)), ("l", read_card(labelled)),
               ("u2", read_card(unlabelled))]
    rows = {r["name"]: r for r in compare.table(entries)}
    assert rows["u"]["knn5_accuracy"] is None and rows["l"]["knn5_accuracy"] == 0.5
    assert compare.FORMATS["knn5_accuracy"](rows["u"]["knn5_accuracy"]) == compare.MISSING
    assert compare.missing_notes(entries) == [("5-NN accuracy", ["u", "u2"], NO_LABELS_NOTE)]


def test_a_stored_reason_is_one_short_line_of_text():
    assert why_missing({"knn5_accuracy": None, "knn5_note": 5}, "knn5_accuracy") is None
    assert why_missing({"knn5_accuracy": 0.9, "knn5_note": "stale"}, "knn5_accuracy") is None
    assert why_missing({"kl": None, "knn5_note": "other"}, "kl") is None
    assert why_missing("not a dict", "knn5_accuracy") is None
    long = why_missing({"knn5_note": "many\nlines " * 500}, "knn5_accuracy")
    assert len(long) == MAX_NOTE and "\n" not in long
