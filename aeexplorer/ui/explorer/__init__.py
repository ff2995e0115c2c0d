"""The Explorer page (the default one): the sidebar (checkpoint, model card, options) and the
explorer fragment. Its parts are the modules of this folder (``linked`` and the decoder's
files serve Compare and Anomalies too):

- ``fragment``: the latent map, the selected point and the tool tabs under them;
- ``panels``: the tabs "Interpolation path", "Samples from the prior" and "Your own image";
- ``similar``: the tab "Similar images";
- ``live`` (with ``live.js``, ``panel.js``, ``player.js``, ``mapbridge.js``): the panel beside
  the map (under the pointer, the walk's frame, a click answered at once) and the walk's player,
  in the page;
- ``linked`` (with ``linked.js``): a row of latent maps on another page (Compare's two or
  three, Anomalies' one), each decoding the pointer's z in the page, a ring at that z on the
  others;
- ``forming.js``: the Train page's image under the pointer over the forming map, decoded with
  the latest snapshot's decoder (mounted by ``ui/forming``);
- ``decoder.js`` and ``decoder_files``: the decoder that runs in the page, and its weights'
  files; ``sprites``: the test images' sprite sheet the page shows a clicked original from."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from aeexplorer.core.errors import AeError
from aeexplorer.ui import resources, sidebar, state, style
from aeexplorer.ui.replay import replay
from aeexplorer.ui.explorer.fragment import explorer
from aeexplorer.ui.text import md


def render(root: Path) -> None:
    state.init()
    path = sidebar.pick_checkpoint(root)
    if path is None:
        style.apply(sidebar.talk_toggle())
        _no_checkpoints(root)
        return
    mtime = path.stat().st_mtime
    card = resources.card(str(path), mtime)
    if isinstance(card, str):
        st.error(f"This checkpoint cannot be used: {md(card)}")
        return
    state.reset_for(st.session_state.get("ckpt_pick", path.name))
    sidebar.model_card(path, card, root)
    talk = sidebar.talk_toggle()
    style.apply(talk)
    try:
        atlas = resources.atlas(str(path), mtime)
    except AeError as exc:
        st.error(f"This checkpoint cannot be loaded: {md(exc)}")
        return
    opts = sidebar.map_options(path.stem, atlas.bounds, card["classes"], atlas.xy,
                               colour=card["config"].colour)
    if not talk:  # in talk mode the map takes the screen: the presenter says what it is
        st.title("The latent space, decoded")
    explorer(str(path), mtime, opts, talk)
    replay(str(path), mtime, card["classes"], talk)
    # After the page is drawn, once per process: the first click on a point then finds the
    # test images loaded, and the first visit does not wait for them.
    if resources.torch_ready():  # reading them imports torch: see ``fragment._warm_up``
        resources.originals(card["dataset"], resources.image_shape(card["config"]))


def _no_checkpoints(root: Path) -> None:
    st.title("The latent space, decoded")
    st.info("There is no model to explore yet. Train one, for example:\n\n"
            "`python -m aeexplorer train --dataset mnist --model vae --epochs 30 "
            "--out runs/mnist-vae.safetensors`\n\nthen reload this page. Checkpoints are "
            "read from `checkpoints/`, `runs/` and the folders in AEEXPLORER_CHECKPOINT_DIRS.")
    state.sync_url()
