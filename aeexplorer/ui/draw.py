"""Draw a digit on the page: a pad (``draw.js``) for a mouse, a pen or a finger, with undo and
clear, whose picture is used wherever an image file is taken (the Explorer's own image, the
Anomalies and Denoise pages).

Built on ``st.components.v2``, as the live map is (``live.py``), rather than the
``streamlit-drawable-canvas`` package: that one is a ``components.v1`` iframe with a React
build, unreleased since 2022, and it reaches into Streamlit internals that later versions
moved; a v2 component is some 90 lines of plain JavaScript in the page, with no build step, and
sends back one value: the picture as a PNG, once each stroke ends. The server then prepares it
like any upload (``photo.prepare_bytes``: light strokes on dark need no inverting) and the
page reruns.
For a colour model the pad has a pen colour to choose (each stroke keeps its own).

A page shows the pad beside its file uploader (``uploads.uploader``); whichever of the two
changed last is the image in use (``current``), and it empties the other (``live_key``), so
that a page never shows two images as its own."""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from aeexplorer.ui.image_view import scale

PEN = 22  # pixels of the 280-pixel pad: after the 20-pixel box of MNIST, a 2-3 pixel stroke
MAX_PNG_CHARS = 2 * 2**20  # a 280x280 drawing is a few kB; anything larger is not the pad's
DRAWN_NAME = "your drawing"
_HTML = ('<div class="ae-draw"><canvas aria-label="Drawing pad: draw a digit"></canvas>'
         '<div class="ae-draw-tools"><button type="button" class="ae-undo">Undo stroke</button>'
         '<button type="button" class="ae-clear">Clear</button>'
         '<label class="ae-pen" hidden>Pen <input type="color" value="#ffffff"></label>'
         '</div></div>')
_CSS = """
.ae-draw { display: flex; flex-direction: column; gap: 0.5rem; align-items: flex-start; }
.ae-draw canvas { touch-action: none; cursor: crosshair; background: #000; border-radius: 0.5rem;
  border: 1px solid #bbb; }
.ae-draw-tools { display: flex; gap: 0.5rem; align-items: center; }
.ae-draw .ae-pen { display: flex; gap: 0.3rem; align-items: center; }
.ae-draw .ae-pen[hidden] { display: none; }
.ae-draw input[type=color] { width: 2.2rem; height: 1.9rem; padding: 0; border: 1px solid #bbb;
  border-radius: 0.4rem; background: #fff; cursor: pointer; }
.ae-draw button { font: inherit; padding: 0.3rem 0.8rem; border-radius: 0.5rem;
  border: 1px solid #bbb; background: #fff; cursor: pointer; }
.ae-draw button:disabled { color: #aaa; cursor: default; }
"""


@functools.cache
def _component():
    js = Path(__file__).with_name("draw.js").read_text(encoding="utf-8")
    return st.components.v2.component("aeexplorer.draw_pad", html=_HTML, css=_CSS, js=js)


def _source_key(pad_key: str) -> str:
    return f"_{pad_key}_source"


def live_key(key: str) -> str:
    """The widget key that ``key`` (a pad's, an uploader's) goes by now. Streamlit cannot
    empty a file uploader (nor a component) from the server, so one is emptied by drawing it
    under a new key (``_supersede``): the widget under the old one is gone, and its value."""
    n = st.session_state.get(f"_{key}_version", 0)
    return key if n == 0 else f"{key}_v{n}"


def _supersede(key: str) -> None:
    st.session_state[f"_{key}_version"] = st.session_state.get(f"_{key}_version", 0) + 1


def pad(pad_key: str, talk: bool, colour: bool = False, file_key: str | None = None,
        px: int | str | None = None) -> None:
    """The drawing pad, ``px`` pixels (or a CSS length) a side on screen; a stroke, an undo
    or a clear makes the drawing the image in use and empties the file uploader ``file_key``
    beside it. ``colour`` (a colour model): a pen colour to choose, each stroke its own."""
    def drawn() -> None:
        st.session_state[_source_key(pad_key)] = "pad"
        if file_key is not None and st.session_state.get(live_key(file_key)) is not None:
            _supersede(file_key)

    _component()(key=live_key(pad_key),
                 data={"pen": PEN, "px": px or 28 * scale(talk) * 2, "colour": colour},
                 default={"png": ""}, on_png_change=drawn, height="content")


def file_chosen(pad_key: str) -> Callable[[], None]:
    """The file uploader's ``on_change``: a new file is the image in use, and the pad beside
    it is emptied."""
    def chosen() -> None:
        st.session_state[_source_key(pad_key)] = "file"
        if drawn_png(pad_key) is not None:
            _supersede(pad_key)
    return chosen


def clear(pad_key: str) -> None:
    """Empty the pad (drawn anew under another key), and with it the drawing in use."""
    if drawn_png(pad_key) is not None:
        _supersede(pad_key)


def drawn_png(pad_key: str) -> bytes | None:
    """The pad's picture as PNG bytes, None when it is empty or not a PNG data URL."""
    value = (st.session_state.get(live_key(pad_key)) or {}).get("png") or ""
    prefix = "data:image/png;base64,"
    if not isinstance(value, str) or not value.startswith(prefix) or len(value) > MAX_PNG_CHARS:
        return None
    try:
        return base64.b64decode(value[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        return None


def current(file_key: str, pad_key: str) -> tuple[str, bytes] | None:
    """(name, bytes) of the image in use: the drawing or the file, whichever changed last (the
    other one when only one is there); None with neither."""
    file = st.session_state.get(live_key(file_key))
    drawing = drawn_png(pad_key)
    from_pad = st.session_state.get(_source_key(pad_key)) == "pad" or file is None
    if drawing is not None and from_pad:
        return DRAWN_NAME, drawing
    return (file.name, file.getvalue()) if file is not None else None
