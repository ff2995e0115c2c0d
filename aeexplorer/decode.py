"""Image file bytes -> a small greyscale array: the file-reading half of preprocessing."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # uploads above this are refused before decoding
MAX_PIXELS = 40_000_000  # declared width x height above this is refused (decompression bombs)
WORK_SIDE = 400  # photos are analysed at most this many pixels on a side


def read_image_bytes(path: str | os.PathLike) -> bytes:
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"no such file: {path}")
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise ImageError(f"{path.name} is over the {MAX_UPLOAD_BYTES // 2**20} MB limit")
    return path.read_bytes()


def decode_image(data: bytes) -> np.ndarray:
    """Image file bytes -> (H, W) float32 greyscale in [0, 1], transparency on white, EXIF
    rotation applied, the first frame of an animation, downscaled to at most WORK_SIDE."""
    if not data:
        raise ImageError("the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageError(f"the file is over the {MAX_UPLOAD_BYTES // 2**20} MB limit")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Corrupt EXIF data": not for the person
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise ImageError(f"the image is too large ({w}x{h} pixels; the limit is "
                                 f"{MAX_PIXELS // 1_000_000} megapixels)")
            im.seek(0)
            im.draft("L", (WORK_SIDE, WORK_SIDE))  # JPEG: decode at a reduced scale, cheaply
            im = ImageOps.exif_transpose(im)
            return _to_grey(im)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError("not an image file that can be read (try PNG, JPEG, BMP, GIF or WebP)")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"the image declares too many pixels (the limit is "
                         f"{MAX_PIXELS // 1_000_000} megapixels)")
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageError(f"the image file is damaged or truncated ({exc})")


def _to_grey(im: Image.Image) -> np.ndarray:
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = scale_to_unit(np.asarray(im))
    else:
        if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
            rgba = im.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            im = Image.alpha_composite(white, rgba)
        arr = np.asarray(im.convert("L"), dtype=np.float32) / 255.0
    return shrink(arr)


def shrink(arr: np.ndarray) -> np.ndarray:
    """(H, W) float -> float32 at most WORK_SIDE a side (an area average, in float)."""
    h, w = arr.shape
    scale = WORK_SIDE / max(h, w)
    if scale >= 1:
        return arr.astype(np.float32)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = Image.fromarray(arr.astype(np.float32), mode="F").resize(size, Image.Resampling.BOX)
    return np.clip(np.asarray(small, dtype=np.float32), 0.0, 1.0)


def scale_to_unit(arr: np.ndarray) -> np.ndarray:
    """Any numeric array -> float32 in [0, 1] by its type's range (or its own, for floats)."""
    if arr.dtype == bool:
        return arr.astype(np.float32)
    if np.issubdtype(arr.dtype, np.integer):
        hi = float(arr.max(initial=0))
        lo = float(arr.min(initial=0))
        if lo < 0:
            arr, hi = arr.astype(np.float64) - lo, hi - lo
        top = next((t for t in (1.0, 255.0, 65535.0) if hi <= t), hi)
        return (arr.astype(np.float64) / top).astype(np.float32)
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ImageError("the image holds NaN or infinite values")
    lo, hi = float(arr.min()), float(arr.max())
    if lo >= 0.0 and hi <= 1.0:
        return arr.astype(np.float32)
    if not np.isfinite(hi - lo):  # e.g. -1e308 .. 1e308: the range itself overflows
        arr, lo, hi = arr / 4, lo / 4, hi / 4
    return ((arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)).astype(np.float32)
