"""imaging: PNG bytes, tiling, nearest-neighbour upscaling, animated GIFs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from aeexplorer.app import imaging


def test_png_round_trip_and_scale():
    img = np.linspace(0, 1, 28 * 28, dtype=np.float32).reshape(28, 28)
    png = imaging.to_png(img, scale=3)
    back = np.asarray(Image.open(io.BytesIO(png)))
    assert back.shape == (84, 84) and back.dtype == np.uint8
    assert back[0, 0] == 0 and back[-1, -1] == 255
    assert (back[:3, :3] == back[0, 0]).all()  # nearest: crisp 3x3 blocks


def test_to_uint8_clips_and_handles_nan():
    out = imaging.to_uint8(np.array([[-1.0, 0.5, 2.0, np.nan]]))
    assert out.tolist() == [[0, 128, 255, 0]]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 30), cols=st.integers(1, 12), pad=st.integers(0, 3))
def test_tile_shape_and_placement(n, cols, pad):
    images = np.stack([np.full((4, 5), i / 30, np.float32) for i in range(n)])
    out = imaging.tile(images, cols=cols, pad=pad, fill=1.0)
    c = min(cols, n)
    r = -(-n // c)
    assert out.shape == (r * 4 + (r - 1) * pad, c * 5 + (c - 1) * pad)
    last_r, last_c = divmod(n - 1, c)
    assert out[last_r * (4 + pad), last_c * (5 + pad)] == pytest.approx((n - 1) / 30)


def test_grid_is_near_square():
    images = np.zeros((10, 28, 28))
    assert imaging.grid_image(images, pad=0).shape == (3 * 28, 4 * 28)
    with pytest.raises(ValueError):
        imaging.tile(np.zeros((0, 28, 28)), 3)


def test_gif_is_animated_and_loops():
    frames = np.stack([np.full((28, 28), i / 5) for i in range(5)])
    gif = Image.open(io.BytesIO(imaging.to_gif(frames, scale=2)))
    assert gif.format == "GIF" and gif.size == (56, 56)
    assert gif.n_frames == 8  # forward 5, then back 3 (no repeated ends)
    assert gif.info.get("loop") == 0


def test_outline_box_draws_red_on_rgb():
    rgb = imaging.outline_box(np.zeros((40, 40)), (10, 10, 20, 20), width=2)
    assert rgb.shape == (40, 40, 3)
    assert rgb[8, 15].tolist() == pytest.approx([0.9, 0.1, 0.1])
    assert rgb[15, 15].tolist() == [0, 0, 0]


def test_data_uri_and_ink_on_paper():
    assert imaging.data_uri(b"\x89PNG").startswith("data:image/png;base64,")
    assert imaging.ink_on_paper(np.array([[0.0, 1.0]])).tolist() == [[1.0, 0.0]]


class TestColourImages:
    """Colour models give (H, W, 3) images: every display path keeps their colours."""

    def _stack(self, n=4):
        rng = np.random.default_rng(0)
        return rng.random((n, 6, 5, 3)).astype(np.float32)

    def test_tile_keeps_colour_and_places_each_image(self):
        stack = self._stack()
        out = imaging.tile(stack, cols=2, pad=1)
        assert out.shape == (13, 11, 3)
        np.testing.assert_array_equal(out[7:13, 6:11], stack[3])
        assert (out[6, :, :] == 1.0).all()  # the padding row

    def test_gif_of_colour_frames_keeps_their_colours(self):
        frames = np.zeros((3, 4, 4, 3), np.float32)
        for i in range(3):
            frames[i, ..., i] = 1.0  # red, green, blue
        gif = Image.open(io.BytesIO(imaging.to_gif(frames, scale=1, bounce=False)))
        assert gif.n_frames == 3
        for i, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
            gif.seek(i)
            assert gif.convert("RGB").getpixel((1, 1)) == colour

    def test_ink_on_paper_leaves_colour_alone(self):
        stack = self._stack(1)[0]
        np.testing.assert_array_equal(imaging.ink_on_paper(stack), stack)
        np.testing.assert_array_equal(imaging.ink_on_paper(np.zeros((2, 2))), np.ones((2, 2)))

    def test_outline_box_on_colour(self):
        rgb = imaging.outline_box(np.zeros((10, 10, 3)), (3, 3, 7, 7), width=1)
        assert rgb.shape == (10, 10, 3) and tuple(rgb[2, 5]) == pytest.approx((0.9, 0.1, 0.1))
