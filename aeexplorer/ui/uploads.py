"""Images brought on any page (the Explorer's own image, Anomalies, Denoise): a file uploader
with the formats it takes and the limits under it, beside a drawing pad (``draw``); and the
result for the image in use (the file or the drawing, whichever changed last), kept in the
session."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import streamlit as st

from aeexplorer.core.decode import largest_megapixels
from aeexplorer.core.errors import AeError
from aeexplorer.core.preprocess import MAX_PIXELS, MAX_UPLOAD_BYTES
from aeexplorer.ui import draw

IMAGE_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]
LIMITS = (f"PNG, JPEG, BMP, GIF or WebP, up to {MAX_UPLOAD_BYTES // 2**20} MB and "
          f"{MAX_PIXELS // 1_000_000} megapixels ({largest_megapixels('RGB'):g} for a colour "
          f"PNG, {largest_megapixels('RGB', 'WEBP'):g} for a WebP: larger ones take too much "
          "memory to prepare). A file marked in red above was refused before it was read: "
          "point at it to see why.")


def uploader(label: str, file_key: str, pad_key: str, talk: bool = False,
             colour: bool = False) -> None:
    """The file uploader for an image (its file in session state ``file_key``) with the limits
    under it, and the drawing pad beside it (its picture under ``pad_key``; with ``colour``,
    for a colour model, it has a choice of pen colour)."""
    up, pad = st.columns([3, 2])
    with up:
        st.file_uploader(label, type=IMAGE_TYPES, key=file_key,
                         on_change=draw.file_chosen(pad_key))
        st.caption(LIMITS)
    with pad:
        st.markdown("**…or draw one here** (mouse, pen or finger)")
        draw.pad(pad_key, talk, colour)


def cached_upload(file_key: str, pad_key: str, result_key: str, tag: str,
                  make: Callable[[bytes], Any]) -> Any | str | None:
    """``make`` on the bytes of the image in use (the file or the drawing), computed once per
    (image, tag) and kept in the session under ``result_key``; an AeError's message instead;
    None with no image. ``tag`` names everything else the result depends on (a model's path
    and mtime)."""
    chosen = draw.current(file_key, pad_key)
    if chosen is None:
        st.session_state.pop(result_key, None)
        return None
    name, data = chosen
    key = hashlib.sha1(data).hexdigest() + tag
    entry = st.session_state.get(result_key)
    if entry is None or entry[0] != key:
        try:
            entry = (key, make(data))
        except AeError as exc:
            entry = (key, f"{name}: {exc}")
        st.session_state[result_key] = entry
    return entry[1]
