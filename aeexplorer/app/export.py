"""A model's decoder as plain layers, for decoding in the browser (``ui/inpage/decoder.js``).

Every decoder the project builds (dense, conv, PCA) is a chain of two kinds of layer, each
followed by an activation ("relu", "sigmoid" or "none"): dense, ``y = act(W x + b)``, and a
transposed convolution. Batch norm, an affine map at inference, is folded into the layer before
it (BatchNorm1d into the Linear, BatchNorm2d per output channel into the transposed conv), so
the page needs nothing else. The layout as a small JSON spec::

    {"latent_dim", "side", "channels", "output": "sigmoid" | "clip", "layers": [
        {"type": "dense", "in", "out", "act"},
        {"type": "convT", "in_c", "out_c", "k", "stride", "pad", "in_side", "out_side", "act"}]}

and the weights as one float32 little-endian blob, each layer's weight then its bias (out or
out_c values), in the spec's order:

- dense: W of shape (out, in), row-major.
- convT: W of shape (k, k, in_c, out_c) (ky, kx, input channel, output channel), row-major:
  output pixel (oy, ox) gets ``W[ky, kx, ci, co] * x[iy, ix, ci]`` wherever
  ``oy = iy * stride - pad + ky`` and ``ox = ix * stride - pad + kx`` (torch's ConvTranspose2d;
  out_side = (in_side - 1) * stride - 2 * pad + k).
- Feature maps between layers are channels-last, (y, x, c), so a transposed convolution reads
  and writes contiguous channel vectors: the dense layer that feeds one has its outputs in that
  order too. The last layer's outputs are the image: from a dense layer the planes one after the
  other (C, side, side), from a transposed convolution channels-last (side, side, C).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aeexplorer.app.limits import folder_bytes
from aeexplorer.core import atomic

if TYPE_CHECKING:
    from torch import nn

    from aeexplorer.core.models import Autoencoder

ACTS = {"ReLU": "relu", "Sigmoid": "sigmoid"}
MB = 2**20
# the page's decoder files (``ui/inpage/decoder_files``, ``app/snapshot_decoders``)
MAX_BLOB_BYTES = 32 * MB  # one decoder: 8 M weights (the Train page's largest model: ~5 M)
MAX_FOLDER_BYTES = 256 * MB  # the folder in all


@dataclass(frozen=True)
class Layer:
    weight: np.ndarray  # (out, in): out[j] = sum_i W[j, i] x[i] + b[j]
    bias: np.ndarray  # (out,)
    act: str  # "relu", "sigmoid" (hidden layers), "none" (the last one)


@dataclass(frozen=True)
class ConvT:
    weight: np.ndarray  # torch's (in_c, out_c, k, k) while folding
    bias: np.ndarray  # (out_c,)
    act: str
    stride: int
    pad: int
    in_side: int

    @property
    def out_side(self) -> int:
        return (self.in_side - 1) * self.stride - 2 * self.pad + self.weight.shape[2]


@dataclass(frozen=True)
class Exported:
    spec: dict  # the layout above
    blob: bytes  # every layer's weight then bias, float32 little-endian

    @property
    def digest(self) -> str:
        """A name for the blob that changes with its content (a cache key for the browser)."""
        return hashlib.sha256(self.blob + repr(self.spec).encode()).hexdigest()[:24]


def decoder_layers(model: Autoencoder) -> tuple[list[Layer | ConvT], str] | None:
    """The decoder as folded layers and its output ("sigmoid" or "clip" for PCA), or None
    when it holds a module this form has no place for."""
    if model.config.kind == "pca":  # x' = clip(mean + W^T z, 0, 1)
        w = model.components.detach().double().numpy().T  # (pixels, D)
        mean = model.mean.detach().double().numpy()
        return [Layer(np.ascontiguousarray(w), mean, "none")], "clip"
    modules = [m for part in model.decoder for m in (part if _is_seq(part) else [part])]
    layers = _fold(modules)
    return (layers, "sigmoid") if layers else None


def _is_seq(module: nn.Module) -> bool:
    from torch import nn

    return isinstance(module, nn.Sequential)


def _fold(modules: list[nn.Module]) -> list[Layer | ConvT] | None:
    """Linear / ConvTranspose2d, each with its batch norm folded in and its activation."""
    from torch import nn

    layers: list[Layer | ConvT] = []
    side = None  # the feature map's side after an Unflatten or a transposed convolution
    for module in modules:
        name = type(module).__name__
        if isinstance(module, nn.Linear):
            layers.append(Layer(_np(module.weight), _np(module.bias), "none"))
        elif isinstance(module, nn.ConvTranspose2d):
            if side is None or not _plain_conv(module):
                return None
            layers.append(ConvT(_np(module.weight), _np(module.bias), "none",
                                module.stride[0], module.padding[0], side))
            side = layers[-1].out_side
        elif _foldable(module, layers):
            layers[-1] = _with_norm(layers[-1], module)
        elif name in ACTS and layers and layers[-1].act == "none":
            layers[-1] = _replace(layers[-1], act=ACTS[name])
        elif isinstance(module, nn.Unflatten) and _square(module.unflattened_size, layers):
            side = module.unflattened_size[1]
        elif not isinstance(module, (nn.Identity, nn.Flatten)):
            return None
    return layers


def _np(tensor) -> np.ndarray:
    return tensor.detach().cpu().double().numpy()  # a model training on a GPU too


def _plain_conv(conv: nn.ConvTranspose2d) -> bool:
    """Square kernel, stride and padding; no groups, dilation or output padding."""
    k, s, p = conv.kernel_size, conv.stride, conv.padding
    return (k[0] == k[1] and s[0] == s[1] and p[0] == p[1] and p[0] < k[0]
            and conv.groups == 1 and conv.dilation == (1, 1) and conv.output_padding == (0, 0)
            and conv.bias is not None and conv.padding_mode == "zeros")


def _foldable(norm: nn.Module, layers: list) -> bool:
    """A batch norm right after a layer with no activation yet, of its kind and width."""
    from torch import nn

    if not layers or layers[-1].act != "none" or getattr(norm, "running_var", None) is None:
        return False
    last = layers[-1]
    kind = nn.BatchNorm2d if isinstance(last, ConvT) else nn.BatchNorm1d
    return type(norm) is kind and norm.num_features == last.bias.size


def _square(size, layers: list) -> bool:
    return (len(size) == 3 and size[1] == size[2] and len(layers) > 0
            and isinstance(layers[-1], Layer) and layers[-1].bias.size == int(np.prod(size)))


def _replace(layer, **changes):
    from dataclasses import replace

    return replace(layer, **changes)


def _with_norm(layer: Layer | ConvT, norm) -> Layer | ConvT:
    """y = g (x - m) / sqrt(v + eps) + beta, folded: per output unit or per output channel."""
    scale = _np(norm.weight) / np.sqrt(_np(norm.running_var) + norm.eps)
    shift = _np(norm.bias) - _np(norm.running_mean) * scale
    if isinstance(layer, ConvT):
        weight = layer.weight * scale[None, :, None, None]
    else:
        weight = layer.weight * scale[:, None]
    return _replace(layer, weight=weight, bias=layer.bias * scale + shift)


def export_decoder(model: Autoencoder) -> Exported | None:
    """The decoder for the page, or None when it cannot run there."""
    found = decoder_layers(model)
    if found is None:
        return None
    layers, output = found
    parts, spec_layers = [], []
    for i, layer in enumerate(layers):
        after = layers[i + 1] if i + 1 < len(layers) else None
        spec, weight, bias = _serialised(layer, after)
        spec_layers.append(spec)
        parts += [weight.astype("<f4").tobytes(), bias.astype("<f4").tobytes()]
    cfg = model.config
    spec = {"latent_dim": cfg.latent_dim, "side": cfg.image_size,
            "channels": cfg.image_channels, "output": output, "layers": spec_layers}
    return Exported(spec, b"".join(parts))


def _serialised(layer: Layer | ConvT, after: Layer | ConvT | None) -> tuple[dict, np.ndarray,
                                                                            np.ndarray]:
    """One layer's spec, weight and bias in the blob's layout."""
    if isinstance(layer, ConvT):
        in_c, out_c, k, _ = layer.weight.shape
        return ({"type": "convT", "in_c": int(in_c), "out_c": int(out_c), "k": int(k),
                 "stride": int(layer.stride), "pad": int(layer.pad),
                 "in_side": int(layer.in_side), "out_side": int(layer.out_side),
                 "act": layer.act},
                layer.weight.transpose(2, 3, 0, 1), layer.bias)
    weight, bias = layer.weight, layer.bias
    if isinstance(after, ConvT):  # its outputs channels-last: (c, y, x) -> (y, x, c)
        c, s = after.weight.shape[0], after.in_side
        weight = weight.reshape(c, s, s, -1).transpose(1, 2, 0, 3).reshape(c * s * s, -1)
        bias = bias.reshape(c, s, s).transpose(1, 2, 0).reshape(-1)
    n_out, n_in = weight.shape
    return {"type": "dense", "in": int(n_in), "out": int(n_out), "act": layer.act}, weight, bias


def layer_floats(layer: dict) -> int:
    """How many float32 values ``layer`` (a spec entry) takes in the blob."""
    if layer.get("type", "dense") == "convT":
        return layer["k"] ** 2 * layer["in_c"] * layer["out_c"] + layer["out_c"]
    return layer["in"] * layer["out"] + layer["out"]


def decode_exported(exported: Exported, z: np.ndarray) -> np.ndarray:
    """What the page computes, in numpy: (N, D) codes -> (N, side, side) grey or
    (N, side, side, 3) colour images, as ``ckpt.ops.decode`` gives them. The reference the
    browser's decoder is checked against."""
    x = np.asarray(z, dtype=np.float64)
    flat = np.frombuffer(exported.blob, dtype="<f4").astype(np.float64)
    at = 0
    for layer in exported.spec["layers"]:
        n = layer_floats(layer)
        params, at = flat[at:at + n], at + n
        x = _conv_t(layer, params, x) if layer.get("type") == "convT" else _dense(layer, params, x)
        x = np.maximum(x, 0) if layer["act"] == "relu" else (
            1 / (1 + np.exp(-x)) if layer["act"] == "sigmoid" else x)
    x = 1 / (1 + np.exp(-x)) if exported.spec["output"] == "sigmoid" else np.clip(x, 0, 1)
    side, channels = exported.spec["side"], exported.spec["channels"]
    if exported.spec["layers"][-1].get("type") == "convT":  # channels-last already
        images = x.reshape(len(x), side, side, channels).astype(np.float32)
    else:
        images = x.reshape(len(x), channels, side, side).transpose(0, 2, 3, 1).astype(np.float32)
    return images[..., 0] if channels == 1 else np.ascontiguousarray(images)


def _dense(layer: dict, params: np.ndarray, x: np.ndarray) -> np.ndarray:
    n_in, n_out = layer["in"], layer["out"]
    return x @ params[:n_in * n_out].reshape(n_out, n_in).T + params[n_in * n_out:]


def _conv_t(layer: dict, params: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(N, in_side * in_side * in_c) channels-last -> (N, out_side * out_side * out_c): each
    kernel tap adds its input, spread ``stride`` apart, into an uncropped output, which then
    loses ``pad`` pixels on each side."""
    k, s, p = layer["k"], layer["stride"], layer["pad"]
    in_c, out_c, h, o = layer["in_c"], layer["out_c"], layer["in_side"], layer["out_side"]
    w = params[:k * k * in_c * out_c].reshape(k, k, in_c, out_c)
    x = x.reshape(len(x), h, h, in_c)
    full = np.zeros((len(x), (h - 1) * s + k, (h - 1) * s + k, out_c))
    for ky in range(k):
        for kx in range(k):
            full[:, ky:ky + (h - 1) * s + 1:s, kx:kx + (h - 1) * s + 1:s] += x @ w[ky, kx]
    out = full[:, p:p + o, p:p + o] + params[k * k * in_c * out_c:]
    return out.reshape(len(x), -1)


def write_blob(target: Path, blob: bytes, max_folder: int | None = None) -> bool:
    """Writes ``blob`` to ``target`` atomically (``core.atomic``: a page never fetches half a
    file), unless the folder would go over ``max_folder`` bytes (None: MAX_FOLDER_BYTES)
    (False)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    limit = MAX_FOLDER_BYTES if max_folder is None else max_folder
    if folder_bytes(target.parent) + len(blob) > limit:
        return False
    atomic.write_bytes(target, blob)
    return True
