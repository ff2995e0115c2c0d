"""The test images as one sprite sheet for the page: a PNG grid written once per data set to
``static/sprites/`` and fetched by the page once, so that a click on a test point shows its
original at once, before the server's answer (``live.js``). Bounded: at most
``MAX_SPRITE_PIXELS`` image pixels per sheet (all 10,000 MNIST test images: 7.8 M), the first
test images in order; a test point beyond them waits for the server. ``MAX_SPRITE_BYTES`` of
sheets are kept in all, the oldest removed first."""

from __future__ import annotations

import contextlib
import hashlib
import math
from pathlib import Path

import streamlit as st

from aeexplorer.app import imaging
from aeexplorer.core import atomic
from aeexplorer.ui import resources
from aeexplorer.ui.inpage.decoder_files import DECODERS

SPRITES = DECODERS.parent / "sprites"  # beside the decoders: the folder Streamlit serves
MAX_SPRITE_PIXELS = 8_000_000
MAX_SPRITE_BYTES = 64 * 2**20


@st.cache_resource(max_entries=8, show_spinner=False)
def _sheet(dataset: str, root: str, shape: tuple[int, int]) -> dict | None:
    """{"blob": PNG bytes, "digest", "cols", "n", "side"}, or None without the test images."""
    images = resources.test_images(dataset, root, shape)
    if isinstance(images, str) or len(images) == 0:
        return None
    side = shape[0]
    n = min(len(images), MAX_SPRITE_PIXELS // (side * side))
    cols = math.ceil(math.sqrt(n))
    blob = imaging.to_png(imaging.tile(images[:n], cols=cols, pad=0, fill=0.0))
    digest = hashlib.sha256(blob).hexdigest()[:24]
    return {"blob": blob, "digest": digest, "cols": cols, "n": n, "side": side}


def page_sprites(dataset: str, shape: tuple[int, int]) -> dict | None:
    """{"url", "cols", "n", "side"} of the test images' sheet (cell i: row i // cols, column
    i % cols), its file written when missing; None when the images or the file are not there."""
    sheet = _sheet(dataset, resources.data_root(), shape)
    if sheet is None:
        return None
    name = f"{sheet['digest']}.png"
    try:
        if not (SPRITES / name).is_file():
            _write(SPRITES / name, sheet["blob"])
    except OSError:  # a read-only app folder, a full disk: the server shows the original
        return None
    return {"url": f"app/static/sprites/{name}", "cols": sheet["cols"], "n": sheet["n"],
            "side": sheet["side"]}


def _write(target: Path, blob: bytes) -> None:
    """Atomically (a reader never sees half a file), then drop the oldest sheets beyond
    MAX_SPRITE_BYTES in all (a page that still wants one has it written again)."""
    atomic.write_bytes(target, blob)
    files = []
    for file in target.parent.glob("*.png"):
        with contextlib.suppress(OSError):  # another session may be pruning too
            st_ = file.stat()
            files.append((st_.st_mtime, st_.st_size, file))
    kept = 0
    for _, size, file in sorted(files, reverse=True):
        kept += size
        if kept > MAX_SPRITE_BYTES and file != target:
            file.unlink(missing_ok=True)
