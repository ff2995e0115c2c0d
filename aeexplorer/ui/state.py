"""Per-person state in ``st.session_state``: the scene (see ``aeexplorer.app.scene``), seeded from
the URL on a session's first run and written back to the URL after every run; and how another
page opens the Explorer on a checkpoint (``open_in_explorer``).

Streamlit drops a widget's value from the session when a run does not draw that widget, as a
run of another page does not. So the scene, a plain session value, holds every setting the
URL carries, and the Explorer's other settings are copied aside (``KEPT``); each Explorer run
first takes the widgets' values into them (``init``) and puts back those that were dropped."""

from __future__ import annotations

import streamlit as st

from aeexplorer.app.figures import stop_name
from aeexplorer.app.scene import MAX_STOPS, TABS, Scene

EXPLORER_PAGE = "aeexplorer/ui/pages/explorer.py"  # its page script, as app.py registers it
SCENE, KEPT_VALUES = "scene", "_kept"
UPLOAD = "upload"  # (file id, Placement or error message) of the current upload
# widget keys whose values belong to the scene
FRAMES, METHOD, SEED, TEMP, N_SAMPLES, TALK, MANIFOLD = (
    "frames", "method", "seed", "temperature", "n_samples", "talk", "manifold")
SHOW_SAMPLES, CLICK_MODE, MAP, TAB = "show_samples", "click_mode", "map", "tool_tab"
DECODE, ADD_STOP = "Decode it", "Add a path stop"
CLICKS = {"decode": DECODE, "stop": ADD_STOP}  # the scene's value -> the control's label
TAB_LABELS = dict(zip(TABS, ("Interpolation path", "Samples from the prior", "Your own image",
                             "Similar images")))
_SAME = {FRAMES: "frames", METHOD: "method", SEED: "seed", TEMP: "temperature",
         N_SAMPLES: "samples", TALK: "talk", MANIFOLD: "manifold", SHOW_SAMPLES: "show_samples",
         "find_class": "highlight"}
_LABELLED = {CLICK_MODE: ("click", CLICKS), TAB: ("tab", TAB_LABELS)}
# the Explorer's widgets that are not in the URL but must outlive a visit to another page
# (the manifold's ranges are one per checkpoint: ``mfx:<name>``, ``mfy:<name>``)
KEPT = ("class_a", "class_b", "index_a", "index_b", "sim_k", "sim_source", "mf_tiles",
        "find_index", "find_class", "stop_at", "stop_pick")
KEPT_PREFIXES = ("mfx:", "mfy:")
STOP_AT, END = "stop_at", -1  # where a click adds a path stop: before that stop, or at the end
_STOP_AT_NEXT, _LAST_STOP = "_stop_at_next", "_last_stop"
_PAGE = "_page"  # the page of the last run


def init(page: str = "explorer") -> Scene:
    """The scene: read from the URL on a session's first run; on every run, updated with the
    widgets' values, and the widgets a visit to another page dropped seeded again. On the
    first run of ``page`` after another page, talk mode is the scene's: the browser may send
    the talk toggle's value from before (seen: talk mode lost on a move to another page)."""
    if SCENE not in st.session_state:
        st.session_state[SCENE] = Scene.from_query(st.query_params.to_dict())
    if st.session_state.get(_PAGE) != page:
        st.session_state[_PAGE] = page
        st.session_state[TALK] = st.session_state[SCENE].talk
    _absorb(reseed=True)
    return st.session_state[SCENE]


def _absorb(reseed: bool) -> None:
    """The widgets' values into the scene and the kept values; with ``reseed``, the other way
    round for a widget whose value is gone."""
    s, ss = st.session_state[SCENE], st.session_state
    for key, attr in _SAME.items():
        if key in ss:
            setattr(s, attr, ss[key])
        elif reseed:
            ss[key] = getattr(s, attr)
    for key, (attr, labels) in _LABELLED.items():
        by_label = {v: k for k, v in labels.items()}
        if ss.get(key) in by_label:
            setattr(s, attr, by_label[ss[key]])
        elif reseed:
            ss[key] = labels[getattr(s, attr)]
    kept = ss.setdefault(KEPT_VALUES, {})
    for key in list(ss.keys()):
        if key in KEPT or str(key).startswith(KEPT_PREFIXES):
            kept[key] = ss[key]
    if reseed:
        for key, value in kept.items():
            ss.setdefault(key, value)


def default(key: str, value) -> None:
    """A widget's first value, set here rather than passed to the widget: a value put back
    by ``init`` and a default given to the widget would clash."""
    st.session_state.setdefault(key, value)


def scene() -> Scene:
    return st.session_state[SCENE]


def current() -> Scene:
    """The scene with the widgets' current values filled in (a fragment's rerun does not run
    ``init``)."""
    _absorb(reseed=False)
    return scene()


def sync_url() -> None:
    """Write the scene to the URL when it changed (a bookmark restores it)."""
    wanted = current().to_query()
    if wanted != st.query_params.to_dict():
        st.query_params.from_dict(wanted)


def select(z: tuple[float, float], index: int | None = None) -> None:
    s = scene()
    s.z, s.index = (float(z[0]), float(z[1])), index


def add_stop(z: tuple[float, float]) -> None:
    """A stop where the path's "next stop goes…" control says (``STOP_AT``: before the stop of
    that index, or at the end). After an insertion the next click goes after the new stop."""
    stops = scene().stops
    if len(stops) >= MAX_STOPS:
        return
    at = stop_at(len(stops))
    at = len(stops) if at == END else at
    stops.insert(at, (float(z[0]), float(z[1])))
    st.session_state[_LAST_STOP] = at
    if at < len(stops) - 1:  # the control is drawn already: set it on the next run
        st.session_state[_STOP_AT_NEXT] = at + 1


def stop_at(n_stops: int) -> int:
    """Where the next stop goes: an index to insert before, or END."""
    at = st.session_state.get(STOP_AT, END)
    return at if isinstance(at, int) and 0 <= at < n_stops else END


def prepare_stop_at() -> list[int]:
    """Before the "next stop goes…" control is drawn: its choices (END, then before each
    stop), its value among them, an insertion's follow-up applied."""
    n = len(scene().stops)
    if _STOP_AT_NEXT in st.session_state:
        st.session_state[STOP_AT] = st.session_state.pop(_STOP_AT_NEXT)
    st.session_state[STOP_AT] = stop_at(n)
    return [END, *range(n)]


def remove_stop(i: int | str) -> None:
    """Remove stop ``i``: its index, or its name (the stop picker's value, see
    ``explorer.stops.remove_row``); a name no stop has now removes none."""
    stops = scene().stops
    names = [stop_name(k) for k in range(len(stops))]
    if isinstance(i, str):
        i = names.index(i) if i in names else -1
    if not isinstance(i, int) or not 0 <= i < len(stops):
        return
    stops.pop(i)
    last = st.session_state.get(_LAST_STOP)
    if isinstance(last, int) and last >= i:
        st.session_state[_LAST_STOP] = last - 1 if last > i else None


def undo_stop() -> None:
    """Remove the stop added last (the path's last stop when that one is gone)."""
    stops, last = scene().stops, st.session_state.pop(_LAST_STOP, None)
    if stops:
        remove_stop(last if isinstance(last, int) and 0 <= last < len(stops)
                    else len(stops) - 1)


def set_stops(stops: list[tuple[float, float]]) -> None:
    scene().stops = [(float(x), float(y)) for x, y in stops]


def reset_for(ckpt_name: str) -> None:
    """A new checkpoint is a new latent space: codes picked in the old one mean nothing. A
    link that names no checkpoint (``/?z=0,0``) means the default one: its scene is kept."""
    s = scene()
    if s.ckpt is None:
        s.ckpt = ckpt_name
    elif s.ckpt != ckpt_name:
        s.ckpt, s.z, s.index, s.stops = ckpt_name, None, None, []
        st.session_state.pop(UPLOAD, None)


def open_in_explorer(ckpt_name: str) -> None:
    """Switch to the Explorer on checkpoint ``ckpt_name`` (its name in the picker), as a link
    naming it would: another checkpoint than the scene's starts a new scene."""
    init(st.session_state.get(_PAGE, "explorer"))  # called on another page: still on it
    reset_for(ckpt_name)
    st.switch_page(EXPLORER_PAGE)


SEED_MAX = 2**31 - 1  # seeds run 0 .. SEED_MAX - 1, then wrap


def new_seed(key: str) -> None:
    """A button callback: the seed in session state ``key`` moves to the next one."""
    st.session_state[key] = (int(st.session_state.get(key, 0)) + 1) % SEED_MAX
