"""The decoder's weights for the page, as files: written once per model to ``static/decoders/``
and fetched by the page once (Streamlit's static file serving, ``.streamlit/config.toml``),
rather than sent in the component's data, which every rerun would send again.

Bounded, since a checkpoint may be crafted: a decoder over ``MAX_FILE_BYTES`` is refused from
its parameter count, before it is exported (the export's working copies would weigh several
times the file), and its model is decoded by the server instead. The folder holds at most
``MAX_DECODER_BYTES``: when a new file would not fit, it is not written (the server decodes),
and no other model's file is removed for it. A file in use has its time refreshed; one unused
for ``Limits.decoder_age`` is removed by the cleanup (``aeexplorer.app.cleanup``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import streamlit as st

from aeexplorer.app.cleanup import DECODERS_DIR
from aeexplorer.app.export import MAX_BLOB_BYTES, MAX_FOLDER_BYTES, MB, write_blob
from aeexplorer.ui import resources

APP_ROOT = Path(__file__).resolve().parents[3]  # where app.py is: Streamlit serves static/ there
# AEEXPLORER_STATIC: another folder, for a process that serves none (the tests' AppTest runs)
STATIC = Path(os.environ["AEEXPLORER_STATIC"]) if os.environ.get("AEEXPLORER_STATIC") else None
DECODERS = STATIC / "decoders" if STATIC else APP_ROOT / DECODERS_DIR
MAX_FILE_BYTES = MAX_BLOB_BYTES  # one decoder (a module global: the tests lower it)
MAX_DECODER_BYTES = MAX_FOLDER_BYTES  # the folder in all
TOUCH_EVERY_S = 60.0  # a file's time is refreshed at most this often while pages use it
SERVER_DECODES = "hold the pointer still and the server decodes that z."
NO_PAGE_DECODER = ("This model's decoder has a layer the page does not run: "
                   + SERVER_DECODES)
NOT_STORED = "This server could not store the decoder for the page: " + SERVER_DECODES
FULL = ("This server's space for the page's decoders is full for now: " + SERVER_DECODES)


def too_big(size: int) -> str:
    return (f"This model's decoder ({size / MB:.0f} MB) is larger than this server sends to a "
            f"page ({MAX_FILE_BYTES // MB} MB): " + SERVER_DECODES)


def decoder_bytes(model) -> int:
    """The most bytes the page's file of ``model``'s decoder can take (float32 weights; a batch
    norm folded into its linear layer adds none), from its parameter count alone."""
    part = getattr(model, "decoder", None)
    params = (part if part is not None else model).parameters()  # PCA: all of it decodes
    return 4 * sum(p.numel() for p in params)


@st.cache_resource(max_entries=8, show_spinner=False)
def _exported(path: str, mtime: float):
    """The model's decoder as folded layers (``aeexplorer.app.export``), or why not (a str): a
    module the page has no form for, or a decoder over ``MAX_FILE_BYTES``. As many kept as
    models (``checkpoint``)."""
    from aeexplorer.app.export import export_decoder

    model = resources.checkpoint(path, mtime).model
    size = decoder_bytes(model)
    if size > MAX_FILE_BYTES:
        return too_big(size)
    exported = export_decoder(model)
    return NO_PAGE_DECODER if exported is None else exported


def page_decoder(path: str, mtime: float) -> dict:
    """{"url", "spec", "bytes"} of this model's decoder for the page, its file written to
    DECODERS when missing (checked on every call: the cleanup may have removed it); or
    {"why": ...} when the page cannot run it (then the server decodes)."""
    exported = _exported(path, mtime)
    if isinstance(exported, str):
        return {"why": exported}
    name = f"{exported.digest}.bin"
    try:
        if not _in_use(DECODERS / name) and not _write(DECODERS / name, exported.blob):
            return {"why": FULL}
    except OSError:  # a read-only app folder, a full disk: the server decodes instead
        return {"why": NOT_STORED}
    return {"url": f"app/static/decoders/{name}", "spec": exported.spec,
            "bytes": len(exported.blob)}


def _in_use(target: Path) -> bool:
    """Whether ``target`` is there; its time refreshed now and then, so that the cleanup
    keeps the files that pages use."""
    try:
        age = time.time() - target.stat().st_mtime
    except FileNotFoundError:
        return False
    if age > TOUCH_EVERY_S:
        os.utime(target)
    return True


def _write(target: Path, blob: bytes) -> bool:
    """``blob`` written to ``target`` unless the folder would go over MAX_DECODER_BYTES."""
    return write_blob(target, blob, MAX_DECODER_BYTES)
