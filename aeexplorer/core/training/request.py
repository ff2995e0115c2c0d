"""A Train form's values (``TrainRequest``), the config fields they set for their family, and
their ``train`` command line; the name a model is saved under. No Streamlit, no torch here;
``aeexplorer.app.jobs`` runs the command."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aeexplorer.core.errors import AeError
from aeexplorer.core.models import ModelConfig
from aeexplorer.core.training.config import TrainConfig
from aeexplorer.core.training.families import FAMILIES, NET_PARAMS
from aeexplorer.core.training.options import command, shell


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
    map_method: str = TrainConfig.map_method  # the map-first AE's map
    keep_map: bool = TrainConfig.keep_map  # and whether it keeps it (then nothing is polished)
    # a named recipe (aeexplorer.core.training.recipes) whose other settings the CLI adds
    recipe: str = ""


def request_settings(req: TrainRequest) -> dict[str, Any]:
    """The config fields a request sets: the data set, the form's values of the fields its
    family takes, and the settings the family fixes."""
    fam = FAMILIES[req.family]
    settings = {"dataset": req.dataset, **{k: getattr(req, k) for k in fam.params},
                **fam.settings}
    if settings.get("keep_map"):  # a kept map places by the nearest training image, unpolished
        settings["refine"] = 0
    return settings


PAGE_SNAPSHOTS = 40  # kept in a model trained on the Train page (a few MB at most)


def train_args(req: TrainRequest, out: Path, data_dir: Path,
               decoders: Path | None = None) -> list[str]:
    """The ``train`` command line (after ``python -m aeexplorer``) for a form's values;
    ``decoders``: the folder the page fetches decoders from, where the training writes its
    decoder with each snapshot."""
    settings = request_settings(req)
    # every value the form gave is named, defaults too: a recipe fills the flags left out
    args = command(settings, keep=settings)
    if req.recipe:
        args += ["--recipe", req.recipe]
    if settings.get("kind") != "pca":  # the page draws the map forming, then replays it
        args += ["--snapshots", str(PAGE_SNAPSHOTS)]
        if decoders is not None:
            args += ["--snapshot-decoders", str(Path(decoders).resolve())]
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
