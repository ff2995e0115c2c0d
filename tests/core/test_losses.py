"""Loss parts: the closed-form Gaussian KL (checked against torch.distributions and a Monte
Carlo estimate) and the per-image Bernoulli NLL."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import Normal, kl_divergence

from aeexplorer.core.models import ModelOutput
from aeexplorer.core.training.losses import bce_per_image, kl_per_image, loss_parts


def test_kl_is_zero_at_the_prior():
    mu = torch.zeros(4, 5)
    logvar = torch.zeros(4, 5)
    kl = kl_per_image(mu, logvar)
    assert kl.shape == (4,)
    assert torch.equal(kl, torch.zeros(4))


def test_kl_matches_the_closed_form_by_hand():
    # one dimension: KL(N(m, s^2) || N(0, 1)) = (s^2 + m^2 - 1 - log s^2) / 2
    mu = torch.tensor([[1.0, 0.0], [0.0, -2.0]])
    logvar = torch.tensor([[0.0, math.log(4.0)], [math.log(0.25), 0.0]])
    expected = torch.tensor([
        0.5 * (1 + 1 - 1 - 0) + 0.5 * (4 + 0 - 1 - math.log(4.0)),
        0.5 * (0.25 + 0 - 1 - math.log(0.25)) + 0.5 * (1 + 4 - 1 - 0),
    ])
    torch.testing.assert_close(kl_per_image(mu, logvar), expected)


def test_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(64, 7, generator=g) * 2
    logvar = torch.randn(64, 7, generator=g) * 1.5
    q = Normal(mu, torch.exp(0.5 * logvar))
    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    torch.testing.assert_close(kl_per_image(mu, logvar), kl_divergence(q, p).sum(dim=1),
                               rtol=1e-5, atol=1e-5)


def test_kl_matches_a_monte_carlo_estimate():
    mu = torch.tensor([[0.7, -1.2, 0.1]], dtype=torch.float64)
    logvar = torch.tensor([[-0.5, 0.8, -2.0]], dtype=torch.float64)
    std = torch.exp(0.5 * logvar)
    g = torch.Generator().manual_seed(1)
    z = mu + std * torch.randn(200_000, 3, generator=g, dtype=torch.float64)
    q, p = Normal(mu, std), Normal(torch.zeros_like(mu), torch.ones_like(mu))
    samples = (q.log_prob(z) - p.log_prob(z)).sum(dim=1)
    estimate = samples.mean()
    stderr = samples.std() / math.sqrt(samples.numel())
    exact = kl_per_image(mu, logvar)[0]
    assert abs(float(estimate - exact)) < 4 * float(stderr) + 1e-3


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-5, 5), st.floats(-6, 4)), min_size=1, max_size=8))
def test_kl_is_non_negative_and_zero_only_at_the_prior(pairs):
    mu = torch.tensor([[m for m, _ in pairs]], dtype=torch.float64)
    logvar = torch.tensor([[v for _, v in pairs]], dtype=torch.float64)
    kl = float(kl_per_image(mu, logvar)[0])
    assert kl >= -1e-12
    at_prior = all(abs(m) < 1e-6 and abs(v) < 1e-6 for m, v in pairs)
    if not at_prior:
        assert kl > 0


@pytest.mark.parametrize("binary", [True, False])
def test_bce_per_image_equals_torch_bce_summed(binary):
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 1, 28, 28, generator=g, dtype=torch.float64) * 3
    x = torch.rand(5, 1, 28, 28, generator=g, dtype=torch.float64)
    if binary:
        x = (x > 0.5).double()
    got = bce_per_image(logits, x)
    assert got.shape == (5,)
    for i in range(5):
        want = F.binary_cross_entropy(torch.sigmoid(logits[i]), x[i], reduction="sum")
        torch.testing.assert_close(got[i], want, rtol=1e-9, atol=1e-7)
    # by definition: -sum(x log p + (1 - x) log(1 - p))
    p = torch.sigmoid(logits)
    manual = -(x * torch.log(p) + (1 - x) * torch.log1p(-p)).flatten(1).sum(1)
    torch.testing.assert_close(got, manual, rtol=1e-9, atol=1e-7)


def test_bce_is_stable_for_extreme_logits():
    logits = torch.tensor([[[[-200.0, 200.0]]]])
    x = torch.tensor([[[[0.0, 1.0]]]])
    assert float(bce_per_image(logits, x)[0]) == pytest.approx(0.0, abs=1e-6)
    x = torch.tensor([[[[1.0, 0.0]]]])
    assert float(bce_per_image(logits, x)[0]) == pytest.approx(400.0, rel=1e-5)


def test_loss_parts_combine_recon_and_weighted_kl():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(8, 1, 28, 28, generator=g)
    logits = torch.randn(8, 1, 28, 28, generator=g)
    mu = torch.randn(8, 2, generator=g)
    logvar = torch.randn(8, 2, generator=g)
    out = ModelOutput(logits=logits, z=mu, mu=mu, logvar=logvar)
    parts = loss_parts(out, x, beta=0.25)
    torch.testing.assert_close(parts.recon, bce_per_image(logits, x).mean())
    torch.testing.assert_close(parts.kl, kl_per_image(mu, logvar).mean())
    torch.testing.assert_close(parts.total, parts.recon + 0.25 * parts.kl)
    assert loss_parts(out, x, beta=0.0).total == parts.recon


def test_loss_parts_of_an_autoencoder_have_no_kl():
    x = torch.rand(3, 1, 28, 28)
    logits = torch.randn(3, 1, 28, 28)
    mu = torch.randn(3, 2)
    parts = loss_parts(ModelOutput(logits=logits, z=mu, mu=mu, logvar=None), x, beta=5.0)
    assert float(parts.kl) == 0.0
    torch.testing.assert_close(parts.total, parts.recon)


# ------------------------------------------------- test-set metrics (metrics.py)


def _split(n=90, seed=0):
    from aeexplorer.core.datasets.split import Split
    from tests.helpers.images import synthetic_images

    images, labels = synthetic_images(n, seed=seed)
    return Split(images=images, labels=labels)


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_reconstruction_metrics_match_a_direct_computation(kind):
    from aeexplorer.core.latent.metrics import reconstruction_metrics
    from aeexplorer.core.models import ModelConfig, build_model

    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, hidden=(16,))).eval()
    data = _split()
    metrics = reconstruction_metrics(model, data, batch_size=25)
    x = data.images
    with torch.no_grad():
        mu, logvar = model.encode(x)
        mean_logits = model.decode_logits(mu)
        mse = (torch.sigmoid(mean_logits) - x).pow(2).mean()
        assert metrics["recon_mse"] == pytest.approx(float(mse), rel=1e-5)
        if kind == "ae":
            bce = bce_per_image(mean_logits, x).mean()
            assert metrics["recon_bce"] == pytest.approx(float(bce), rel=1e-5)
            assert metrics["kl"] is None and metrics["neg_elbo"] is None
        else:
            kl = kl_per_image(mu, logvar).mean()
            assert metrics["kl"] == pytest.approx(float(kl), rel=1e-5)
            assert metrics["neg_elbo"] == pytest.approx(metrics["recon_bce"] + metrics["kl"])
            # the sampled BCE is at least about the BCE of the mean on average (noise hurts)
            assert metrics["recon_bce"] > 0.9 * float(bce_per_image(mean_logits, x).mean())
    # fixed seed: the same metrics again, whatever the batch size for the deterministic ones
    again = reconstruction_metrics(model, data, batch_size=25)
    assert again == metrics
    other = reconstruction_metrics(model, data, batch_size=1000)
    assert other["recon_mse"] == pytest.approx(metrics["recon_mse"], rel=1e-5)
    if kind == "ae":
        assert other["recon_bce"] == pytest.approx(metrics["recon_bce"], rel=1e-5)


def test_evaluate_returns_metrics_and_the_test_codes():
    from aeexplorer.core.latent.metrics import evaluate
    from aeexplorer.core.models import ModelConfig, build_model, count_parameters

    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="vae", hidden=(16,)))
    train, test = _split(120, seed=1), _split(40, seed=2)
    result = evaluate(model, train, test)
    metrics = result["metrics"]
    assert metrics["n_test"] == 40
    assert metrics["parameters"] == count_parameters(model)
    assert 0.0 <= metrics["knn5_accuracy"] <= 1.0
    codes = result["test_codes"]
    assert codes.mu.shape == (40, 2) and codes.logvar.shape == (40, 2)
    with torch.no_grad():
        torch.testing.assert_close(torch.from_numpy(codes.mu), model.encode(test.images)[0])
