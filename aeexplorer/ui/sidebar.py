"""The sidebar: checkpoint picker, model card, talk mode and map options."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from aeexplorer.app.density import MAX_POINTS
from aeexplorer.core.checkpoints.card import family, number, placing, train_config
from aeexplorer.core.checkpoints.metric_table import METRICS, QUALITY, present
from aeexplorer.ui import pickers, resources, state
from aeexplorer.ui.text import md, show_paths

_DATASETS = pickers.DATASET_NAMES
_LINK_NOTE = "link_note"  # (why the link's checkpoint is not shown, the one shown instead)


FIND_INDEX, FIND_CLASS = "find_index", "find_class"


@dataclass(frozen=True)
class MapOptions:
    manifold: bool
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    tiles: int
    find_index: int | None = None  # a test image ringed on the map (and selected)
    find_class: int | None = None  # a class that stands out, the others faded
    by_colour: bool = False  # dots in their decoded images' colours (a colour model)


def pick_checkpoint(root: Path) -> Path | None:
    """The checkpoint picker over every usable file (the others are listed with why)."""
    usable, bad = pickers.scan(root)
    files = [p for p, _ in usable]
    st.sidebar.title("AE explorer")
    pickers.note_unusable(bad)
    if not files:
        folders = ", ".join(md(shown_path(p, root)) for p in resources.checkpoint_folders(root))
        st.sidebar.warning(f"No usable checkpoints in {folders}.")
        return None
    names = display_names(files)
    wanted = state.scene().ckpt
    index = wanted_index(names, wanted)
    if wanted and names[index] != wanted and names[index].rsplit("/", 1)[-1] != wanted:
        why = next((why for p, why in bad if p.name == wanted), None)
        note = (f"The link's checkpoint {md(wanted)} " + (f"cannot be used: {md(why)}" if why
                else "is not on this server") + f". Showing {md(names[index])} instead.")
        st.session_state[_LINK_NOTE] = (note, names[index])
    name = st.sidebar.selectbox("Checkpoint", names, index=index, key="ckpt_pick",
                                format_func=lambda n: pickers.label(*usable[names.index(n)]))
    note = st.session_state.get(_LINK_NOTE)
    if note and note[1] == name:  # shown until another model is picked
        st.warning(note[0])
    else:
        st.session_state.pop(_LINK_NOTE, None)
    return files[names.index(name)]


def shown_path(path: Path, root: Path) -> str:
    """A path as a visitor may see it: relative to the app's folder when inside it, else only
    its name, unless the person running the server set AEEXPLORER_SHOW_PATHS."""
    if show_paths():
        return str(path)
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return f"…/{path.name}"


def display_names(files: list[Path]) -> list[str]:
    """File names, with the folder in front where two folders hold the same name."""
    counts = {p.name: sum(q.name == p.name for q in files) for p in files}
    return [p.name if counts[p.name] == 1 else f"{p.parent.name}/{p.name}" for p in files]


def wanted_index(names: list[str], wanted: str | None) -> int:
    """The checkpoint a link names (by display name, else by file name), else the first MNIST
    VAE, else the first file."""
    base = [n.rsplit("/", 1)[-1] for n in names]
    for candidates in ([i for i, n in enumerate(names) if n == wanted],
                       [i for i, b in enumerate(base) if b == wanted],
                       [i for i, b in enumerate(base) if b.startswith("mnist-vae")]):
        if candidates:
            return candidates[0]
    return 0


def model_card(path: Path, card: dict, root: Path) -> None:
    cfg, metrics = card["config"], card["metrics"]
    side = st.sidebar
    kind = family(cfg, train_config(card))
    hidden = ",".join(map(str, cfg.hidden)) or "none"
    arch = f" · {cfg.arch}, hidden {hidden}" if cfg.learned else ""
    # a file's data set name is free text ("folder:NAME"): escaped like every value from a file
    dataset = _DATASETS.get(card["dataset"]) or md(card["dataset"])
    # a model that places images by more than its encoder says so (polished codes, a kept map)
    placed = placing(cfg)
    refined = f" · {placed}" if placed else ""
    side.markdown(f"**{dataset}** · {kind}{arch} · "
                  f"{cfg.latent_dim}-D latent{refined}")
    rows = [f"| {METRICS[key].long_label} | {METRICS[key].text(metrics[key])} |"
            for key in QUALITY if present(metrics.get(key))]
    epochs = number(train_config(card), "epochs")
    if epochs is not None:
        rows.append(f"| Epochs trained | {epochs:.0f} |")
    if rows:
        side.markdown("| metric (test set) | value |\n|---|---|\n" + "\n".join(rows))
    # a model trained here: its name, not the session's folder (a long id, issue 25)
    mine = path.parent.resolve() == resources.session_folder(root).resolve()
    side.caption(f"Trained in this session: {md(path.name)}" if mine
                 else md(shown_path(path, root)))


def talk_toggle() -> bool:
    # kept across pages by the scene (``state.init``, which every page calls first): a
    # widget's own persist_state="session" lost the value on some page switches
    return st.sidebar.toggle("Talk mode", key=state.TALK,
                             help="Large type and images for a projector.")


def map_options(ckpt_name: str, bounds, names: tuple[str, ...], xy,
                colour: bool = False) -> MapOptions:
    """The map's settings: find a test image or a class on it (``xy``: the test images' map
    positions, ``names``: the class names), the dots' colours (``colour``: a colour model's
    map of at most MAX_POINTS dots can take its images' colours), and the decoded manifold
    behind the points."""
    side = st.sidebar
    side.subheader("Map")
    index, label = _find(names, xy)
    by_colour = colour and len(xy) <= MAX_POINTS and side.toggle(
        "Dots in their images' colours", key="by_colour",
        help="Each test image's dot takes the colour of its decoded code (its pixels' mean, "
             "weighted by how colourful they are), instead of its class's colour.")
    on = side.toggle("Decoded manifold behind the points", key=state.MANIFOLD)
    (x0, x1), (y0, y1) = bounds
    wx, wy = (x1 - x0) * 0.5, (y1 - y0) * 0.5
    state.default(f"mfx:{ckpt_name}", (_r(x0), _r(x1)))
    state.default(f"mfy:{ckpt_name}", (_r(y0), _r(y1)))
    state.default("mf_tiles", 20)
    xr = side.slider("Manifold z₁ range", _r(x0 - wx), _r(x1 + wx), step=_step(x1 - x0),
                     key=f"mfx:{ckpt_name}", disabled=not on)
    yr = side.slider("Manifold z₂ range", _r(y0 - wy), _r(y1 + wy), step=_step(y1 - y0),
                     key=f"mfy:{ckpt_name}", disabled=not on)
    tiles = side.slider("Manifold tiles per side", 6, 40, key="mf_tiles", disabled=not on)
    return MapOptions(on, (float(xr[0]), float(xr[1])), (float(yr[0]), float(yr[1])), tiles,
                      index, label, bool(by_colour))


def _find(names: tuple[str, ...], xy) -> tuple[int | None, int | None]:
    """The Embedding Projector's search: a test image by its index (ringed and selected), a
    class (the others fade)."""
    side, n = st.sidebar, len(xy)
    if st.session_state.get(FIND_INDEX) is not None and st.session_state[FIND_INDEX] >= n:
        st.session_state[FIND_INDEX] = None  # another model's atlas may be smaller
    found, pick = side.columns([1, 1], vertical_alignment="bottom")
    index = found.number_input("Find test image #", 0, max(n - 1, 0), value=None,
                               key=FIND_INDEX, placeholder="index",
                               on_change=_select_found, args=(xy,))
    if not names:  # an unlabelled data set: no class to highlight
        return (None if index is None else int(index)), None
    state.default(FIND_CLASS, None)
    if st.session_state[FIND_CLASS] not in (None, *range(len(names))):  # a link's, too big
        st.session_state[FIND_CLASS] = None
    # a value of None shows the placeholder, not the option's name: both say "none" (the
    # default one, "Choose an option", was cut to "Choose an" in this narrow column)
    label = pick.selectbox("Highlight a class", [None, *range(len(names))], key=FIND_CLASS,
                           format_func=lambda i: "none" if i is None else names[i],
                           placeholder="none")
    return (None if index is None else int(index)), label


def _select_found(xy) -> None:
    i = st.session_state.get(FIND_INDEX)
    if i is not None and 0 <= i < len(xy):
        state.select(tuple(xy[int(i)]), int(i))


def _r(v: float) -> float:
    return round(float(v), 2)


def _step(span: float) -> float:
    return max(round(span / 200, 3), 0.001)
