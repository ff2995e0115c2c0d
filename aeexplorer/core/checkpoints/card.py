"""Model cards: what a checkpoint is (its settings, and the families of
``aeexplorer.core.training.families`` they make), how to reproduce it, and its test-set metrics,
from the checkpoint's header alone (no weights are loaded)."""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any

from aeexplorer.core.checkpoints.header import read_card, read_header
from aeexplorer.core.checkpoints.snapshots import parse_moments
from aeexplorer.core.checkpoints.metric_table import METRICS, QUALITY
from aeexplorer.core.models import ModelConfig
from aeexplorer.core.training.config import TrainConfig
from aeexplorer.core.training.families import families_of, name_of
from aeexplorer.core.training.options import command, shell


def settings(config: ModelConfig, train_cfg: Any) -> dict[str, Any]:
    """A checkpoint's settings as config fields: its model config's, and its stored train
    config's, each read as the field's type (a missing, mistyped or non-finite value, or a
    train config that is not a JSON object, reads as the field's default)."""
    train_cfg = train_cfg if isinstance(train_cfg, dict) else {}
    values = {f.name: _read(train_cfg, f.name, f.default)
              for f in dataclasses.fields(TrainConfig)}
    # files from before the precision was recorded were all trained in float32
    values["precision"] = _read(train_cfg, "precision", "fp32")
    return {**values, **dataclasses.asdict(config)}


def _read(values: dict, key: str, default: Any) -> Any:
    if isinstance(default, float):
        return number(values, key, default)
    value = values.get(key, default)
    wrong = not isinstance(value, type(default)) or (isinstance(value, bool)
                                                     and not isinstance(default, bool))
    return default if wrong else value


def train_command(config: ModelConfig, train_cfg: dict, out: str | os.PathLike,
                  snapshots: int = 0) -> str:
    """The ``python -m aeexplorer train`` command line that rebuilds this checkpoint;
    ``snapshots``: how many snapshots of its forming map the file keeps (0: none)."""
    values = settings(config, train_cfg)
    # left out: settings that did not act on this model
    unused = {"sparsity_target"} if values["penalty"] != "kl" else set()
    if values["penalty"] != "map":
        unused |= {"map_method", "map_leash"}
    if config.arch == "dense":
        unused.add("channels")
    if not config.learned:  # PCA: the network's settings, and the precision, do not apply
        unused |= {"hidden", "channels", "batchnorm", "activation", "precision"}
    values = {k: v for k, v in values.items() if k not in unused}
    # the data, the model and its length always named; the precision too, as the default
    # (auto) depends on the hardware
    keep = ("dataset", "kind", "arch", "precision", "epochs")
    kept = ["--snapshots", str(snapshots)] if snapshots > 0 else []  # not a config field
    return shell([*command(values, keep), *kept, "--out", str(out)])


def snapshot_count(path: str | os.PathLike) -> int:
    """How many snapshots of its forming map a checkpoint keeps, from its header (0: none)."""
    meta = read_header(path)["meta"]
    return len(parse_moments(meta["snapshots"], Path(path).name)) if "snapshots" in meta else 0


def family(config: ModelConfig, train_cfg: Any) -> str:
    """What kind of model a checkpoint holds, in words
    (``aeexplorer.core.training.families.name_of``): "VAE", "β-VAE (β=4)", "sparse AE (L1,
    λ=0.001)", "conv AE", "PCA"."""
    return name_of(settings(config, train_cfg))


def kinds(card: dict) -> list[str]:
    """The families (``aeexplorer.core.training.families``) a model card's checkpoint is of."""
    return families_of(settings(card["config"], train_config(card)))


def number(values: Any, key: str, default: float | None = None) -> float | None:
    """``values[key]`` as a finite float, else ``default``. Headers are untrusted JSON: a
    string, a bool, a NaN or a missing key reads as the default and never raises."""
    value = values.get(key) if isinstance(values, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    try:
        value = float(value)
    except OverflowError:  # an integer too large for a float
        return default
    return value if math.isfinite(value) else default


def train_config(card: dict) -> dict:
    """The stored train config of a model card: ``{}`` when absent or not a JSON object."""
    train = card.get("train") if isinstance(card, dict) else None
    cfg = train.get("config") if isinstance(train, dict) else None
    return cfg if isinstance(cfg, dict) else {}


def placing(config: ModelConfig) -> str:
    """How the model places an image after training, where not by its encoder alone, in
    words: "codes polished (30 steps)" (``core.latent.refine``), "map kept (60,000 images)"
    (``core.models.kept``); "" for the encoder's codes."""
    if config.kept:
        return f"map kept ({config.kept:,} images)"
    return f"codes polished ({config.refine} steps)" if config.refine else ""


def layers(config: ModelConfig) -> list[str]:
    """A network's shape in words, for the card's "Model" cell: ["dense", "hidden 512,256",
    "batch norm"], or ["channels 32,64", "hidden 256"] for a conv net (whose family's name
    already says "conv"), and its images unless MNIST's 28x28 grey (which goes without saying)."""
    words = []
    if config.learned:
        if config.arch == "conv":
            words.append(f"channels {','.join(map(str, config.channels))}")
        else:
            words.append(config.arch)
        words.append(f"hidden {','.join(map(str, config.hidden)) or 'none'}")
        if config.batchnorm:
            words.append("batch norm")
        placed = placing(config)
        if placed:
            words.append(placed)
    if config.colour or config.image_size != 28:
        side = config.image_size
        words.append(f"{side}×{side} {'colour' if config.colour else 'grey'}")
    return words


def model_card_table(paths: list[Path]) -> str:
    """A markdown table (one row a checkpoint) and the commands that reproduce each."""
    columns = ["Checkpoint", "Model", METRICS["parameters"].label, "Epochs",
               METRICS["train_seconds"].label, *(METRICS[k].label for k in QUALITY)]
    rows = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    commands = []
    for path in paths:
        card = read_card(path)
        cfg, m, t = card["config"], card["metrics"], train_config(card)
        model = ", ".join([family(cfg, t), *layers(cfg)])
        cells = [f"`{path.name}`", model, METRICS["parameters"].text(m.get("parameters")),
                 str(t.get("epochs")), METRICS["train_seconds"].text(m.get("train_seconds")),
                 *(METRICS[k].text(m.get(k)) for k in QUALITY)]
        rows.append("| " + " | ".join(cells) + " |")
        commands.append(train_command(cfg, t, path.as_posix(), snapshot_count(path)))
    return "\n".join(rows) + "\n\n```bash\n" + "\n".join(commands) + "\n```\n"


if __name__ == "__main__":  # python -m aeexplorer.core.checkpoints.card checkpoints/*.safetensors
    import sys

    print(model_card_table([Path(p) for p in sys.argv[1:]]))
