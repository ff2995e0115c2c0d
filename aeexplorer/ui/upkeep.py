"""What the server does on each page run of any session (``app.py`` calls ``run``): say that
this session is still there, so that its training goes on (a closed tab stops saying so, and
its training is stopped after the grace period: ``aeexplorer.app.jobs.Registry``), and clear old
session folders and leftover temporary files now and then (``aeexplorer.app.cleanup``)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import streamlit as st

from aeexplorer.app import cleanup, jobs
from aeexplorer.ui import resources

# While a training of this session runs, the browser reruns a tiny fragment this often, so
# that a visitor who reads another page without a click keeps the training: well under the
# grace period, even where a hidden tab's timers are slowed to one a minute.
BEAT_S = 20.0


def run(root: Path) -> None:
    registry = jobs.shared()
    sid = resources.session_id()
    registry.beat(sid)
    running = registry.running()
    # never let the cleanup break a page: a file that vanishes or is not ours is skipped
    with contextlib.suppress(OSError):
        cleanup.sweep_if_due(root, registry.limits, [j.out for j in running],
                             registry.recent(registry.limits.max_age))
    if any(j.owner == sid for j in running):
        with st.sidebar:  # an empty element: in the sidebar, it moves nothing on the page
            st.fragment(_beat, run_every=BEAT_S)(sid)


def _beat(sid: str) -> None:
    jobs.shared().beat(sid)
