"""The Anomalies page: every test image scored by its reconstruction error (see
``aeexplorer.app.anomaly``), a threshold over the error distribution, the worst images, the map
coloured by error, and the score of an image of your own."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import streamlit as st

from aeexplorer.app import anomaly, image_shapes, views
from aeexplorer.app.figures import from_dict
from aeexplorer.core.errors import AeError
from aeexplorer.core.images.photo import prepare_bytes
from aeexplorer.ui import datanote, page_url, pickers, resources
from aeexplorer.ui.inpage.linked import LinkedMap, linked_maps
from aeexplorer.ui.image_view import show, shown_px
from aeexplorer.ui.latent_map import MAP_CONFIG
from aeexplorer.ui.text import md
from aeexplorer.ui.uploads import cached_upload, how_prepared, step_images, uploader

CKPT, THRESHOLD, FOR, N_WORST = "anom_ckpt", "anom_threshold", "anom_for", "anom_k"
MAP, SELECTED, UPLOAD_FILE, UPLOAD = "anom_map", "anom_selected", "anom_upload_file", "anom_upload"
PAD = "anom_pad"
NO_IMAGES = "The test set on this machine holds no images: there is nothing to score."


def render(root: Path) -> None:
    talk = page_url.start("anomalies")
    checkpoints = pickers.usable(root)
    if not talk:  # in talk mode the map, threshold and gallery take the screen
        st.title("Anomalies: what the model reconstructs worst")
    pick = pickers.choose(checkpoints, "Checkpoint", CKPT, prefer="mnist-vae",
                          wanted=page_url.wanted("ckpt", scene_model=True))
    page_url.keep("ckpt", pick and pick[0].name)
    if pick is None:
        st.info("There is no readable checkpoint. Train one, for example:\n\n"
                "`python -m aeexplorer train --dataset mnist --model ae --epochs 30 "
                "--out runs/mnist-ae.safetensors`")
        return
    path, card = pick
    if not talk:  # in talk mode the presenter says it, and the map and gallery take the screen
        st.caption("An autoencoder reconstructs images like those it was trained on well, and "
                   "unusual ones badly: the squared error per pixel between a test image and "
                   "the decoding of its code ranks how unusual the image is.")
    mtime, data = path.stat().st_mtime, resources.data_root()
    split = resources.test_split(card["dataset"], data, resources.image_shape(card["config"]))
    if isinstance(split, str):
        st.warning("The anomaly scores need the test images. "
                   + datanote.no_data(card["dataset"], split))
        return
    images, labels = split
    if len(images) == 0:
        st.warning(NO_IMAGES)
        return
    why = image_shapes.mismatch(images.shape[1:], card["config"].image_shape)
    if why:
        st.warning(f"The test images on this machine cannot be scored by this model: {why}.")
        return
    try:
        scores = _scores(str(path), mtime, data)
    except AeError as exc:
        st.error(f"This checkpoint's model cannot be loaded: {md(exc)}")
        return
    if st.session_state.get(FOR) != str(path) or THRESHOLD not in st.session_state:
        _reset_threshold(scores.errors)  # a new model's errors have their own scale
        st.session_state[FOR] = str(path)
    threshold_panel(str(path), mtime, images, labels, talk)
    if not talk:  # in talk mode the map is beside the threshold (``threshold_panel``)
        map_panel(str(path), mtime, images, labels)
    upload_panel(str(path), mtime)


@st.cache_resource(max_entries=8, show_spinner="Reconstructing the test set…")
def _scores(path: str, mtime: float, data: str) -> anomaly.Scores:
    """Every test image's error and code; ``data`` (the data root) is part of the key."""
    ckpt = resources.checkpoint(path, mtime)
    return anomaly.score(ckpt, resources.test_images(ckpt.dataset, data,
                                                      resources.image_shape(ckpt.config)))


@st.cache_resource(max_entries=8, show_spinner=False)
def _map(path: str, mtime: float, data: str, talk: bool = False) -> dict:
    """The error map as a figure dict: 10k points built once per model, not per rerun."""
    scores, card = _scores(path, mtime, data), resources.card(path, mtime)
    xy = views.map_xy(scores.codes)
    labels = resources.test_split(card["dataset"], data, resources.image_shape(card["config"]))[1]
    fig = anomaly.error_map(xy, scores.errors, labels, card["classes"], views.map_bounds(xy),
                            talk=talk)
    return fig.to_dict()


def _step(errors: np.ndarray) -> float:
    """A round slider step giving a few hundred positions over the error range."""
    top = float(np.max(errors)) if len(errors) else 1.0
    return 10.0 ** math.floor(math.log10(max(top, 1e-6) / 300))


def _on_grid(value: float, step: float) -> float:
    """``value`` rounded to the step's decimals: no float dust (0.08700000000000001)."""
    return round(value, max(0, -math.floor(math.log10(step))))


def _reset_threshold(errors: np.ndarray) -> None:
    st.session_state[THRESHOLD] = _on_grid(anomaly.threshold_at(errors, 99.0), _step(errors))


def _classes(path: str, mtime: float, labels: np.ndarray) -> np.ndarray:
    """The class name of each label, "" where there is none (unlabelled data)."""
    return anomaly.class_text(labels, resources.card(path, mtime)["classes"])


def _pair(ckpt_path: str, mtime: float, images: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Originals beside their reconstructions: (n, H, 2W + 2[, 3]) images."""
    recon = anomaly.reconstruct(resources.checkpoint(ckpt_path, mtime), images[idx])
    return anomaly.pairs(images[idx], recon)


@st.fragment
def threshold_panel(path: str, mtime: float, images: np.ndarray, labels: np.ndarray,
                    talk: bool = False) -> None:
    """The threshold beside the error histogram, then the gallery; in talk mode the map takes
    the histogram's place (the histogram goes below the gallery), so that the map, the
    threshold and the gallery's first row fit one projector screen."""
    errors = _scores(path, mtime, resources.data_root()).errors
    step = _step(errors)
    top = _on_grid(math.ceil(float(errors.max()) / step) * step, step)
    left, right = st.columns([3, 2] if talk else [2, 1], gap="medium")
    with right, st.container(key="anom_controls"):
        st.slider("Threshold (reconstruction error)", 0.0, top, step=step, key=THRESHOLD,
                  format="%.4f", help="Test images with a larger error count as anomalies.")
        threshold = float(st.session_state[THRESHOLD])
        above = anomaly.n_above(errors, threshold)
        st.markdown(f"**{above}** of {len(errors):,} test images "
                    f"(**{above / len(errors):.2%}**) lie above **{threshold:.4f}**.")
        st.button("Back to the 99th percentile", on_click=_reset_threshold, args=(errors,))
        if talk:
            _selection(path, mtime, images, labels, errors, talk)
        else:
            st.slider("Worst images shown", 8, 48, 16, step=8, key=N_WORST)
            st.caption(f"Median error {np.median(errors):.4f}, mean {errors.mean():.4f}, "
                       f"largest {errors.max():.4f}.")
    with left:
        if talk:
            _map_chart(path, mtime, talk)
        else:
            st.plotly_chart(anomaly.histogram(errors, threshold), key="anom_hist", theme=None,
                            config={"displaylogo": False})
    _gallery(path, mtime, images, labels, errors, threshold, talk)
    if talk:
        st.plotly_chart(anomaly.histogram(errors, threshold, talk=True), key="anom_hist",
                        theme=None, config={"displaylogo": False})


def _gallery(path: str, mtime: float, images: np.ndarray, labels: np.ndarray,
             errors: np.ndarray, threshold: float, talk: bool = False) -> None:
    """The worst k images, worst first: those above the threshold, then the next worst."""
    idx = anomaly.worst(errors, int(st.session_state.get(N_WORST, 16)))
    pairs, names = _pair(path, mtime, images, idx), _classes(path, mtime, labels[idx])
    above = errors[idx] > threshold
    total = anomaly.n_above(errors, threshold)
    heads = (f"Above the threshold: the {above.sum()} worst of {total}" if total > above.sum()
             else f"Above the threshold: all {total}",
             "The next worst, below the threshold")
    with st.container(key="anom_gallery"):
        for title, part in zip(heads, (np.flatnonzero(above), np.flatnonzero(~above))):
            if len(part) == 0:
                continue
            st.subheader(title)
            per_row = 6 if talk else 8  # talk mode's captions are wider
            for row in range(0, len(part), per_row):  # a row at a time: reading order
                for col, j in zip(st.columns(per_row), part[row:row + per_row]):
                    i = int(idx[j])
                    with col:
                        show(pairs[j], " · ".join(t for t in (f"#{i}", names[j],
                                                             f"{errors[i]:.4f}") if t))
        # unlabelled data: no class to name (the data set has no labels)
        st.caption("Each pair: the test image, then its reconstruction; test index, "
                   + ("class, " if any(names) else "") + "error.")


def _clicked() -> int | None:
    event = st.session_state.get(MAP)
    points = (dict(event.selection).get("points") or []) if event else []
    for point in points:
        custom = point.get("customdata")
        custom = custom[0] if isinstance(custom, (list, tuple)) and custom else custom
        if isinstance(custom, (int, float)) and not isinstance(custom, bool) and custom >= 0:
            return int(custom)
    return None


@st.fragment
def map_panel(path: str, mtime: float, images: np.ndarray, labels: np.ndarray) -> None:
    st.subheader("The test set in latent space, coloured by reconstruction error")
    errors = _scores(path, mtime, resources.data_root()).errors
    left, right = st.columns([2, 1], gap="medium")
    with left:
        _map_chart(path, mtime)
    with right:
        _selection(path, mtime, images, labels, errors)


def _map_chart(path: str, mtime: float, talk: bool = False) -> None:
    """The error map; a click on a point selects its test image (``_selection``)."""
    clicked = _clicked()
    if clicked is not None and clicked < len(_scores(path, mtime, resources.data_root()).errors):
        st.session_state[SELECTED] = (path, clicked)
    fig = from_dict(_map(path, mtime, resources.data_root(), talk))
    if talk:  # beside the threshold, above the gallery's first row: a projector's screen
        fig.update_layout(height=400)
    st.plotly_chart(fig, key=MAP,
                    on_select="rerun", selection_mode=("points",), config=MAP_CONFIG,
                    theme=None)


def _selection(path: str, mtime: float, images: np.ndarray, labels: np.ndarray,
               errors: np.ndarray, talk: bool = False) -> None:
    """The selected test image, its reconstruction and error; the pointer's z in their place."""
    with st.container(key="anom_selection"):  # under the pointer's decode (``linked_maps``)
        _selected(path, mtime, images, labels, errors, talk)
    side = resources.card(path, mtime)["config"].image_size  # images as ``_selected``'s:
    linked_maps("anom_linked", [LinkedMap("", MAP, "anom_selection", path, mtime)], talk,
                px=shown_px(side, False, big=not talk))


def _selected(path: str, mtime: float, images: np.ndarray, labels: np.ndarray,
              errors: np.ndarray, talk: bool) -> None:
    chosen = st.session_state.get(SELECTED)
    if not chosen or chosen[0] != path:
        st.info("Point at the map: the z under the pointer is decoded here. Click a point: "
                "its test image, reconstruction and error appear. Dark red: the worst.")
        return
    i = chosen[1]
    recon = anomaly.reconstruct(resources.checkpoint(path, mtime), images[i:i + 1])[0]
    for col, shown in zip(st.columns(2), ((images[i], "original"), (recon, "reconstruction"))):
        with col:
            show(*shown, big=not talk)
    name = _classes(path, mtime, labels[i:i + 1])[0]
    rank = anomaly.n_above(errors, float(errors[i])) + 1
    named = f" · class **{md(name)}**" if name else ""
    st.markdown(f"**Test image #{i}**{named} · error **{errors[i]:.4f}**: "
                f"the {_ordinal(rank)} worst of {len(errors):,}.")


def _ordinal(n: int) -> str:
    if n == 1:
        return "very"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def higher_than(errors: np.ndarray, value: float) -> str:
    """"higher than 97.3 % of test images", rounded down: 100 % only above every one."""
    if len(errors) == 0:
        return "not comparable: there are no test images"
    share = anomaly.percentile_of(errors, value)
    if value > float(np.max(errors)):
        return "higher than every test image"
    return f"higher than {math.floor(share * 10) / 10:.1f} % of test images"


def _score_upload(path: str, mtime: float, data: bytes) -> tuple:
    """The upload prepared as the model's training images were (``core.images.photo``: a digit the
    MNIST way, any other picture by its centre square, in colour for a colour model), its
    reconstruction and its error."""
    ckpt = resources.checkpoint(path, mtime)
    steps = prepare_bytes(data, ckpt.config, ckpt.dataset)
    error, recon = anomaly.image_error(ckpt, steps.image)
    return steps, recon, error


@st.fragment
def upload_panel(path: str, mtime: float) -> None:
    st.subheader("Your own image")
    card = resources.card(path, mtime)
    config = card["config"]
    uploader("An image to score: a digit, a letter, a face, anything", UPLOAD_FILE, PAD,
             colour=config.colour)
    result = cached_upload(UPLOAD_FILE, PAD, UPLOAD, f"{path}@{mtime!r}",
                           lambda data: _score_upload(path, mtime, data))
    if result is None:
        st.caption(how_prepared(config, card["dataset"], "reconstructed, and its error "
                                "compared with the test set's"))
        return
    if isinstance(result, str):
        st.error(f"Could not use this image. {md(result)}")
        return
    steps, recon, error = result
    errors = _scores(path, mtime, resources.data_root()).errors
    shown = [*step_images(steps, config.image_size), (recon, "reconstruction")]
    for col, (image, caption) in zip(st.columns(len(shown)), shown):
        with col:
            show(image, caption)
    with st.container(key="anom_upload_result"):
        st.markdown(f"Reconstruction error **{error:.4f}**: "
                    f"**{higher_than(errors, error)}**.")
