"""The Train page: a data set, a model family and its settings; the training runs in its own
process (``aeexplorer.app.jobs``) and is followed live (progress, loss curves, cancel). The model
is written to this session's folder and listed in this session's checkpoint pickers only."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from aeexplorer.app import jobs
from aeexplorer.app.limits import Limits, duration_text, size_text
from aeexplorer.core.checkpoints.metric_table import METRICS, present, why_missing
from aeexplorer.core.datasets.loading import offered, resolve_data_root
from aeexplorer.core.datasets.registry import title
from aeexplorer.core.errors import AeError
from aeexplorer.core.text_numbers import parse_hidden
from aeexplorer.core.training import first_map
from aeexplorer.core.training.families import FAMILIES
from aeexplorer.core.training.recipes import FAST
from aeexplorer.core.training.request import TrainRequest, check_name
from aeexplorer.ui import datanote, page_url, pickers, resources, sidebar, state
from aeexplorer.ui.inpage.decoder_files import DECODERS
from aeexplorer.ui.forming import forming_map, loss_curves, talk_stage, under_pointer
from aeexplorer.ui.replay import replay
from aeexplorer.ui.text import md
from aeexplorer.ui.train_form import KEEP, family_fields, fast_fields, train_fields

JOB = "train_job"
# the metrics shown when a training is done, in this order
# (``aeexplorer.core.checkpoints.metric_table``)
SHOWN = ("neg_elbo", "recon_bce", "recon_mse", "kl", "knn5_accuracy", "train_seconds")


def registry() -> jobs.Registry:
    """One per server process, made once (``jobs.shared``, not a Streamlit cache that can be
    cleared): the limits hold across sessions, and a server that stops cleanly stops its
    trainings. A training whose session has closed is stopped by the registry's watcher."""
    return jobs.shared()


def client_address() -> str:
    """This session's client address, as the training cap per address counts it."""
    from aeexplorer.app.limits import client_address as address

    return address(st.context.ip_address, st.context.headers.get("X-Forwarded-For"),
                   registry().limits.trusted_proxies)


def render(root: Path) -> None:
    talk = page_url.start("train")
    job: jobs.Job | None = st.session_state.get(JOB)
    busy = job is not None and job.status == jobs.RUNNING
    if busy and talk:  # a room watches the map form: the whole view is the training's (the
        _follow(root, job)  # title and the form are back once it ends)
        return
    st.title("Train a model")
    if not registry().limits.training:
        st.info("Training is turned off on this server. The models in the checkpoint picker "
                "are all there is to explore here.", icon=":material/block:")
        return
    form, live = st.columns([2, 3], gap="large")
    with form:
        wanted = _form(root, busy)
    if wanted is not None:
        job = _start(root, *wanted)
    with live:
        if job is None:
            st.info("Pick a data set, a model and its settings, then **Start training**. It "
                    "runs in the background: you can switch pages and come back.")
        else:
            _follow(root, job)


def _form(root: Path, busy: bool) -> tuple[TrainRequest, str] | None:
    """The form's widgets; the request and the model name when Start was pressed."""
    # the built-in sets, and the folders of <data root>/images: never a path a visitor names
    dataset = st.radio("Data set", offered(resolve_data_root()), key="train_dataset",
                       horizontal=True, format_func=title, **KEEP)
    no_data = datanote.data_missing(dataset)  # said now, not when the training fails
    if no_data:
        st.warning(datanote.no_data(dataset), icon=":material/folder_off:")
    family = st.selectbox("Model", list(FAMILIES), key="train_family",
                          format_func=lambda f: FAMILIES[f].label, **KEEP)
    st.caption(FAMILIES[family].about)
    params = FAMILIES[family].params
    fast = family == "vae" and st.toggle(
        "A good map in a minute", True, key="train_fast", **KEEP,
        help="The fast recipe, found by measurement: a map worth showing after about a "
             "minute of training (see the README).")
    if fast:
        values = fast_fields(FAST)
    else:
        values = family_fields(family, params)
        if "epochs" in params:
            values.update(train_fields(params))
    plain = re.sub(r"[^A-Za-z0-9._-]+", "-", dataset.removeprefix("folder:"))[:40]
    default = _free_name(resources.session_folder(root), f"my-{plain}-{family}")
    name = st.text_input("Name", key="train_name", placeholder=default, **KEEP,
                         help="The file name in the checkpoint pickers.") or default
    if _taken(resources.session_folder(root), name):
        st.caption("A model of yours has this name: a finished training replaces it.")
    no_library = first_map.missing(values["map_method"]) if "map_method" in values else None
    if no_library:
        st.warning(no_library, icon=":material/extension_off:")
    why_not = ("One training per session at a time." if busy else
               "The data set is not on this server (see above)." if no_data else
               "The map's library is not on this server (see above)." if no_library else None)
    pressed = st.button("Start training", type="primary", disabled=bool(busy or no_data
                                                                          or no_library),
                        key="train_start", help=why_not)
    st.caption(_limits_text(registry().limits))
    if not pressed:
        return None
    try:
        name = check_name(name)
        hidden = parse_hidden(values.pop("hidden")) if "hidden" in values else ()
    except AeError as exc:
        st.error(md(exc))
        return None
    return TrainRequest(dataset=dataset, family=family, hidden=hidden, **values), name


def _limits_text(lim: Limits) -> str:
    """This server's limits on one training, in a visitor's words."""
    parts = []
    if lim.max_params:
        parts.append(f"models of up to {lim.max_params / 1e6:.3g} M parameters")
    if lim.max_seconds:
        parts.append(f"{duration_text(lim.max_seconds)} per training")
    if lim.max_memory:
        parts.append(f"{size_text(lim.max_memory)} of memory per training")
    keep = "Keep this page open while it trains: closing it stops the training."
    if not parts:
        return keep
    said = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"This server allows {said}. {keep}"


def _taken(folder: Path, name: str) -> bool:
    """Whether a model of ``folder`` has ``name`` as Start would read it (spaces, a
    ``.safetensors`` suffix); a name Start refuses replaces nothing."""
    try:
        return (folder / f"{check_name(name)}.safetensors").is_file()
    except AeError:
        return False


def _free_name(folder: Path, base: str) -> str:
    """``base``, else ``base-2``, ``base-3``…: the first name no model in ``folder`` has."""
    n = 1
    while (folder / f"{base if n == 1 else f'{base}-{n}'}.safetensors").exists():
        n += 1
    return base if n == 1 else f"{base}-{n}"


def _start(root: Path, request: TrainRequest, name: str) -> jobs.Job | None:
    """Starts the job and reruns the page; when the server refuses it (its slots taken, a
    limit), says why and returns the last job."""
    out = resources.session_folder(root) / f"{name}.safetensors"
    try:
        job = registry().train(request, out, resolve_data_root(), owner=resources.session_id(),
                               address=client_address(), decoders=DECODERS)
    except AeError as exc:  # slots taken (Busy), or over a limit (TooBig): the message says
        st.warning(md(exc))
        return st.session_state.get(JOB)
    st.session_state[JOB] = job
    st.rerun()  # the form is drawn again, its Start button disabled while this job runs


def _follow(root: Path, job: jobs.Job) -> None:
    """Redrawn every second while the job runs; a full rerun once it ends (stops polling)."""
    running = job.status == jobs.RUNNING
    st.fragment(_live, run_every=1.0 if running else None)(root, job, running)


def _live(root: Path, job: jobs.Job, was_running: bool) -> None:
    registry().beat(resources.session_id())  # this page is open: its training goes on
    view = job.view()
    if was_running and view.status != jobs.RUNNING:
        st.rerun()  # the page redraws without the timer
    fam = FAMILIES.get(view.family)
    talk = bool(st.session_state.get(state.TALK))
    has_curves = fam is not None and fam.params and (view.history or view.trace)  # PCA: none
    if talk and view.status == jobs.RUNNING:
        talk_stage(view, job.cancel, bool(has_curves), fam.curve if fam else None)
        return
    st.subheader(f"{md(view.name)} · {fam.label if fam else md(view.family)}")
    if view.status == jobs.RUNNING:
        _progress(view)
        st.button("Cancel", on_click=job.cancel, key="train_cancel", icon=":material/stop:")
    elif view.status == jobs.DONE:
        _done(root, view)
    elif view.status == jobs.CANCELLED and view.reason:
        st.warning(f"Stopped: {md(view.reason)}. Nothing was written (an earlier model of that "
                   "name is kept).")
    elif view.status == jobs.CANCELLED:
        st.info("Cancelled: nothing was written (an earlier model of that name is kept).")
    else:
        st.error(f"The training failed: {md(view.error)}")
    if view.status == jobs.RUNNING and view.snapshot:
        forming, beside = st.columns([3, 2])
        with forming:
            forming_map(view, talk)
        with beside:
            under_pointer(view, talk)
            if has_curves:
                loss_curves(view, fam.curve, stacked=True)
    elif has_curves:
        loss_curves(view, fam.curve)
    if view.status == jobs.DONE and view.out.is_file():
        card = resources.card(str(view.out), view.out.stat().st_mtime)
        if isinstance(card, dict):
            replay(str(view.out), view.out.stat().st_mtime, card["classes"], talk,
                   key="train_replay", expanded=True)


def _progress(view: jobs.Progress) -> None:
    left = "" if view.left is None else f", about {view.left:.0f} s left"
    st.progress(view.fraction, text=f"{view.stage} · {view.seconds:.0f} s{left}")
    fam = FAMILIES.get(view.family)
    keys = ("recon", fam.curve) if fam and fam.curve else ("recon",)
    shown = " · ".join(f"{k} {view.running[k]:.2f}" for k in keys if k in view.running)
    if shown and len(view.history) < view.epochs:
        st.caption(f"Running means this epoch: {shown}")
    if view.precision:
        st.caption(f"Precision {md(view.precision)}: {md(view.precision_why)}.")


def _done(root: Path, view: jobs.Progress) -> None:
    st.success(f"**{md(view.name)}** is trained and saved: it is now in the checkpoint picker of "
               "every page (for this session only).")
    shown = [METRICS[key] for key in SHOWN if present(view.metrics.get(key))]
    for row in range(0, len(shown), 3):  # three a row: the numbers stay readable
        for col, metric in zip(st.columns(3), shown[row:row + 3]):
            col.metric(metric.label, metric.text(view.metrics[metric.key]), help=metric.help)
    st.caption(_figures_note(view.metrics))
    explore, download = st.columns(2)
    if explore.button("Explore it", type="primary", icon=":material/scatter_plot:",
                      key="train_explore"):
        _explore(root, view.out)
    download.download_button("Download the checkpoint", lambda: view.out.read_bytes(),
                              file_name=view.out.name, on_click="ignore",
                              icon=":material/download:", key="train_download")


def _figures_note(metrics: dict) -> str:
    """What the figures are; where the 5-NN accuracy is left out (data without labels), why."""
    n = metrics.get("n_test")
    count = f"{n:,.0f} images" if present(n) else "the test set"
    knn = ("5-NN accuracy of the classes from the 2-D codes." if present(
        metrics.get("knn5_accuracy")) else
        f"5-NN accuracy {md(why_missing(metrics, 'knn5_accuracy') or 'not measured')}.")
    return f"Test-set figures ({count}): BCE and KL in nats per image, MSE per pixel; {knn}"


def _explore(root: Path, out: Path) -> None:
    """Open the explorer on the new model (as a link naming it would), by its name in the
    Explorer's picker: the display names of the usable files, as ``sidebar`` makes them."""
    files = [path for path, _ in pickers.scan(root)[0]]
    names = sidebar.display_names(files)
    state.open_in_explorer(next((n for n, p in zip(names, files) if p == out.resolve()),
                                out.name))
