"""Model cards: what a checkpoint is, how to reproduce it, and its test-set figures, from the
checkpoint's header alone (no weights are loaded)."""

from __future__ import annotations

import os
from pathlib import Path

from .checkpoint import read_card
from .models import ModelConfig

_DEFAULTS = {"latent_dim": 2, "hidden": (512, 256), "channels": (32, 64), "batchnorm": False,
             "batch_size": 128, "lr": 1e-3, "weight_decay": 0.0, "beta": 1.0,
             "kl_warmup_epochs": 0, "seed": 0}
_FLAGS = {"kl_warmup_epochs": "--kl-warmup"}


def train_command(config: ModelConfig, train_cfg: dict, out: str | os.PathLike) -> str:
    """The ``python -m aeexplorer train`` command line that rebuilds this checkpoint."""
    parts = ["python -m aeexplorer train", f"--dataset {train_cfg.get('dataset', 'mnist')}",
             f"--model {config.kind}", f"--arch {config.arch}"]
    values = {**{k: getattr(config, k) for k in ("latent_dim", "hidden", "channels", "batchnorm")},
              **train_cfg}
    if config.arch == "dense":
        values["channels"] = _DEFAULTS["channels"]
    for key, default in _DEFAULTS.items():
        value = values.get(key, default)
        value = tuple(value) if isinstance(value, list) else value
        if value == default:
            continue
        flag = _FLAGS.get(key, "--" + key.replace("_", "-"))
        if isinstance(value, bool):
            parts.append(flag)
        elif isinstance(value, tuple):
            parts.append(f"{flag} {','.join(str(v) for v in value)}")
        else:
            parts.append(f"{flag} {value}")
    parts += [f"--epochs {train_cfg.get('epochs')}", f"--out {out}"]
    return " ".join(parts)


def _fmt(value, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def model_card_table(paths: list[Path]) -> str:
    """A markdown table (one row a checkpoint) and the commands that reproduce each."""
    rows = ["| checkpoint | model | params | epochs | train time | recon_bce | recon_mse | kl "
            "| neg_elbo | knn5 |", "|---|---|---|---|---|---|---|---|---|---|"]
    commands = []
    for path in paths:
        card = read_card(path)
        cfg, m, t = card["config"], card["metrics"], card["train"].get("config", {})
        arch = f"{cfg.arch} {cfg.kind.upper()}, hidden {','.join(map(str, cfg.hidden))}"
        if cfg.arch == "conv":
            arch += f", channels {','.join(map(str, cfg.channels))}"
        rows.append(
            f"| `{path.name}` | {arch} | {m.get('parameters', 0) / 1e6:.2f} M | {t.get('epochs')} "
            f"| {m.get('train_seconds', 0) / 60:.0f} min | {_fmt(m.get('recon_bce'), 1)} "
            f"| {_fmt(m.get('recon_mse'), 4)} | {_fmt(m.get('kl'), 2)} "
            f"| {_fmt(m.get('neg_elbo'), 1)} | {_fmt(m.get('knn5_accuracy'), 3)} |"
        )
        commands.append(train_command(cfg, t, path.as_posix()))
    return "\n".join(rows) + "\n\n```bash\n" + "\n".join(commands) + "\n```\n"


if __name__ == "__main__":  # python -m aeexplorer.card checkpoints/*.safetensors
    import sys

    print(model_card_table([Path(p) for p in sys.argv[1:]]))
