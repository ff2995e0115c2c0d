"""Model cards: what a checkpoint is, how to reproduce it, and its test-set metrics, from the
checkpoint's header alone (no weights are loaded)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from aeexplorer.core.checkpoint import read_card
from aeexplorer.core.metric_table import METRICS, QUALITY
from aeexplorer.core.models import ModelConfig

_DEFAULTS = {"latent_dim": 2, "hidden": (512, 256), "channels": (32, 64), "batchnorm": False,
             "activation": "relu", "batch_size": 128, "lr": 1e-3, "weight_decay": 0.0,
             "beta": 1.0, "kl_warmup_epochs": 0, "penalty": "none", "penalty_weight": 0.0,
             "sparsity_target": 0.05, "noise": "none", "noise_level": 0.0, "seed": 0}
_MODEL_KEYS = ("latent_dim", "hidden", "channels", "batchnorm", "activation")
_FLAGS = {"kl_warmup_epochs": "--kl-warmup"}


def train_command(config: ModelConfig, train_cfg: dict, out: str | os.PathLike) -> str:
    """The ``python -m aeexplorer train`` command line that rebuilds this checkpoint."""
    parts = ["python -m aeexplorer train", f"--dataset {train_cfg.get('dataset', 'mnist')}",
             f"--model {config.kind}", f"--arch {config.arch}"]
    values = {**{k: getattr(config, k) for k in _MODEL_KEYS}, **train_cfg}
    if config.arch == "dense":
        values["channels"] = _DEFAULTS["channels"]
    if not config.learned:  # PCA: the network's settings do not apply
        values.update({k: _DEFAULTS[k] for k in _MODEL_KEYS if k != "latent_dim"})
    if values.get("penalty", "none") != "kl":
        values["sparsity_target"] = _DEFAULTS["sparsity_target"]
    for key, default in _DEFAULTS.items():
        value = values.get(key, default)
        value = tuple(value) if isinstance(value, list) else value
        if value == default:
            continue
        flag = _FLAGS.get(key, "--" + key.replace("_", "-"))
        if isinstance(value, bool):
            parts.append(flag)
        elif isinstance(value, tuple):
            parts.append(f"{flag} {','.join(str(v) for v in value) or 'none'}")
        else:
            parts.append(f"{flag} {value}")
    # always named: the default (auto) depends on the hardware; files from before it was
    # recorded were all trained in float32
    if config.learned:
        parts.append(f"--precision {values.get('precision', 'fp32')}")
    parts += [f"--epochs {train_cfg.get('epochs')}", f"--out {out}"]
    return " ".join(parts)


def family(config: ModelConfig, train_cfg: dict) -> str:
    """What kind of model a checkpoint holds, in words: "VAE", "β-VAE (β=4)", "sparse AE (L1,
    λ=0.001)", "denoising AE (Gaussian σ=0.5)", "contractive AE (λ=0.1)", "shallow AE", "PCA"."""
    if config.kind == "pca":
        return "PCA"
    train_cfg = train_cfg if isinstance(train_cfg, dict) else {}
    parts, details = [], []
    penalty, weight = train_cfg.get("penalty", "none"), number(train_cfg, "penalty_weight", 0.0)
    if penalty == "l1":
        parts.append("sparse")
        details.append(f"L1, λ={weight:g}")
    elif penalty == "kl":
        parts.append("sparse")
        details.append(f"KL, ρ={number(train_cfg, 'sparsity_target', 0.05):g}, β={weight:g}")
    elif penalty == "contractive":
        parts.append("contractive")
        details.append(f"λ={weight:g}")
    if is_denoising(train_cfg):
        noise, level = train_cfg.get("noise"), number(train_cfg, "noise_level", 0.0)
        parts.append("denoising")
        details.append(f"Gaussian σ={level:g}" if noise == "gaussian" else f"masking p={level:g}")
    if config.arch == "dense" and len(config.hidden) == 0:
        parts.append("shallow")
    beta = number(train_cfg, "beta", 1.0)
    if config.kind == "vae" and beta != 1.0:
        name, details = "β-VAE", [f"β={beta:g}", *details]
    else:
        name = config.kind.upper()
    if config.arch == "conv":
        parts.append("conv")
    text = " ".join([*parts, name])
    return f"{text} ({', '.join(details)})" if details else text


def is_denoising(train_cfg: dict) -> bool:
    """Trained on corrupted inputs: a noise other than "none" and a level above 0."""
    return (train_cfg.get("noise", "none") not in ("none", None)
            and number(train_cfg, "noise_level", 0.0) > 0)


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


def model_card_table(paths: list[Path]) -> str:
    """A markdown table (one row a checkpoint) and the commands that reproduce each."""
    columns = ["Checkpoint", "Model", METRICS["parameters"].label, "Epochs",
               METRICS["train_seconds"].label, *(METRICS[k].label for k in QUALITY)]
    rows = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    commands = []
    for path in paths:
        card = read_card(path)
        cfg, m, t = card["config"], card["metrics"], train_config(card)
        arch = family(cfg, t)
        if cfg.learned:
            arch += f", {cfg.arch}, hidden {','.join(map(str, cfg.hidden)) or 'none'}"
        if cfg.arch == "conv":
            arch += f", channels {','.join(map(str, cfg.channels))}"
        cells = [f"`{path.name}`", arch, METRICS["parameters"].text(m.get("parameters")),
                 str(t.get("epochs")), METRICS["train_seconds"].text(m.get("train_seconds")),
                 *(METRICS[k].text(m.get(k)) for k in QUALITY)]
        rows.append("| " + " | ".join(cells) + " |")
        commands.append(train_command(cfg, t, path.as_posix()))
    return "\n".join(rows) + "\n\n```bash\n" + "\n".join(commands) + "\n```\n"


if __name__ == "__main__":  # python -m aeexplorer.core.card checkpoints/*.safetensors
    import sys

    print(model_card_table([Path(p) for p in sys.argv[1:]]))
