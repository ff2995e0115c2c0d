"""Linked maps: the pointer over any map of a row (Compare's two or three models, Anomalies'
one) decoded in the page by each map's own decoder at once, with a ring at that z on the other
maps (``linked.js``). One component for the row rather than one per map: the pointer's z is
one value that every cell shows, so one object owns it, the decoders and the rings, with one
pointer listener and no messages between instances; each map is still found by its key
(``MapBridge``) and each cell lies over its own server block, so the row needs no layout of its
own. Nothing reaches the server on a move: the decoders are the Explorer's files
(``decoder_files``)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from aeexplorer.ui import inpage, resources
from aeexplorer.ui.inpage.decoder_files import SERVER_DECODES, page_decoder
from aeexplorer.ui.image_view import shown_px

NOT_HERE = "the z under the pointer is not decoded here."
# each cell lies over its server block (``linked.js`` places it): the same type as the page's
_CSS = """
.ae-linked { position: relative; height: 0; }
.ae-cell { position: absolute; z-index: 5; box-sizing: border-box; overflow: hidden;
  background: var(--st-background-color, #fff); font-family: inherit; }
.ae-cell .ae-title { font-weight: 600; line-height: 1.3; padding: 0 0 0.5rem; }
.ae-cell canvas { image-rendering: pixelated; display: block; border: 1px solid #ddd;
  border-radius: 4px; }
.ae-cell .ae-z { font-weight: 600; margin-top: 0.4rem; overflow-wrap: anywhere; }
.ae-cell .ae-note { color: #555; font-size: 0.95rem; overflow-wrap: anywhere; }
"""


@dataclass(frozen=True)
class LinkedMap:
    label: str  # "A", "B", "C" on Compare; the cell's title names it
    chart: str  # the map's widget key
    cover: str  # the key of the container its cell lies over (the selected point's block)
    path: str
    mtime: float
    why: str = ""  # set for a map with no decoder at all (a reference map): what the cell says
    apart: bool = False  # its coordinates are no model's z (a reference map): linked to none


@functools.cache
def _component():
    js = inpage.joined()
    return st.components.v2.component("aeinpage.linked_maps", html='<div class="ae-linked">'
                                      '</div>', css=_CSS, js=js)


def why_not(why: str) -> str:
    """Why a model's map is not decoded under the pointer, worded for a linked map (the
    Explorer's fallback, the server decoding a resting pointer, is not offered here)."""
    return why.removesuffix(SERVER_DECODES) + NOT_HERE if why.endswith(SERVER_DECODES) else why


def _cell(m: LinkedMap, talk: bool, px: int | str | None) -> dict:
    cell = {"key": m.chart, "label": m.label, "map": m.chart, "cover": m.cover,
            "apart": m.apart}
    if m.why:  # nothing to decode with: the cell shows the z and says why
        return {**cell, "net": None, "why": m.why, "dim": 2, "side": 28, "channels": 1,
                "px": px if px is not None else image_px(28, talk)}
    net = page_decoder(m.path, m.mtime)
    cfg = resources.card(m.path, m.mtime)["config"]
    return {**cell, "net": None if "why" in net else {"url": net["url"], "spec": net["spec"]},
            "why": why_not(net.get("why", "")), "dim": cfg.latent_dim,
            "side": cfg.image_size, "channels": cfg.image_channels,
            "px": px if px is not None else image_px(cfg.image_size, talk)}


def linked_maps(key: str, maps: Sequence[LinkedMap], talk: bool,
                px: int | str | None = None) -> None:
    """The row's component, under widget key ``key``: one cell per map, in ``maps``' order,
    its decoded image ``px`` wide (as the block it lies over shows its images)."""
    cells = [_cell(m, talk, px) for m in maps]
    model = [[c["key"], Path(m.path).name, (c["net"] or {}).get("url")]
             for c, m in zip(cells, maps)]
    _component()(key=key, data={"mode": "linked", "key": key, "model": model, "talk": talk,
                                "cells": cells}, height="content")


def image_px(side: int, talk: bool) -> int | str:
    """A decoded image's shown size in a cell: as the page's own images of the selected point
    (``style``'s talk size, a CSS length; ``shown_px`` otherwise)."""
    return "min(168px, 16vh)" if talk else shown_px(side, talk)
