"""Map faithfulness of checkpoints: trustworthiness and continuity (k = 5) of each one's test
codes (its atlas) against the test images in pixel space, exact
(``aeexplorer.core.latent.faithfulness``), with its stored 5-NN accuracy and reconstruction
MSE beside them; one JSON object per checkpoint. ``--store`` writes the two figures into the
checkpoint's metrics (the file rewritten atomically, its weights and atlas unchanged), so the
model card and Compare show them for files trained before they were measured.

    python benchmarks/bench_map.py checkpoints/mnist-*.safetensors [--store]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def measure(path: Path, store: bool) -> dict:
    from aeexplorer.core.checkpoints.file import load_checkpoint, save_checkpoint
    from aeexplorer.core.datasets.loading import load_split
    from aeexplorer.core.latent.faithfulness import sample_rows, trustworthiness_continuity

    ckpt = load_checkpoint(path)
    test = load_split(ckpt.dataset, False, image_size=ckpt.config.image_size,
                      channels=ckpt.config.image_channels)
    codes = ckpt.atlas.mu.numpy()
    if len(codes) != len(test.images):
        return {"checkpoint": str(path), "error": "its atlas is not the whole test set"}
    rows = sample_rows(len(codes))
    start = time.perf_counter()
    trust, cont = trustworthiness_continuity(test.images[rows].flatten(1), codes[rows])
    seconds = time.perf_counter() - start
    if store:
        metrics = {**ckpt.metrics, "trustworthiness": trust, "continuity": cont}
        save_checkpoint(path, ckpt.model, ckpt.dataset, ckpt.atlas, ckpt.train, metrics,
                        ckpt.classes)
    return {"checkpoint": path.name, "dataset": ckpt.dataset, "n": len(rows),
            "trustworthiness": round(trust, 4), "continuity": round(cont, 4),
            "knn5_accuracy": ckpt.metrics.get("knn5_accuracy"),
            "recon_mse": ckpt.metrics.get("recon_mse"), "seconds": round(seconds, 1),
            "stored": store}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--store", action="store_true")
    args = parser.parse_args()
    for path in args.checkpoints:
        print(json.dumps(measure(path, args.store)), flush=True)


if __name__ == "__main__":
    main()
