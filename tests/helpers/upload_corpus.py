"""A corpus of odd and hostile upload files, generated with Pillow and numpy at test time
(nothing binary is committed). Each case names the file, its bytes, and the expected outcome:
``None`` when a digit must be found, else a substring of the one clear message expected.

``write_corpus(folder)`` writes every case to a folder (e.g. to try them by hand in the app).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from aeexplorer.core.images.upload import MAX_UPLOAD_BYTES
from tests.helpers.images import draw_digit, to_bytes


@dataclass(frozen=True)
class Case:
    name: str  # the file name, with an extension the uploader accepts
    make: Callable[[], bytes]
    error: str | None  # None: a digit is found; else a substring of the message
    mime: str = "image/png"

    def data(self) -> bytes:
        return self.make()


def _seven(**kw) -> Image.Image:
    return draw_digit("7", ink=0, paper=255, **kw)


def _truncated_png() -> bytes:
    data = to_bytes(draw_digit("8"))
    return data[: len(data) // 2]


def _png_16_bit() -> bytes:
    a16 = np.asarray(draw_digit("7"), dtype=np.uint16) * 257
    return to_bytes(Image.fromarray(a16))


def _cmyk_jpeg() -> bytes:
    return to_bytes(_seven().convert("RGB").convert("CMYK"), "JPEG", quality=95)


def _palette_gif() -> bytes:
    return to_bytes(_seven().convert("P"), "GIF")


def _animated_gif() -> bytes:
    first, second = _seven().convert("P"), draw_digit("8", ink=0, paper=255).convert("P")
    return to_bytes(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)


def _rgba_transparent() -> bytes:
    rgba = Image.new("RGBA", (200, 200), (0, 0, 0, 0))  # black but transparent...
    rgba.putalpha(draw_digit("7"))  # ...except the digit: on white it is dark ink
    return to_bytes(rgba)


def _exif_rotated_jpeg() -> bytes:
    stored = _seven(size=(200, 300)).convert("RGB").transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise: upright again
    return to_bytes(stored, "JPEG", exif=exif.tobytes(), quality=95)


def _bomb_png(side: int = 50_000, colour_type: int = 0) -> bytes:
    """A 100-byte PNG whose header declares side x side pixels (colour type 6: RGBA)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, colour_type, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 100)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _over_the_cap() -> bytes:
    """A real PNG padded past the upload cap (a PNG reader ignores data after IEND)."""
    return to_bytes(draw_digit("7")) + b"\x00" * MAX_UPLOAD_BYTES


CASES: tuple[Case, ...] = (
    Case("plain.png", lambda: to_bytes(draw_digit("7")), None),
    Case("truncated.png", _truncated_png, "damaged or truncated"),
    Case("text-renamed.png", lambda: b"this is a shopping list, not a picture\n" * 20,
         "not an image file"),
    Case("empty.png", lambda: b"", "empty"),
    Case("16-bit.png", _png_16_bit, None),
    Case("cmyk.jpg", _cmyk_jpeg, None, "image/jpeg"),
    Case("palette.gif", _palette_gif, None, "image/gif"),
    Case("animated.gif", _animated_gif, None, "image/gif"),
    Case("rgba-transparent.png", _rgba_transparent, None),
    Case("exif-rotated.jpg", _exif_rotated_jpeg, None, "image/jpeg"),
    Case("blank.png", lambda: to_bytes(Image.new("L", (300, 200), 0)), "no ink found"),
    Case("all-white.jpg", lambda: to_bytes(Image.new("RGB", (640, 480), (255, 255, 255)),
                                           "JPEG"), "no ink found", "image/jpeg"),
    Case("bomb-50000x50000.png", _bomb_png, "too"),
    # 40 MP, under the cap, but 151 MiB once decoded: refused by the memory budget
    Case("rgba-6300x6300.png", lambda: _bomb_png(6300, colour_type=6), "too large to prepare"),
    Case("over-the-cap.png", _over_the_cap, "10 MB"),
)
BY_NAME = {c.name: c for c in CASES}
# what the first frame of animated.gif and the upright exif-rotated.jpg must look like
REFERENCE: dict[str, Callable[[], Image.Image]] = {
    "animated.gif": lambda: draw_digit("7"),
    "exif-rotated.jpg": lambda: draw_digit("7", size=(200, 300)),
}


def write_corpus(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for case in CASES:
        path = folder / case.name
        path.write_bytes(case.data())
        paths.append(path)
    return paths


if __name__ == "__main__":
    import sys

    for p in write_corpus(Path(sys.argv[1] if len(sys.argv) > 1 else "upload-corpus")):
        print(p, p.stat().st_size)
