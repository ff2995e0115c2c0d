"""Images for display and download: numpy arrays in [0, 1] -> PNG bytes, tiled strips and grids,
animated GIFs. Pure numpy + Pillow; nothing here knows about models or Streamlit.

An image is (H, W) grey or (H, W, 3) colour, as the model operations give them
(``aeexplorer.core.latent.ops``); a stack of them adds a first axis. Every function takes both."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image


def to_uint8(image: np.ndarray) -> np.ndarray:
    """A float image in [0, 1] (values outside are clipped, NaN is black) -> uint8."""
    arr = np.nan_to_num(np.asarray(image, dtype=np.float32), nan=0.0)
    return (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def upscale(image: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement by an integer factor: pixels stay crisp squares."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    arr = np.asarray(image)
    return np.repeat(np.repeat(arr, scale, axis=0), scale, axis=1)


def to_png(image: np.ndarray, scale: int = 1) -> bytes:
    """(H, W) greyscale or (H, W, 3) colour in [0, 1] -> PNG bytes, enlarged by ``scale``."""
    arr = upscale(to_uint8(image), scale)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    """PNG bytes as a ``data:`` URI (inline in the page or a Plotly layout image: no file)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def tile(images: Sequence[np.ndarray] | np.ndarray, cols: int, pad: int = 0,
         fill: float = 1.0) -> np.ndarray:
    """Lay (N, H, W) or (N, H, W, 3) images out in rows of ``cols``, ``pad`` pixels of
    ``fill`` between them; empty cells at the end are filled too."""
    stack = np.asarray(images, dtype=np.float32)
    if stack.ndim not in (3, 4) or stack.shape[0] == 0 or stack.ndim == 4 and stack.shape[3] != 3:
        raise ValueError("tile needs a non-empty (N, H, W) or (N, H, W, 3) stack of images")
    n, h, w = stack.shape[:3]
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    out = np.full((rows * h + (rows - 1) * pad, cols * w + (cols - 1) * pad, *stack.shape[3:]),
                  fill, np.float32)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + pad): r * (h + pad) + h, c * (w + pad): c * (w + pad) + w] = stack[i]
    return out


def grid_image(images: Sequence[np.ndarray] | np.ndarray, pad: int = 2,
               fill: float = 1.0) -> np.ndarray:
    """A near-square grid of images."""
    n = len(images)
    cols = int(np.ceil(np.sqrt(n))) if n else 1
    return tile(images, cols=cols, pad=pad, fill=fill)


def to_gif(frames: Sequence[np.ndarray] | np.ndarray, scale: int = 4, ms_per_frame: int = 80,
           bounce: bool = True) -> bytes:
    """An animated, looping GIF of (N, H, W) or (N, H, W, 3) frames in [0, 1]. With
    ``bounce`` the walk plays forward then back, so the loop has no jump. Colour frames share
    one adaptive palette of 256 colours (GIF's limit), so a colour does not flicker."""
    stack = [upscale(to_uint8(f), scale) for f in frames]
    if not stack:
        raise ValueError("a GIF needs at least one frame")
    if bounce and len(stack) > 2:
        stack = stack + stack[-2:0:-1]
    if stack[0].ndim == 3:
        pics = _shared_palette(stack)
    else:
        pics = [Image.fromarray(a, mode="L") for a in stack]
    buf = io.BytesIO()
    pics[0].save(buf, format="GIF", save_all=True, append_images=pics[1:],
                 duration=max(20, int(ms_per_frame)), loop=0, disposal=1)
    return buf.getvalue()


def _shared_palette(frames: list[np.ndarray]) -> list[Image.Image]:
    """RGB frames quantised to one palette made from all of them side by side."""
    sheet = Image.fromarray(np.concatenate(frames, axis=1))
    palette = sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    return [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE)
            for f in frames]


def ink_on_paper(image: np.ndarray) -> np.ndarray:
    """White-on-black digits as dark ink on white paper (for backgrounds behind coloured dots).
    A colour image is shown as it is: its colours are its content."""
    arr = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    return arr if arr.ndim == 3 and arr.shape[-1] == 3 else 1.0 - arr


def outline_box(image: np.ndarray, box: tuple[int, int, int, int], width: int = 2) -> np.ndarray:
    """An image as RGB with a red rectangle drawn on (top, left, bottom, right)."""
    arr = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    rgb = arr.copy() if arr.ndim == 3 else np.stack([arr] * 3, axis=-1)
    top, left, bottom, right = box
    h, w = rgb.shape[:2]
    top, left = max(0, top - width), max(0, left - width)
    bottom, right = min(h, bottom + width), min(w, right + width)
    red = np.array([0.9, 0.1, 0.1], dtype=np.float32)
    rgb[top:bottom, left:left + width] = red
    rgb[top:bottom, max(left, right - width):right] = red
    rgb[top:top + width, left:right] = red
    rgb[max(top, bottom - width):bottom, left:right] = red
    return rgb
