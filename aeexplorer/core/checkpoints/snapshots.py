"""Snapshots: how a model's map formed. The codes (means) of a fixed sample of test images at
moments of the training, kept in the checkpoint so any page can replay them.

Tensors: ``snap.index`` (I64 [N], the sample's test-set rows), ``snap.labels`` (I64 [N]) and
``snap.codes`` (F16 [S, N, D]: half precision, a map needs no more); metadata ``snapshots``: a
JSON list of S objects ``{"epoch": float, "step": int, "seconds": float}``. A file without
them is a checkpoint as before. The file is untrusted: entries are checked from the header
(no torch here), values when they are read.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
import numpy as np

from aeexplorer.core.checkpoints.header import MAX_CODE, clip, loads, read_header
from aeexplorer.core.errors import CheckpointError

MAX_SNAPSHOTS = 40
MAX_SAMPLE = 5000  # images in the sample; 2,000 is taken
MAX_SNAPSHOT_VALUES = 8_000_000  # S x N x D, 16 MB of half floats at most
KEYS = ("snap.index", "snap.labels", "snap.codes")
NONE_NOTE = "this checkpoint holds no snapshots of its training (train it with --snapshots N)"


@dataclass(frozen=True)
class Snapshots:
    index: np.ndarray  # (N,) int64: the sample's rows of the test set
    labels: np.ndarray  # (N,) int64
    codes: np.ndarray  # (S, N, D) float16
    moments: tuple[dict, ...]  # per snapshot: epoch (fractional), step, seconds

    def __len__(self) -> int:
        return len(self.moments)

    def metadata(self) -> list[dict]:
        return [dict(m) for m in self.moments]


def tensors_of(snaps: Snapshots) -> dict[str, np.ndarray]:
    return {"snap.index": np.ascontiguousarray(snaps.index, dtype=np.int64),
            "snap.labels": np.ascontiguousarray(snaps.labels, dtype=np.int64),
            "snap.codes": np.ascontiguousarray(snaps.codes, dtype=np.float16)}


def expected_entries(tensors: dict, meta: dict, latent_dim: int,
                     name: str) -> dict[str, tuple[str, list[int]]]:
    """The snapshot entries a header must hold, once they agree with each other, the metadata
    and the model: {} for a file without snapshots. CheckpointError for any half-made set."""
    present = [k for k in KEYS if k in tensors]
    if not present and "snapshots" not in meta:
        return {}
    if len(present) < len(KEYS) or "snapshots" not in meta:
        raise CheckpointError(f"{name}: the snapshots are incomplete (tensors {present}, "
                              f"metadata {'snapshots' in meta})")
    moments = parse_moments(meta["snapshots"], name)
    shape = tensors["snap.codes"]["shape"]
    n = shape[1] if len(shape) == 3 else 0
    if (len(shape) != 3 or shape[0] != len(moments) or shape[2] != latent_dim
            or not 1 <= n <= MAX_SAMPLE
            or len(moments) * n * latent_dim > MAX_SNAPSHOT_VALUES):
        raise CheckpointError(f"{name}: the snapshots' codes are {clip(shape)}: expected "
                              f"[{len(moments)} snapshots, 1 to {MAX_SAMPLE} images, "
                              f"{latent_dim}]")
    return {"snap.index": ("I64", [n]), "snap.labels": ("I64", [n]),
            "snap.codes": ("F16", [len(moments), n, latent_dim])}


def parse_moments(text: str, name: str) -> tuple[dict, ...]:
    """The ``snapshots`` metadata: 1 to MAX_SNAPSHOTS moments of finite, non-negative
    epoch, step and seconds."""
    failure = f"{name}: metadata field 'snapshots' is not a list of moments"
    items = loads(text, failure)
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_SNAPSHOTS:
        raise CheckpointError(f"{failure} (1 to {MAX_SNAPSHOTS})")
    moments = []
    for item in items:
        values = [item.get(k) if isinstance(item, dict) else None
                  for k in ("epoch", "step", "seconds")]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                   and math.isfinite(v) and 0 <= v < 1e12 for v in values):
            raise CheckpointError(failure)
        moments.append({"epoch": float(values[0]), "step": int(values[1]),
                        "seconds": float(values[2])})
    return tuple(moments)


def read_snapshots(path: str | os.PathLike, n_test: int | None = None) -> Snapshots | None:
    """The snapshots of a checkpoint, checked (None: it holds none). ``n_test``: the test
    set's size, which the sample's rows must index."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    header = read_header(path)
    meta, tensors = header["meta"], header["tensors"]
    codes_entry = tensors.get("snap.codes")
    dim = codes_entry["shape"][-1] if codes_entry and codes_entry["shape"] else 0
    expected = expected_entries(tensors, meta, dim, path.name)
    if not expected:
        return None
    for key, (dtype, shape) in expected.items():
        if tensors[key]["dtype"] != dtype or tensors[key]["shape"] != shape:
            raise CheckpointError(f"{path.name}: tensor {key!r} is {tensors[key]['dtype']} "
                                  f"{clip(tensors[key]['shape'])}, expected {dtype} {shape}")
    try:
        with safe_open(str(path), framework="numpy") as fh:
            arrays = {k: fh.get_tensor(k) for k in KEYS}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path.name} could not be read ({str(exc)[:120]})") from None
    snaps = Snapshots(arrays["snap.index"], arrays["snap.labels"], arrays["snap.codes"],
                      parse_moments(meta["snapshots"], path.name))
    check_values(snaps, n_test, path.name)
    return snaps


def check_values(snaps: Snapshots, n_test: int | None, name: str) -> None:
    codes = snaps.codes.astype(np.float32)
    if not (np.isfinite(codes).all() and np.abs(codes).max(initial=0.0) <= MAX_CODE):
        raise CheckpointError(f"{name}: the snapshots' codes must be finite numbers")
    high = (n_test if n_test is not None else 2**62) - 1
    if len(snaps.index) and (snaps.index.min() < 0 or snaps.index.max() > high):
        raise CheckpointError(f"{name}: the snapshots' sample indexes rows outside the test set")
    if len(snaps.labels) and snaps.labels.min() < -1:
        raise CheckpointError(f"{name}: the snapshots' labels are malformed")


def describe(snaps: Snapshots | None) -> str:
    """One line for a person: what a checkpoint's snapshots hold, or that it has none."""
    if snaps is None:
        return NONE_NOTE
    first, last = snaps.moments[0], snaps.moments[-1]
    return (f"{len(snaps)} snapshots of {len(snaps.index):,} test images, from epoch "
            f"{first['epoch']:.2f} to {last['epoch']:.2f} ({last['seconds']:.0f} s of training)")

