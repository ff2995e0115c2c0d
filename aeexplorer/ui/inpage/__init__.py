"""The decoder in the page, shared by every page: a model's decoder runs in the browser
(``decoder.js``; its weights are static files, ``decoder_files``), so what lies under the
pointer is decoded with no message to the server. ``mapbridge.js`` is the only code that reads
Plotly's private fields; ``paint.js`` draws decoded pixels; ``panel.js`` and ``player.js`` are
the Explorer's panel (laid over the server's block by ``overlay.js``) and walk player
(``ui/explorer/live.py`` mounts them), ``linked.js`` the linked maps of Compare and Anomalies
(``linked.py``), ``forming.js`` the Train page's image over its forming map (``ui/forming.py``),
and ``live.js`` the registry of one object per mounted component. ``SOURCES`` are joined, in
their order, into one module (``joined``): each file uses only those before it."""

from __future__ import annotations

import functools
from pathlib import Path

HERE = Path(__file__).parent
SOURCES = ("decoder.js", "mapbridge.js", "paint.js", "overlay.js", "panel.js", "player.js",
           "linked.js", "live.js")


@functools.cache
def joined(names: tuple[str, ...] = SOURCES) -> str:
    """The files ``names``, in their order, as one module (by default the whole in-page code,
    whose entry is ``live.js``'s export default)."""
    return "\n".join((HERE / name).read_text(encoding="utf-8") for name in names)
