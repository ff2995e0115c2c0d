"""One image file of an image folder -> a (C, S, S) float32 array in [0, 1], or None when the
file cannot be read as an image (it is then left out and counted, never an error).

- Formats: those whose decoders' memory was measured for uploads (``upload.FORMATS``: PNG,
  JPEG, BMP, GIF, WebP, TIFF); anything else is not an image here.
- Decompression bombs: an image declaring more than ``upload.MAX_PIXELS`` pixels, or whose
  decoding would hold more than ``MAX_DECODE_BYTES``, is refused from its header, before
  decoding; a file over ``MAX_FILE_BYTES`` is not opened. Only regular files are read (a FIFO
  would block the reader forever).
- Square: the centre square of the image, resized with Lanczos. Cropping rather than
  letterboxing: the object fills the frame as in MNIST and CIFAR, and the model spends no
  pixels on bars it would have to learn. A JPEG is decoded at the smallest DCT scale that
  keeps the size (``draft``): a 24-megapixel photo decodes at 1/8.
- Colour: to grey by ITU-R 601 luma (as ``fit.fit_images``), grey to colour by repetition.
  Transparency is laid over black: the empty background is 0, as in MNIST. 16- and 32-bit
  grey are read on 0..65535, float images on 0..1. The EXIF orientation is applied.
"""

from __future__ import annotations

import contextlib
import os
import stat
import warnings
from collections.abc import Iterator

import numpy as np
from PIL import Image

from aeexplorer.core.images.upload import (ALPHA, DEEP, FORMATS, MAX_PIXELS, TURNS, bytes_per_pixel,
                                           decoder_copies)

MAX_FILE_BYTES = 256 * 2**20  # a file larger than this is left out unopened
MAX_DECODE_BYTES = 512 * 2**20  # decoded pixels one image may take (a 40 MP RGBA PNG: 160 MB)
GREY_MODES = ("1", "L", "LA", "La", *DEEP)


class Unreadable(Exception):
    """The file is not an image this reader takes (said in the message); it is left out."""


def colour_of(path: str) -> bool | None:
    """Whether the image at ``path`` is in colour, from its header alone (nothing is decoded);
    None when it cannot be read as an image."""
    try:
        with _opened(path) as im:
            return _is_colour(im)
    except Exception:  # noqa: BLE001  a file's content must never stop a run: it is left out
        return None


def read_square(path: str, size: int, channels: int) -> np.ndarray | None:
    """The image at ``path`` as a (channels, size, size) float32 array in [0, 1]; None when it
    cannot be read (not an image, damaged, truncated, too large)."""
    try:
        with _opened(path) as im:
            turn = TURNS.get(im.getexif().get(0x0112))
            if im.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 where that keeps ``size``
                im.draft("L" if channels == 1 else "RGB", (size, size))
            _check_decode(im)
            flat = _flat(im, channels)
    except Exception:  # noqa: BLE001  as above: Pillow raises many kinds on damaged files
        return None
    if turn is not None:
        flat = flat.transpose(turn)
    arr = np.asarray(_square(flat, size), dtype=np.float32)
    arr = np.clip(arr, 0.0, 1.0) if flat.mode == "F" else arr / 255.0
    if arr.ndim == 2:
        arr = arr[None] if channels == 1 else np.repeat(arr[None], 3, axis=0)
    else:
        arr = arr.transpose(2, 0, 1)
    return np.ascontiguousarray(arr, dtype=np.float32)


@contextlib.contextmanager
def _opened(path: str) -> Iterator[Image.Image]:
    """The image at ``path``, opened (header read, nothing decoded) and checked: a regular
    file, not too large, of a taken format, its first frame, within ``MAX_PIXELS``."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable("not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise Unreadable(f"over {MAX_FILE_BYTES >> 20} MB")
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with fh, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Corrupt EXIF data" and the like
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(fh, formats=FORMATS) as im:
            w, h = im.size
            if w * h > MAX_PIXELS or w < 1 or h < 1:
                raise Unreadable(f"{w}x{h} pixels")
            yield im


def _check_decode(im: Image.Image) -> None:
    """Refuse, before decoding, an image whose decoder would hold over MAX_DECODE_BYTES."""
    w, h = im.size
    copies = decoder_copies(im.format, im.info.get("compression"))
    if w * h * bytes_per_pixel(im.mode) * copies > MAX_DECODE_BYTES:
        raise Unreadable(f"{w}x{h} pixels: too large to decode")


def _is_colour(im: Image.Image) -> bool:
    """Colour by the image's mode; a palette image is grey when its palette is (read from
    the header, as PNG and GIF store it before the pixels)."""
    if im.mode in GREY_MODES:
        return False
    if im.mode in ("P", "PA") and im.palette is not None and im.palette.mode == "RGB":
        rgb = np.frombuffer(bytes(im.palette.palette), np.uint8)
        rgb = rgb[: len(rgb) // 3 * 3].reshape(-1, 3)
        return not bool((rgb == rgb[:, :1]).all())
    return True


def _flat(im: Image.Image, channels: int) -> Image.Image:
    """The decoded image as "L" or "RGB" (8-bit), or "F" in [0, 1] (deeper grey)."""
    if im.mode in DEEP:
        arr = np.asarray(im)
        if im.mode == "F":
            arr = np.nan_to_num(arr.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        else:  # 16- and 32-bit integers: the 16-bit range
            arr = np.clip(arr.astype(np.float32) / 65535.0, 0.0, 1.0)
        return Image.fromarray(arr.astype(np.float32), mode="F")
    if im.mode in ALPHA or "transparency" in im.info:
        rgba = im.convert("RGBA")
        im = Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba)
    return im.convert("L" if channels == 1 else "RGB")


def _square(im: Image.Image, size: int) -> Image.Image:
    """The centre square of ``im`` resized to ``size`` (Lanczos; a large image is first
    reduced by a whole factor, which keeps the result and saves the time)."""
    w, h = im.size
    side = min(w, h)
    box = ((w - side) / 2, (h - side) / 2, (w + side) / 2, (h + side) / 2)
    return im.resize((size, size), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
