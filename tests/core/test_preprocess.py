"""Preprocessing: any image of a digit -> a 28x28 MNIST-style input. Digits are drawn with
Pillow (lines and ellipses, no fonts); photos are simulated with paper, shading and noise."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from aeexplorer.core.errors import ImageError
from aeexplorer.core.images.preprocess import as_grey, preprocess_array, preprocess_bytes
from aeexplorer.core.images.upload import MAX_UPLOAD_BYTES, decode_image, read_image_bytes
from tests.helpers.images import (
    best_shifted_correlation,
    correlation,
    draw_digit,
    mnist_test_images,
    stroke_width,
    to_bytes,
)

MNIST_CENTRE = 14.0  # MNIST's mean centre of mass, (row, col) = (14, 14) on the test set
MNIST_STROKE = (2.0, 4.5)  # 2 * area / perimeter of MNIST digits: 2.06 to 4.08 (5th-95th pct)


def reference(digit: str) -> np.ndarray:
    """The clean rendering: white on black, centred, medium pen."""
    return preprocess_array(np.asarray(draw_digit(digit))).image


def check_output(image: np.ndarray) -> None:
    assert image.shape == (28, 28)
    assert image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() == pytest.approx(1.0)


def check_centred(image: np.ndarray) -> None:
    cy, cx = ndimage.center_of_mass(image)
    assert abs(cy - MNIST_CENTRE) <= 1.0 and abs(cx - MNIST_CENTRE) <= 1.0, (cy, cx)
    rows, cols = np.nonzero(image > 0.1)
    longer = max(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1)
    assert 19 <= longer <= 21, longer  # MNIST's 20x20 box


@pytest.mark.parametrize("digit", ["7", "8", "0", "1"])
def test_centres_a_drawn_digit_shifted_to_a_corner(digit):
    shifted = draw_digit(digit, size=(500, 500), box=(0.02, 0.03, 0.18, 0.27))
    out = preprocess_bytes(to_bytes(shifted))
    check_output(out.image)
    check_centred(out.image)
    assert best_shifted_correlation(out.image, reference(digit)) > 0.9
    top, left, bottom, right = out.box  # the digit was found in the corner
    assert top < 30 and left < 30 and bottom < 160 and right < 110


def test_centres_a_real_mnist_digit_shifted_to_a_corner(data_root):
    digit = mnist_test_images(data_root, 1)[0]  # a 7
    big = np.asarray(Image.fromarray(digit, mode="F").resize((112, 112), Image.Resampling.BILINEAR))
    canvas = np.zeros((300, 400), dtype=np.float32)
    canvas[-112:, -112:] = big  # bottom right corner
    out = preprocess_array(canvas)
    check_output(out.image)
    check_centred(out.image)
    assert best_shifted_correlation(out.image, digit) > 0.9


def test_mnist_digits_pass_through_almost_unchanged(data_root):
    digits = mnist_test_images(data_root, 60)
    scores = [correlation(preprocess_array(d).image, d) for d in digits]
    assert np.median(scores) > 0.98
    assert np.mean(scores) > 0.9


@pytest.mark.parametrize("digit", ["7", "8"])
def test_black_on_white_gives_the_same_input_as_white_on_black(digit):
    white_on_black = preprocess_bytes(to_bytes(draw_digit(digit)))
    black_on_white = preprocess_bytes(to_bytes(draw_digit(digit, ink=0, paper=255)))
    assert not white_on_black.inverted and black_on_white.inverted
    assert np.abs(white_on_black.image - black_on_white.image).max() < 0.05


def photo(digit: str, seed: int = 0, border: int = 0) -> np.ndarray:
    """A 600x800 'photo': the digit in dark ink on light grey paper under uneven light, with
    sensor noise, and optionally a dark table showing around the sheet."""
    rng = np.random.default_rng(seed)
    h, w = 800, 600
    clean = np.asarray(draw_digit(digit, size=(w, h), width=30), dtype=np.float32) / 255
    yy, xx = np.mgrid[0:h, 0:w]
    light = 0.55 + 0.2 * xx / w + 0.15 * yy / h  # brighter towards the bottom right
    img = light * (1 - 0.75 * clean) + rng.normal(0, 0.03, (h, w))
    if border:
        img[:border], img[-border:], img[:, :border], img[:, -border:] = 0.15, 0.15, 0.15, 0.15
    return np.clip(img, 0, 1)


@pytest.mark.parametrize("digit", ["7", "8", "0"])
@pytest.mark.parametrize("border", [0, 40])
def test_photo_of_a_digit_on_shaded_paper_lands_near_the_clean_version(digit, border):
    img = photo(digit, border=border)
    out = preprocess_bytes(to_bytes(Image.fromarray((img * 255).astype(np.uint8))))
    assert out.inverted
    assert out.grey.shape == (400, 300)  # analysed at WORK_SIDE
    check_output(out.image)
    check_centred(out.image)
    clean = preprocess_array(np.asarray(draw_digit(digit, size=(600, 800), width=30))).image
    assert best_shifted_correlation(out.image, clean) > 0.8


@pytest.mark.parametrize("digit", ["7", "0", "8"])
def test_thin_and_thick_pens_give_mnist_like_strokes(digit):
    widths = {}
    for pen in (3, 40):
        out = preprocess_bytes(to_bytes(draw_digit(digit, size=(400, 400), width=pen)))
        check_output(out.image)
        widths[pen] = stroke_width(out.image)
        assert MNIST_STROKE[0] <= widths[pen] <= MNIST_STROKE[1], (pen, widths[pen])
    assert widths[40] / widths[3] < 1.7  # the pens differ 13-fold


@pytest.mark.parametrize("digit", ["1", "7"])
def test_fine_pen_on_a_large_image_is_not_mistaken_for_blank(digit):
    """A 5-pixel line on a 1000-pixel canvas is 2 pixels at the working size: well under 0.5 %
    of the image is ink."""
    out = preprocess_bytes(to_bytes(draw_digit(digit, size=(1000, 1000), width=5)))
    check_output(out.image)
    check_centred(out.image)
    assert MNIST_STROKE[0] <= stroke_width(out.image) <= MNIST_STROKE[1]


def test_rgba_with_transparent_background():
    seven = draw_digit("7")
    rgba = Image.new("RGBA", seven.size, (0, 0, 0, 0))  # black, but fully transparent...
    rgba.putalpha(seven)  # ...except where the digit is
    out = preprocess_bytes(to_bytes(rgba))
    assert out.inverted  # transparency is composited on white
    assert np.abs(out.image - reference("7")).max() < 0.05


def test_palette_png_with_a_transparent_index():
    pal = draw_digit("7", ink=1, paper=0).convert("P")
    pal.putpalette([128, 0, 0, 20, 20, 20] + [0] * 762)  # index 0 is transparent (red below)
    out = preprocess_bytes(to_bytes(pal, "PNG", transparency=0))
    assert np.abs(out.image - reference("7")).max() < 0.05


def test_animated_gif_uses_the_first_frame():
    first = draw_digit("7", ink=0, paper=255).convert("P")
    second = draw_digit("8", ink=0, paper=255).convert("P")
    data = to_bytes(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 2
    out = preprocess_bytes(data)
    assert correlation(out.image, reference("7")) > 0.99
    assert correlation(out.image, reference("8")) < 0.5


@pytest.mark.parametrize("invert", [False, True])
def test_16_bit_png(invert):
    a16 = np.asarray(draw_digit("7"), dtype=np.uint16) * 257
    if invert:
        a16 = (65535 - a16).astype(np.uint16)
    data = to_bytes(Image.fromarray(a16))
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    out = preprocess_bytes(data)
    assert out.inverted == invert
    assert np.abs(out.image - reference("7")).max() < 0.05


def test_cmyk_jpeg():
    cmyk = draw_digit("7", ink=0, paper=255).convert("RGB").convert("CMYK")
    data = to_bytes(cmyk, "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    out = preprocess_bytes(data)
    assert out.inverted
    assert np.abs(out.image - reference("7")).max() < 0.1


@pytest.mark.parametrize("orientation,stored_as", [
    (6, Image.Transpose.ROTATE_90),  # the camera was turned: shown rotated 90 degrees clockwise
    (3, Image.Transpose.ROTATE_180),
    (8, Image.Transpose.ROTATE_270),
])
def test_exif_rotated_jpeg_is_turned_upright(orientation, stored_as):
    upright = draw_digit("7", size=(200, 300), ink=0, paper=255).convert("RGB")
    stored = upright.transpose(stored_as)
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = preprocess_bytes(to_bytes(stored, "JPEG", exif=exif.tobytes(), quality=95))
    want = preprocess_array(np.asarray(upright)).image
    assert out.grey.shape == (300, 200)
    assert correlation(out.image, want) > 0.98
    # without the tag the same pixels give another picture: the test can tell
    plain = preprocess_bytes(to_bytes(stored, "JPEG", quality=95)).image
    assert correlation(plain, want) < 0.6


@pytest.mark.parametrize("fmt", ["BMP", "WEBP", "TIFF"])
def test_other_formats(fmt):
    out = preprocess_bytes(to_bytes(draw_digit("7", ink=0, paper=255).convert("RGB"), fmt))
    assert correlation(out.image, reference("7")) > 0.98


@pytest.mark.parametrize("make", [
    lambda: Image.new("L", (300, 200), 255),  # white paper
    lambda: Image.new("L", (300, 200), 0),  # black
    lambda: Image.new("L", (28, 28), 128),  # uniform grey
    lambda: Image.new("RGB", (640, 480), (250, 250, 245)),  # off-white photo
    lambda: Image.new("RGBA", (100, 100), (0, 0, 0, 0)),  # fully transparent
])
def test_blank_images_raise_no_ink_found(make):
    with pytest.raises(ImageError, match="no ink found"):
        preprocess_bytes(to_bytes(make()))


def test_faint_smudge_is_blank():
    img = np.full((200, 200), 0.9, dtype=np.float32)
    img[90:110, 90:110] = 0.87  # 3 % darker: not ink
    with pytest.raises(ImageError, match="no ink found"):
        preprocess_array(img)


def _truncated_png() -> bytes:
    data = to_bytes(draw_digit("8"))
    return data[: len(data) // 2]


def _truncated_jpeg() -> bytes:
    data = to_bytes(draw_digit("8", size=(400, 400)).convert("RGB"), "JPEG", quality=95)
    return data[: len(data) // 3]


def _huge_png() -> bytes:
    """A valid PNG header that declares 30000 x 30000 pixels (a decompression bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 100)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("name,make,message", [
    ("empty", lambda: b"", "empty"),
    ("text", lambda: b"hello, this is not an image\n" * 10, "not an image"),
    ("truncated png", _truncated_png, "damaged or truncated"),
    ("truncated jpeg", _truncated_jpeg, "damaged or truncated"),
    ("png signature only", lambda: b"\x89PNG\r\n\x1a\n", "image"),
    ("decompression bomb", _huge_png, "too"),
    ("too many bytes", lambda: b"\x00" * (MAX_UPLOAD_BYTES + 1), "limit"),
])
def test_unreadable_bytes_raise_image_error(name, make, message):
    with pytest.raises(ImageError, match=message) as info:
        preprocess_bytes(make())
    assert "\n" not in str(info.value)


def test_read_image_bytes(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        read_image_bytes(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="no such file"):
        read_image_bytes(tmp_path)
    big = tmp_path / "big.png"
    with open(big, "wb") as fh:
        fh.truncate(MAX_UPLOAD_BYTES + 1)  # sparse: no real disk use
    with pytest.raises(ImageError, match="limit"):
        read_image_bytes(big)
    ok = tmp_path / "ok.png"
    ok.write_bytes(to_bytes(draw_digit("7")))
    assert read_image_bytes(ok) == ok.read_bytes()


def test_decode_image_shrinks_large_images_to_the_working_size():
    grey = decode_image(to_bytes(draw_digit("7", size=(1200, 900))))
    assert grey.shape == (300, 400)
    assert grey.dtype == np.float32 and 0 <= grey.min() and grey.max() <= 1


def test_arrays_of_any_layout_and_dtype_agree():
    u8 = np.asarray(draw_digit("7"))
    want = preprocess_array(u8).image
    layouts = {
        "float": u8.astype(np.float32) / 255,
        "float64 0..255": u8.astype(np.float64),
        "bool": u8 > 127,
        "rgb": np.repeat(u8[..., None], 3, axis=2),
        "rgba": np.dstack([u8, u8, u8, np.full_like(u8, 255)]),
        "channels first": np.repeat(u8[None], 3, axis=0),
        "single channel": u8[..., None],
        "batch of one": u8[None, None],
        "uint16": u8.astype(np.uint16) * 257,
        "int16 signed": u8.astype(np.int16) - 128,
    }
    for name, arr in layouts.items():
        got = preprocess_array(arr).image
        assert correlation(got, want) > 0.97, name


@pytest.mark.parametrize("arr", [
    np.zeros(10),
    np.zeros((5, 5, 5, 5)),
    np.array([["a", "b"], ["c", "d"]]),
    np.full((30, 30), np.nan),
    np.zeros((0, 10)),
])
def test_arrays_that_are_not_images_raise_image_error(arr):
    with pytest.raises(ImageError):
        preprocess_array(arr)


def test_as_grey_composites_alpha_on_white():
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)  # black, fully transparent
    rgba[2:4, 2:4] = (0, 0, 0, 255)  # an opaque black square
    grey = as_grey(rgba)
    assert grey.shape == (10, 10)
    assert grey[0, 0] == pytest.approx(1.0) and grey[2, 2] == pytest.approx(0.0)


def test_damaged_files_raise_image_error_only_and_warn_nothing():
    """Random byte damage to files of every format: a 28x28 input or an ImageError, and no
    library warning (the CLI's stderr is one 'error:' line; a damaged TIFF used to print
    Pillow's 'Corrupt EXIF data' warning above it)."""
    import warnings

    originals = [
        to_bytes(draw_digit("7", size=(40, 40)), "TIFF"),
        to_bytes(draw_digit("7", size=(60, 60), width=5)),
        to_bytes(draw_digit("8", size=(64, 48)).convert("RGB"), "JPEG"),
        to_bytes(draw_digit("0", size=(50, 50)).convert("P"), "GIF"),
        to_bytes(draw_digit("1", size=(40, 40)).convert("RGB"), "BMP"),
    ]
    rng = np.random.default_rng(1)
    failures = 0
    for i in range(250):
        data = bytearray(originals[i % len(originals)])
        for _ in range(int(rng.integers(1, 4))):
            data[int(rng.integers(0, min(200, len(data))))] = int(rng.integers(0, 256))
        if i % 3 == 0:
            data = data[: int(rng.integers(1, len(data)))]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                check_output(preprocess_bytes(bytes(data)).image)
            except ImageError:
                failures += 1
        assert not caught, (i, [str(w.message) for w in caught])
    assert failures > 50  # the damage was real
