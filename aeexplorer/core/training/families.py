"""The model families, in one registry: per family its name and description on the Train page,
the settings it fixes on the command line and those the form asks for, the loss part charted
beside the reconstruction, and how a checkpoint is recognised as one of it (its model card's
name, the Denoise page's pickers). Also a Train form's values (``TrainRequest``) and their
``train`` command line. No Streamlit, no torch here; ``aeexplorer.app.jobs`` runs the command."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aeexplorer.core.errors import AeError
from aeexplorer.core.models import ModelConfig
from aeexplorer.core.training.config import TrainConfig
from aeexplorer.core.training.options import command, shell

TRAIN_PARAMS = ("epochs", "lr", "batch_size", "seed")
NET_PARAMS = ("hidden", "batchnorm", *TRAIN_PARAMS)
_NUMBER = re.compile(r"[0-9]{1,4}")  # ASCII digits only: str.isdigit() takes "²" and "٣"
# A checkpoint's settings as config fields (``aeexplorer.core.checkpoints.card.settings`` reads them
# from its header, with every field there and of its type).
Settings = Mapping[str, Any]


@dataclass(frozen=True)
class Family:
    label: str  # the Train page's name for it
    about: str  # what it is, for the Train page
    settings: dict[str, Any]  # the config fields it fixes: its --model, --penalty, ...
    params: tuple[str, ...]  # the TrainRequest fields it takes from the form
    curve: str | None  # the loss part charted beside the reconstruction: "kl", "penalty"
    matches: Callable[[Settings], bool]  # whether a checkpoint's settings are of this family
    word: str  # its word in a checkpoint's name: "sparse", or a noun such as "VAE"
    detail: Callable[[Settings], str] | None = None  # its settings in that name: "λ=0.05"


def _noisy(s: Settings) -> bool:
    return s["kind"] != "pca" and s["noise"] not in ("none", None) and s["noise_level"] > 0


def _penalty(name: str) -> Callable[[Settings], bool]:
    return lambda s: s["kind"] != "pca" and s["penalty"] == name


FAMILIES: dict[str, Family] = {  # in the Train page's order
    "vae": Family(
        "VAE", "A Gaussian code q(z|x); the loss is reconstruction + KL to the prior N(0, I).",
        {"kind": "vae"}, NET_PARAMS, "kl", lambda s: s["kind"] == "vae" and s["beta"] == 1,
        "VAE"),
    "beta-vae": Family(
        "β-VAE", "A VAE whose KL term is weighted by β: β > 1 pulls the codes towards the "
                 "prior (a smoother map, blurrier images), β < 1 the other way.",
        {"kind": "vae"}, (*NET_PARAMS, "beta"), "kl",
        lambda s: s["kind"] == "vae" and s["beta"] != 1, "β-VAE", lambda s: f"β={s['beta']:g}"),
    # the plain AE: clean inputs and no penalty (what the Denoise page compares against)
    "ae": Family(
        "AE", "A deterministic code; the loss is the reconstruction alone.",
        {"kind": "ae"}, NET_PARAMS, None,
        lambda s: s["kind"] == "ae" and s["penalty"] == "none" and not _noisy(s), "AE"),
    "sparse-l1": Family(
        "sparse AE (L1)", "An AE with λ·Σ|h| on the last hidden layer: few units active per "
                          "image.",
        {"kind": "ae", "penalty": "l1"}, (*NET_PARAMS, "penalty_weight"), "penalty",
        _penalty("l1"), "sparse", lambda s: f"L1, λ={s['penalty_weight']:g}"),
    "sparse-kl": Family(
        "sparse AE (KL)", "An AE whose last hidden layer (sigmoid units) is pushed to a mean "
                          "activation ρ by a KL term of weight β.",
        # KL sparsity needs units in (0, 1)
        {"kind": "ae", "penalty": "kl", "activation": "sigmoid"},
        (*NET_PARAMS, "sparsity_target", "penalty_weight"), "penalty", _penalty("kl"),
        "sparse", lambda s: f"KL, ρ={s['sparsity_target']:g}, β={s['penalty_weight']:g}"),
    "denoising": Family(
        "denoising AE", "An AE that sees corrupted images and learns to give back the clean "
                        "ones.",
        {"kind": "ae"}, (*NET_PARAMS, "noise", "noise_level"), None, _noisy, "denoising",
        lambda s: (f"Gaussian σ={s['noise_level']:g}" if s["noise"] == "gaussian"
                   else f"masking p={s['noise_level']:g}")),
    # the contractive penalty is exact only without batch norm (the CLI refuses it)
    "contractive": Family(
        "contractive AE", "An AE with λ·‖∂z/∂x‖²: codes that move little when the image "
                          "changes (no batch norm).",
        {"kind": "ae", "penalty": "contractive"}, ("hidden", *TRAIN_PARAMS, "penalty_weight"),
        "penalty", _penalty("contractive"), "contractive",
        lambda s: f"λ={s['penalty_weight']:g}"),
    "shallow": Family(
        "shallow AE", "An AE with no hidden layer: 784 → 2 → 784.",
        {"kind": "ae", "hidden": ()}, TRAIN_PARAMS, None,
        lambda s: s["kind"] != "pca" and s["arch"] == "dense" and not s["hidden"], "shallow"),
    "pca": Family(  # closed form: nothing to tune
        "PCA", "The top 2 principal components, fitted in closed form: no epochs, no settings.",
        {"kind": "pca"}, (), None, lambda s: s["kind"] == "pca", "PCA"),
}
# The families that qualify a model, in the order of their words in its name ("sparse
# denoising shallow AE"); the others name the model itself.
QUALIFIERS = ("sparse-l1", "sparse-kl", "contractive", "denoising", "shallow")


def families_of(settings: Settings) -> list[str]:
    """The families a checkpoint's settings are of (a shallow denoising AE is both)."""
    return [key for key, fam in FAMILIES.items() if fam.matches(settings)]


def name_of(settings: Settings) -> str:
    """What kind of model a checkpoint holds, in words: "VAE", "β-VAE (β=4)", "sparse AE (L1,
    λ=0.001)", "denoising AE (Gaussian σ=0.5)", "conv AE", "shallow AE", "PCA"."""
    found = families_of(settings)
    # an AE with a penalty or noise is no plain AE: the noun is then its kind's
    noun = next((FAMILIES[k] for k in found if k not in QUALIFIERS), None) or next(
        f for f in FAMILIES.values() if f.settings["kind"] == settings["kind"])
    qualifiers = [FAMILIES[k] for k in QUALIFIERS if k in found]
    words = [f.word for f in qualifiers] + (["conv"] if settings["arch"] == "conv" else [])
    details = [f.detail(settings) for f in (noun, *qualifiers) if f.detail is not None]
    text = " ".join([*words, noun.word])
    return f"{text} ({', '.join(details)})" if details else text


@dataclass(frozen=True)
class TrainRequest:
    """A Train form's values; fields a family does not use are ignored. Where the form starts
    where the command line does, the default is the config's."""
    dataset: str = TrainConfig.dataset
    family: str = "vae"
    hidden: tuple[int, ...] = ModelConfig.hidden
    batchnorm: bool = ModelConfig.batchnorm
    epochs: int = 10  # a first map within minutes (the command line's 30 are for keeps)
    lr: float = TrainConfig.lr
    batch_size: int = TrainConfig.batch_size
    seed: int = TrainConfig.seed
    beta: float = 4.0  # the β-VAE's own setting: β = 1 is the plain VAE
    penalty_weight: float = 0.01  # a penalty needs a weight > 0 (the form sets each family's)
    sparsity_target: float = TrainConfig.sparsity_target
    noise: str = "gaussian"  # the denoising AE's own settings: no noise is the plain AE
    noise_level: float = 0.5
    # a named recipe (aeexplorer.core.training.recipes) whose other settings the CLI adds
    recipe: str = ""


def request_settings(req: TrainRequest) -> dict[str, Any]:
    """The config fields a request sets: the data set, the form's values of the fields its
    family takes, and the settings the family fixes."""
    fam = FAMILIES[req.family]
    return {"dataset": req.dataset, **{k: getattr(req, k) for k in fam.params}, **fam.settings}


def train_args(req: TrainRequest, out: Path, data_dir: Path) -> list[str]:
    """The ``train`` command line (after ``python -m aeexplorer``) for a form's values."""
    settings = request_settings(req)
    # every value the form gave is named, defaults too: a recipe fills the flags left out
    args = command(settings, keep=settings)
    if req.recipe:
        args += ["--recipe", req.recipe]
    return [*args, "--out", str(Path(out).resolve()), "--data-dir",
            str(Path(data_dir).resolve()), "--progress-json"]


def example_command(family: str, dataset: str, out: str, **own: Any) -> str:
    """The shortest command that trains a model of ``family``: the settings it fixes, and the
    form's starting values of those only it takes (a denoising AE's noise), or ``own``'s."""
    fam = FAMILIES[family]
    own = {k: own.get(k, getattr(TrainRequest(), k)) for k in fam.params if k not in NET_PARAMS}
    return shell([*command({"dataset": dataset, **own, **fam.settings}), "--out", out])


def check_name(name: str) -> str:
    """A model name usable as a file name: letters, digits, '.', '_', '-' (at most 64)."""
    name = name.strip().removesuffix(".safetensors")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", name):
        raise AeError(f"{name!r} cannot be a model name: use 1 to 64 letters, digits, '.', '_' "
                      "or '-', starting with a letter or digit")
    return name


def small_number(text: str) -> int | None:
    """``text`` as a whole number of at most 4 ASCII digits (spaces around allowed), else None:
    never an exception, whatever a person or the environment gives."""
    text = text.strip()
    return int(text) if _NUMBER.fullmatch(text) else None


def parse_hidden(text: str) -> tuple[int, ...]:
    """'512,256' -> (512, 256), with a message a person can act on."""
    widths = [small_number(p) for p in text.split(",")]
    if 1 <= len(widths) <= 8 and all(w is not None and 1 <= w <= 4096 for w in widths):
        return tuple(widths)
    raise AeError(f"hidden widths {text!r}: give 1 to 8 comma-separated widths from 1 to 4096, "
                  "e.g. 512,256")
