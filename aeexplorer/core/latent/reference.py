"""Reference maps: t-SNE (van der Maaten & Hinton 2008, via openTSNE, Poličar et al. 2019) and
UMAP (McInnes et al. 2018, via umap-learn) of a data set's test images, the maps people know,
shown beside our models' maps as baselines.

A reference map has no encoder and no decoder: it places the very images it was computed from
(the test set, pixels scaled to [0, 1]), and nothing else. So it is stored, not computed by the
app: a small safetensors file (``codes`` (n, 2) float32, ``labels`` (n,) int64, the test set's
order) whose metadata says how it was made, computed by ``python -m aeexplorer reference``,
seeded, with the optional libraries of ``requirements-references.txt``. The app reads the
file without them. A file is untrusted like a checkpoint: its header and values are checked
before anything uses them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aeexplorer.core import atomic
from aeexplorer.core.checkpoints.header import (FORMAT, FORMAT_VERSION, MAX_CODE, clip, loads,
                                                read_header)
from aeexplorer.core.datasets.split import NO_LABEL
from aeexplorer.core.errors import CheckpointError

MAX_POINTS = 70_000  # the largest test set a reference is read for (MNIST's whole is 70k)
MAX_LABEL = 1000
FOLDER = Path("checkpoints", "references")


@dataclass(frozen=True)
class Method:
    name: str  # in words, for a page
    library: str  # the pip package that computes it
    module: str  # what ``compute`` imports of it (a page checks it is installed by this name)
    cite: str


METHODS = {
    "tsne": Method("t-SNE", "openTSNE", "openTSNE", "van der Maaten & Hinton 2008"),
    "umap": Method("UMAP", "umap-learn", "umap", "McInnes, Healy & Melville 2018"),
}


@dataclass(frozen=True)
class ReferenceMap:
    method: str  # a key of METHODS
    dataset: str
    codes: np.ndarray  # (n, 2) float32, row i = test image i
    labels: np.ndarray  # (n,) int64
    info: dict[str, Any] = field(default_factory=dict)  # seed, library, seconds, metrics

    @property
    def title(self) -> str:
        return f"{METHODS[self.method].name} of the test set"


def compute(method: str, images: np.ndarray, seed: int = 0) -> tuple[np.ndarray, str]:
    """The 2-D map of ``images`` (n, d) in [0, 1], one thread, seeded; and the library's name
    and version. Raises ImportError with the install line when the library is missing."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: use {' or '.join(METHODS)}")
    x = np.ascontiguousarray(images.reshape(len(images), -1), dtype=np.float32)
    try:
        if method == "tsne":
            import openTSNE as lib

            codes = np.asarray(lib.TSNE(n_jobs=1, random_state=seed).fit(x))
        else:
            import umap as lib

            codes = lib.UMAP(n_jobs=1, random_state=seed).fit_transform(x)
    except ImportError:
        raise ImportError(f"{METHODS[method].name} needs {METHODS[method].library}: pip install "
                          f"-r requirements-references.txt") from None
    version = getattr(lib, "__version__", "?")
    return codes.astype(np.float32), f"{METHODS[method].library} {version}"


def save_reference(path: str | os.PathLike, ref: ReferenceMap) -> Path:
    """Writes ``ref`` atomically; ``load_reference`` reads it back."""
    from safetensors.numpy import save_file

    _check_values(ref.codes, ref.labels, Path(path).name)
    metadata = {"format": FORMAT, "format_version": str(FORMAT_VERSION),
                "reference": json.dumps({"method": ref.method, "dataset": ref.dataset,
                                         **ref.info})}
    tensors = {"codes": np.ascontiguousarray(ref.codes, dtype=np.float32),
               "labels": np.ascontiguousarray(ref.labels, dtype=np.int64)}
    with atomic.replacing(Path(path)) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    return Path(path)


def load_reference(path: str | os.PathLike) -> ReferenceMap:
    """A reference map file, its header and values checked (a CheckpointError naming the file
    otherwise)."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    header = read_header(path)
    meta = loads(header["meta"].get("reference", ""), f"{path.name} is not a reference map")
    if not isinstance(meta, dict) or meta.get("method") not in METHODS:
        raise CheckpointError(f"{path.name} is not a reference map (method "
                              f"{clip(meta.get('method') if isinstance(meta, dict) else meta)})")
    tensors = header["tensors"]
    n = _rows(tensors, path.name)
    try:
        with safe_open(str(path), framework="numpy") as fh:
            codes, labels = fh.get_tensor("codes"), fh.get_tensor("labels")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path.name} could not be read ({str(exc)[:120]})") from None
    _check_values(codes, labels, path.name)
    dataset = meta.get("dataset")
    if not isinstance(dataset, str) or not 0 < len(dataset) <= 200 or len(codes) != n:
        raise CheckpointError(f"{path.name}: its data set is not named")
    info = {k: v for k, v in meta.items() if k not in ("method", "dataset")}
    return ReferenceMap(meta["method"], dataset, codes, labels, info)


def _rows(tensors: dict, name: str) -> int:
    """The number of points, from the header's entries alone (checked before any read)."""
    codes, labels = tensors.get("codes"), tensors.get("labels")
    if set(tensors) != {"codes", "labels"} or codes["dtype"] != "F32" or labels["dtype"] != "I64":
        raise CheckpointError(f"{name}: a reference map holds float32 codes and int64 labels")
    n = codes["shape"][0] if len(codes["shape"]) == 2 and codes["shape"][1] == 2 else -1
    if not 0 < n <= MAX_POINTS or labels["shape"] != [n]:
        raise CheckpointError(f"{name}: a reference map holds 1 to {MAX_POINTS:,} points in 2-D")
    return n


def _check_values(codes: np.ndarray, labels: np.ndarray, name: str) -> None:
    if codes.ndim != 2 or codes.shape[1] != 2 or labels.shape != (len(codes),):
        raise CheckpointError(f"{name}: a reference map holds one 2-D code and label a point")
    if not np.isfinite(codes).all() or np.abs(codes).max(initial=0) > MAX_CODE:
        raise CheckpointError(f"{name}: its codes are not finite numbers under {MAX_CODE:g}")
    if ((labels < NO_LABEL) | (labels >= MAX_LABEL)).any():
        raise CheckpointError(f"{name}: its labels are not class numbers")


def leave_one_out_accuracy(codes: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    """The share of points whose k nearest other points on the map vote their class: a
    reference map places only the test set, so each test point is classified by its
    neighbours among the others (a model's 5-NN is by the training set's codes instead)."""
    from aeexplorer.core.latent.neighbours import Index, votes

    keep = labels >= 0
    codes, labels = codes[keep], labels[keep]
    _, idx = Index(codes, labels).search(codes, k + 1)
    # each row without itself (first unless another point sits on it: then wherever it is)
    own = idx == np.arange(len(idx))[:, None]
    own[~own.any(axis=1), -1] = True
    others = idx[~own].reshape(len(idx), k)
    return float(np.mean(votes(labels[others], int(labels.max()) + 1) == labels))


def method_of(path: str | os.PathLike) -> Method:
    """The method of a reference file named ``{dataset}-{method}`` (as ``references_for``
    lists them)."""
    return METHODS[Path(path).stem.rsplit("-", 1)[1]]


def references_for(dataset: str, folder: str | os.PathLike = FOLDER) -> list[Path]:
    """The reference map files of ``dataset`` in ``folder`` (``{dataset}-{method}``), in
    METHODS' order."""
    folder = Path(folder)
    return [p for m in METHODS if (p := folder / f"{dataset}-{m}.safetensors").is_file()]
