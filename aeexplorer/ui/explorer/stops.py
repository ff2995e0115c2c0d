"""The path's stops, edited in any order: what a click on the map does (decode, or add a stop),
where the next stop goes (at the end, or between two stops), and removing a stop. Stops are
named A, B, C, ... in the order the path walks them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from aeexplorer.app.figures import stop_name
from aeexplorer.app.scene import MAX_STOPS
from aeexplorer.ui import state

PICK = "stop_pick"  # the name of the stop the "Remove" button removes
EMPTY = "–"  # the picker's one choice while the path has no stops


def _where(at: int, n: int) -> str:
    """A choice of the "next stop goes…" control."""
    if at == state.END:
        return f"at the end (stop {stop_name(n)})"
    if at == 0:
        return "before A"
    return f"between {stop_name(at - 1)} and {stop_name(at)}"


def click_mode(talk: bool = False, beside: Callable[[Any], object] | None = None) -> None:
    """The control for what a click on the map does and, while it adds stops, where the next
    one goes, with the hint that says so beside them (stacked in talk mode's narrow column).
    ``beside`` draws a widget in the container it is given, in a row with the control."""
    stops = state.scene().stops
    if talk:  # a row that wraps in a narrow window, then the rest under it
        mode_col = st.container(horizontal=True, vertical_alignment="bottom", gap="medium")
        where_col = st.container()
    else:
        mode_col, where_col = st.columns([3, 2], vertical_alignment="bottom")
    mode_col.segmented_control("A click on the map…", [state.DECODE, state.ADD_STOP],
                               key=state.CLICK_MODE, required=True)
    if beside is not None:
        beside(mode_col)
    if st.session_state.get(state.CLICK_MODE) != state.ADD_STOP:
        return
    if len(stops) >= MAX_STOPS:
        where_col.markdown("The path is full: remove a stop or clear it.")
        return
    choices = state.prepare_stop_at()
    if len(stops) < 2:  # nothing to go between yet: the hint alone
        where_col.markdown(f"Next click: stop **{stop_name(len(stops))}**")
        return
    n = len(stops)
    # in talk mode the label goes into the choice: a line less in the column beside the map,
    # which must hold the decoded image and the player above the fold at 1280x720
    where_col.selectbox("The next stop goes…", choices, key=state.STOP_AT,
                        label_visibility="collapsed" if talk else "visible",
                        format_func=lambda at: ("Next stop: " if talk else "") + _where(at, n))


def remove_row(stops: list) -> None:
    """Remove a chosen stop, undo the last one added, clear the path."""
    # the picker's values are the names it shows: the browser keeps the label it shows and
    # sends it back, and an index whose label changed (the empty path's "–" becoming "A")
    # was not re-sent to it, so "Remove it" then got "–" back (seen in the sequence benchmark)
    names = [stop_name(i) for i in range(len(stops))] or [EMPTY]
    if st.session_state.get(PICK) not in names:
        st.session_state[PICK] = names[-1]
    pick, remove = st.columns([1, 1], vertical_alignment="bottom")
    pick.selectbox("Stop", names, key=PICK, disabled=not stops)
    remove.button("Remove it", on_click=lambda: state.remove_stop(st.session_state[PICK]),
                  disabled=not stops, width="stretch")
    b1, b2 = st.columns(2)
    b1.button("Undo stop", on_click=state.undo_stop, disabled=not stops, width="stretch")
    b2.button("Clear path", on_click=state.set_stops, args=([],), disabled=not stops,
              width="stretch")
