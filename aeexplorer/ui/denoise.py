"""The Denoise page: one image, corrupted, through a denoising autoencoder and a plain one
side by side (see ``aeexplorer.app.denoise``), with each output's distance to the clean image."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aeexplorer.app import denoise, image_shapes
from aeexplorer.core.checkpoints.card import family, kinds, train_config
from aeexplorer.core.errors import AeError
from aeexplorer.core.images.photo import prepare_bytes
from aeexplorer.core.images.preprocess import preprocess_bytes
from aeexplorer.ui import datanote, page_url, pickers, resources
from aeexplorer.ui.image_view import show
from aeexplorer.ui.state import new_seed
from aeexplorer.ui.text import md
from aeexplorer.ui.uploads import cached_upload, upload_label, uploader

if TYPE_CHECKING:
    from aeexplorer.core.models import ModelConfig

DATASET, DAE, PLAIN = "dn_dataset", "dn_dae", "dn_plain"
SOURCE, INDEX, KIND, LEVEL, SEED = "dn_source", "dn_index", "dn_kind", "dn_level", "dn_seed"
UPLOAD_FILE, UPLOAD, PAD = "dn_upload_file", "dn_upload", "dn_pad"
FOLLOWED = "dn_followed"  # the (data set, noise kind) the denoiser was last picked for
TEST, OWN = "A test image", "Your own image"
KIND_NAMES = {"gaussian": "Gaussian", "mask": "Masking"}


def render(root: Path) -> None:
    talk = page_url.start("denoise")
    checkpoints = pickers.usable(root)
    if not talk:  # in talk mode the controls and the four images take the screen
        st.title("Denoise: a denoising autoencoder against a plain one")
    offered = _datasets(checkpoints)
    if st.session_state.get(DATASET) not in offered:
        st.session_state.pop(DATASET, None)  # a data set whose models have gone
    linked = page_url.wanted("ds")
    dataset = st.sidebar.selectbox("Data set", offered, key=DATASET,
                                   index=offered.index(linked) if linked in offered else 0,
                                   format_func=lambda d: pickers.DATASET_NAMES.get(d, d))
    page_url.keep("ds", dataset)
    name = pickers.DATASET_NAMES.get(dataset) or md(dataset)  # a model's own name: escaped
    daes = pickers.accepted(checkpoints,
                            lambda c: c["dataset"] == dataset and "denoising" in kinds(c))
    _follow_noise(dataset, daes)
    dae = pickers.choose(daes, "Denoising autoencoder", DAE)
    page_url.keep("dae", dae and dae[0].name)
    # a plain autoencoder: the registry's "ae", clean inputs and no penalty
    plain = pickers.choose(pickers.accepted(checkpoints, lambda c: c["dataset"] == dataset and
                                            "ae" in kinds(c)),
                           "Plain autoencoder", PLAIN, prefer=f"{dataset}-ae",
                           wanted=page_url.wanted("ae"))
    page_url.keep("ae", plain and plain[0].name)
    if not talk:  # the presenter says it
        st.caption("A denoising autoencoder is trained to give back the clean image from a "
                   "corrupted one; a plain autoencoder only ever saw clean images. Both get "
                   "the same noisy input here; MSE is per pixel, against the clean image.")
    if dae is None:
        st.info(f"There is no denoising autoencoder for {name} yet. Train one with\n\n"
                f"{_command(dataset, st.session_state.get(KIND, 'gaussian'))}"
                "\n\nthen reload this page.")
    if plain is None:
        st.info(f"There is no plain autoencoder for {name} to compare with.")
    view(dataset, [m for m in (dae, plain) if m is not None], [card for _, card in daes], talk)


def _datasets(checkpoints: list[tuple[Path, dict]]) -> list[str]:
    """The built-in data sets, then those of the models here (a colour set, an image folder)."""
    extra = {card["dataset"] for _, card in checkpoints} - set(pickers.DATASET_NAMES)
    return [*pickers.DATASET_NAMES, *sorted(extra)]


def _command(dataset: str, kind: str) -> str:
    """The command that trains a denoiser, as a code span; as escaped text when the data set's
    name (read from a file) holds a backtick, which would end the span."""
    command = denoise.train_command(dataset, kind)
    return md(command) if "`" in command else f"`{command}`"


def _follow_noise(dataset: str, daes: list[tuple[Path, dict]]) -> None:
    """Once per data set and noise kind, the denoiser picked is one trained with that noise
    (if there is one); a denoiser picked by hand stays until either changes."""
    kind = st.session_state.get(KIND, "gaussian")
    if st.session_state.get(FOLLOWED) == (dataset, kind):
        return
    linked = None if FOLLOWED in st.session_state else page_url.wanted("dae")
    st.session_state[FOLLOWED] = (dataset, kind)
    # a link's denoiser, on the session's first run; else one trained with this noise
    match = next((i for i, (p, _) in enumerate(daes) if p.name == linked), None)
    match = denoise.for_noise([card for _, card in daes], kind) if match is None else match
    if match is not None:
        st.session_state[DAE] = match


def _role(card: dict) -> str:
    return "denoising AE output" if "denoising" in kinds(card) else "plain AE output"


def _random_index(n: int) -> None:
    st.session_state[INDEX] = int(np.random.default_rng().integers(n))


def _test_image(dataset: str, shape: tuple[int, int] | None) -> np.ndarray | None:
    """The test image picked, read as the model of ``shape`` (``resources.image_shape``)
    takes it."""
    images = resources.originals(dataset, shape)
    if isinstance(images, str):
        st.warning("Upload an image instead: the test images are missing. "
                   + datanote.no_data(dataset, images))
        return None
    n = len(images)
    a, b = st.columns([1, 1], vertical_alignment="bottom")
    a.number_input("Test image #", 0, n - 1, 0, key=INDEX)
    b.button("Random image", on_click=_random_index, args=(n,), width="stretch")
    return images[min(int(st.session_state.get(INDEX, 0)), n - 1)]


def _own_image(dataset: str, config: ModelConfig | None) -> np.ndarray | None:
    """The upload (or drawing) prepared as the model of ``config`` trained on ``dataset``
    takes it (``core.images.photo``: in colour for a colour model); the MNIST way without a model;
    None without one."""
    colour = config is not None and config.colour
    uploader(upload_label(dataset), UPLOAD_FILE, PAD, colour=colour)
    make = preprocess_bytes if config is None else partial(prepare_bytes, config=config,
                                                           dataset=dataset)
    # the preparation depends on the model's data set and image shape alone
    tag = "" if config is None else f"{dataset}:{config.image_shape}"
    result = cached_upload(UPLOAD_FILE, PAD, UPLOAD, tag, make)
    if isinstance(result, str):
        st.error(f"Could not use this image. {md(result)}")
        return None
    return None if result is None else result.image


def _noise_controls(talk: bool = False) -> tuple[str, float, int]:
    st.radio("Noise", list(KIND_NAMES), key=KIND, horizontal=True,
             format_func=KIND_NAMES.get)
    kind = st.session_state.get(KIND, "gaussian")
    st.slider("Noise level", 0.0, 1.0, 0.5, step=0.05, key=LEVEL,
              help="Gaussian: the standard deviation σ of the added noise. Masking: the "
                   "probability that a pixel is set to black.")
    a, b = st.columns([3, 2], vertical_alignment="bottom")
    # no value given (it starts at the minimum, 0): "New noise" sets the seed through session
    # state, and a widget given both a value and state makes Streamlit log a warning
    a.number_input("Seed", 0, 2**31 - 2, key=SEED)
    b.button("New noise", on_click=new_seed, args=(SEED,), width="stretch")
    level = float(st.session_state.get(LEVEL, 0.5))
    if not talk:  # talk mode: the denoiser's line under the controls says the noise
        st.caption(f"σ = {level:g}, then clipped to [0, 1]." if kind == "gaussian" else
                   f"Each pixel set to black with probability {level:g}.")
    return kind, level, int(st.session_state.get(SEED, 0))


@st.fragment
def view(dataset: str, models: list[tuple[Path, dict]], daes: list[dict],
         talk: bool = False) -> None:
    """The image, the noise and the outputs; ``models``: the denoiser picked (when ``daes``,
    the cards of those offered, is not empty), then the plain AE."""
    key = resources.image_shape(models[0][1]["config"]) if models else None
    left, right = st.columns(2, gap="large")
    with left, st.container(key="dn_image"):
        st.radio("Image", [TEST, OWN], key=SOURCE, horizontal=True)
        own = st.session_state.get(SOURCE) == OWN
        config = models[0][1]["config"] if models else None
        clean = _own_image(dataset, config) if own else _test_image(dataset, key)
    with right, st.container(key="dn_noise"):
        kind, level, seed = _noise_controls(talk)
    if st.session_state.get(FOLLOWED) != (dataset, kind):
        st.rerun()  # a new noise kind: the whole page, whose sidebar picks its denoiser
    if daes:
        _pairing(dataset, models[0], kind, denoise.for_noise(daes, kind) is not None)
    if clean is None:
        if own:
            st.info("Upload an image to corrupt and denoise.")
        return
    models = _fitting(models, clean.shape)
    try:
        ckpts = [resources.checkpoint(str(p), p.stat().st_mtime) for p, _ in models]
    except AeError as exc:
        st.error(f"A model cannot be loaded: {md(exc)}")
        return
    _results(denoise.denoise(clean, ckpts, kind, level, seed), models)


def _fitting(models: list[tuple[Path, dict]], shape: tuple[int, ...]
             ) -> list[tuple[Path, dict]]:
    """The models that take images of ``shape``; each other one is named, with what differs
    (the test images of another image size, two models of different sizes)."""
    kept = []
    for path, card in models:
        why = image_shapes.mismatch(shape, card["config"].image_shape)
        if why:
            st.warning(f"{md(path.stem)} is left out: {why}.")
        else:
            kept.append((path, card))
    return kept


def _pairing(dataset: str, dae: tuple[Path, dict], kind: str, offered: bool) -> None:
    """Which noise the denoiser was trained with; a warning when it is not this noise, with
    what to do (``offered``: a denoiser trained with this noise is in the picker)."""
    trained = denoise.trained_noise(dae[1])
    if trained is None:
        return
    if trained[0] == kind:
        st.caption(f"The denoiser, {md(dae[0].stem)}, was trained with this noise "
                   f"({_noise_text(*trained)}).")
        return
    advice = (f"Pick one trained with {KIND_NAMES[kind].lower()} noise in the sidebar."
              if offered else
              f"None here was; train one with {_command(dataset, kind)}.")
    st.warning(f"This denoiser, {md(dae[0].stem)}, was trained with {_noise_text(*trained)}, "
               f"not {KIND_NAMES[kind].lower()} noise: it is not the model for this noise, and "
               f"may do no better than the plain one. {advice}", icon=":material/warning:")


def _noise_text(kind: str, level: float) -> str:
    return (f"Gaussian noise, σ = {level:g}" if kind == "gaussian" else
            f"masking noise, p = {level:g}")


def _results(result: denoise.Denoised, models: list[tuple[Path, dict]]) -> None:
    # large images (the talk-mode scale): this page is about seeing the pixels
    roles = ["denoising AE output", "plain AE output"] if len(models) == 2 else ["output"]
    with st.container(key="dn_results"):
        cols = st.columns(2 + len(models))
        with cols[0]:
            show(result.clean, "clean original", talk=True)
            st.markdown("the target")
        with cols[1]:
            show(result.noisy, "noisy input", talk=True)
            st.markdown(f"MSE **{result.noisy_mse:.4f}**")
        for col, (path, card), out, role in zip(cols[2:], models, result.outputs, roles):
            with col:
                show(out.image, role if len(models) == 2 else _role(card), talk=True)
                st.markdown(f"MSE **{out.mse:.4f}**")
                st.caption(f"{family(card['config'], train_config(card))} · "
                           f"{md(path.name)}")
    if len(result.outputs) == 2 and result.outputs[0].mse < result.outputs[1].mse:
        better = result.outputs[1].mse / max(result.outputs[0].mse, 1e-12)
        st.success(f"The denoising autoencoder's output is {better:.1f}× closer (in MSE) to "
                   "the clean image than the plain autoencoder's.")
    elif len(result.outputs) == 2:
        st.info("Here the plain autoencoder's output is as close or closer to the clean image.")
