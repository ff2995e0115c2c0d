"""Anomaly scores (aeexplorer.app.anomaly): reconstruction errors against a direct per-image
computation, percentiles, the worst images, the figures; and that on a trained model an image
of noise scores above a typical test image."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aeexplorer.app import anomaly, views
from aeexplorer.core.checkpoints.file import load_checkpoint
from tests.helpers import REPO
from tests.helpers.checkpoints import make_checkpoint
from tests.helpers.images import draw_digit, to_bytes

SHIPPED_AE = REPO / "checkpoints" / "mnist-ae.safetensors"


@pytest.fixture(scope="module", params=["ae", "vae"])
def ckpt(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("anomaly") / f"{request.param}.safetensors"
    return load_checkpoint(make_checkpoint(path, kind=request.param))


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return np.random.default_rng(1).random((37, 28, 28), dtype=np.float32)


def test_errors_equal_a_direct_per_image_computation(ckpt, images):
    scores = anomaly.score(ckpt, images, batch_size=8)  # batches of 8: a ragged last one
    assert scores.errors.shape == (37,) and scores.codes.shape == (37, 2)
    for i in (0, 17, 36):
        with torch.no_grad():
            x = torch.from_numpy(images[i]).reshape(1, 1, 28, 28)
            mu, _ = ckpt.model.encode(x)  # the posterior mean for a VAE, not a sample
            want = float(((ckpt.model.decode(mu) - x) ** 2).mean())
        assert scores.errors[i] == pytest.approx(want, rel=1e-5)
        np.testing.assert_allclose(scores.codes[i], mu[0].numpy(), rtol=1e-5, atol=1e-6)
    again = anomaly.score(ckpt, images)  # one batch: the same numbers
    np.testing.assert_allclose(again.errors, scores.errors, rtol=1e-5)


def test_image_error_and_reconstruct_agree_with_score(ckpt, images):
    scores = anomaly.score(ckpt, images)
    error, recon = anomaly.image_error(ckpt, images[5])
    assert recon.shape == (28, 28) and 0 <= recon.min() and recon.max() <= 1
    assert error == pytest.approx(float(scores.errors[5]), rel=1e-5)
    np.testing.assert_allclose(anomaly.reconstruct(ckpt, images[5:6])[0], recon, atol=1e-6)
    assert anomaly.score(ckpt, images[:0]).errors.shape == (0,)


def test_percentiles_counts_and_the_worst():
    errors = np.array([0.3, 0.1, 0.5, 0.2, 0.5, 0.05], dtype=np.float32)
    assert anomaly.percentile_of(errors, errors.max()) == 100.0
    assert anomaly.percentile_of(errors, 0.0) == 0.0
    assert anomaly.percentile_of(errors, 0.2) == pytest.approx(50.0)
    assert anomaly.percentile_of(errors, 9.0) == 100.0
    assert anomaly.n_above(errors, 0.2) == 3 and anomaly.n_above(errors, 0.5) == 0
    assert anomaly.worst(errors, 3).tolist() == [2, 4, 0]  # ties by index
    assert anomaly.worst(errors, 99).tolist() == [2, 4, 0, 3, 1, 5]
    many = np.random.default_rng(0).random(10_000)
    assert anomaly.n_above(many, anomaly.threshold_at(many, 99.0)) == 100


def test_histogram_marks_the_threshold_and_the_bins_past_it():
    # 10 bins of 0.1 over [0, 1]; no error lies in the bin the threshold cuts (0.6 to 0.7), so
    # the red bars hold exactly the errors above it: 0.71, 0.85, 0.92 and 1.0, counted by hand
    errors = np.array([0.01, 0.02, 0.12, 0.33, 0.34, 0.58, 0.71, 0.85, 0.92, 1.0])
    fig = anomaly.histogram(errors, 0.65, bins=10)
    bar = fig.data[0]
    red = [y for y, c in zip(bar.y, bar.marker.color) if c == anomaly.ABOVE_COLOR]
    blue = [y for y, c in zip(bar.y, bar.marker.color) if c == anomaly.BELOW_COLOR]
    assert len(red) == 3 and sum(red) == 4  # the bins from 0.7 up
    assert len(blue) == 7 and sum(blue) == 6
    assert list(bar.marker.color[:7]) == [anomaly.BELOW_COLOR] * 7
    assert fig.layout.shapes[0].x0 == 0.65 == fig.layout.shapes[0].x1
    assert "4 above" in fig.layout.annotations[0].text
    big = np.random.default_rng(2).gamma(2.0, 0.01, 5000)
    assert sum(anomaly.histogram(big, 0.05, bins=50).data[0].y) == 5000


def test_error_map_colours_points_by_error_at_their_codes(ckpt, images):
    scores = anomaly.score(ckpt, images)
    labels = np.arange(37) % 10
    xy = views.map_xy(scores.codes)
    fig = anomaly.error_map(xy, scores.errors, labels, [f"c{i}" for i in range(10)],
                            views.map_bounds(xy))
    trace = fig.data[0]
    idx = np.asarray(trace.customdata)
    assert sorted(idx.tolist()) == list(range(37))
    np.testing.assert_allclose(trace.x, xy[idx, 0])
    np.testing.assert_allclose(trace.marker.color, scores.errors[idx])
    assert np.all(np.diff(trace.marker.color) >= 0)  # the worst drawn last, on top
    assert list(trace.text) == [f"c{labels[i]}" for i in idx]
    assert trace.marker.colorbar.title.text == "error"
    assert "error" in trace.hovertemplate and "test #%{customdata}" in trace.hovertemplate


@pytest.fixture(scope="module")
def shipped_ae():
    if not SHIPPED_AE.is_file():
        pytest.skip(f"{SHIPPED_AE} is not in this checkout")
    return load_checkpoint(SHIPPED_AE)


def test_noise_scores_above_a_drawn_digit_on_a_trained_model(shipped_ae):
    from aeexplorer.core.images.preprocess import preprocess_bytes

    digit = preprocess_bytes(to_bytes(draw_digit("7", ink=0, paper=255))).image
    noise = np.random.default_rng(3).random((28, 28), dtype=np.float32)
    assert anomaly.image_error(shipped_ae, noise)[0] > 3 * anomaly.image_error(shipped_ae,
                                                                              digit)[0]


def test_noise_scores_above_the_median_test_image(shipped_ae, data_root):
    from aeexplorer.core.datasets.loading import load_split

    test = load_split("mnist", False, data_root).images[:, 0].numpy()
    errors = anomaly.score(shipped_ae, test).errors
    assert errors.mean() == pytest.approx(shipped_ae.metrics["recon_mse"], rel=1e-3)
    noise = np.random.default_rng(4).random((28, 28), dtype=np.float32)
    error, _ = anomaly.image_error(shipped_ae, noise)
    assert error > np.median(errors)
    assert anomaly.percentile_of(errors, error) == 100.0  # noise is worse than every digit
