"""Latent-space operations: interpolation, paths, prior samples, grids, nearest neighbours,
votes and the k-NN accuracy, each against a direct computation."""

from __future__ import annotations

import math

import pytest
import torch

from aeexplorer.core.latent import (
    decode,
    encode_all,
    grid,
    interpolate,
    knn_accuracy,
    nearest,
    path,
    sample_prior,
    vote,
)
from aeexplorer.core.models import ModelConfig, build_model


def test_linear_interpolation_endpoints_and_even_spacing():
    a = torch.tensor([1.0, -2.0, 0.5])
    b = torch.tensor([-3.0, 4.0, 2.5])
    pts = interpolate(a, b, 9)
    assert pts.shape == (9, 3)
    assert torch.equal(pts[0], a) and torch.equal(pts[-1], b)
    steps = pts[1:] - pts[:-1]
    torch.testing.assert_close(steps, ((b - a) / 8).expand(8, 3))
    # every point is on the segment
    for i, p in enumerate(pts):
        torch.testing.assert_close(p, a + (b - a) * i / 8)


def test_slerp_keeps_endpoints_and_interpolates_norms():
    a = torch.tensor([3.0, 0.0])
    b = torch.tensor([0.0, 1.0])
    pts = interpolate(a, b, 11, method="slerp")
    assert pts.shape == (11, 2)
    torch.testing.assert_close(pts[0], a)
    torch.testing.assert_close(pts[-1], b)
    t = torch.linspace(0, 1, 11)
    torch.testing.assert_close(pts.norm(dim=1), (1 - t) * 3.0 + t * 1.0)
    # the angle moves evenly along the great circle from 0 to 90 degrees
    angles = torch.atan2(pts[:, 1], pts[:, 0])
    torch.testing.assert_close(angles, t * math.pi / 2, atol=1e-5, rtol=0)


def test_slerp_in_higher_dimensions_stays_off_the_centre():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(16, generator=g), torch.randn(16, generator=g)
    s = interpolate(a, b, 21, method="slerp")
    lin = interpolate(a, b, 21, method="linear")
    torch.testing.assert_close(s[0], a)
    torch.testing.assert_close(s[-1], b)
    t = torch.linspace(0, 1, 21)
    torch.testing.assert_close(s.norm(dim=1), (1 - t) * a.norm() + t * b.norm(), atol=1e-5,
                               rtol=1e-5)
    assert s.norm(dim=1)[10] > lin.norm(dim=1)[10]  # linear cuts through the low-norm middle


@pytest.mark.parametrize("a,b", [
    ([0.0, 0.0], [1.0, 2.0]),  # from the origin
    ([1.0, 1.0], [2.0, 2.0]),  # same direction
    ([1.0, 0.0], [-2.0, 0.0]),  # opposite directions
])
def test_slerp_degenerate_cases_stay_finite_with_exact_endpoints(a, b):
    a, b = torch.tensor(a), torch.tensor(b)
    pts = interpolate(a, b, 5, method="slerp")
    assert torch.isfinite(pts).all()
    torch.testing.assert_close(pts[0], a)
    torch.testing.assert_close(pts[-1], b)


def test_interpolation_rejects_bad_arguments():
    a, b = torch.zeros(2), torch.ones(2)
    with pytest.raises(ValueError):
        interpolate(a, b, 1)
    with pytest.raises(ValueError):
        interpolate(a, b, 5, method="cubic")


@pytest.mark.parametrize("method", ["linear", "slerp"])
def test_path_through_waypoints(method):
    stops = [torch.tensor([0.0, 1.0]), torch.tensor([2.0, 2.0]), torch.tensor([-1.0, 3.0]),
             torch.tensor([0.5, -1.0])]
    n = 6
    p = path(stops, n, method)
    assert p.shape == ((len(stops) - 1) * (n - 1) + 1, 2)
    for i, stop in enumerate(stops):
        torch.testing.assert_close(p[i * (n - 1)], stop)
    # each leg equals the interpolation between its stops
    for i in range(len(stops) - 1):
        leg = p[i * (n - 1) : (i + 1) * (n - 1) + 1]
        torch.testing.assert_close(leg, interpolate(stops[i], stops[i + 1], n, method))


def test_path_accepts_lists_and_needs_two_stops():
    p = path([[0.0, 0.0], [1.0, 1.0]], 3)
    torch.testing.assert_close(p, torch.tensor([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]))
    with pytest.raises(ValueError):
        path([torch.zeros(2)], 4)


def test_sample_prior_reproducible_and_scaled():
    a = sample_prior(500, 3, seed=4)
    b = sample_prior(500, 3, seed=4)
    c = sample_prior(500, 3, seed=5)
    assert a.shape == (500, 3)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    hot = sample_prior(500, 3, seed=4, temperature=0.5)
    torch.testing.assert_close(hot, a * 0.5)
    assert torch.equal(sample_prior(10, 3, seed=4, temperature=0.0), torch.zeros(10, 3))
    big = sample_prior(20000, 2, seed=0, temperature=2.0)
    assert abs(float(big.mean())) < 0.05
    assert abs(float(big.std()) - 2.0) < 0.05


def test_sample_prior_does_not_touch_the_global_rng():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    sample_prior(10, 2, seed=9)
    assert torch.equal(torch.rand(3), expected)


def test_grid_shape_and_order():
    g = grid((-1.0, 1.0), (-2.0, 2.0), 5)
    assert g.shape == (25, 2)
    cells = g.reshape(5, 5, 2)
    xs = torch.linspace(-1, 1, 5)
    ys = torch.linspace(2, -2, 5)
    for r in range(5):
        for c in range(5):
            torch.testing.assert_close(cells[r, c], torch.stack([xs[c], ys[r]]))
    assert float(g[0, 0]) == -1.0 and float(g[0, 1]) == 2.0  # top left first
    assert float(g[-1, 0]) == 1.0 and float(g[-1, 1]) == -2.0  # bottom right last


def brute_nearest(ref, queries, k):
    d = ((queries[:, None, :] - ref[None, :, :]) ** 2).sum(-1).sqrt()
    order = torch.argsort(d, dim=1, stable=True)[:, :k]
    return torch.gather(d, 1, order), order


def test_nearest_matches_brute_force():
    g = torch.Generator().manual_seed(0)
    ref = torch.randn(300, 3, generator=g)
    queries = torch.randn(50, 3, generator=g)
    dist, idx = nearest(ref, queries, k=7, chunk=16)  # several chunks
    bd, bi = brute_nearest(ref, queries, 7)
    assert idx.shape == dist.shape == (50, 7)
    torch.testing.assert_close(dist, bd, rtol=1e-4, atol=1e-4)
    assert torch.equal(idx, bi)  # continuous random data: no ties
    assert torch.all(dist[:, 1:] >= dist[:, :-1])  # nearest first


def test_nearest_finds_itself_and_caps_k():
    ref = torch.tensor([[0.0, 0.0], [5.0, 5.0], [1.0, 0.0]])
    dist, idx = nearest(ref, ref, k=10)
    assert idx.shape == (3, 3)  # k capped at the reference size
    assert torch.equal(idx[:, 0], torch.arange(3))
    assert torch.all(dist[:, 0] < 1e-3)


def brute_vote(labels_row, n_classes):
    counts = [0] * n_classes
    for lab in labels_row:
        counts[lab] += 1
    best = max(counts)
    for lab in labels_row:  # a tie goes to the class of the nearest among the tied ones
        if counts[lab] == best:
            return lab


def test_vote_against_brute_force():
    g = torch.Generator().manual_seed(0)
    for k in (1, 2, 3, 4, 5, 8):
        labels = torch.randint(0, 4, (400, k), generator=g)
        got = vote(labels, 4)
        want = torch.tensor([brute_vote(row.tolist(), 4) for row in labels])
        assert torch.equal(got, want), k


def test_vote_examples():
    labels = torch.tensor([[3, 1, 1, 3, 2], [0, 1, 2, 3, 4], [2, 2, 9, 9, 9]])
    assert vote(labels, 10).tolist() == [3, 0, 9]


def test_knn_accuracy_on_separable_clusters_is_one():
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    train_labels = torch.arange(400) % 4
    test_labels = torch.arange(100) % 4
    train = centres[train_labels] + 0.5 * torch.randn(400, 2, generator=g)
    test = centres[test_labels] + 0.5 * torch.randn(100, 2, generator=g)
    assert knn_accuracy(train, train_labels, test, test_labels, k=5) == 1.0
    # shuffled labels: about chance
    shuffled = train_labels[torch.randperm(400, generator=g)]
    assert knn_accuracy(train, shuffled, test, test_labels, k=5) < 0.5


def test_knn_accuracy_against_brute_force():
    g = torch.Generator().manual_seed(3)
    train = torch.randn(200, 2, generator=g)
    train_labels = torch.randint(0, 3, (200,), generator=g)
    test = torch.randn(60, 2, generator=g)
    test_labels = torch.randint(0, 3, (60,), generator=g)
    _, idx = brute_nearest(train, test, 5)
    pred = [brute_vote(train_labels[row].tolist(), 3) for row in idx]
    want = sum(p == t for p, t in zip(pred, test_labels.tolist())) / 60
    assert knn_accuracy(train, train_labels, test, test_labels, k=5) == pytest.approx(want)


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_encode_all_and_decode_match_the_model(kind):
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, hidden=(16,), latent_dim=3))
    x = torch.rand(25, 1, 28, 28)
    codes = encode_all(model, x, batch_size=7)
    mu, logvar = model.encode(x)
    torch.testing.assert_close(codes.mu, mu)
    assert (codes.logvar is None) == (kind == "ae")
    if kind == "vae":
        torch.testing.assert_close(codes.logvar, logvar)
    imgs = decode(model, codes.mu)
    assert imgs.shape == (25, 28, 28)
    torch.testing.assert_close(imgs, model.decode(codes.mu).squeeze(1))
    assert imgs.min() >= 0 and imgs.max() <= 1
    assert decode(model, [0.0, 1.0, 2.0]).shape == (1, 28, 28)  # a flat list is one code
