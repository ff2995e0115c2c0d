"""The untrusted half of a checkpoint: its safetensors header (metadata and tensor entries) and
its atlas, read and checked without building a model or touching torch.

A checkpoint may come from anyone (a folder the server lists, a visitor's training), so every
failure of a crafted file is one ``CheckpointError`` that names the file: sizes, JSON nesting,
types, the atlas's shape and value ranges are all checked before anything uses them. Values
quoted in a message are clipped (``clip``): a message is one line, whatever the file holds.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from aeexplorer.core.datasets.registry import class_names_of
from aeexplorer.core.datasets.split import NO_LABEL
from aeexplorer.core.errors import CheckpointError
from aeexplorer.core.models import ModelConfig

FORMAT = "aeexplorer"
FORMAT_VERSION = 1
MAX_HEADER_BYTES = 4 * 1024 * 1024  # shipped headers are under 24 kB; a 1,000-epoch history ~100 kB
MAX_DEPTH = 16  # JSON nesting; ours is 4 deep. Deeper input would recurse in the parser
MAX_TENSORS = 1024
MAX_DIMS = 8
MAX_ATLAS = 2_000_000  # test-set codes in one atlas
MAX_ATLAS_VALUES = 20_000_000  # rows x latent size: the atlas is read whole to be checked
MAX_CODE = 1e5  # |z| of an atlas code: a trained encoder's codes are far inside this
MAX_LOGVAR = 100.0
MAX_CLASSES, MAX_NAME = 1000, 100  # class names a checkpoint may list, characters in each
MAX_DATASET = 200  # characters in a data set's name ("folder:NAME")
_DTYPES = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"}
# a string literal, or an unterminated one to the end: linear on any input (a pattern that
# needs the closing quote restarts at every quote of a crafted header: quadratic time)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\\?\Z)', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def clip(value: Any, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters: a quoted untrusted value stays short."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def nesting(text: str) -> int:
    """How deep the brackets of a JSON text go (outside strings), counted up to MAX_DEPTH + 1:
    checked before ``json.loads``, whose recursion a crafted text could exhaust."""
    depth = peak = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        peak = max(peak, depth)
        if peak > MAX_DEPTH:
            break
    return peak


def loads(text: str | bytes, failure: str) -> Any:
    """``json.loads`` of untrusted text, or a CheckpointError with the message ``failure``."""
    try:
        text = text.decode("utf-8") if isinstance(text, bytes) else text
        if nesting(text) > MAX_DEPTH:
            raise CheckpointError(f"{failure} (nested over {MAX_DEPTH} deep)")
        # an integer of 19 digits or more is read as a float (inf when huge): a 400-digit
        # integer would overflow every float conversion and format that meets it later
        return json.loads(text, parse_int=lambda s: int(s) if len(s) < 19 else float(s))
    except (UnicodeDecodeError, ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise CheckpointError(failure) from None


def read_header(path: str | os.PathLike) -> dict[str, Any]:
    """Parse and check a safetensors header without reading any tensor data: ``{"meta":
    metadata strings, "tensors": {name: {"dtype", "shape", "data_offsets"}}}``."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint file at {path}")
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
            n = int.from_bytes(head, "little")
            raw = fh.read(n) if len(head) == 8 and n <= MAX_HEADER_BYTES and 8 + n <= size else b""
    except OSError as exc:  # unreadable (permissions, a folder named like a file, I/O error)
        raise CheckpointError(f"{path.name} could not be read ({exc.strerror})") from None
    if len(head) < 8:
        raise CheckpointError(f"{path.name} is not a safetensors file (too short)")
    if n > MAX_HEADER_BYTES or 8 + n > size:
        raise CheckpointError(f"{path.name} is not a safetensors file (bad header length)")
    header = loads(raw, f"{path.name} is not a safetensors file (header is not JSON)")
    if not isinstance(header, dict) or not isinstance(header.get("__metadata__"), dict):
        raise CheckpointError(f"{path.name} has no aeexplorer metadata")
    meta = header.pop("__metadata__")
    if not all(isinstance(v, str) for v in meta.values()):
        raise CheckpointError(f"{path.name}: metadata values must be strings")
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is a safetensors file but not an aeexplorer checkpoint")
    if meta.get("format_version") != str(FORMAT_VERSION):
        raise CheckpointError(f"{path.name} has format version {clip(meta.get('format_version'))}"
                              f"; this aeexplorer reads version {FORMAT_VERSION}")
    if len(header) > MAX_TENSORS:
        raise CheckpointError(f"{path.name} lists {len(header)} tensors (at most {MAX_TENSORS})")
    for name, info in header.items():
        _check_entry(name, info, 8 + n, size, path.name)
    return {"meta": meta, "tensors": header}


def _check_entry(name: str, info: Any, start: int, size: int, file: str) -> None:
    """One tensor entry: a known dtype, a shape of at most MAX_DIMS sizes, offsets in the file."""
    offsets = info.get("data_offsets") if isinstance(info, dict) else None
    shape = info.get("shape") if isinstance(info, dict) else None
    if (not isinstance(info, dict) or not isinstance(info.get("dtype"), str)
            or info["dtype"] not in _DTYPES
            or not isinstance(shape, list) or len(shape) > MAX_DIMS or not all(map(_count, shape))
            or not isinstance(offsets, list) or len(offsets) != 2
            or not all(map(_count, offsets)) or offsets[0] > offsets[1]):
        raise CheckpointError(f"{file}: tensor {clip(name)} has a malformed entry")
    if start + offsets[1] > size:
        raise CheckpointError(f"{file} is truncated (tensor {clip(name)} runs past the end)")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_card(path: str | os.PathLike) -> dict[str, Any]:
    """The model card (config, dataset, train, metrics) from the header alone: no weights. The
    atlas's entries are checked too: a card is only given for a file the map can use."""
    header = read_header(path)
    card = card_from_meta(header["meta"], Path(path).name)
    atlas_rows(header["tensors"], card["config"], Path(path).name)
    return card


def card_from_meta(meta: dict, name: str) -> dict[str, Any]:
    dataset = _parse_dataset(meta, name)
    return {
        "config": _parse_config(meta, name),
        "dataset": dataset,
        "classes": _parse_classes(meta, dataset, name),
        "train": _parse_json_object(meta, "train", name),
        "metrics": _parse_json_object(meta, "metrics", name),
    }


def _parse_config(meta: dict, name: str) -> ModelConfig:
    try:
        return ModelConfig.from_dict(loads(meta.get("config", ""),
                                                 f"{name}: invalid model config (not JSON)"))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{name}: invalid model config ({str(exc)[:120]})") from None


def _parse_dataset(meta: dict, name: str) -> str:
    """Any short printable name: a built-in data set, "folder:NAME", "shapes"... It is shown,
    escaped, and used to find the test images; an unknown one only means they are not found."""
    dataset = meta.get("dataset")
    if (not isinstance(dataset, str) or not 0 < len(dataset) <= MAX_DATASET
            or not dataset.isprintable()):
        raise CheckpointError(f"{name}: the dataset name {clip(dataset)} is not a short "
                              "printable name")
    return dataset


def _parse_classes(meta: dict, dataset: str, name: str) -> tuple[str, ...]:
    """The class names the atlas labels index: the "classes" list (empty: unlabelled data);
    a checkpoint from before it was written names a built-in data set, whose classes are known."""
    if "classes" not in meta:
        known = class_names_of(dataset)
        if not known:
            raise CheckpointError(f"{name}: unknown dataset {clip(dataset)} and no class names")
        return known
    classes = loads(meta["classes"], f"{name}: metadata field 'classes' is not a JSON list")
    if (not isinstance(classes, list) or len(classes) > MAX_CLASSES
            or not all(isinstance(c, str) and 0 < len(c) <= MAX_NAME and c.isprintable()
                       for c in classes)):
        raise CheckpointError(f"{name}: 'classes' must list at most {MAX_CLASSES} printable "
                              f"names of 1 to {MAX_NAME} characters")
    return tuple(classes)


def _parse_json_object(meta: dict, key: str, name: str) -> dict:
    value = loads(meta.get(key, "{}"), f"{name}: metadata field {key!r} is not a JSON object")
    if not isinstance(value, dict):
        raise CheckpointError(f"{name}: metadata field {key!r} is not a JSON object")
    return value


def atlas_rows(tensors: dict, config: ModelConfig, name: str) -> int:
    """The number of test-set codes the atlas entries declare, once their dtypes and shapes
    agree with each other and the config: 1 to MAX_ATLAS rows of ``latent_dim`` codes."""
    mu, labels = tensors.get("atlas.mu"), tensors.get("atlas.labels")
    if mu is None or labels is None:
        raise CheckpointError(f"{name}: the atlas of test-set codes is missing")
    shape = labels["shape"]
    n = shape[0] if len(shape) == 1 else None
    if n is None or labels["dtype"] != "I64":
        raise CheckpointError(f"{name}: the atlas is malformed ('atlas.labels' must be one I64 "
                              f"label per test image, not {labels['dtype']} {clip(shape)})")
    for key in ("atlas.mu", "atlas.logvar"):
        entry = tensors.get(key)
        if entry is not None and (entry["dtype"] != "F32"
                                  or entry["shape"] != [n, config.latent_dim]):
            raise CheckpointError(
                f"{name}: the atlas is malformed ({key!r} must be F32 [{n}, {config.latent_dim}],"
                f" not {entry['dtype']} {clip(entry['shape'])})")
    if not 1 <= n <= MAX_ATLAS or n * config.latent_dim > MAX_ATLAS_VALUES:
        raise CheckpointError(f"{name}: the atlas holds {n:,} test-set codes of {config.latent_dim}"
                              f" numbers (1 to {MAX_ATLAS:,} codes, {MAX_ATLAS_VALUES:,} numbers "
                              "in all, are allowed)")
    return n


def check_atlas(mu, labels, logvar, classes: tuple[str, ...], name: str) -> None:
    """Values the map can draw: finite codes within ±MAX_CODE (a range widget or an axis breaks
    on 1e38), finite log-variances, labels that index the data set's classes, or all NO_LABEL
    when it has none. Tensors or arrays."""
    mu = np.asarray(mu)
    if not (np.isfinite(mu).all() and np.abs(mu).max(initial=0.0) <= MAX_CODE):
        raise CheckpointError(f"{name}: the atlas codes must be finite numbers within "
                              f"±{MAX_CODE:g}")
    if logvar is not None:
        logvar = np.asarray(logvar)
        if not (np.isfinite(logvar).all() and np.abs(logvar).max(initial=0.0) <= MAX_LOGVAR):
            raise CheckpointError(f"{name}: the atlas log-variances must be finite numbers "
                                  f"within ±{MAX_LOGVAR:g}")
    labels = np.asarray(labels)
    n_classes = len(classes)
    low, high = (0, n_classes - 1) if n_classes else (NO_LABEL, NO_LABEL)
    if len(labels) and (labels.min() < low or labels.max() > high):
        allowed = f"0..{high}" if n_classes else f"{NO_LABEL} (no classes)"
        raise CheckpointError(f"{name}: atlas labels outside {allowed}")


def read_atlas(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """The atlas alone, as numpy: (N, D) float32 test-set codes and (N,) int64 labels. Reads
    no weights and needs no torch, so the map can be drawn while the model is still loading."""
    _, codes, classes = _card_and_atlas(Path(path))
    return codes, classes


def check_file(path: str | os.PathLike) -> dict[str, Any]:
    """The model card of a file every page can use: the header, the card and the atlas's
    values all checked (what the checkpoint pickers list; weights are checked on load)."""
    return _card_and_atlas(Path(path))[0]


def _card_and_atlas(path: Path) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """The card and the atlas's codes and labels, from one read of the header."""
    from safetensors import SafetensorError, safe_open

    header = read_header(path)
    card = card_from_meta(header["meta"], path.name)
    atlas_rows(header["tensors"], card["config"], path.name)
    has_logvar = "atlas.logvar" in header["tensors"]
    try:
        with safe_open(str(path), framework="numpy") as fh:
            codes, classes = fh.get_tensor("atlas.mu"), fh.get_tensor("atlas.labels")
            logvar = fh.get_tensor("atlas.logvar") if has_logvar else None
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path.name} could not be read ({str(exc)[:120]})") from None
    check_atlas(codes, classes, logvar, card["classes"], path.name)
    return card, codes, classes
