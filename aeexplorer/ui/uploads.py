"""Images uploaded on any page (the Explorer's own image, Anomalies, Denoise): the formats the
uploaders take, the limits stated under them, the uploader itself, and an upload's result
kept in the session."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import streamlit as st

from aeexplorer.core.decode import largest_megapixels
from aeexplorer.core.errors import AeError
from aeexplorer.core.preprocess import MAX_PIXELS, MAX_UPLOAD_BYTES

IMAGE_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]
LIMITS = (f"PNG, JPEG, BMP, GIF or WebP, up to {MAX_UPLOAD_BYTES // 2**20} MB and "
          f"{MAX_PIXELS // 1_000_000} megapixels ({largest_megapixels('RGB'):g} for a colour "
          f"PNG, {largest_megapixels('RGB', 'WEBP'):g} for a WebP: larger ones take too much "
          "memory to prepare). A file marked in red above was refused before it was read: "
          "point at it to see why.")


def uploader(label: str, key: str) -> None:
    """The file uploader for an image (its file in session state ``key``), the limits under it."""
    st.file_uploader(label, type=IMAGE_TYPES, key=key)
    st.caption(LIMITS)


def cached_upload(file_key: str, result_key: str, tag: str,
                  make: Callable[[bytes], Any]) -> Any | str | None:
    """The result of ``make`` on the uploaded file's bytes, computed once per (file, tag) and
    kept in the session; the message of an AeError instead; None without a file. ``tag`` names
    everything else the result depends on (a model's path and mtime)."""
    file = st.session_state.get(file_key)
    if file is None:
        st.session_state.pop(result_key, None)
        return None
    data = file.getvalue()
    key = hashlib.sha1(data).hexdigest() + tag
    entry = st.session_state.get(result_key)
    if entry is None or entry[0] != key:
        try:
            entry = (key, make(data))
        except AeError as exc:
            entry = (key, f"{file.name}: {exc}")
        st.session_state[result_key] = entry
    return entry[1]
