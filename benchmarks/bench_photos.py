"""How many of the shared real phone photos (``photos/squared-paper``: ten digits written with a
pen on squared paper, the label the file name's first character) get their own label by the
vote of their 5 nearest test codes, placed as the page places an upload (``place_bytes`` with
the default method, and with each method named), on shipped maps. Prints JSON.

    python benchmarks/bench_photos.py [--models mnist-vae mnist-ae mnist-umap-ae]
                                      [--hows auto encoder searched]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def photos(root: Path) -> list[tuple[str, int, bytes]]:
    """(file name, label, bytes) of each shared photo, in name order."""
    files = sorted((root / "photos" / "squared-paper").glob("*.jpg"))
    if not files:
        raise SystemExit(f"no photos in {root / 'photos' / 'squared-paper'}")
    return [(f.name, int(f.name[0]), f.read_bytes()) for f in files]


def votes(ckpt, shots: list[tuple[str, int, bytes]], how: str) -> dict:
    """Each photo's vote on ``ckpt``'s map placed by ``how``, how many are right, and the
    time a photo took (preparation included)."""
    from aeexplorer.core.latent.placement import Method, place_bytes

    t0 = time.perf_counter()
    voted = {name: int(place_bytes(ckpt, data, Method(how=how)).vote) for name, _, data in shots}
    seconds = (time.perf_counter() - t0) / len(shots)
    right = sum(voted[name] == label for name, label, _ in shots)
    return {"right": right, "of": len(shots), "votes": voted, "s_per_photo": round(seconds, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["mnist-vae", "mnist-ae", "mnist-umap-ae"])
    parser.add_argument("--hows", nargs="+", default=["auto", "encoder", "searched"])
    args = parser.parse_args()
    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.datasets.loading import resolve_data_root

    shots = photos(resolve_data_root())
    out = {}
    for name in args.models:
        ckpt = load_checkpoint(REPO / "checkpoints" / f"{name}.safetensors")
        out[name] = {how: votes(ckpt, shots, how) for how in args.hows}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
