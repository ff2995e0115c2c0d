"""The Train page's forming map: the latest snapshot of a training's sample of test images
(``app.progress``: the "sample" and "snapshot" lines), redrawn each second while it trains;
and beside it the image under the pointer over that map, decoded in the page by the model as
it is at the latest snapshot (``ui/inpage/forming.js``; the training writes its decoder with
each snapshot, ``app.snapshot_decoders``)."""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from aeexplorer.app import curves
from aeexplorer.app.progress import Progress
from aeexplorer.app.replay import live_figure, moment_label
from aeexplorer.ui import inpage
from aeexplorer.ui.image_view import shown_px
from aeexplorer.ui.text import md

KEY = "train_forming_hover"
CURVES = {"kl": "KL to the prior (nats / image)", "penalty": "Penalty (before its weight)"}
# talk mode: the decoded image beside the map at most 200 px, less in a small window
TALK_PX = "min(200px, 24vh)"
_HTML = ('<div class="ae-forming"><div class="ae-title">Under the pointer</div>'
         '<canvas></canvas><div class="ae-z"></div><div class="ae-note"></div></div>')
_CSS = """
.ae-forming { font-family: inherit; }
.ae-forming .ae-title { font-size: 1.1rem; font-weight: 600; margin: 0 0 0.5rem; }
.ae-forming canvas { image-rendering: pixelated; display: block; border: 1px solid #ddd; }
.ae-forming .ae-z { font-weight: 600; margin-top: 0.4rem; min-height: 1.4em; }
.ae-forming .ae-note { color: #555; font-size: 0.9rem; min-height: 2.6em; }
.ae-forming.talk .ae-title { font-size: 1.3rem; }
.ae-forming.talk .ae-z, .ae-forming.talk .ae-note { font-size: 0.95rem; }
"""
_SOURCES = ("decoder.js", "mapbridge.js", "paint.js", "forming.js")  # in this order


def forming_map(view: Progress, talk: bool) -> None:
    snap = view.snapshot
    caption = f"The map forming · {moment_label(snap)}"
    fig = live_figure(np.asarray(snap["xy"]), np.asarray(view.sample_labels),
                      view.sample_classes, caption, talk)
    if talk:  # as high as its box, which ``style`` makes as high as the window allows;
        # without the move between snapshots: plotly.js's animated redraw keeps the size of
        # the first draw (made before the box had its height), a map cut at its foot
        fig.update_layout(height=None, autosize=True)
        fig.layout.transition = None
        fig.update_xaxes(automargin=True)  # room for the large ticks and the axis title
        fig.update_yaxes(automargin=True)
    st.plotly_chart(fig, key="train_forming", theme=None, width="stretch",
                    height="stretch" if talk else "content", config={"displayModeBar": False})
    if not talk:  # in a talk the map and its title say it; the room reads no fine print
        st.caption(f"{len(view.sample_labels):,} test images, each placed where the model "
                   f"puts it now · snapshot {view.snapshots_seen} · step {snap['step']:,}")


@functools.cache
def _component():
    return st.components.v2.component("aeexplorer.forming_hover", html=_HTML, css=_CSS,
                                      js=inpage.joined(_SOURCES))


def under_pointer(view: Progress, talk: bool) -> None:
    """The image under the pointer over the forming map, decoded in the page with the latest
    snapshot's decoder (none yet: the panel says it comes with the first snapshot)."""
    dec = view.decoder
    net = ({"url": f"app/static/decoders/{dec['file']}", "spec": dec["spec"],
            "moment": moment_label(dec)} if dec else None)
    side = int(dec["spec"].get("side", 28)) if dec else 28
    _component()(key=KEY, data={"net": net, "talk": talk,
                                "px": TALK_PX if talk else shown_px(side, talk)},
                 height="content")


def loss_curves(view: Progress, second: str | None, stacked: bool = False,
                talk: bool = False) -> None:
    """The loss curves side by side, or one above the other (beside the forming map); in a
    talk each in a box that ``style`` sizes to the window."""
    parts = [("recon", "Reconstruction (nats / image)")]
    parts += [(second, CURVES[second])] if second else []
    places = ([st.container(key=f"train_talkcurve_{p}") for p, _ in parts] if talk else
              [st.container() for _ in parts] if stacked else st.columns(len(parts)))
    for col, (part, heading) in zip(places, parts):
        col.plotly_chart(curves.loss_curve(view, part, heading, talk), width="stretch",
                         height="stretch" if talk else "content",
                         config={"displayModeBar": False}, key=f"train_curve_{part}")


def talk_stage(view: Progress, cancel, has_curves: bool, second: str | None) -> None:
    """Talk mode while a model trains: the whole view is the map forming, the image under the
    pointer beside it and the curves (``second``: the family's second one), under one line of
    progress (no fine print for a room)."""
    bar, stop = st.columns([6, 1], vertical_alignment="bottom")
    left = "" if view.left is None else f", about {view.left:.0f} s left"
    bar.progress(view.fraction,
                 text=f"{md(view.name)} · {view.stage} · {view.seconds:.0f} s{left}")
    stop.button("Cancel", on_click=cancel, key="train_cancel", icon=":material/stop:")
    if not view.snapshot:
        return
    forming, pointer, lines = st.columns([3, 1.2, 1.8])
    with forming, st.container(key="train_talkmap"):
        forming_map(view, talk=True)
    with pointer:
        under_pointer(view, talk=True)
    if has_curves:
        with lines:
            loss_curves(view, second, talk=True)
