"""What one server lets its visitors train: the limits that keep a small machine serving a
room (no Streamlit, no torch here). Each comes from an environment variable read in one place,
``Limits.from_env``; a value that cannot be read gives the default, never an error, since a
typo in a service file must not take the server down. The Train page shows the refusals, so
their wording is for a visitor, who can change the form but not the server."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aeexplorer.core.datasets.folder import PREFIX, is_bare, is_folder
from aeexplorer.core.datasets.loading import train_images
from aeexplorer.core.datasets.registry import own_shape
from aeexplorer.core.errors import AeError
from aeexplorer.core.text_numbers import small_number
from aeexplorer.core.training.request import TrainRequest, request_settings

MB, GB = 1 << 20, 1 << 30
PIXELS, LATENT = 784, 2  # the Train page's models: dense, a 2-D code (MNIST's 28×28 in)
# a plain decimal number, an exponent allowed ("1e13"); ASCII only (int() reads "٣" as 3)
_DECIMAL = re.compile(r"[0-9]{1,15}(\.[0-9]{1,6})?([eE]\+?[0-9]{1,2})?", re.ASCII)
_OFF = {"off", "0", "no", "false", "disabled"}


class TooBig(AeError):
    """A training that this server's limits refuse before it starts."""


@dataclass(frozen=True)
class Limits:
    """A server's limits; a size or duration of 0 means no limit."""
    training: bool = True  # AEEXPLORER_TRAINING=off hides the Train form
    max_trainings: int = 2  # at once in the server (each holds a core)
    per_session: int = 1  # at once per visitor (browser session)
    per_address: int = 1  # at once per client address (a script opens many sessions)
    trusted_proxies: int = 0  # proxies in front whose X-Forwarded-For is believed (0: none)
    max_params: int = 10_000_000  # model parameters (6× the shipped 1.6 M nets)
    max_work: float = 1e13  # parameters × epochs × training images
    max_seconds: float = 30 * 60  # run time of one training
    max_memory: int = 3 * GB  # resident memory of one training (twice a normal one's)
    session_disk: int = 100 * MB  # bytes under runs/sessions/<id>/
    total_disk: int = 2 * GB  # bytes under runs/sessions/
    grace: float = 120.0  # seconds a session may go unseen before its training is stopped
    max_age: float = 24 * 3600  # a session folder untouched this long is removed
    tmp_age: float = 3600.0  # a leftover ".NAME.XXXX.tmp" this old is removed
    decoder_age: float = 3600.0  # a page's decoder file no page used this long is removed

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if env is None else env
        d = cls()

        def read(name: str, default: float, scale: float = 1.0) -> float:
            return _amount(env.get(name, ""), default / scale) * scale

        cap = small_number(env.get("AEEXPLORER_MAX_TRAININGS", ""))
        per = small_number(env.get("AEEXPLORER_TRAININGS_PER_SESSION", ""))
        per_address = small_number(env.get("AEEXPLORER_TRAININGS_PER_ADDRESS", ""))
        proxies = small_number(env.get("AEEXPLORER_TRUSTED_PROXIES", ""))
        return cls(
            training=env.get("AEEXPLORER_TRAINING", "").strip().lower() not in _OFF,
            max_trainings=d.max_trainings if cap is None else cap,
            per_session=d.per_session if per is None else per,
            per_address=d.per_address if per_address is None else per_address,
            trusted_proxies=d.trusted_proxies if proxies is None else min(proxies, 8),
            max_params=int(read("AEEXPLORER_MAX_PARAMS", d.max_params)),
            max_work=read("AEEXPLORER_MAX_WORK", d.max_work),
            max_seconds=read("AEEXPLORER_MAX_TRAIN_MINUTES", d.max_seconds, 60),
            max_memory=int(read("AEEXPLORER_MAX_TRAIN_MEMORY_MB", d.max_memory, MB)),
            session_disk=int(read("AEEXPLORER_SESSION_DISK_MB", d.session_disk, MB)),
            total_disk=int(read("AEEXPLORER_TOTAL_DISK_MB", d.total_disk, MB)),
            grace=read("AEEXPLORER_SESSION_GRACE_S", d.grace),
            max_age=read("AEEXPLORER_SESSION_MAX_AGE_H", d.max_age, 3600),
            tmp_age=read("AEEXPLORER_TMP_MAX_AGE_MIN", d.tmp_age, 60),
            decoder_age=read("AEEXPLORER_DECODER_MAX_AGE_MIN", d.decoder_age, 60))


def _amount(text: str, default: float) -> float:
    """``text`` as a finite number ≥ 0, else ``default``: never an exception."""
    text = text.strip()
    if not _DECIMAL.fullmatch(text):
        return default
    value = float(text)
    return value if math.isfinite(value) else default


def client_address(peer: str | None, forwarded: str | None, trusted_proxies: int) -> str:
    """Whom a session's trainings count against: its client's address. ``peer`` is the address
    the server saw (Streamlit's ``st.context.ip_address``: None on this machine), ``forwarded``
    the X-Forwarded-For header. Only with ``trusted_proxies`` proxies in front is that header
    read (the entry the nearest of them wrote about its client: the others are the client's
    own words). Otherwise a peer taken from that header (the web server does so for a peer on
    this machine) is not believed: every such session counts as one address, "forwarded"."""
    entries = [e.strip() for e in (forwarded or "").split(",")[-64:] if e.strip()]
    if trusted_proxies and len(entries) >= trusted_proxies:
        return entries[-trusted_proxies][:64]
    if peer is not None and peer in entries:
        return "forwarded"
    return (peer or "local")[:64]


def one_too_many(limits: Limits, running: list[tuple[str | None, str | None]],
                 owner: str | None, address: str | None) -> str | None:
    """Why a training of session ``owner`` from client ``address`` must wait, ``running`` the
    (session, address) of the trainings running now; None when it may start."""
    mine = sum(o == owner for o, _ in running) if owner is not None else 0
    if limits.per_session and mine >= limits.per_session:
        return (f"you already run {mine} training{'s' if mine > 1 else ''}, as many at once "
                "as this server allows one visitor: wait for it to finish, or cancel it")
    ours = sum(a == address for _, a in running) if address is not None else 0
    if limits.per_address and ours >= limits.per_address:
        return (f"{ours} training{'s' if ours > 1 else ''} from your network address already "
                "run, as many at once as this server allows one address: try again when one "
                "finishes")
    return None


@dataclass(frozen=True)
class DataSize:
    """What a training's data weighs in its cost: training images, and values per image."""
    images: int = 60_000
    pixels: int = PIXELS


def data_size(dataset: str, data_dir: str | os.PathLike) -> DataSize:
    """The training images and pixels of ``dataset`` under ``data_dir``, without reading an
    image: a built-in set's known counts, an image folder's files; its pixels at the size it
    is trained at, in colour unless known grey (an image folder's channels come from its
    files, so the estimate takes the larger). DataNotFound when the folder cannot be read;
    TooBig for a folder named by its path: a visitor trains on the folders of
    ``<data root>/images`` only, by name."""
    if is_folder(dataset) and not is_bare(dataset[len(PREFIX):]):
        raise TooBig("Only the image folders this server offers can be trained on here.")

    size, channels = own_shape(dataset)
    return DataSize(train_images(dataset, data_dir), size * size * (channels or 3))


def parameters(req: TrainRequest, data: DataSize = DataSize()) -> int:
    """The trainable parameters of the dense model a request builds on ``data``, counted from
    its shape (as ``aeexplorer.core.models`` builds it) without torch: before anything is
    started."""
    settings = request_settings(req)
    pixels = data.pixels
    if settings["kind"] == "pca":
        return pixels * LATENT + pixels  # the components and the mean
    hidden, batchnorm = settings.get("hidden", ()), settings.get("batchnorm", False)
    code = LATENT * (2 if settings["kind"] == "vae" else 1)  # a VAE's encoder: mean and log-var

    def mlp(sizes: list[int]) -> int:
        linear = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
        return linear + (2 * sum(sizes[1:-1]) if batchnorm else 0)  # scale and shift

    return mlp([pixels, *hidden, code]) + mlp([LATENT, *reversed(hidden), pixels])


def work(req: TrainRequest, data: DataSize = DataSize()) -> float:
    """Parameters × epochs × training images: the training's cost, up to a constant."""
    epochs = 1 if req.family == "pca" else req.epochs  # PCA: one pass, closed form
    # the UMAP AE encodes each image and a neighbour of it: twice the images per step
    passes = 2 if req.family == "umap" else 1
    return parameters(req, data) * epochs * data.images * passes


def check_request(req: TrainRequest, limits: Limits, data: DataSize = DataSize()) -> None:
    """Raises ``TooBig`` with what to reduce when the model or the work on ``data`` is over
    the limits."""
    n = parameters(req, data)
    if limits.max_params and n > limits.max_params:
        raise TooBig(f"This model has {_millions(n)} parameters; this server trains models of "
                     f"up to {_millions(limits.max_params)}. Use fewer or narrower hidden "
                     "layers (512,512,256 has 1.6 M).")
    if limits.max_work and work(req, data) > limits.max_work:
        per_epoch = n * data.images
        most = int(limits.max_work // per_epoch)
        fix = (f"use at most {most} epochs for this model, or fewer or narrower hidden layers"
               if most >= 1 else "use fewer or narrower hidden layers")
        raise TooBig(f"This training is too long for this server ({_millions(n)} parameters "
                     f"× {req.epochs} epochs): {fix}.")


def child_env(limits: Limits) -> dict[str, str]:
    """A training's environment under ``limits``: its data decoded in its own process (no
    worker processes: one core, and all of its memory watched), and streamed from disk
    beyond a quarter of its memory limit, so that the data stays well within it."""
    env = {"AEEXPLORER_LOADER_WORKERS": "0"}
    if limits.max_memory:
        env["AEEXPLORER_STREAM_MB"] = str(max(64, limits.max_memory // 4 // MB))
    return env


def _millions(n: int) -> str:
    return f"{n / 1e6:.1f} M" if n >= 100_000 else f"{n:,}"


def folder_bytes(folder: Path) -> int:
    """The bytes of the files under ``folder``, links not followed (0 if it is missing)."""
    total = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                total += folder_bytes(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                total += entry.stat(follow_symlinks=False).st_size
        except OSError:  # removed meanwhile
            continue
    return total


def check_disk(session: Path, limits: Limits) -> None:
    """Raises ``TooBig`` when this session's folder, or all the session folders together
    (``session``'s parent), are over their disk budget."""
    used = folder_bytes(session) if limits.session_disk else 0
    if limits.session_disk and used >= limits.session_disk:
        raise TooBig(f"Your trained models take {size_text(used)}, as much as "
                     f"this server keeps for one visitor ({size_text(limits.session_disk)}). "
                     "Download the ones you want to keep; they are removed when this server "
                     "clears old sessions, and a reload of the page starts a new session.")
    if limits.total_disk and folder_bytes(session.parent) >= limits.total_disk:
        raise TooBig("This server's space for trained models is full: try again later, when "
                     "old sessions have been cleared.")


def size_text(n: float) -> str:
    """Bytes in a visitor's words: "3 GB", "100 MB"."""
    return f"{n / GB:.3g} GB" if n >= GB else f"{n / MB:.3g} MB"


def duration_text(seconds: float) -> str:
    """Seconds in a visitor's words: "30 minutes", "1 second"."""
    value, unit = (seconds / 60, "minute") if seconds >= 60 else (seconds, "second")
    return f"{value:.3g} {unit}{'' if value == 1 else 's'}"
