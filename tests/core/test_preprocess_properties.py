"""Property tests for preprocessing: any array (shape, dtype, values, size) and any Pillow
image mode gives a (28, 28) float32 image in [0, 1], or an ImageError; never another kind of
exception."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from aeexplorer.core.errors import ImageError
from aeexplorer.core.images.preprocess import as_grey, preprocess_array, preprocess_bytes

DTYPES = [np.bool_, np.uint8, np.uint16, np.int32, np.int64, np.float16, np.float32,
          np.float64]
MODES = ["1", "L", "P", "RGB", "RGBA", "CMYK", "YCbCr", "LA", "PA", "I", "F", "I;16", "HSV",
         "RGBX", "La", "RGBa"]
FORMATS = ["PNG", "TIFF", "BMP", "GIF", "WEBP", "JPEG"]
SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check_result(run) -> None:
    """``run()`` gives a valid 28x28 input or raises ImageError with a one-line message."""
    try:
        out = run()
    except ImageError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    image = out.image
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert np.isfinite(image).all()
    assert image.min() >= 0.0 and image.max() <= 1.0
    assert out.grey.ndim == 2 and np.isfinite(out.grey).all()
    assert 0.0 <= out.grey.min() and out.grey.max() <= 1.0


def _elements(dtype) -> st.SearchStrategy:
    if np.issubdtype(dtype, np.floating):
        width = np.finfo(dtype).bits
        return st.floats(allow_nan=True, allow_infinity=True, width=min(width, 64))
    return hnp.from_dtype(np.dtype(dtype))


@st.composite
def arrays(draw) -> np.ndarray:
    """Small arrays of every layout (0 to 4 dims) with arbitrary values, or larger images
    with a few arbitrary pixels over a constant ground."""
    dtype = draw(st.sampled_from(DTYPES))
    if draw(st.booleans()):
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=12))
        if draw(st.booleans()):  # a colour layout, possibly empty: (0, 2, 3) once crashed
            shape = shape[:2] + (draw(st.sampled_from([3, 4])),)
    else:
        side = st.integers(1, 700)
        shape = draw(st.sampled_from([
            (draw(side), draw(side)), (draw(side), draw(side), draw(st.sampled_from([1, 3, 4]))),
            (draw(st.sampled_from([1, 3, 4])), draw(side), draw(side)),
        ]))
    return draw(hnp.arrays(dtype, shape, elements=_elements(dtype), fill=_elements(dtype)))


@SETTINGS
@given(arrays())
def test_any_array_gives_a_28x28_input_or_an_image_error(arr):
    check_result(lambda: preprocess_array(arr))


@SETTINGS
@given(arrays())
def test_as_grey_gives_unit_greyscale_or_an_image_error(arr):
    try:
        grey = as_grey(arr)
    except ImageError:
        return
    assert grey.ndim == 2 and grey.dtype == np.float32 and min(grey.shape) >= 1
    assert np.isfinite(grey).all() and 0.0 <= grey.min() and grey.max() <= 1.0


@st.composite
def image_files(draw) -> bytes:
    """A random picture (noise, or a bar on a ground) in any mode, saved in any format."""
    h, w = draw(st.integers(1, 300)), draw(st.integers(1, 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    else:
        pixels = np.full((h, w, 3), draw(st.integers(0, 255)), dtype=np.uint8)
        pixels[h // 4 : max(h // 4 + 1, h // 2), w // 3 : max(w // 3 + 1, w // 2)] = \
            draw(st.integers(0, 255))
    im = Image.fromarray(pixels).convert(draw(st.sampled_from(MODES)))
    buf = io.BytesIO()
    try:
        im.save(buf, format=draw(st.sampled_from(FORMATS)))
    except (OSError, ValueError, KeyError):
        assume(False)  # this format cannot hold this mode
    return buf.getvalue()


@SETTINGS
@given(image_files())
def test_any_mode_and_format_gives_a_28x28_input_or_an_image_error(data):
    check_result(lambda: preprocess_bytes(data))


@SETTINGS
@given(st.binary(max_size=2000), st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"GIF89a",
                                                   b"\xff\xd8\xff", b"BM", b"II*\x00"]))
def test_arbitrary_bytes_give_an_image_error_or_an_input(tail, head):
    check_result(lambda: preprocess_bytes(head + tail))


@pytest.mark.parametrize("shape", [(0, 2, 3), (0, 0, 3), (3, 0, 4), (0, 5), (1, 0, 1), (0,)])
@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.float32])
def test_empty_arrays_are_an_image_error(shape, dtype):
    """Found by hypothesis: an empty colour array raised ValueError / ZeroDivisionError."""
    with pytest.raises(ImageError, match="empty|shape"):
        preprocess_array(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("arr", [
    np.array([[0.0, 1e308], [-1e308, 0.5]] * 20),  # the range overflows float64
    np.array([[np.finfo(np.float16).max, 0], [0, np.finfo(np.float16).min]] * 20,
             dtype=np.float16),
    np.array([[np.iinfo(np.int64).min, 0], [0, np.iinfo(np.int64).max]] * 20),
])
def test_extreme_values(arr):
    grey = as_grey(arr)
    assert np.isfinite(grey).all() and grey.min() == 0.0 and grey.max() == 1.0
    check_result(lambda: preprocess_array(arr))


def test_a_digit_of_huge_values_is_found():
    """Values near the float64 limit: the range overflows unless scaled first."""
    arr = np.zeros((40, 40))
    arr[8:32, 17:23] = 1e308
    arr[0, 0] = -1e308
    check_result(lambda: preprocess_array(arr))
    assert preprocess_array(arr).image.max() == pytest.approx(1.0)
