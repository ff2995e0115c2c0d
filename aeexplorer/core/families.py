"""The model families the Train page offers, and the ``train`` command line for a form's values
(no Streamlit, no torch here). ``aeexplorer.app.jobs`` runs the command."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from aeexplorer.core.errors import AeError

TRAIN_ARGS = ("epochs", "lr", "batch_size", "seed")
NET_ARGS = ("hidden", "batchnorm", *TRAIN_ARGS)
_NUMBER = re.compile(r"[0-9]{1,4}")  # ASCII digits only: str.isdigit() takes "²" and "٣"


@dataclass(frozen=True)
class Family:
    label: str
    args: tuple[str, ...]  # fixed CLI arguments
    params: tuple[str, ...]  # the TrainRequest fields this family uses
    curve: str | None  # the loss part charted beside the reconstruction: "kl", "penalty"


FAMILIES: dict[str, Family] = {
    "vae": Family("VAE", ("--model", "vae"), NET_ARGS, "kl"),
    "beta-vae": Family("β-VAE", ("--model", "vae"), (*NET_ARGS, "beta"), "kl"),
    "ae": Family("AE", ("--model", "ae"), NET_ARGS, None),
    "sparse-l1": Family("sparse AE (L1)", ("--model", "ae", "--penalty", "l1"),
                        (*NET_ARGS, "penalty_weight"), "penalty"),
    "sparse-kl": Family("sparse AE (KL)", ("--model", "ae", "--penalty", "kl", "--activation",
                                           "sigmoid"),  # KL sparsity needs units in (0, 1)
                        (*NET_ARGS, "sparsity_target", "penalty_weight"), "penalty"),
    "denoising": Family("denoising AE", ("--model", "ae"), (*NET_ARGS, "noise", "noise_level"),
                        None),
    # the contractive penalty is exact only without batch norm (the CLI refuses it)
    "contractive": Family("contractive AE", ("--model", "ae", "--penalty", "contractive"),
                          ("hidden", *TRAIN_ARGS, "penalty_weight"), "penalty"),
    "shallow": Family("shallow AE", ("--model", "ae", "--hidden", "none"), TRAIN_ARGS, None),
    "pca": Family("PCA", ("--model", "pca"), (), None),  # closed form: nothing to tune
}


@dataclass(frozen=True)
class TrainRequest:
    """A Train form's values; fields a family does not use are ignored."""
    dataset: str = "mnist"
    family: str = "vae"
    hidden: tuple[int, ...] = (512, 256)
    batchnorm: bool = False
    epochs: int = 10
    lr: float = 1e-3
    batch_size: int = 128
    seed: int = 0
    beta: float = 4.0
    penalty_weight: float = 0.01
    sparsity_target: float = 0.05
    noise: str = "gaussian"
    noise_level: float = 0.5
    recipe: str = ""  # a named recipe (aeexplorer.core.recipes) whose other settings the CLI adds


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


def train_args(req: TrainRequest, out: Path, data_dir: Path) -> list[str]:
    """The ``train`` command line (after ``python -m aeexplorer``) for a form's values."""
    fam = FAMILIES[req.family]
    args = ["train", "--dataset", req.dataset, *fam.args]
    for key in fam.params:
        value, flag = getattr(req, key), "--" + key.replace("_", "-")
        if isinstance(value, bool):
            args += [flag] if value else []
        elif isinstance(value, tuple):
            args += [flag, ",".join(str(v) for v in value)]
        else:
            args += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    if req.recipe:
        args += ["--recipe", req.recipe]
    return [*args, "--out", str(Path(out).resolve()), "--data-dir",
            str(Path(data_dir).resolve()), "--progress-json"]
