"""Checkpoints: one ``.safetensors`` file per model. No pickle anywhere.

Tensors: the weights under ``model.``, and the atlas (the test set's codes and labels) under
``atlas.``, so the app can draw the latent map without the data set on disk. Metadata (JSON
strings): ``format``, ``format_version``, ``config``, ``dataset``, ``train`` (train config and
history) and ``metrics``. The file is untrusted input: the header is validated before any model
is built, and writes are atomic (a temporary file, then a rename).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aeexplorer.core import atomic
from aeexplorer.core.checkpoints.header import (FORMAT, FORMAT_VERSION, MAX_CODE, atlas_rows,
                                                card_from_meta, check_atlas, clip, read_header)
from aeexplorer.core.checkpoints.snapshots import (KEYS, Snapshots, check_values,
                                                   expected_entries, parse_moments, tensors_of)
from aeexplorer.core.datasets.registry import class_names_of
from aeexplorer.core.errors import CheckpointError
from aeexplorer.core.models import ModelConfig

if TYPE_CHECKING:  # torch is imported where weights are touched: headers and atlases need none
    import torch

    from aeexplorer.core.latent.ops import ModelOps
    from aeexplorer.core.models import Autoencoder



@dataclass
class Atlas:
    mu: torch.Tensor  # (N, D) test-set codes
    logvar: torch.Tensor | None  # (N, D) for a VAE
    labels: torch.Tensor  # (N,) int64; -1 (data.NO_LABEL) for an image without a label


@dataclass
class Checkpoint:
    model: Autoencoder
    config: ModelConfig
    dataset: str
    atlas: Atlas
    train: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    classes: tuple[str, ...] | None = None  # None: the built-in data set's
    snapshots: Snapshots | None = None  # how the map formed, when it was trained with them

    @property
    def class_names(self) -> tuple[str, ...]:
        """What the atlas labels mean; empty for unlabelled data (an image folder)."""
        return class_names_of(self.dataset) if self.classes is None else self.classes

    @property
    def labelled(self) -> bool:
        return bool(self.class_names)

    @property
    def ops(self) -> ModelOps:
        """The model's operations (encode, decode, reconstruct, walk, ...), numpy in and out."""
        from aeexplorer.core.latent.ops import ModelOps  # torch: see ``_expected_tensors``

        return ModelOps(self.model)


def save_checkpoint(
    path: str | os.PathLike,
    model: Autoencoder,
    dataset: str,
    atlas: Atlas,
    train: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    classes: tuple[str, ...] | None = None,
    snapshots: Snapshots | None = None,
) -> Path:
    """Write atomically: a crash mid-write leaves any existing file at ``path`` untouched.
    ``classes``: what the atlas labels mean (empty: none); None: the built-in data set's."""
    import torch
    from safetensors.torch import save_file

    path = Path(path)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tensors["atlas.mu"] = atlas.mu.float().contiguous()
    tensors["atlas.labels"] = atlas.labels.long().contiguous()
    if atlas.logvar is not None:
        tensors["atlas.logvar"] = atlas.logvar.float().contiguous()
    if snapshots is not None:
        tensors.update({k: torch.from_numpy(v) for k, v in tensors_of(snapshots).items()})
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "config": model.config.to_json(),
        "dataset": dataset,
        "classes": json.dumps(list(class_names_of(dataset) if classes is None else classes)),
        "train": json.dumps(train or {}),
        "metrics": json.dumps(metrics or {}),
    }
    if snapshots is not None:
        metadata["snapshots"] = json.dumps(snapshots.metadata())
    with atomic.replacing(path, fsync=True) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    return path


_DTYPES = {"float32": "F32", "int64": "I64", "float16": "F16", "bfloat16": "BF16"}


def _expected_tensors(config: ModelConfig, n_atlas: int) -> dict[str, tuple[str, list[int]]]:
    # torch and the networks here, not at the top: reading a header or an atlas needs neither
    import torch

    from aeexplorer.core.models import build_model

    with torch.device("meta"):  # shapes only: no memory is allocated for the weights
        model = build_model(config)
    expected = {
        f"model.{k}": (_DTYPES[str(v.dtype).removeprefix("torch.")], list(v.shape))
        for k, v in model.state_dict().items()
    }
    expected["atlas.mu"] = ("F32", [n_atlas, config.latent_dim])
    expected["atlas.labels"] = ("I64", [n_atlas])
    if config.variational:
        expected["atlas.logvar"] = ("F32", [n_atlas, config.latent_dim])
    return expected


def _check_tensors(header: dict, config: ModelConfig, name: str) -> None:
    tensors = header["tensors"]
    expected = _expected_tensors(config, atlas_rows(tensors, config, name))
    expected.update(expected_entries(tensors, header["meta"], config.latent_dim, name))
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise CheckpointError(f"{name}: tensors do not match the config (missing "
                              f"{clip(missing[:3], 80)}, unexpected {clip(extra[:3], 80)})")
    for key, (dtype, shape) in expected.items():
        if tensors[key]["dtype"] != dtype or tensors[key]["shape"] != shape:
            raise CheckpointError(
                f"{name}: tensor {key!r} is {tensors[key]['dtype']} {clip(tensors[key]['shape'])}"
                f", expected {dtype} {shape}"
            )


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> Checkpoint:
    """Validate the header, then build the model from its config and load the weights."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from aeexplorer.core.models import build_model  # torch: see ``_expected_tensors``

    path = Path(path)
    header = read_header(path)
    card = card_from_meta(header["meta"], path.name)
    _check_tensors(header, card["config"], path.name)
    try:
        tensors = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path.name} could not be read ({str(exc)[:120]})") from None
    labels = tensors["atlas.labels"]
    check_atlas(tensors["atlas.mu"], labels, tensors.get("atlas.logvar"), card["classes"],
                path.name)
    if not all(bool(v.isfinite().all()) for k, v in tensors.items() if v.is_floating_point()):
        raise CheckpointError(f"{path.name}: the weights hold NaN or infinite numbers")
    places = tensors.get("model.kept.places")  # a kept map's places are codes the map shows
    if places is not None and len(places) and places.abs().max().item() > MAX_CODE:
        raise CheckpointError(f"{path.name}: the kept map's places must lie within "
                              f"±{MAX_CODE:g}, as the atlas codes do")
    model = build_model(card["config"])
    weights = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    model.load_state_dict(weights, strict=True)
    atlas = Atlas(tensors["atlas.mu"], tensors.get("atlas.logvar"), labels)
    return Checkpoint(
        model=model.to(device).eval(), config=card["config"], dataset=card["dataset"],
        atlas=atlas, train=card["train"], metrics=card["metrics"], path=path,
        classes=card["classes"],
        snapshots=_snapshots(tensors, header["meta"], len(labels), path.name),
    )


def _snapshots(tensors: dict, meta: dict, n_test: int, name: str) -> Snapshots | None:
    """The loaded file's snapshots, their entries already checked by ``_check_tensors``."""
    if "snap.codes" not in tensors:
        return None
    index, labels, codes = (tensors[k].numpy() for k in KEYS)
    snaps = Snapshots(index, labels, codes, parse_moments(meta["snapshots"], name))
    check_values(snaps, n_test, name)  # the sample's rows are rows of the atlas
    return snaps


def file_signature(path: str | os.PathLike) -> tuple[int, int, int] | None:
    """What tells a file at ``path`` from the one there before (None: no file): an atomic
    write (a rename) gives it a new inode, whatever its age and size."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def list_checkpoints(*folders: str | os.PathLike) -> list[Path]:
    """Every ``.safetensors`` file in the given folders, sorted by name."""
    found: list[Path] = []
    for folder in folders:
        folder = Path(folder)
        if folder.is_dir():
            found += sorted(p for p in folder.glob("*.safetensors") if p.is_file())
    return found
