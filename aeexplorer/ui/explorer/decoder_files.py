"""The decoder's weights for the page, as files: written once per model to ``static/decoders/``
and fetched by the page once (Streamlit's static file serving, ``.streamlit/config.toml``),
rather than sent in the component's data, which every rerun would send again."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import streamlit as st

from aeexplorer.ui import resources

APP_ROOT = Path(__file__).resolve().parents[3]  # where app.py is: Streamlit serves static/ there
# AEEXPLORER_STATIC: another folder, for a process that serves none (the tests' AppTest runs)
STATIC = Path(os.environ.get("AEEXPLORER_STATIC") or APP_ROOT / "static")
DECODERS = STATIC / "decoders"
MAX_DECODER_BYTES = 256 * 2**20  # kept in DECODERS in all, the oldest removed first
NO_PAGE_DECODER = ("This model's decoder has convolutions, which the page does not run: "
                   "hold the pointer still and the server decodes that z.")
NOT_STORED = ("This server could not store the decoder for the page: hold the pointer still "
              "and the server decodes that z.")

@st.cache_resource(max_entries=32, show_spinner=False)
def _exported(path: str, mtime: float):
    """The model's decoder as dense layers (``aeexplorer.app.export``), or None for a conv one."""
    from aeexplorer.app.export import export_decoder

    return export_decoder(resources.checkpoint(path, mtime).model)


def page_decoder(path: str, mtime: float) -> dict:
    """{"url", "spec", "bytes"} of this model's decoder for the page, its file written to
    DECODERS when missing (checked on every call: an older one may have been removed); or
    {"why": ...} when the page cannot run it."""
    exported = _exported(path, mtime)
    if exported is None:
        return {"why": NO_PAGE_DECODER}
    name = f"{exported.digest}.bin"
    try:
        if not (DECODERS / name).is_file():
            _write(DECODERS / name, exported.blob)
    except OSError:  # a read-only app folder, a full disk: the server decodes instead
        return {"why": NOT_STORED}
    return {"url": f"app/static/decoders/{name}", "spec": exported.spec,
            "bytes": len(exported.blob)}


def _write(target: Path, blob: bytes) -> None:
    """Atomically (a reader never sees half a file), then drop the oldest files beyond
    MAX_DECODER_BYTES in all (a page that still wants one has it written again)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".decoder.", suffix=".tmp", dir=target.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(blob)
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
    files = []
    for file in target.parent.glob("*.bin"):
        with contextlib.suppress(OSError):  # another session may be pruning too
            st_ = file.stat()
            files.append((st_.st_mtime, st_.st_size, file))
    kept = 0
    for _, size, file in sorted(files, reverse=True):
        kept += size
        if kept > MAX_DECODER_BYTES and file != target:
            file.unlink(missing_ok=True)
