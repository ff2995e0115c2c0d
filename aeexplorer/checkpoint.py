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
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .data import CLASS_NAMES
from .errors import CheckpointError
from .models import ModelConfig

if TYPE_CHECKING:  # torch is imported where weights are touched: headers and atlases need none
    import torch

    from .latent import Codes
    from .models import Autoencoder

FORMAT = "aeexplorer"
FORMAT_VERSION = 1
MAX_HEADER_BYTES = 16 * 1024 * 1024


@dataclass
class Atlas:
    mu: torch.Tensor  # (N, D) test-set codes
    logvar: torch.Tensor | None  # (N, D) for a VAE
    labels: torch.Tensor  # (N,) int64


@dataclass
class Checkpoint:
    model: Autoencoder
    config: ModelConfig
    dataset: str
    atlas: Atlas
    train: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def class_names(self) -> tuple[str, ...]:
        return CLASS_NAMES[self.dataset]


def save_checkpoint(
    path: str | os.PathLike,
    model: Autoencoder,
    dataset: str,
    atlas: Atlas,
    train: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
) -> Path:
    """Write atomically: a crash mid-write leaves any existing file at ``path`` untouched."""
    from safetensors.torch import save_file

    path = Path(path)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tensors["atlas.mu"] = atlas.mu.float().contiguous()
    tensors["atlas.labels"] = atlas.labels.long().contiguous()
    if atlas.logvar is not None:
        tensors["atlas.logvar"] = atlas.logvar.float().contiguous()
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "config": model.config.to_json(),
        "dataset": dataset,
        "train": json.dumps(train or {}),
        "metrics": json.dumps(metrics or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=metadata)
        os.chmod(tmp, 0o644)  # mkstemp's file is private (0600); a model file is for sharing
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def atlas_from_codes(codes: Codes, labels: torch.Tensor) -> Atlas:
    return Atlas(mu=codes.mu, logvar=codes.logvar, labels=labels)


def read_header(path: str | os.PathLike) -> dict[str, Any]:
    """Parse and check a safetensors header without reading any tensor data."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint file at {path}")
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise CheckpointError(f"{path.name} is not a safetensors file (too short)")
        n = int.from_bytes(head, "little")
        if n > MAX_HEADER_BYTES or 8 + n > size:
            raise CheckpointError(f"{path.name} is not a safetensors file (bad header length)")
        try:
            header = json.loads(fh.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise CheckpointError(f"{path.name} is not a safetensors file (header is not JSON)")
    if not isinstance(header, dict) or not isinstance(header.get("__metadata__"), dict):
        raise CheckpointError(f"{path.name} has no aeexplorer metadata")
    meta = header.pop("__metadata__")
    if not all(isinstance(v, str) for v in meta.values()):
        raise CheckpointError(f"{path.name}: metadata values must be strings")
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is a safetensors file but not an aeexplorer checkpoint")
    if meta.get("format_version") != str(FORMAT_VERSION):
        raise CheckpointError(
            f"{path.name} has format version {meta.get('format_version')!r}; "
            f"this aeexplorer reads version {FORMAT_VERSION}"
        )
    for name, info in header.items():
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if (not isinstance(info, dict) or "shape" not in info or "dtype" not in info
                or not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool) and o >= 0
                           for o in offsets)):
            raise CheckpointError(f"{path.name}: tensor {name!r} has a malformed entry")
        if 8 + n + max(offsets) > size:
            raise CheckpointError(f"{path.name} is truncated (tensor {name!r} runs past the end)")
    return {"meta": meta, "tensors": header}


def read_card(path: str | os.PathLike) -> dict[str, Any]:
    """The model card (config, dataset, train, metrics) from the header alone: no weights."""
    return _card(read_header(path)["meta"], Path(path).name)


def _card(meta: dict, name: str) -> dict[str, Any]:
    return {
        "config": _parse_config(meta, name),
        "dataset": _parse_dataset(meta, name),
        "train": _parse_json_object(meta, "train", name),
        "metrics": _parse_json_object(meta, "metrics", name),
    }


def read_atlas(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """The atlas alone, as numpy: (N, D) float32 test-set codes and (N,) int64 labels. Reads
    no weights and needs no torch, so the map can be drawn while the model is still loading;
    the atlas entries are checked against the config like everything ``load_checkpoint`` reads."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    header = read_header(path)
    card = _card(header["meta"], path.name)
    tensors, dim = header["tensors"], card["config"].latent_dim
    mu, labels = tensors.get("atlas.mu", {}), tensors.get("atlas.labels", {})
    n = labels.get("shape", [None])[0] if isinstance(labels.get("shape"), list) else None
    if not (isinstance(n, int) and mu.get("dtype") == "F32" and mu.get("shape") == [n, dim]
            and labels.get("dtype") == "I64" and labels.get("shape") == [n]):
        raise CheckpointError(f"{path.name}: the atlas of test-set codes is missing or malformed")
    try:
        with safe_open(str(path), framework="numpy") as fh:
            codes, classes = fh.get_tensor("atlas.mu"), fh.get_tensor("atlas.labels")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path.name} could not be read ({exc})") from None
    _check_labels(classes, card["dataset"], path.name)
    return codes, classes


def _check_labels(labels, dataset: str, name: str) -> None:
    """Labels index the data set's class names (tensor or array)."""
    n_classes = len(CLASS_NAMES[dataset])
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise CheckpointError(f"{name}: atlas labels outside 0..{n_classes - 1}")


def _parse_config(meta: dict, name: str) -> ModelConfig:
    try:
        return ModelConfig.from_dict(json.loads(meta.get("config", "")))
    except (json.JSONDecodeError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{name}: invalid model config ({exc})") from None


def _parse_dataset(meta: dict, name: str) -> str:
    dataset = meta.get("dataset")
    if dataset not in CLASS_NAMES:
        raise CheckpointError(f"{name}: unknown dataset {dataset!r}")
    return dataset


def _parse_json_object(meta: dict, key: str, name: str) -> dict:
    try:
        value = json.loads(meta.get(key, "{}"))
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise CheckpointError(f"{name}: metadata field {key!r} is not a JSON object")
    return value


_DTYPES = {"float32": "F32", "int64": "I64", "float16": "F16", "bfloat16": "BF16"}


def _expected_tensors(config: ModelConfig, n_atlas: int) -> dict[str, tuple[str, list[int]]]:
    import torch

    from .models import build_model

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
    labels = tensors.get("atlas.labels", {}).get("shape")
    if not (isinstance(labels, list) and len(labels) == 1 and isinstance(labels[0], int)):
        raise CheckpointError(f"{name}: the atlas of test-set codes is missing")
    expected = _expected_tensors(config, labels[0])
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise CheckpointError(f"{name}: tensors do not match the config (missing {missing[:3]}, "
                              f"unexpected {extra[:3]})")
    for key, (dtype, shape) in expected.items():
        if tensors[key]["dtype"] != dtype or tensors[key]["shape"] != shape:
            raise CheckpointError(
                f"{name}: tensor {key!r} is {tensors[key]['dtype']} {tensors[key]['shape']}, "
                f"expected {dtype} {shape}"
            )


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> Checkpoint:
    """Validate the header, then build the model from its config and load the weights."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from .models import build_model

    path = Path(path)
    header = read_header(path)
    card = _card(header["meta"], path.name)
    _check_tensors(header, card["config"], path.name)
    try:
        tensors = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path.name} could not be read ({exc})") from None
    labels = tensors["atlas.labels"]
    _check_labels(labels, card["dataset"], path.name)
    model = build_model(card["config"])
    weights = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    model.load_state_dict(weights, strict=True)
    atlas = Atlas(tensors["atlas.mu"], tensors.get("atlas.logvar"), labels)
    return Checkpoint(
        model=model.to(device).eval(), config=card["config"], dataset=card["dataset"],
        atlas=atlas, train=card["train"], metrics=card["metrics"], path=path,
    )


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
