"""``shapes``: a colour data set the project makes itself, so that a fresh clone has colour data
with no download. Each image is one shape (circle, square, triangle or cross, the label) of one
hue from the whole colour wheel, of a random size, a little off centre, on a plain dark ground.

Everything follows from a seed: the training and test splits draw from separate streams
(``SEEDS``), so they never share an image, and the same call gives the same pixels on any
machine. Edges are anti-aliased by coverage: each pixel takes the shape's colour in proportion
to how much of the pixel the shape covers, read from the shape's signed distance to the pixel
centre (exact for a straight or gently curved edge, and one evaluation a pixel instead of a
supersampled grid). Rendering goes a bounded number of pixels at a time.

numpy is imported when images are made, not when the module is (the command line reads
``CLASS_NAMES`` to list the data sets)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aeexplorer.core.datasets import stream as streaming
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.errors import DataNotFound
from aeexplorer.core.images.fit import fit_images

if TYPE_CHECKING:
    import numpy as np

CLASS_NAMES = ("circle", "square", "triangle", "cross")
IMAGE_SIZE = 32  # pixels square, the default; any size renders from the same draws
SIZES = {True: 60_000, False: 10_000}  # images in the training / test split
SEEDS = {True: 0, False: 1}  # the training / test split's random stream
BACKGROUND = 0.1  # the plain dark grey ground, in each channel
SATURATION, VALUE = 0.85, 0.95  # every shape's colour: only its hue varies
# A shape's size (the radius of the circle of its area, of the side) and how far its centre
# lies off the image's centre (of the side): kept small, as larger ones take over a 2-D code.
# With radii 0.14-0.24 and shifts of 0.08 a 2-D VAE's map showed hue alone, the kinds mixed
# (5-NN on the kind 0.27, chance 0.25); with these it lays the kinds on rings of their own
# (5-NN 0.87): README, "A colour model: shapes".
RADIUS = (0.18, 0.22)
SHIFT = 0.03
PIXELS_AT_ONCE = 1 << 21  # rendered per step: bounds the temporaries to tens of MB

# each kind's own size for the same area as a circle of radius 1: a square's half side, a
# triangle's half side (equilateral), a cross's half arm length (arms a third as wide)
_SCALE = (1.0, math.sqrt(math.pi) / 2, math.sqrt(math.pi / math.sqrt(3)),
          math.sqrt(9 * math.pi / 20))
_CROSS_WIDTH = 1 / 3  # a cross arm's half width, of its half length


@dataclass(frozen=True)
class Draws:
    """What each image shows: ``kind`` (the label, an index into ``CLASS_NAMES``), ``hue``
    in [0, 1), ``radius`` and the centre's offset ``dx``, ``dy`` as fractions of the side."""

    kind: np.ndarray  # (N,) int64
    hue: np.ndarray  # (N,) float64, the rest too
    radius: np.ndarray
    dx: np.ndarray
    dy: np.ndarray


def draw(n: int, seed: int) -> Draws:
    """The factors of ``n`` images from ``seed``: the kinds as balanced as ``n`` allows (each
    appears n // 4 or n // 4 + 1 times), in random order."""
    import numpy as np

    rng = np.random.default_rng(np.random.SeedSequence([0x5A9E5, seed]))
    kind = rng.permutation(np.arange(n) % len(CLASS_NAMES)).astype(np.int64)
    return Draws(kind=kind, hue=rng.random(n), radius=rng.uniform(*RADIUS, n),
                 dx=rng.uniform(-SHIFT, SHIFT, n), dy=rng.uniform(-SHIFT, SHIFT, n))


def generate(n: int, seed: int, image_size: int = IMAGE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images from ``seed``: (N, 3, S, S) float32 in [0, 1] and their (N,) int64
    labels."""
    import numpy as np

    d = draw(n, seed)
    return render_in_steps(d, np.arange(n), image_size), d.kind


def render_in_steps(d: Draws, indices: np.ndarray, image_size: int) -> np.ndarray:
    """The images ``indices`` of ``d``, (N, 3, S, S) float32, rendered ``PIXELS_AT_ONCE``
    pixels at a time."""
    import numpy as np

    images = np.empty((len(indices), 3, image_size, image_size), np.float32)
    step = max(1, PIXELS_AT_ONCE // image_size**2)
    for start in range(0, len(indices), step):
        part = indices[start:start + step]
        images[start:start + len(part)] = render(
            Draws(d.kind[part], d.hue[part], d.radius[part], d.dx[part], d.dy[part]),
            image_size)
    return images


def render(d: Draws, image_size: int) -> np.ndarray:
    """The images of ``d``: (N, 3, S, S) float32, each pixel the ground mixed with the shape's
    colour by the fraction of the pixel the shape covers."""
    import numpy as np

    side, f4 = float(image_size), np.float32  # float32: half the time of float64, and enough
    centre = np.arange(image_size, dtype=f4) + 0.5
    # pixel centres relative to each shape's centre, in pixels, y pointing up
    x = centre[None, None, :] - (side * (0.5 + d.dx)).astype(f4)[:, None, None]
    y = (side * (0.5 + d.dy)).astype(f4)[:, None, None] - centre[None, :, None]
    size = (side * d.radius).astype(f4)[:, None, None]
    cover = np.empty((len(d.kind), image_size, image_size), f4)
    for k, distance in enumerate((_circle, _square, _triangle, _cross)):
        mine = d.kind == k
        if mine.any():
            signed = distance(x[mine], y[mine], size[mine] * f4(_SCALE[k]))
            cover[mine] = np.clip(0.5 - signed, 0.0, 1.0)
    colour = hsv_to_rgb(d.hue, SATURATION, VALUE).astype(f4)  # (N, 3)
    return BACKGROUND + cover[:, None] * (colour[:, :, None, None] - f4(BACKGROUND))


def hsv_to_rgb(hue: np.ndarray, saturation: float, value: float) -> np.ndarray:
    """(N,) hues in [0, 1) -> (N, 3) RGB in [0, 1] (the usual hexcone)."""
    import numpy as np

    k = (np.array([5.0, 3.0, 1.0])[None, :] + 6.0 * np.asarray(hue)[:, None]) % 6.0
    return value - value * saturation * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)


@dataclass(frozen=True)
class Source:
    """Renders any of a split's images by index, batch by batch (a ``Source`` of
    ``aeexplorer.core.datasets.stream``): for sizes whose float tensor would not fit in memory."""

    draws: Draws
    size: int
    channels: int
    parallel: bool = False  # rendering is numpy in-process; no worker processes

    def read(self, indices) -> tuple:
        import numpy as np
        import torch


        index = np.asarray(list(indices), dtype=np.int64)
        images = torch.from_numpy(render_in_steps(self.draws, index, self.size))
        return fit_images(images, None, self.channels), torch.ones(len(index), dtype=torch.bool)


def load(train: bool, image_size: int | None = None, channels: int | None = None,
         stream: bool = False) -> Split:
    """One split as ``aeexplorer.core.datasets.loading.load_split`` gives it: ``image_size`` pixels
    (rendered at that size, not resized) and ``channels`` 3 (colour, the default) or 1 (the
    luma of the same images). A split over the memory budget is rendered batch by batch when
    the caller can take it streamed (``stream``), else refused in one line."""
    import torch


    d = draw(SIZES[train], SEEDS[train])
    shape = (SIZES[train], channels or 3, image_size or IMAGE_SIZE, image_size or IMAGE_SIZE)
    source, labels = Source(d, shape[2], shape[1]), torch.from_numpy(d.kind)
    if streaming.too_big(*shape[:3]):
        if not stream:
            raise DataNotFound(f"the shapes images at {shape[2]} pixels would take "
                               f"{streaming.gigabytes(shape)} in memory, over the "
                               f"{streaming.BUDGET_ENV} budget")
        return Split(streaming.Streamed(source, shape), labels, CLASS_NAMES)
    images, _ = source.read(range(shape[0]))
    return Split(images=images, labels=labels, class_names=CLASS_NAMES)


# Signed distances in pixels (negative inside) of shapes centred at the origin, after Inigo
# Quilez's 2-D distance functions; x, y are (N, S, S) and size (N, 1, 1).
def _circle(x, y, size):
    import numpy as np

    return np.hypot(x, y) - size


def _box(x, y, half_x, half_y):
    import numpy as np

    qx, qy = np.abs(x) - half_x, np.abs(y) - half_y
    return np.hypot(np.maximum(qx, 0), np.maximum(qy, 0)) + np.minimum(np.maximum(qx, qy), 0)


def _square(x, y, size):
    return _box(x, y, size, size)


def _cross(x, y, size):
    import numpy as np

    width = size * _CROSS_WIDTH
    return np.minimum(_box(x, y, size, width), _box(x, y, width, size))


def _triangle(x, y, size):
    """An equilateral triangle pointing up, of half side ``size``, centred on its centroid."""
    import numpy as np

    k = math.sqrt(3.0)
    px, py = np.abs(x) - size, y + size / k
    fold = px + k * py > 0  # the side's region beyond the apex: reflect into the base's
    px, py = np.where(fold, (px - k * py) / 2, px), np.where(fold, (-k * px - py) / 2, py)
    px = px - np.clip(px, -2 * size, 0)
    return -np.hypot(px, py) * np.sign(py)
