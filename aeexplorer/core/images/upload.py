"""Image file bytes -> a small greyscale (or colour) array, within a memory budget.

Only a small image is needed (WORK_SIDE pixels a side), so an upload is refused by its decoded
size before it is decoded (a 150 KB PNG can declare 6300x6300 pixels: 150 MB decoded), a JPEG is
decoded at a reduced scale, and the decoded image is converted to grey (or RGB) and shrunk strip
by strip: besides what the decoder holds, no full-size copy is made.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from aeexplorer.core.errors import ImageError
from aeexplorer.core.text_numbers import small_number

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # uploads above this are refused before decoding
MAX_PIXELS = 40_000_000  # declared width x height above this is refused (decompression bombs)
# decoding that would hold more than this (pixels x bytes a pixel x the decoder's copies) is
# refused before it starts: a 16.7 MP colour PNG, a 40 MP grey one or any JPEG up to 40 MP pass
MAX_DECODE_BYTES = 64 * 2**20
BUDGET_ENV = "AEEXPLORER_MAX_IMAGE_MB"  # overrides MAX_DECODE_BYTES, in MB (2**20 bytes)
WORK_SIDE = 400  # photos are analysed at most this many pixels on a side
STRIP_PIXELS = 2**18  # the full-size image is converted this many pixels at a time
DEEP = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")  # scaled by their range, not by 255
ALPHA = ("RGBA", "LA", "PA", "RGBa", "La")
# the formats whose decoders' memory was measured (benchmarks/upload_memory.py): no other
# Pillow plugin (ICO, TGA, PCX, QOI...) is ever asked to decode an upload
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF")
# EXIF orientation -> the turn that shows the picture upright (as ImageOps.exif_transpose)
TURNS = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
         4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
         6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
         8: Image.Transpose.ROTATE_90}


def decode_budget() -> int:
    """Bytes of decoded pixels an upload may take: ``AEEXPLORER_MAX_IMAGE_MB`` megabytes when
    it is a whole number from 1 up, else MAX_DECODE_BYTES (a bad value is never an error)."""
    mb = small_number(os.environ.get(BUDGET_ENV, ""))
    return mb * 2**20 if mb else MAX_DECODE_BYTES


def bytes_per_pixel(mode: str) -> int:
    """Memory a decoded pixel takes: Pillow pads every mode of 2 to 4 bands (RGB, LA too) and
    32-bit grey to 4 bytes; 1-bit, grey and palette pixels take 1 byte, 16-bit grey 2."""
    return 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4


def decoder_copies(fmt: str | None, compression: object = None) -> int:
    """Full-size copies a format's decoder holds at once, the image included (measured with
    benchmarks/upload_memory.py): Pillow's WebP decoder keeps libwebp's canvas and two bytes
    copies of it besides the image; its RLE BMP decoder, written in Python, a bytearray and
    its bytes copy. Every other decoder writes straight into the image."""
    if fmt == "WEBP":
        return 4
    return 3 if fmt == "BMP" and compression in (1, 2) else 1


def largest_megapixels(mode: str, fmt: str | None = None, compression: object = None,
                       budget: int | None = None) -> float:
    """The most megapixels an image of this mode and format may have, rounded down to 0.1."""
    per_pixel = bytes_per_pixel(mode) * decoder_copies(fmt, compression)
    most = min(MAX_PIXELS, (decode_budget() if budget is None else budget) // per_pixel)
    return most // 100_000 / 10


def read_image_bytes(path: str | os.PathLike) -> bytes:
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"no such file: {path}")
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise ImageError(f"{path.name} is over the {MAX_UPLOAD_BYTES // 2**20} MB limit")
    return path.read_bytes()


def decode_image(data: bytes, colour: bool = False) -> np.ndarray:
    """Image file bytes -> (H, W) float32 greyscale in [0, 1] (``colour``: (H, W, 3) RGB; a
    16- or 32-bit grey image has its grey in the three), transparency on white, EXIF
    rotation applied, the first frame of an animation, downscaled to at most WORK_SIDE."""
    if not data:
        raise ImageError("the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageError(f"the file is over the {MAX_UPLOAD_BYTES // 2**20} MB limit")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Corrupt EXIF data": not for the person
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=FORMATS)
            im.seek(0)
            _plan_decode(im, "RGB" if colour else "L")
            return _array(im, colour)
    except ImageError:
        raise
    except UnidentifiedImageError:
        # the formats both the page's uploader and ``encode`` take (``encode`` reads TIFF too)
        raise ImageError("not an image file that can be read (try PNG, JPEG, BMP, GIF or WebP)")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"the image declares too many pixels (the limit is "
                         f"{MAX_PIXELS // 1_000_000} megapixels)")
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageError(f"the image file is damaged or truncated ({exc})")


def _plan_decode(im: Image.Image, mode: str = "L") -> None:
    """Before decoding: refuse an image too large to decode within the budget. A JPEG is first
    set to decode in ``mode`` (grey, or RGB) at the smallest DCT scale (1/2, 1/4, 1/8) that keeps
    WORK_SIDE on its shorter side: a 40 MP photo decodes at 1/8, under 1 MB."""
    w, h = im.size
    if w * h > MAX_PIXELS:
        raise ImageError(f"the image is {w}×{h} pixels: too large (at most "
                         f"{MAX_PIXELS // 1_000_000} megapixels); make it smaller")
    budget, compression = decode_budget(), im.info.get("compression")
    if im.format == "JPEG" and (im.info.get("progressive") or im.info.get("progression")):
        # libjpeg keeps every DCT coefficient of a progressive JPEG, at full size, whatever
        # the scale it decodes at: 2 bytes a coefficient, the chroma planes subsampled
        per_pixel = 2 * _coefficient_planes(im)
        if w * h * per_pixel > budget:
            raise ImageError(f"the image is {w}×{h} pixels: too large to prepare (at most "
                             f"{budget / per_pixel / 1e6:.3g} megapixels for a progressive "
                             "JPEG); make it smaller, or save it as a baseline JPEG")
    im.draft(mode, (WORK_SIDE, WORK_SIDE))  # other formats ignore it
    per_pixel = bytes_per_pixel(im.mode) * decoder_copies(im.format, compression)
    if im.size[0] * im.size[1] * per_pixel > budget:
        most = largest_megapixels(im.mode, im.format, compression, budget)
        raise ImageError(f"the image is {w}×{h} pixels: too large to prepare (at most "
                         f"{most:g} megapixels for {_kind(im)}); make it smaller")


def _coefficient_planes(im: Image.Image) -> float:
    """DCT coefficients per pixel of a JPEG: 1 for grey; a colour one's two chroma planes at
    full size (4:4:4), half (4:2:2) or a quarter (4:2:0, most photos)."""
    from PIL import JpegImagePlugin

    bands = len(im.getbands())
    if bands == 1:
        return 1.0
    shrink = {0: 1, 1: 2, 2: 4}.get(JpegImagePlugin.get_sampling(im), 1)
    return 1 + (bands - 1) / shrink


def _kind(im: Image.Image) -> str:
    if im.format == "WEBP":
        return "a WebP image"
    if decoder_copies(im.format, im.info.get("compression")) > 1:
        return "a run-length compressed BMP image"
    if im.mode.startswith("I;16"):
        return "a 16-bit image"
    if im.mode in ("I", "F"):
        return "a 32-bit image"
    if im.mode in ("LA", "La"):
        return "a greyscale image with transparency"
    return "a greyscale or palette image" if bytes_per_pixel(im.mode) == 1 else "a colour image"


def _array(im: Image.Image, colour: bool) -> np.ndarray:
    turn = TURNS.get(im.getexif().get(0x0112))  # of the file: lost on the converted copies
    small, span = _reduced(im, colour)
    if turn is not None:
        small = small.transpose(turn)
    if small.mode in ("L", "RGB"):
        return shrink(np.asarray(small, dtype=np.float32) / 255.0)
    grey = shrink(scale_to_unit(np.asarray(small), span))
    return np.repeat(grey[..., None], 3, axis=2) if colour else grey


def _reduced(im: Image.Image, colour: bool) -> tuple[Image.Image, tuple[float, float] | None]:
    """The decoded image -> grey (L, or I / F for 16- and 32-bit images with their full-size
    range) or, with ``colour``, RGB (16- and 32-bit images stay grey), shrunk by a whole factor
    that keeps twice WORK_SIDE (so that shrink's last, fractional step is much as before),
    converted strip by strip so that no full-size copy is made. Strips are whole multiples of
    the factor: the result is that of one reduce."""
    w, h = im.size
    k = max(1, max(w, h) // (2 * WORK_SIDE))
    rows = k * max(1, STRIP_PIXELS // (w * k))
    out, lows, highs = None, [], []
    for top in range(0, h, rows):
        part = _strip(im.crop((0, top, w, min(h, top + rows))), colour)
        if part.mode not in ("L", "RGB"):
            lo, hi = part.getextrema()
            lows.append(lo)
            highs.append(hi)
        part = part.reduce(k) if k > 1 else part
        if out is None:
            out = Image.new(part.mode, (-(-w // k), -(-h // k)))
        out.paste(part, (0, top // k))
    if out is None:
        raise ImageError("the image is empty (0 pixels)")
    return out, ((min(lows), max(highs)) if lows else None)


def _strip(part: Image.Image, colour: bool) -> Image.Image:
    if part.mode in DEEP:
        return part if part.mode in ("I", "F") else part.convert("I")
    if part.mode in ALPHA or "transparency" in part.info:
        rgba = part.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        part = Image.alpha_composite(white, rgba)
    return part.convert("RGB" if colour else "L")


def shrink(arr: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, 3) float -> float32 at most WORK_SIDE a side (an area average, in
    float)."""
    if arr.ndim == 3:
        return np.stack([shrink(arr[..., c]) for c in range(arr.shape[2])], axis=-1)
    h, w = arr.shape
    scale = WORK_SIDE / max(h, w)
    if scale >= 1:
        return arr.astype(np.float32)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = Image.fromarray(arr.astype(np.float32), mode="F").resize(size, Image.Resampling.BOX)
    return np.clip(np.asarray(small, dtype=np.float32), 0.0, 1.0)


def scale_to_unit(arr: np.ndarray, span: tuple[float, float] | None = None) -> np.ndarray:
    """Any numeric array -> float32 in [0, 1] by its type's range (or its own, for floats).
    ``span``: (min, max) of the image ``arr`` was shrunk from, so the scale is that image's."""
    if arr.dtype == bool:
        return arr.astype(np.float32)
    if np.issubdtype(arr.dtype, np.integer):
        lo, hi = span if span else (arr.min(initial=0), arr.max(initial=0))
        lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)  # as min and max with initial=0
        if lo < 0:
            arr, hi = arr.astype(np.float64) - lo, hi - lo
        top = next((t for t in (1.0, 255.0, 65535.0) if hi <= t), hi)
        return (arr.astype(np.float64) / top).astype(np.float32)
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ImageError("the image holds NaN or infinite values")
    lo, hi = map(float, span) if span else (float(arr.min()), float(arr.max()))
    if lo >= 0.0 and hi <= 1.0:
        return arr.astype(np.float32)
    if not np.isfinite(hi - lo):  # e.g. -1e308 .. 1e308: the range itself overflows
        arr, lo, hi = arr / 4, lo / 4, hi / 4
    return ((arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)).astype(np.float32)
