"""A model's operations (aeexplorer.core.latent.ops): encode / decode / reconstruct against the
model itself, batch boundaries, walks (linear and slerp), prior samples, grids, padding of map
positions, and the device the model runs on. numpy in and out."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from aeexplorer.core.checkpoints.file import load_checkpoint
from aeexplorer.core.latent.ops import ModelOps
from aeexplorer.core.models import ModelConfig, build_model
from aeexplorer.core.runtime import device_of
from tests.helpers.checkpoints import make_checkpoint


def tiny(kind: str = "vae", latent_dim: int = 2, arch: str = "dense") -> ModelOps:
    torch.manual_seed(0)
    cfg = ModelConfig(kind=kind, arch=arch, hidden=(16,), channels=(4, 8), latent_dim=latent_dim)
    model = build_model(cfg)
    if kind == "pca":
        model.fit(torch.rand(64, 1, 28, 28))
    return ModelOps(model.eval())


def images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 28, 28), dtype=np.float32)


class TestRoundTrips:
    @pytest.mark.parametrize("kind", ["ae", "vae", "pca"])
    def test_encode_decode_reconstruct_match_the_model(self, kind):
        ops = tiny(kind, latent_dim=3)
        x = images(25)
        with torch.no_grad():
            mu, logvar = ops.model.encode(torch.from_numpy(x)[:, None])
            want = ops.model.decode(mu)[:, 0].numpy()
        codes = ops.encode(x)
        assert isinstance(codes.mu, np.ndarray) and codes.mu.dtype == np.float32
        np.testing.assert_allclose(codes.mu, mu.numpy(), rtol=1e-5, atol=1e-6)
        assert (codes.logvar is None) == (kind != "vae")
        if kind == "vae":
            np.testing.assert_allclose(codes.logvar, logvar.numpy(), rtol=1e-5, atol=1e-6)
        decoded = ops.decode(codes.mu)
        assert decoded.shape == (25, 28, 28) and 0 <= decoded.min() and decoded.max() <= 1
        np.testing.assert_allclose(decoded, want, atol=1e-6)
        rec = ops.reconstruct(x)
        np.testing.assert_allclose(rec.codes, codes.mu, atol=1e-6)
        np.testing.assert_allclose(rec.images, want, atol=1e-6)

    def test_a_flat_sequence_is_one_code_and_nothing_decodes_to_nothing(self):
        ops = tiny("ae", latent_dim=3)
        assert ops.decode([0.0, 1.0, 2.0]).shape == (1, 28, 28)
        assert ops.decode(np.zeros((0, 3))).shape == (0, 28, 28)
        assert ops.decode([]).shape == (0, 28, 28)
        empty = ops.encode(np.zeros((0, 28, 28), np.float32))
        assert empty.mu.shape == (0, 3) and empty.logvar is None
        assert tiny("vae").encode(np.zeros((0, 28, 28), np.float32)).logvar.shape == (0, 2)
        rec = ops.reconstruct(np.zeros((0, 28, 28), np.float32))
        assert rec.codes.shape == (0, 3) and rec.images.shape == (0, 28, 28)

    def test_map_positions_are_padded_with_zeros_and_cut_to_the_latent(self):
        ops = tiny("ae", latent_dim=4)
        np.testing.assert_array_equal(ops.full([1.5, -2.0]), [[1.5, -2.0, 0.0, 0.0]])
        np.testing.assert_allclose(ops.decode([1.5, -2.0]), ops.decode([1.5, -2.0, 0.0, 0.0]))
        one = tiny("ae", latent_dim=1)
        np.testing.assert_array_equal(one.full([[0.5, 9.0], [1.0, 9.0]]), [[0.5], [1.0]])

    def test_encode_puts_the_model_in_eval_mode(self):
        ops = tiny("vae")
        ops.model.train()
        ops.encode(images(3))
        assert not ops.model.training

    def test_a_conv_model_runs_the_same_way(self):
        ops = tiny("ae", arch="conv")
        zs, frames = ops.walk([(0, 0), (1, 1)], 3)
        assert zs.shape == (3, 2) and frames.shape == (3, 28, 28)
        assert ops.reconstruct(images(4)).images.shape == (4, 28, 28)

    def test_a_checkpoint_reaches_its_ops(self, tmp_path):
        ckpt = load_checkpoint(make_checkpoint(tmp_path / "t.safetensors"))
        assert ckpt.ops.model is ckpt.model and ckpt.ops.latent_dim == 2
        img = ckpt.ops.decode([0.1, -0.2])[0]
        assert img.shape == (28, 28) and 0 <= img.min() and img.max() <= 1


class TestBatches:
    @pytest.mark.parametrize("batch_size", [1, 7, 25, 1000])
    def test_results_do_not_depend_on_the_batch_size(self, batch_size):
        ops = tiny("vae", latent_dim=3)
        x = images(25, seed=1)  # 7: three full batches and a ragged one of 4
        whole = ops.reconstruct(x, batch_size=1000)
        rec = ops.reconstruct(x, batch_size=batch_size)
        np.testing.assert_allclose(rec.codes, whole.codes, atol=1e-6)
        np.testing.assert_allclose(rec.images, whole.images, atol=1e-6)
        codes = ops.encode(x, batch_size=batch_size)
        np.testing.assert_allclose(codes.logvar, ops.encode(x).logvar, atol=1e-6)
        np.testing.assert_allclose(ops.decode(whole.codes, batch_size=batch_size), whole.images,
                                   atol=1e-6)

    def test_batches_cover_every_image_once_in_order(self):
        ops = tiny("ae")
        x = images(10)
        got = [b.cpu() for b in ops.batches(x, batch_size=4)]
        assert [b.shape[0] for b in got] == [4, 4, 2]
        assert all(b.shape[1:] == (1, 28, 28) and b.dtype == torch.float32 for b in got)
        np.testing.assert_array_equal(torch.cat(got)[:, 0].numpy(), x)


class TestDevice:
    def test_device_of_is_where_the_weights_are(self):
        ops = tiny("ae")
        assert device_of(ops.model) == torch.device("cpu")
        assert all(b.device == torch.device("cpu") for b in ops.batches(images(3)))

    @pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
    def test_a_model_on_the_gpu_gives_numpy_on_the_cpu_and_the_same_numbers(self):
        cpu = tiny("vae", latent_dim=3)
        gpu = ModelOps(tiny("vae", latent_dim=3).model.to("cuda"))
        assert device_of(gpu.model).type == "cuda"
        x = images(30)
        a, b = cpu.reconstruct(x, batch_size=8), gpu.reconstruct(x, batch_size=8)
        assert isinstance(b.images, np.ndarray) and isinstance(b.codes, np.ndarray)
        np.testing.assert_allclose(b.codes, a.codes, atol=1e-4)
        np.testing.assert_allclose(b.images, a.images, atol=1e-4)
        np.testing.assert_allclose(gpu.prior(5, seed=2)[1], cpu.prior(5, seed=2)[1], atol=1e-4)


class TestWalks:
    def test_linear_legs_are_evenly_spaced_with_exact_endpoints(self):
        ops = tiny("ae", latent_dim=3)
        a, b = np.array([1.0, -2.0, 0.5]), np.array([-3.0, 4.0, 2.5])
        zs, frames = ops.walk([a, b], 9)
        assert zs.shape == (9, 3) and frames.shape == (9, 28, 28)
        np.testing.assert_array_equal(zs[0], a)
        np.testing.assert_array_equal(zs[-1], b)
        for i, z in enumerate(zs):
            np.testing.assert_allclose(z, a + (b - a) * i / 8, atol=1e-6)
        np.testing.assert_allclose(frames, ops.decode(zs), atol=1e-6)

    def test_slerp_keeps_endpoints_and_interpolates_norms_and_angles(self):
        zs, _ = tiny("ae").walk([(3.0, 0.0), (0.0, 1.0)], 11, "slerp")
        np.testing.assert_allclose(zs[0], [3, 0], atol=1e-6)
        np.testing.assert_allclose(zs[-1], [0, 1], atol=1e-6)
        t = np.linspace(0, 1, 11)
        np.testing.assert_allclose(np.linalg.norm(zs, axis=1), (1 - t) * 3 + t, atol=1e-5)
        np.testing.assert_allclose(np.arctan2(zs[:, 1], zs[:, 0]), t * math.pi / 2, atol=1e-5)

    def test_slerp_in_higher_dimensions_stays_off_the_centre(self):
        ops = tiny("vae", latent_dim=16)
        rng = np.random.default_rng(0)
        a, b = rng.normal(size=16), rng.normal(size=16)
        s, _ = ops.walk([a, b], 21, "slerp")
        lin, _ = ops.walk([a, b], 21, "linear")
        np.testing.assert_allclose(s[0], a, atol=1e-5)
        np.testing.assert_allclose(s[-1], b, atol=1e-5)
        t = np.linspace(0, 1, 21)
        norms = (1 - t) * np.linalg.norm(a) + t * np.linalg.norm(b)
        np.testing.assert_allclose(np.linalg.norm(s, axis=1), norms, rtol=1e-5, atol=1e-5)
        assert np.linalg.norm(s[10]) > np.linalg.norm(lin[10])  # linear cuts through the middle

    @pytest.mark.parametrize("a,b", [
        ([0.0, 0.0], [1.0, 2.0]),  # from the origin
        ([1.0, 1.0], [2.0, 2.0]),  # same direction
        ([1.0, 0.0], [-2.0, 0.0]),  # opposite directions
    ])
    def test_slerp_degenerate_cases_stay_finite_with_exact_endpoints(self, a, b):
        zs, frames = tiny("ae").walk([a, b], 5, "slerp")
        assert np.isfinite(zs).all() and np.isfinite(frames).all()
        np.testing.assert_allclose(zs[0], a, atol=1e-6)
        np.testing.assert_allclose(zs[-1], b, atol=1e-6)

    @pytest.mark.parametrize("method", ["linear", "slerp"])
    def test_a_path_through_waypoints_joins_its_legs(self, method):
        ops = tiny("ae")
        stops = [(0.0, 1.0), (2.0, 2.0), (-1.0, 3.0), (0.5, -1.0)]
        n = 6
        zs, _ = ops.walk(stops, n, method)
        assert zs.shape == ((len(stops) - 1) * (n - 1) + 1, 2)
        for i, stop in enumerate(stops):
            np.testing.assert_allclose(zs[i * (n - 1)], stop, atol=1e-6)
        for i in range(len(stops) - 1):  # each leg is the walk between its two stops
            leg = zs[i * (n - 1):(i + 1) * (n - 1) + 1]
            np.testing.assert_allclose(leg, ops.walk(stops[i:i + 2], n, method)[0], atol=1e-6)

    def test_stops_given_as_map_positions_are_padded(self):
        zs, _ = tiny("ae", latent_dim=3).walk([(0, 0), (1, 1)], 3)
        np.testing.assert_allclose(zs, [[0, 0, 0], [0.5, 0.5, 0], [1, 1, 0]])

    def test_bad_walks_are_refused(self):
        ops = tiny("ae")
        with pytest.raises(ValueError, match="two stops"):
            ops.walk([(0.0, 0.0)], 4)
        with pytest.raises(ValueError, match="2 frames"):
            ops.walk([(0, 0), (1, 1)], 1)
        with pytest.raises(ValueError, match="cubic"):
            ops.walk([(0, 0), (1, 1)], 5, "cubic")


class TestPrior:
    def test_samples_are_reproducible_and_scaled(self):
        ops = tiny("vae", latent_dim=3)
        a, images_a = ops.prior(500, seed=4)
        assert a.shape == (500, 3) and images_a.shape == (500, 28, 28)
        np.testing.assert_array_equal(ops.prior(500, seed=4)[0], a)
        assert not np.array_equal(ops.prior(500, seed=5)[0], a)
        np.testing.assert_allclose(ops.prior(500, seed=4, temperature=0.5)[0], a * 0.5)
        np.testing.assert_array_equal(ops.prior(10, seed=4, temperature=0.0)[0], 0)
        np.testing.assert_allclose(images_a, ops.decode(a), atol=1e-6)
        big = tiny("vae").prior(20000, seed=0, temperature=2.0)[0]
        assert abs(big.mean()) < 0.05 and abs(big.std() - 2.0) < 0.05

    def test_sampling_leaves_the_global_rng_alone(self):
        ops = tiny("vae")
        torch.manual_seed(0)
        expected = torch.rand(3)
        torch.manual_seed(0)
        ops.prior(10, seed=9)
        assert torch.equal(torch.rand(3), expected)


class TestGrid:
    def test_grid_rows_run_from_the_top_left(self):
        ops = tiny("ae")
        zs, imgs = ops.grid((-1.0, 1.0), (-2.0, 2.0), 5)
        assert zs.shape == (25, 2) and imgs.shape == (25, 28, 28)
        cells = zs.reshape(5, 5, 2)
        xs, ys = np.linspace(-1, 1, 5), np.linspace(2, -2, 5)
        for r in range(5):
            for c in range(5):
                np.testing.assert_allclose(cells[r, c], [xs[c], ys[r]], atol=1e-6)
        np.testing.assert_allclose(imgs, ops.decode(zs), atol=1e-6)

    def test_a_deeper_latent_is_gridded_over_z1_z2_with_the_rest_zero(self):
        zs, _ = tiny("ae", latent_dim=4).grid((0.0, 1.0), (0.0, 1.0), 3)
        assert zs.shape == (9, 4) and not zs[:, 2:].any()
        np.testing.assert_allclose(zs[0, :2], [0.0, 1.0])
