"""A model's decoder as plain dense layers, for decoding in the browser (``ui/explorer/live.js``).

Every dense decoder (and PCA) is a chain of ``y = act(W x + b)``; batch norm, being an affine
map at inference, is folded into the linear layer before it, so the page needs nothing else.
The weights travel as one little-endian float32 blob, the layout as a small JSON spec. A conv
decoder has no such form: ``decoder_layers`` returns None, and the page decodes on the server.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from torch import nn

    from aeexplorer.core.models import Autoencoder


@dataclass(frozen=True)
class Layer:
    weight: np.ndarray  # (out, in) float32, row-major: out[j] = sum_i W[j, i] x[i] + b[j]
    bias: np.ndarray  # (out,)
    act: str  # "relu", "sigmoid" (hidden layers), "none" (the last one)


@dataclass(frozen=True)
class Exported:
    # {"latent_dim", "side", "channels", "output": "sigmoid"|"clip", "layers": [...]}; the
    # last layer's outputs are the image's channels one after the other (C, side, side)
    spec: dict
    blob: bytes  # every layer's weight then bias, float32 little-endian

    @property
    def digest(self) -> str:
        """A name for the blob that changes with its content (a cache key for the browser)."""
        return hashlib.sha256(self.blob + repr(self.spec).encode()).hexdigest()[:24]


def decoder_layers(model: Autoencoder) -> tuple[list[Layer], str] | None:
    """The decoder as dense layers and its output ("sigmoid" or "clip" for PCA), or None
    when it has convolutions."""
    cfg = model.config
    if cfg.kind == "pca":  # x' = clip(mean + W^T z, 0, 1)
        w = model.components.detach().float().numpy().T  # (pixels, D)
        return [Layer(np.ascontiguousarray(w), model.mean.detach().float().numpy(), "none")], "clip"
    if cfg.arch != "dense":
        return None
    mlp = model.decoder[0]  # Sequential(Linear, [BatchNorm1d], act, ..., Linear)
    return _fold(list(mlp)), "sigmoid"


def _fold(modules: list[nn.Module]) -> list[Layer]:
    """Linear [BatchNorm1d] act ... Linear -> Layers, each batch norm folded into its linear."""
    from torch import nn

    layers: list[Layer] = []
    for module in modules:
        if isinstance(module, nn.Linear):
            layers.append(Layer(module.weight.detach().double().numpy(),
                                module.bias.detach().double().numpy(), "none"))
        elif isinstance(module, nn.BatchNorm1d):  # y = g (x - m) / sqrt(v + eps) + beta
            scale = (module.weight.detach().double()
                     / (module.running_var.detach().double() + module.eps).sqrt()).numpy()
            mean = module.running_mean.double().numpy()
            shift = module.bias.detach().double().numpy() - mean * scale
            last = layers[-1]
            layers[-1] = Layer(last.weight * scale[:, None], last.bias * scale + shift, "none")
        elif isinstance(module, (nn.ReLU, nn.Sigmoid)):
            act = "relu" if isinstance(module, nn.ReLU) else "sigmoid"
            layers[-1] = Layer(layers[-1].weight, layers[-1].bias, act)
    return [Layer(np.ascontiguousarray(layer.weight, np.float32), layer.bias.astype(np.float32),
                  layer.act) for layer in layers]


def export_decoder(model: Autoencoder) -> Exported | None:
    """The decoder for the page, or None when it cannot run there (a conv decoder)."""
    found = decoder_layers(model)
    if found is None:
        return None
    layers, output = found
    parts, spec_layers = [], []
    for layer in layers:
        n_out, n_in = layer.weight.shape
        spec_layers.append({"in": int(n_in), "out": int(n_out), "act": layer.act})
        parts += [layer.weight.astype("<f4").tobytes(), layer.bias.astype("<f4").tobytes()]
    cfg = model.config
    spec = {"latent_dim": cfg.latent_dim, "side": cfg.image_size,
            "channels": cfg.image_channels, "output": output, "layers": spec_layers}
    return Exported(spec, b"".join(parts))


def decode_exported(exported: Exported, z: np.ndarray) -> np.ndarray:
    """What the page computes, in numpy: (N, D) codes -> (N, side, side) grey or
    (N, side, side, 3) colour images, as ``ckpt.ops.decode`` gives them. The reference the
    browser's decoder is checked against."""
    x = np.asarray(z, dtype=np.float64)
    flat = np.frombuffer(exported.blob, dtype="<f4")
    at = 0
    for layer in exported.spec["layers"]:
        n_in, n_out = layer["in"], layer["out"]
        w = flat[at:at + n_in * n_out].reshape(n_out, n_in)
        b = flat[at + n_in * n_out:at + n_in * n_out + n_out]
        at += n_in * n_out + n_out
        x = x @ w.T + b
        x = np.maximum(x, 0) if layer["act"] == "relu" else (
            1 / (1 + np.exp(-x)) if layer["act"] == "sigmoid" else x)
    x = 1 / (1 + np.exp(-x)) if exported.spec["output"] == "sigmoid" else np.clip(x, 0, 1)
    side, channels = exported.spec["side"], exported.spec["channels"]
    planes = x.reshape(len(x), channels, side, side).astype(np.float32)
    return planes[:, 0] if channels == 1 else np.ascontiguousarray(planes.transpose(0, 2, 3, 1))
