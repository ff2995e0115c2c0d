"""Model configuration: a frozen dataclass that is saved beside the weights and is the only way
to rebuild a model (see ``build_model``)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

KINDS = ("ae", "vae", "pca")
ARCHS = ("dense", "conv")
ACTIVATIONS = ("relu", "sigmoid")
MIN_SIDE, MAX_SIDE = 8, 128
MAX_REFINE = 200  # each step is a pass through the decoder and back, for every code
MAX_KEPT = 200_000  # training images a kept map may hold (``kept.py``: a key and a place each)
MAX_KEY_PIXELS = 4096  # values of an image a kept map keys: its P x P covariance, 134 MB float64


@dataclass(frozen=True)
class ModelConfig:
    # "ae": deterministic code; "vae": Gaussian posterior q(z|x); "pca": the top principal
    # components, fitted in closed form (arch, hidden, batchnorm and activation do not apply)
    kind: str = "vae"
    arch: str = "dense"  # "dense": MLP; "conv": strided convolutions
    latent_dim: int = 2
    # dense layer widths, encoder order (decoder mirrors); () is a shallow model: x -> z -> x
    hidden: tuple[int, ...] = (512, 256)
    channels: tuple[int, ...] = (32, 64)  # conv channels, encoder order (decoder mirrors)
    batchnorm: bool = False  # BatchNorm after each hidden layer
    image_size: int = 28  # square images, image_size x image_size pixels
    image_channels: int = 1  # 1: grey, 3: colour (RGB)
    activation: str = "relu"  # of the hidden layers; KL sparsity needs "sigmoid" (in (0, 1))
    # gradient steps on the decoder's fit that polish each code after the encoder, wherever
    # the model encodes after training (0: the encoder's code): ``aeexplorer.core.latent.refine``
    refine: int = 0
    # training images whose places on the map the model keeps, to place a new image where its
    # nearest one lies (0: the encoder places it): ``aeexplorer.core.models.kept``. Set after
    # training (``train --keep-map``), not a choice of its own
    kept: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}, not {self.arch!r}")
        if not 1 <= self.latent_dim <= 512:
            raise ValueError(f"latent_dim must be between 1 and 512, not {self.latent_dim}")
        if len(self.hidden) > 8 or any(not 1 <= h <= 4096 for h in self.hidden):
            raise ValueError("hidden must list 0 to 8 layer widths, each from 1 to 4096")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, not {self.activation!r}")
        if not MIN_SIDE <= self.image_size <= MAX_SIDE:
            raise ValueError(f"image_size must be between {MIN_SIDE} and {MAX_SIDE} pixels, "
                             f"not {self.image_size}")
        if self.image_channels not in (1, 3):
            raise ValueError(f"image_channels must be 1 (grey) or 3 (colour), "
                             f"not {self.image_channels}")
        if self.arch == "conv" and self.image_size % 4:
            raise ValueError(f"the conv arch halves the image twice: image_size must be a "
                             f"multiple of 4, not {self.image_size}")
        if self.kind == "pca" and (self.arch != "dense" or self.latent_dim > self.pixels):
            raise ValueError(f"PCA is a linear model on the {self.pixels} pixel values: use the "
                             f"dense arch and at most {self.pixels} components")
        if not 0 <= self.refine <= MAX_REFINE or (self.refine and not self.learned):
            raise ValueError(f"refine must be 0 to {MAX_REFINE} steps, and 0 for PCA (its "
                             f"codes are fitted in closed form), not {self.refine}")
        if not 0 <= self.kept <= MAX_KEPT or (self.kept and (
                self.kind != "ae" or self.refine or self.pixels > MAX_KEY_PIXELS)):
            raise ValueError(f"kept must be 0 to {MAX_KEPT} training images, and 0 unless the "
                             f"model is an AE whose codes are not polished, of images of at "
                             f"most {MAX_KEY_PIXELS} values, not {self.kept}")
        if len(self.channels) != 2 or any(not 1 <= c <= 512 for c in self.channels):
            raise ValueError("channels must list two channel counts, each from 1 to 512")

    @property
    def pixels(self) -> int:
        """Values in one image: channels x side x side (784 for MNIST)."""
        return self.image_channels * self.image_size**2

    @property
    def image_shape(self) -> tuple[int, ...]:
        """One image at the numpy edge: (H, W) grey, (H, W, 3) colour."""
        side = self.image_size
        return (side, side) if self.image_channels == 1 else (side, side, 3)

    @property
    def colour(self) -> bool:
        return self.image_channels == 3

    @property
    def learned(self) -> bool:
        """True for networks trained by gradient descent; PCA is fitted in closed form."""
        return self.kind != "pca"

    @property
    def variational(self) -> bool:
        return self.kind == "vae"

    @property
    def name(self) -> str:
        return f"{self.arch}-{self.kind}"

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        """Rebuild from JSON data, checking names and types (checkpoints are untrusted input)."""
        if not isinstance(data, dict):
            raise ValueError("the model config is not a JSON object")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(data) - set(fields)
        if unknown:
            raise ValueError(f"unknown model config fields: {sorted(unknown)}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("hidden", "channels"):
                if not isinstance(value, list) or not all(_is_int(v) for v in value):
                    raise ValueError(f"config field {key!r} must be a list of integers")
                value = tuple(value)
            elif key == "batchnorm":
                if not isinstance(value, bool):
                    raise ValueError("config field 'batchnorm' must be true or false")
            elif key in ("latent_dim", "image_size", "image_channels", "refine", "kept"):
                if not _is_int(value):
                    raise ValueError(f"config field {key!r} must be an integer")
            elif not isinstance(value, str):
                raise ValueError(f"config field {key!r} must be a string")
            values[key] = value
        return cls(**values)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
