"""The Train page's forming map: the latest snapshot of a training's sample of test images
(``app.progress``: the "sample" and "snapshot" lines), redrawn each second while it trains."""

from __future__ import annotations

import numpy as np
import streamlit as st

from aeexplorer.app.progress import Progress
from aeexplorer.app.replay import live_figure, moment_label


def forming_map(view: Progress, talk: bool) -> None:
    snap = view.snapshot
    caption = f"The map forming · {moment_label(snap)}"
    fig = live_figure(np.asarray(snap["xy"]), np.asarray(view.sample_labels),
                      view.sample_classes, caption, talk)
    st.plotly_chart(fig, key="train_forming", theme=None, width="stretch",
                    config={"displayModeBar": False})
    st.caption(f"{len(view.sample_labels):,} test images, each placed where the model puts it "
               f"now · snapshot {view.snapshots_seen} · step {snap['step']:,}")
