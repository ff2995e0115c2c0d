"""Helpers for the core tests: digits drawn with Pillow (no fonts), image files in memory,
synthetic training data, and raw safetensors files for crafting bad checkpoints."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def draw_digit(digit: str = "7", size: tuple[int, int] = (200, 200), width: int = 14,
               box: tuple[float, float, float, float] | None = None, ink: int = 255,
               paper: int = 0, mode: str = "L") -> Image.Image:
    """A '7', '8', '1' or '0' drawn with lines and ellipses inside ``box`` (left, top, right,
    bottom, as fractions of the canvas; default: the middle 60 %)."""
    w, h = size
    left, t, r, b = box or (0.3, 0.2, 0.7, 0.8)
    left, r, t, b = left * w, r * w, t * h, b * h
    im = Image.new(mode, size, paper)
    d = ImageDraw.Draw(im)
    if digit == "7":
        d.line([(left, t), (r, t), (left + 0.35 * (r - left), b)], fill=ink, width=width,
               joint="curve")
    elif digit == "1":
        mid = (left + r) / 2
        d.line([(mid - 0.2 * (r - left), t + 0.15 * (b - t)), (mid, t), (mid, b)], fill=ink,
               width=width, joint="curve")
    elif digit == "8":
        mid = t + 0.45 * (b - t)
        d.ellipse([left + 0.1 * (r - left), t, r - 0.1 * (r - left), mid], outline=ink,
                  width=width)
        d.ellipse([left, mid - width / 2, r, b], outline=ink, width=width)
    elif digit == "0":
        d.ellipse([left, t, r, b], outline=ink, width=width)
    else:
        raise ValueError(digit)
    return im


def to_bytes(im: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    return float(np.corrcoef(a, b)[0, 1])


def stroke_width(image: np.ndarray, threshold: float = 0.5) -> float:
    """Mean stroke width of a (28, 28) image: 2 * area / perimeter of the thresholded ink."""
    from scipy import ndimage

    mask = np.asarray(image) > threshold
    perimeter = np.count_nonzero(mask & ~ndimage.binary_erosion(mask))
    return 2.0 * np.count_nonzero(mask) / max(perimeter, 1)


def synthetic_images(n: int = 256, seed: int = 0):
    """(n, 1, 28, 28) float images in [0, 1] of bars and blobs, plus labels 0..3 (kind)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    images = torch.zeros(n, 1, 28, 28)
    labels = torch.randint(0, 4, (n,), generator=g)
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    for i in range(n):
        pos = int(torch.randint(6, 22, (1,), generator=g))
        kind = int(labels[i])
        if kind == 0:  # horizontal bar
            images[i, 0, pos - 2 : pos + 2, 4:24] = 1.0
        elif kind == 1:  # vertical bar
            images[i, 0, 4:24, pos - 2 : pos + 2] = 1.0
        else:  # a Gaussian blob, small or large
            cy, cx = torch.randint(8, 20, (2,), generator=g).float()
            s = 2.0 if kind == 2 else 4.5
            images[i, 0] = torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    return images, labels


def read_raw(path: Path) -> tuple[dict, bytes]:
    """A safetensors file as (header dict, tensor data bytes)."""
    data = Path(path).read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def write_raw(path: Path, header: dict, body: bytes) -> Path:
    """Write a safetensors file from a header dict and data bytes (header padded to 8)."""
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + body)
    return Path(path)


def best_shifted_correlation(a: np.ndarray, b: np.ndarray, max_shift: int = 1) -> float:
    """The highest correlation of ``a`` with ``b`` shifted by up to ``max_shift`` pixels: a
    one-pixel offset is rounding of the centre of mass, not a different digit."""
    best = -1.0
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            best = max(best, correlation(a, np.roll(np.roll(b, dy, axis=0), dx, axis=1)))
    return best


def mnist_test_images(root: Path, n: int) -> np.ndarray:
    """The first n MNIST test images as (n, 28, 28) floats in [0, 1], read from the raw file."""
    raw = Path(root) / "MNIST" / "raw" / "t10k-images-idx3-ubyte"
    data = np.fromfile(raw, dtype=np.uint8, count=n * 784, offset=16)
    return data.reshape(n, 28, 28).astype(np.float32) / 255.0


def with_meta(src: Path, dst: Path, drop=(), **changes: str) -> Path:
    """A copy of checkpoint ``src`` with metadata entries changed in its raw header (the
    values are written as given, however hostile) and the entries named in ``drop`` gone."""
    import copy

    header, body = read_raw(src)
    header = copy.deepcopy(header)
    header["__metadata__"].update(changes)
    for key in drop:
        header["__metadata__"].pop(key, None)
    return write_raw(dst, header, body)


def rewrite(src: Path, dst: Path, meta: dict | None = None, tensors: dict | None = None,
            drop=()) -> Path:
    """A genuine safetensors copy of ``src`` with metadata entries and tensors changed."""
    import safetensors.torch
    from safetensors import safe_open

    loaded = safetensors.torch.load_file(str(src))
    with safe_open(str(src), framework="pt") as f:
        metadata = dict(f.metadata())
    metadata.update(meta or {})
    loaded.update(tensors or {})
    for key in drop:
        loaded.pop(key, None)
        metadata.pop(key, None)
    safetensors.torch.save_file(loaded, str(dst), metadata=metadata)
    return dst
