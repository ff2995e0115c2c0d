"""Denoising side by side (aeexplorer.app.denoise): the corruption, the outputs and their MSEs
against a direct computation, seeds, and which checkpoints count as denoising or plain AEs (the
families of ``aeexplorer.core.training.families``, as a model card reads them)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aeexplorer.app import denoise
from aeexplorer.core.checkpoints.card import kinds, train_config
from aeexplorer.core.checkpoints.file import load_checkpoint
from aeexplorer.core.checkpoints.header import read_card
from tests.helpers.checkpoints import make_checkpoint


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("denoise")
    dae = make_checkpoint(folder / "dae.safetensors", kind="ae",
                          train={"noise": "gaussian", "noise_level": 0.5})
    plain = make_checkpoint(folder / "ae.safetensors", kind="ae", seed=1)
    return [load_checkpoint(dae), load_checkpoint(plain)]


@pytest.fixture
def clean() -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[6:22, 12:16] = 1.0  # a bar: a "1"
    return image


@pytest.mark.parametrize("kind", ["gaussian", "mask"])
def test_no_noise_gives_the_clean_image(models, clean, kind):
    result = denoise.denoise(clean, models, kind, 0.0, seed=3)
    np.testing.assert_array_equal(result.noisy, clean)
    assert result.noisy_mse == 0.0


def test_outputs_and_their_mse_against_a_direct_computation(models, clean):
    result = denoise.denoise(clean, models, "gaussian", 0.4, seed=7)
    assert result.noisy.shape == (28, 28) and len(result.outputs) == 2
    assert result.noisy_mse == pytest.approx(float(np.mean((result.noisy - clean) ** 2)))
    assert result.noisy_mse > 0.01
    for ckpt, out in zip(models, result.outputs):
        with torch.no_grad():
            mu, _ = ckpt.model.encode(torch.from_numpy(result.noisy).reshape(1, 1, 28, 28))
            want = ckpt.model.decode(mu)[0, 0].numpy()
        assert out.image.shape == (28, 28)
        np.testing.assert_allclose(out.image, want, atol=1e-6)
        assert out.mse == pytest.approx(float(np.mean((want - clean) ** 2)), rel=1e-5)
    assert not np.allclose(result.outputs[0].image, result.outputs[1].image)


def test_the_same_seed_gives_the_same_noise(clean):
    a = denoise.add_noise(clean, "gaussian", 0.5, seed=11)
    np.testing.assert_array_equal(a, denoise.add_noise(clean, "gaussian", 0.5, seed=11))
    assert not np.array_equal(a, denoise.add_noise(clean, "gaussian", 0.5, seed=12))
    assert a.min() >= 0 and a.max() <= 1  # clipped
    m = denoise.add_noise(clean, "mask", 0.5, seed=11)
    np.testing.assert_array_equal(m, denoise.add_noise(clean, "mask", 0.5, seed=11))
    assert np.all((m == clean) | (m == 0))  # masking only blacks pixels out
    dropped = np.count_nonzero((clean == 1) & (m == 0)) / np.count_nonzero(clean)
    assert 0.3 < dropped < 0.7
    np.testing.assert_array_equal(denoise.add_noise(clean, "mask", 1.0), 0)


def test_a_bad_kind_or_level_is_refused(clean):
    with pytest.raises(ValueError, match="noise must be one of"):
        denoise.add_noise(clean, "salt", 0.1)
    with pytest.raises(ValueError, match="probability"):
        denoise.add_noise(clean, "mask", 1.5)


def test_which_checkpoints_are_denoising_and_plain(tmp_path):
    cases = {
        "dae": ("ae", {"noise": "gaussian", "noise_level": 0.5}, True, False),
        "mask-dae": ("ae", {"noise": "mask", "noise_level": 0.25}, True, False),
        "zero-level": ("ae", {"noise": "gaussian", "noise_level": 0.0}, False, True),
        "plain": ("ae", {}, False, True),
        "sparse": ("ae", {"penalty": "l1", "penalty_weight": 0.001}, False, False),
        "vae": ("vae", {}, False, False),
        "damaged": ("ae", {"noise": "gaussian", "noise_level": "lots"}, False, True),
    }
    for name, (kind, train, is_dae, is_plain) in cases.items():
        card = read_card(make_checkpoint(tmp_path / f"{name}.safetensors", kind=kind,
                                         train=train))
        assert ("denoising" in kinds(card)) is is_dae, name
        assert ("ae" in kinds(card)) is is_plain, name
    assert train_config({"train": {"config": "not a dict"}}) == {}
    assert train_config({"train": {}}) == {}


def test_the_train_command_names_the_data_set():
    assert denoise.train_command("mnist") == (
        "python -m aeexplorer train --model ae --noise gaussian --noise-level 0.5 "
        "--out runs/mnist-dae.safetensors")
    assert "--dataset fashion" in denoise.train_command("fashion")
