"""Colour and unlabelled models through the core: configs, shapes at the numpy edge, checkpoint
round trips, metrics, and the data conversions that feed them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aeexplorer.core.checkpoints.file import Atlas, load_checkpoint, save_checkpoint
from aeexplorer.core.checkpoints.header import read_atlas, read_card
from aeexplorer.core.datasets.split import NO_LABEL, Split
from aeexplorer.core.images.fit import fit_images
from aeexplorer.core.images.layout import as_batch
from aeexplorer.core.latent.metrics import evaluate
from aeexplorer.core.latent.ops import ModelOps
from aeexplorer.core.models import ModelConfig, build_model
from aeexplorer.core.pipeline import fit_to


def _colour(kind: str = "vae", arch: str = "dense", side: int = 16) -> ModelConfig:
    return ModelConfig(kind=kind, arch=arch, hidden=(32,), channels=(4, 8), image_size=side,
                       image_channels=3)


class TestColourModels:
    @pytest.mark.parametrize("kind,arch", [("vae", "dense"), ("ae", "conv"), ("vae", "conv"),
                                           ("pca", "dense")])
    def test_forward_keeps_the_image_shape(self, kind, arch):
        cfg = _colour(kind, arch)
        model = build_model(cfg).eval()
        x = torch.rand(5, 3, 16, 16)
        if kind == "pca":
            model.fit(torch.rand(64, 3, 16, 16))
        out = model(x)
        assert out.logits.shape == (5, 3, 16, 16)
        assert model.decode(out.mu).shape == (5, 3, 16, 16)

    def test_config_properties(self):
        cfg = _colour()
        assert cfg.pixels == 3 * 16 * 16 and cfg.image_shape == (16, 16, 3) and cfg.colour
        assert ModelConfig().image_shape == (28, 28) and ModelConfig().pixels == 784

    @pytest.mark.parametrize("bad", [{"image_channels": 2}, {"image_size": 200},
                                     {"image_size": 18, "arch": "conv"}])
    def test_impossible_shapes_are_refused(self, bad):
        with pytest.raises(ValueError):
            ModelConfig(**bad)


class TestNumpyEdge:
    def test_colour_images_are_channels_last(self):
        ops = ModelOps(build_model(_colour("ae", "conv")))
        images = ops.decode(np.zeros((4, 2), np.float32))
        assert images.shape == (4, 16, 16, 3) and images.dtype == np.float32
        assert ((images >= 0) & (images <= 1)).all()

    def test_both_layouts_encode_alike(self):
        ops = ModelOps(build_model(_colour("ae", "dense")))
        hwc = np.random.default_rng(0).random((6, 16, 16, 3), dtype=np.float32)
        chw = hwc.transpose(0, 3, 1, 2).copy()
        np.testing.assert_allclose(ops.encode(hwc).mu, ops.encode(chw).mu, atol=1e-6)
        assert ops.reconstruct(hwc).images.shape == (6, 16, 16, 3)

    def test_wrong_sized_images_are_refused(self):
        with pytest.raises(ValueError, match="do not fit"):
            as_batch(np.zeros((2, 28, 28)), _colour())

    def test_grey_edge_is_unchanged(self):
        ops = ModelOps(build_model(ModelConfig(kind="ae", hidden=(8,))))
        assert ops.decode([[0.0, 0.0]]).shape == (1, 28, 28)


def _unlabelled_split(n: int, seed: int) -> Split:
    g = torch.Generator().manual_seed(seed)
    return Split(torch.rand(n, 3, 16, 16, generator=g), torch.full((n,), NO_LABEL))


class TestUnlabelledCheckpoint:
    def test_round_trip_keeps_colour_and_no_classes(self, tmp_path):
        model = build_model(_colour("vae", "conv")).eval()
        split = _unlabelled_split(40, 0)
        codes = ModelOps(model).encode(split.images.numpy())
        atlas = Atlas(torch.from_numpy(codes.mu), torch.from_numpy(codes.logvar), split.labels)
        path = save_checkpoint(tmp_path / "c.safetensors", model, "folder:shop", atlas,
                               classes=split.class_names)
        ckpt = load_checkpoint(path)
        assert ckpt.config.image_channels == 3 and ckpt.class_names == () and not ckpt.labelled
        assert read_card(path)["classes"] == () and read_card(path)["dataset"] == "folder:shop"
        np.testing.assert_array_equal(read_atlas(path)[1], np.full(40, -1))
        x = split.images[:3]
        torch.testing.assert_close(ckpt.model.decode(ckpt.model.encode(x)[0]),
                                   model.decode(model.encode(x)[0]))

    def test_named_classes_are_kept(self, tmp_path):
        model = build_model(_colour("ae", "dense"))
        atlas = Atlas(torch.zeros(3, 2), None, torch.tensor([0, 1, 1]))
        path = save_checkpoint(tmp_path / "n.safetensors", model, "folder:pets", atlas,
                               classes=("cat", "dog"))
        assert load_checkpoint(path).class_names == ("cat", "dog")

    def test_metrics_leave_knn_out_and_say_why(self):
        model = build_model(_colour("vae", "dense")).eval()
        result = evaluate(model, _unlabelled_split(30, 1), _unlabelled_split(20, 2))
        metrics = result["metrics"]
        assert metrics["knn5_accuracy"] is None and "no labels" in metrics["knn5_note"]
        assert metrics["recon_bce"] > 0 and metrics["n_test"] == 20


class TestDataConversions:
    def test_grey_to_colour_and_back(self):
        grey = torch.rand(2, 1, 28, 28)
        colour = fit_images(grey, None, 3)
        assert colour.shape == (2, 3, 28, 28)
        torch.testing.assert_close(fit_images(colour, None, 1), grey)

    def test_resize_keeps_range_and_mean(self):
        x = torch.rand(3, 3, 32, 32)
        small, big = fit_images(x, 16, None), fit_images(x, 40, None)
        assert small.shape == (3, 3, 16, 16) and big.shape == (3, 3, 40, 40)
        assert 0 <= float(big.min()) and float(big.max()) <= 1
        torch.testing.assert_close(small.mean(), x.mean(), atol=1e-5, rtol=0)

    def test_model_config_follows_the_data(self):
        cfg = fit_to(ModelConfig(), Split(torch.zeros(2, 3, 32, 32), torch.zeros(2).long()))
        assert (cfg.image_size, cfg.image_channels) == (32, 3)

    def test_labels_without_names_are_named_by_number(self):
        split = Split(torch.zeros(3, 1, 8, 8), torch.tensor([0, 2, 1]))
        assert split.class_names == ("0", "1", "2")
        assert Split(torch.zeros(2, 1, 8, 8), torch.full((2,), NO_LABEL)).class_names == ()
