"""Digits that reach the image border are prepared whole (a tight crop, a crop that cuts into
the strokes, a thick marker filling the frame), while the clutter that reaches it in a photo
(a table, a shadow, ruled and grid lines, a dark line across the page) is still removed. The
photos are made from MNIST test digits on the fly (``digit_cases``); the real ones are the
shared squared-paper photos."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tests.helpers.images import best_shifted_correlation, draw_digit, mnist_test_images
from tests.helpers.digit_cases import Look, jpeg, photo

from aeexplorer.core.images.preprocess import as_grey, preprocess_array, preprocess_bytes
from aeexplorer.core.images.upload import decode_image

DIGITS = range(100, 112)  # MNIST test images: 6 0 5 4 9 9 2 1 9 4 8 7


@pytest.fixture(scope="module")
def digits(data_root) -> np.ndarray:
    return mnist_test_images(data_root, max(DIGITS) + 1)


def prepared(image: np.ndarray) -> np.ndarray:
    return preprocess_bytes(jpeg(image)).image


def agreement(digits: np.ndarray, look: Look) -> list[float]:
    """How close each digit photographed with ``look`` comes to the same digit photographed
    with paper around it (same pen, same rotation)."""
    clean = replace(Look(), pen=look.pen, rotate=look.rotate, margin=0.5)
    return [best_shifted_correlation(prepared(photo(digits[i], look, i)),
                                     prepared(photo(digits[i], clean, i))) for i in DIGITS]


@pytest.mark.parametrize("look", [
    Look(margin=0.0), Look(margin=-0.03), Look(margin=0.0, pen=8), Look(margin=0.0, grid=40),
    Look(margin=0.0, ruled=60), Look(margin=-0.02, rotate=8)],
    ids=["tight", "cut-into", "tight-marker", "tight-grid", "tight-ruled", "cut-rotated"])
def test_digits_touching_the_border_are_prepared_whole(digits, look):
    scores = agreement(digits, look)
    assert np.mean(scores) > 0.93, np.round(scores, 2)
    assert min(scores) > 0.7, np.round(scores, 2)


@pytest.mark.parametrize("look", [
    Look(table=0.15, margin=0.4), Look(table=0.3, margin=0.6), Look(shadow=0.6),
    Look(ruled=50), Look(grid=40), Look(grid=30, shadow=0.5, table=0.12, margin=0.6)],
    ids=["table", "wide-table", "shadow", "ruled", "grid", "all-of-them"])
def test_photo_clutter_is_still_removed(digits, look):
    scores = agreement(digits, look)
    assert np.mean(scores) > 0.95, np.round(scores, 2)
    assert min(scores) > 0.85, np.round(scores, 2)


@pytest.mark.parametrize("where", ["top", "left"])
def test_a_dark_line_across_the_page_is_dropped(digits, where):
    """A ruled line drawn hard across the sheet (printed, or the edge of a second sheet),
    clear of the digit: it touches two sides of the image and is as dark as the ink."""
    image = photo(digits[107], Look(margin=0.6), 0)
    clean = prepared(image)
    lined = image.copy()
    at = 12 if where == "top" else 10
    if where == "top":
        lined[at: at + 5, :] = 30
    else:
        lined[:, at: at + 5] = 30
    assert best_shifted_correlation(prepared(lined), clean) > 0.97


@pytest.mark.parametrize("digit", ["7", "8", "0", "1"])
@pytest.mark.parametrize("pen", [14, 40])
@pytest.mark.parametrize("speck", [False, True])
def test_a_digit_filling_the_frame_is_kept_whole(digit, pen, speck):
    """A thick marker's digit that fills its image, with or without a dot of ink beside it,
    is prepared as the same digit with a margin around it."""
    image = np.asarray(draw_digit(digit, size=(200, 200), width=pen, box=(0.02, 0.0, 0.98, 1.0)),
                       dtype=np.float32)
    if speck:
        image[95:107, 95:107] = 255
    whole = preprocess_array(np.pad(image, 60)).image
    assert best_shifted_correlation(preprocess_array(image).image, whole) > 0.9


def test_a_frame_filling_digit_on_white_is_read_as_dark_ink():
    image = 255 - np.asarray(draw_digit("8", size=(200, 200), width=40, box=(0.02, 0.0, 0.98, 1.0)))
    out = preprocess_array(image)
    assert out.inverted
    whole = preprocess_array(np.pad(255 - image, 60)).image
    assert best_shifted_correlation(out.image, whole) > 0.9


def _real_photos(data_root: Path) -> list[tuple[str, np.ndarray]]:
    folder = data_root / "photos" / "squared-paper"
    files = sorted(folder.glob("*.jpg"))
    if not files:
        pytest.skip(f"no photos in {folder}")
    return [(f.name, as_grey(decode_image(f.read_bytes()))) for f in files]


@pytest.mark.parametrize("cut", [0, 3])
def test_real_photos_cropped_to_the_digit_are_prepared_whole(data_root, cut):
    """Each shared phone photo cropped to its digit's box (``cut`` pixels into the strokes)
    gives the input of the whole photo."""
    for name, grey in _real_photos(data_root):
        whole = preprocess_array(grey)
        top, left, bottom, right = whole.box
        crop = grey[top + cut: bottom - cut, left + cut: right - cut]
        score = best_shifted_correlation(preprocess_array(crop).image, whole.image)
        assert score > 0.85, (name, score)
