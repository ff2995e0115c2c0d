"""What the kept pixel ranks (``aeexplorer.core.latent.rank_cache``) save: the seconds of
trustworthiness and continuity on a data set's test images against a shipped map's codes,
measured without the cache, with an empty one (the table is made and kept) and with it kept
(what every later ``evaluate`` and Train-page run of that data set pays). The figures must be
equal. The cache is a temp folder, removed after. Prints JSON.

    python benchmarks/bench_rank_cache.py [--model mnist-umap-ae] [--n 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def timed(run) -> tuple[dict, tuple[float, float]]:
    """The wall-clock and CPU seconds of ``run()`` (on a shared machine the CPU time is the
    steadier of the two), and what it gave."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = run()
    return {"wall_s": round(time.perf_counter() - wall, 2),
            "cpu_s": round(time.process_time() - cpu, 2)}, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="mnist-umap-ae")
    parser.add_argument("--n", type=int, default=10_000, help="test images (the first n)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.datasets.loading import load_split, resolve_data_root
    from aeexplorer.core.latent.faithfulness import trustworthiness_continuity

    ckpt = load_checkpoint(REPO / "checkpoints" / f"{args.model}.safetensors")
    images = load_split(ckpt.dataset, False, resolve_data_root()).images[:args.n]
    codes = ckpt.atlas.mu[:args.n]
    with tempfile.TemporaryDirectory() as folder:
        os.environ["AEEXPLORER_CACHE"] = folder
        plain_s, plain = timed(lambda: trustworthiness_continuity(images, codes, cache=False))
        cold_s, cold = timed(lambda: trustworthiness_continuity(images, codes))
        warm_s, warm = timed(lambda: trustworthiness_continuity(images, codes))
        size = sum(p.stat().st_size for p in Path(folder).rglob("*.npy"))
    print(json.dumps({"model": args.model, "n": len(images), "threads": torch.get_num_threads(),
                      "no cache": plain_s, "cache made": cold_s, "cache kept": warm_s,
                      "table_mb": round(size / 2 ** 20, 1),
                      "trustworthiness": plain[0], "continuity": plain[1],
                      "equal": plain == cold == warm}, indent=1))


if __name__ == "__main__":
    main()
