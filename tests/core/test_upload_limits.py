"""Uploads are prepared within a memory budget: an image too large to decode within it is
refused, before it is decoded, with one line a person can act on; a large JPEG is decoded at a
reduced scale and accepted; AEEXPLORER_MAX_IMAGE_MB sets the budget (a bad value gives the
default); and preparing the largest images that are accepted stays within a bound.

Memory is measured in a fresh process as resident memory (its peak, reset just before): the
pixels Pillow decodes are not Python allocations, so ``tracemalloc`` does not see them."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from aeexplorer import cli
from aeexplorer.core.errors import ImageError
from aeexplorer.core.images.preprocess import preprocess_array, preprocess_bytes
from aeexplorer.core.images.upload import MAX_DECODE_BYTES
from tests.helpers import REPO
from tests.helpers.checkpoints import make_checkpoint
from tests.helpers.images import correlation, draw_digit, to_bytes

MIB = 2**20
PNG_MODES = {"L": (0, 8, b"\xff", b"\x00"), "I;16": (0, 16, b"\xff\xff", b"\x00\x00"),
             "RGB": (2, 8, b"\xff" * 3, b"\x00" * 3),
             "RGBA": (6, 8, b"\x00" * 4, b"\x00\x00\x00\xff")}  # colour type, depth, paper, ink


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header(w: int, h: int, mode: str = "RGBA") -> bytes:
    """A 100-byte PNG that declares w x h pixels; its pixel data is cut short, so decoding it
    would fail as 'damaged or truncated'."""
    colour_type, depth = PNG_MODES[mode][:2]
    ihdr = struct.pack(">IIBBBBB", w, h, depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + _chunk(b"IEND", b""))


def png_file(path: Path, w: int, h: int, mode: str = "RGBA") -> Path:
    """A real w x h PNG of a '1' (a bar) on paper (transparent, for RGBA), written row by row:
    40 megapixels in a fraction of a second, a small file, and no full-size image in memory."""
    colour_type, depth, paper, ink = PNG_MODES[mode]
    left, right = w * 9 // 20, w * 11 // 20
    blank = b"\x00" + paper * w  # each row starts with its filter type, 0
    bar = b"\x00" + paper * left + ink * (right - left) + paper * (w - right)
    packer, data = zlib.compressobj(6), bytearray()
    for y in range(h):
        data += packer.compress(bar if h // 5 <= y < 4 * h // 5 else blank)
    data += packer.flush()
    ihdr = struct.pack(">IIBBBBB", w, h, depth, colour_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", bytes(data))
                     + _chunk(b"IEND", b""))
    return path


PEAK = """
import json, sys
from pathlib import Path
from aeexplorer.core.errors import ImageError
from aeexplorer.core.images.preprocess import preprocess_bytes

def rss(key):
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(key))
    return int(line.split()[1]) * 1024

data, warm = Path(sys.argv[1]).read_bytes(), Path(sys.argv[2]).read_bytes()
preprocess_bytes(warm)  # imports what preparing imports
Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from here
before = rss("VmRSS")
try:
    preprocess_bytes(data)
    outcome = "prepared"
except ImageError as exc:
    outcome = str(exc)
print(json.dumps({"outcome": outcome, "peak": rss("VmHWM") - before}))
"""


def prepare_in_a_fresh_process(path: Path, tmp_path: Path, budget_mb: str | None = None):
    """(outcome, peak memory above the resident memory just before, in MiB)."""
    if not os.access("/proc/self/clear_refs", os.W_OK):
        pytest.skip("measuring peak memory needs Linux's /proc/self/clear_refs")
    warm = tmp_path / "warm.png"
    warm.write_bytes(to_bytes(draw_digit("7")))
    env = {k: v for k, v in os.environ.items() if k != "AEEXPLORER_MAX_IMAGE_MB"}
    env |= {"AEEXPLORER_MAX_IMAGE_MB": budget_mb} if budget_mb else {}
    done = subprocess.run([sys.executable, "-c", PEAK, str(path), str(warm)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(done.stdout)
    return result["outcome"], result["peak"] / MIB


def refusal(data: bytes) -> str:
    with pytest.raises(ImageError) as info:
        preprocess_bytes(data)
    message = str(info.value)
    assert "\n" not in message and len(message) < 200
    return message


@pytest.fixture(autouse=True)
def default_budget(monkeypatch):
    monkeypatch.delenv("AEEXPLORER_MAX_IMAGE_MB", raising=False)


def test_a_small_png_declaring_a_huge_colour_image_is_refused_before_decoding():
    data = png_header(6300, 6300, "RGBA")
    tracemalloc.start()
    try:
        message = refusal(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message == ("the image is 6300×6300 pixels: too large to prepare (at most 16.7 "
                       "megapixels for a colour image); make it smaller")
    assert peak < MIB  # 6300 x 6300 x 4 bytes would be 151 MiB


@pytest.mark.parametrize("w,h,mode,most", [
    (6000, 4000, "RGB", "16.7 megapixels for a colour image"),
    (5793, 5793, "I;16", "33.5 megapixels for a 16-bit image"),
    (6400, 6400, "L", "at most 40 megapixels"),  # grey: the 40 MP cap comes first
])
def test_the_limit_depends_on_the_bytes_a_pixel_takes(w, h, mode, most):
    assert most in refusal(png_header(w, h, mode))
    assert "damaged or truncated" in refusal(png_header(4096, 4096, mode))  # passed the check


def test_refusing_a_real_6300_pixel_rgba_png_costs_almost_no_memory(tmp_path):
    path = png_file(tmp_path / "big.png", 6300, 6300, "RGBA")
    assert path.stat().st_size < 300_000  # a small file that decodes to 151 MiB
    outcome, peak = prepare_in_a_fresh_process(path, tmp_path)
    assert "too large to prepare" in outcome
    assert peak < 8, peak  # the code before this budget took 1 GB here


@pytest.mark.parametrize("w,h,mode", [(4096, 4096, "RGBA"), (6324, 6324, "L"),
                                      (5792, 5792, "I;16")])
def test_preparing_the_largest_accepted_image_stays_near_the_budget(tmp_path, w, h, mode):
    """The decoded image is the budget; the rest, converted a strip at a time, stays small."""
    outcome, peak = prepare_in_a_fresh_process(png_file(tmp_path / "big.png", w, h, mode),
                                               tmp_path)
    assert outcome == "prepared"
    assert peak < MAX_DECODE_BYTES / MIB + 32, peak  # before: 448, 519 and 576 MiB


@pytest.mark.slow
def test_a_large_jpeg_is_prepared_from_a_reduced_decode(tmp_path):
    """A 12 MP phone photo is decoded at 1/8 scale: even a 1 MB budget takes it, while the
    same size as a PNG is refused."""
    digit = draw_digit("7", size=(4000, 3000), width=120, ink=0, paper=255)
    path = tmp_path / "photo.jpg"
    path.write_bytes(to_bytes(digit.convert("RGB"), "JPEG", quality=90))
    outcome, peak = prepare_in_a_fresh_process(path, tmp_path, budget_mb="1")
    assert outcome == "prepared" and peak < 16, peak
    outcome, _ = prepare_in_a_fresh_process(png_file(tmp_path / "same.png", 4000, 3000, "L"),
                                            tmp_path, budget_mb="1")
    assert "too large to prepare" in outcome
    out = preprocess_bytes(path.read_bytes())
    small = draw_digit("7", size=(400, 300), width=12, ink=0, paper=255)
    assert correlation(out.image, preprocess_array(np.asarray(small)).image) > 0.95


def test_the_budget_can_be_set_in_the_environment(monkeypatch):
    picture = to_bytes(draw_digit("7", size=(2000, 2000)).convert("RGB"))  # 16 MB decoded
    assert preprocess_bytes(picture).image.shape == (28, 28)
    monkeypatch.setenv("AEEXPLORER_MAX_IMAGE_MB", "8")
    assert "at most 2 megapixels for a colour image" in refusal(picture)
    smaller = to_bytes(draw_digit("7", size=(1400, 1400)).convert("RGB"))  # 7.5 MiB decoded
    assert preprocess_bytes(smaller).image.shape == (28, 28)
    monkeypatch.setenv("AEEXPLORER_MAX_IMAGE_MB", "100")  # 5000 x 5000 x 4 bytes: 95 MiB
    assert "damaged or truncated" in refusal(png_header(5000, 5000, "RGBA"))


@pytest.mark.parametrize("value", ["", "lots", "0", "-5", "12.5", "1e3", "99999", "٣", " "])
def test_a_bad_budget_value_gives_the_default(monkeypatch, value):
    monkeypatch.setenv("AEEXPLORER_MAX_IMAGE_MB", value)
    assert "16.7 megapixels" in refusal(png_header(4097, 4097, "RGBA"))
    assert "damaged or truncated" in refusal(png_header(4096, 4096, "RGBA"))


def test_encode_refuses_with_the_same_line(tmp_path, capfd):
    """The command line reads files through the same path as the page's uploads."""
    ckpt = make_checkpoint(tmp_path / "vae.safetensors")
    big = tmp_path / "big.png"
    big.write_bytes(png_header(6300, 6300, "RGBA"))
    assert cli.main(["encode", str(ckpt), str(big)]) == 1
    out, err = capfd.readouterr()
    assert err == (f"error: {big}: the image is 6300×6300 pixels: too large to prepare (at "
                   "most 16.7 megapixels for a colour image); make it smaller\n")


def test_a_progressive_jpeg_too_large_for_its_coefficients_is_refused():
    """A progressive JPEG keeps its DCT coefficients at full size (2 bytes each) however small
    it is decoded: a 6000x4000 4:4:4 colour one is 144 MB of them."""
    import io

    from PIL import Image

    from aeexplorer.core.errors import ImageError
    from aeexplorer.core.images.upload import decode_image

    buf = io.BytesIO()
    Image.new("RGB", (6000, 4000), "white").save(buf, "JPEG", progressive=True, quality=50,
                                                 subsampling=0)
    with pytest.raises(ImageError, match="progressive JPEG"):
        decode_image(buf.getvalue())
    buf = io.BytesIO()
    Image.new("RGB", (4000, 3000), "white").save(buf, "JPEG", progressive=True, quality=50,
                                                 subsampling=2)
    assert decode_image(buf.getvalue()).shape[0] <= 400  # a 12 MP 4:2:0 photo: 36 MB, passes


def test_formats_outside_the_measured_ones_are_not_decoded():
    import io

    from PIL import Image

    from aeexplorer.core.errors import ImageError
    from aeexplorer.core.images.upload import decode_image

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buf, "PPM")
    with pytest.raises(ImageError, match="not an image file that can be read"):
        decode_image(buf.getvalue())
