"""The latent space under the mouse: the decoder runs in the page (``live.js``), so the image of
the z under the pointer follows every move with no request to the server, a click on the map is
painted by the page at once (the server follows), and the walk plays with a marker moving over
the map.

Built on ``st.components.v2`` rather than ``components.v1``: a v2 component runs in the page
itself (no iframe), so its script can listen to the pointer over Streamlit's own Plotly map and
draw over it, which an iframe cannot reach; and it sends values back (the resting pointer, for
a model the page cannot decode) with no Node build step. The decoder itself is ``decoder.js``,
its weights a file the page fetches once (``decoder_files``); the test images' originals one
sprite sheet (``sprites``)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from aeexplorer.app import imaging, views
from aeexplorer.app.scene import parse_point
from aeexplorer.ui import inpage, resources, state
from aeexplorer.ui.inpage.decoder_files import page_decoder
from aeexplorer.ui.explorer.sprites import page_sprites
from aeexplorer.ui.image_view import shown_px

if TYPE_CHECKING:
    from aeexplorer.core.checkpoints.file import Checkpoint

KEY, PLAY_KEY = "live", "live_play"
# talk mode's decoded images beside the map: at most 252 px, less in a small window (as
# ``style`` sizes the selected point's images)
TALK_SIZE = "min(252px, 30vh, 16vw)"
REST_MS = 250  # the pointer rests this long before a model without a page decoder asks the server
# the panel lies over the server's "Selected point" block (live.js places it): same heading
_CSS = """
.ae-live { font-family: inherit; position: absolute; z-index: 5; box-sizing: border-box;
  background: var(--st-background-color, #fff); overflow: hidden; }
.ae-live .ae-title { font-size: 1.3rem; font-weight: 600; line-height: 1.2; margin: 0;
  padding: 0 0 1rem; box-sizing: border-box; overflow: hidden; }
.ae-live .ae-row { display: flex; gap: 1.5rem; flex-wrap: wrap; align-items: flex-start; }
.ae-live .ae-original { order: -1; }
.ae-live canvas[hidden] { display: none; }
.ae-live canvas, .ae-play canvas { image-rendering: pixelated; display: block;
  border: 1px solid #ddd; }
.ae-live .ae-z { font-weight: 600; margin-top: 0.5rem; }
.ae-live .ae-note, .ae-play .ae-hint { color: #666; font-size: 0.9rem; }
.ae-play { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
.ae-play button { font: inherit; padding: 0.35rem 0.9rem; border-radius: 0.5rem;
  border: 1px solid #bbb; background: #fff; cursor: pointer; }
.ae-play button:disabled { color: #aaa; cursor: default; }
.ae-play label { display: flex; gap: 0.4rem; align-items: center; }
"""
_HOVER_HTML = ('<div class="ae-live" hidden><div class="ae-title"></div><div class="ae-row">'
               '<canvas class="ae-decoded"></canvas><canvas class="ae-original" hidden></canvas>'
               '</div><div class="ae-z"></div>'
               '<div class="ae-note"></div></div>')
_PLAY_HTML = ('<div class="ae-play"><button type="button">Play the walk</button>'
              '<label>Speed <input type="range" min="0.1" max="3" step="0.05" value="0.6">'
              '<span class="ae-speed"></span></label><label><input type="checkbox" checked> '
              'Loop</label><canvas></canvas><span class="ae-hint"></span></div>')


@functools.cache
def _components() -> tuple:
    js = inpage.joined()
    return (st.components.v2.component("aeexplorer.live_hover", html=_HOVER_HTML, css=_CSS,
                                       js=js),
            st.components.v2.component("aeexplorer.live_play", html=_PLAY_HTML, css=_CSS, js=js))


def hover_panel(path: str, mtime: float, ckpt: Checkpoint, talk: bool) -> None:
    """The panel beside the map that shows the decoded z under the pointer (it takes the
    selected point's place while the pointer is over the map)."""
    net = page_decoder(path, mtime)
    rest = (st.session_state.get(KEY) or {}).get("rest")  # no decoder in the page, at rest
    hover, _ = _components()
    cfg = ckpt.config
    hover(key=KEY, data={"mode": "hover", "model": Path(path).name, "talk": talk,
                         "net": _net(net), "dim": cfg.latent_dim,
                         "side": cfg.image_size, "channels": cfg.image_channels,
                         "px": TALK_SIZE if talk else shown_px(cfg.image_size, talk),
                         "why": net.get("why", ""), "rest_ms": REST_MS,
                         "server": server_image(ckpt, rest),
                         "selected": selected(path, mtime, ckpt),
                         "sprite": page_sprites(ckpt.dataset,
                                                resources.image_shape(ckpt.config))},
          on_rest_change=lambda: None, height="content")


def selected(path: str, mtime: float, ckpt: Checkpoint) -> dict | None:
    """The selected point as the server shows it: its map position, test image index (None
    for empty space) and full code (a test image's own, else the position's)."""
    s = state.scene()
    if s.z is None:
        return None
    n = len(resources.atlas(path, mtime).labels)
    index = s.index if s.index is not None and s.index < n else None
    z = views.code_of(ckpt, index) if index is not None else views.full_z(ckpt, s.z)
    return {"xy": [float(s.z[0]), float(s.z[1])], "index": index, "z": z}


def _net(net: dict) -> dict | None:
    return None if "why" in net else {"url": net["url"], "spec": net["spec"]}


def server_image(ckpt: Checkpoint, rest: object) -> dict | None:
    """The resting pointer's z decoded on the server (a model the page cannot decode). The
    value comes from the browser: read as a URL's point is (finite, within ±1e6), or ignored."""
    point = parse_point(str(rest)[:64]) if isinstance(rest, str) else None
    if point is None:
        return None
    z = views.full_z(ckpt, point)
    png = imaging.to_png(ckpt.ops.decode(z)[0])
    return {"key": str(rest), "z": z, "uri": imaging.data_uri(png)}


def player(path: str, mtime: float, ckpt: Checkpoint, walk, stops: list, method: str,
           talk: bool) -> None:
    """Play / pause, speed and loop for the walk: the frames are decoded in the page as the
    marker moves over the map (the server's frames for a model the page cannot decode)."""
    net = page_decoder(path, mtime)
    full = [views.full_z(ckpt, s) for s in stops] if walk is not None else []
    frames = [] if "why" not in net or walk is None else [
        imaging.data_uri(imaging.to_png(f)) for f in walk[1]]
    _, play = _components()
    cfg = ckpt.config
    play(key=PLAY_KEY, data={"mode": "play", "model": Path(path).name, "talk": talk,
                             "net": _net(net), "stops": full, "method": method,
                             "frames": frames, "side": cfg.image_size,
                             "n_frames": 0 if walk is None else len(walk[1]),
                             "channels": cfg.image_channels,
                             "px": 0 if talk else shown_px(cfg.image_size, talk, big=False)},
         height="content")
