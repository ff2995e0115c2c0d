"""The Explorer's "Download this view as one page": the map, the decoder and the scene on screen
as one HTML file that works from disk with the network off (``aeexplorer.app.onepage``), for a
talk where the laptop, the network or the server may fail."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from aeexplorer.app.onepage import MAX_BYTES, TooBig, build_from_query
from aeexplorer.ui import state
from aeexplorer.ui.inpage.decoder_files import page_decoder

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from aeexplorer.core.checkpoints.file import Checkpoint

LABEL = "Download this view as one page"
HELP = ("One HTML file with the map, the decoder and this scene (path, selected point, "
        "highlighted class): it opens in any browser from disk, with no network and no server.")
# what a page holds besides the decoder's weights (Plotly's script, the map): a decoder whose
# base64 would pass MAX_BYTES with it is not offered
REST_BYTES = 5.5 * 2**20
KEEP = 2  # pages kept for a second press (at most MAX_BYTES each)
_built: OrderedDict[tuple, bytes] = OrderedDict()
_lock = threading.Lock()  # one page built at a time, whatever the sessions pressing


def button(container: DeltaGenerator, ckpt: Checkpoint, file: tuple[str, float]) -> None:
    """The button in ``container``; the page is built on the server when it is pressed."""
    path, mtime = file
    query = tuple(sorted(state.current().to_query().items()))
    weights = page_decoder(path, mtime).get("bytes", 0)
    if weights * 4 / 3 + REST_BYTES > MAX_BYTES:
        container.caption(f"This model's decoder is too large for a single page (at most "
                          f"{MAX_BYTES / 2**20:.0f} MB).")
        return
    name = Path(path).name
    container.download_button(
        LABEL, lambda: page(ckpt, (path, mtime, query), name), f"{Path(path).stem}-view.html",
        "text/html", on_click="ignore", width="stretch", icon=":material/download:", help=HELP)


def page(ckpt: Checkpoint, key: tuple, name: str) -> bytes:
    """The page for ``key`` (path, mtime, the scene's query), built once for the last KEEP."""
    with _lock:
        if key not in _built:
            try:
                _built[key] = build_from_query(ckpt, name, dict(key[2]))
            except TooBig as exc:  # the estimate above let it through: the file says why
                return (f"<!doctype html><meta charset='utf-8'><title>Too large</title><p>"
                        f"This view could not be saved as one page: {exc}.</p>").encode()
            while len(_built) > KEEP:
                _built.popitem(last=False)
        _built.move_to_end(key)
        return _built[key]
