"""Denoising, side by side: corrupt a clean image (``aeexplorer.core.training.noise``), pass
the noisy image through one or more autoencoders (reconstruct it: ``ckpt.ops``) and measure how
far each output, and the noisy image itself, lies from the clean image. A denoising
autoencoder was trained to undo that corruption; a plain one was not, which the comparison
makes visible.

Inputs and outputs are numpy arrays; torch is imported inside the functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from aeexplorer.app.anomaly import mse
from aeexplorer.app.image_shapes import is_colour, mismatch
from aeexplorer.core.checkpoints.card import settings, train_config
from aeexplorer.core.training.noise import corrupt
from aeexplorer.core.training.request import example_command

if TYPE_CHECKING:
    from aeexplorer.core.checkpoints.file import Checkpoint

KINDS = ("gaussian", "mask")


@dataclass
class Output:
    image: np.ndarray  # the model's output for the noisy image, the clean image's shape
    mse: float  # against the clean image


@dataclass
class Denoised:
    clean: np.ndarray  # (H, W) grey or (H, W, 3) colour
    noisy: np.ndarray  # the same shape
    noisy_mse: float  # the noisy image against the clean one: what doing nothing costs
    outputs: list[Output] = field(default_factory=list)  # one per model, in the given order


def add_noise(image: np.ndarray, kind: str, level: float, seed: int = 0) -> np.ndarray:
    """A corrupted copy of an (H, W) grey or (H, W, 3) colour image in [0, 1]; the same seed
    gives the same noise. Colour: Gaussian noise on each channel, a mask dropping whole pixels
    (as the training's, ``noise.corrupt``). Raises ValueError for an unknown kind or a level
    out of range (see ``noise.check_noise``)."""
    import torch


    g = torch.Generator().manual_seed(int(seed))
    x = torch.as_tensor(np.asarray(image, dtype=np.float32))
    channels = -1 if is_colour(x.shape) else None
    return corrupt(x, kind, float(level), generator=g, channel_dim=channels).numpy()


def denoise(image: np.ndarray, models: Sequence[Checkpoint], kind: str, level: float,
            seed: int = 0) -> Denoised:
    """Corrupt ``image`` once, then run the same noisy image through every model. The image
    has the models' image shape (a flat one is read as the first model's); a model of another
    shape raises ValueError saying what differs (``image_shapes.mismatch``)."""
    clean = np.asarray(image, dtype=np.float32)
    if models and clean.size == models[0].config.pixels:
        clean = clean.reshape(models[0].config.image_shape)
    for ckpt in models:
        why = mismatch(clean.shape, ckpt.config.image_shape)
        if why:
            raise ValueError(f"{why}: they cannot be denoised by this model")
    noisy = add_noise(clean, kind, level, seed)
    result = Denoised(clean, noisy, mse(noisy, clean))
    for ckpt in models:
        out = ckpt.ops.reconstruct(noisy[None]).images[0]
        result.outputs.append(Output(out, mse(out, clean)))
    return result


def train_command(dataset: str, kind: str = "gaussian") -> str:
    """The command that trains a denoising AE for ``dataset`` with noise ``kind``. (Which
    checkpoints are denoising or plain autoencoders: ``aeexplorer.core.checkpoints.card.kinds``.)"""
    out = f"runs/{dataset}-dae{'' if kind == 'gaussian' else '-' + kind}.safetensors"
    return example_command("denoising", dataset, out, noise=kind)


def trained_noise(card: dict) -> tuple[str, float] | None:
    """The noise (kind, level) a model card's model was trained with; None for clean inputs."""
    values = settings(card["config"], train_config(card))
    if values["noise"] in KINDS and values["noise_level"] > 0:
        return values["noise"], float(values["noise_level"])
    return None


def for_noise(cards: Sequence[dict], kind: str) -> int | None:
    """The position of the first card whose model was trained with noise ``kind``: the
    denoiser to show that noise with (one trained on other noise undoes it poorly)."""
    return next((i for i, card in enumerate(cards)
                 if (trained_noise(card) or ("",))[0] == kind), None)
