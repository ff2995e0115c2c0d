"""``python -m aeexplorer reference --method tsne|umap --dataset mnist``: a t-SNE or UMAP map
of a data set's test images (``aeexplorer.core.latent.reference``), measured like a model's
map (5-NN by the other test points, trustworthiness and continuity) and written where the
Compare page finds it (``checkpoints/references/DATASET-METHOD.safetensors``). Needs the
optional libraries of requirements-references.txt; the app reads the file without them."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from aeexplorer.core.errors import AeError


def add_parser(sub: argparse._SubParsersAction) -> None:
    from aeexplorer.core.latent.reference import METHODS

    p = sub.add_parser("reference", help="compute a t-SNE or UMAP map of a data set's test "
                                         "images, a reference for the Compare page")
    p.add_argument("--method", choices=list(METHODS), required=True)
    p.add_argument("--dataset", required=True, help="e.g. mnist or fashion-mnist")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None,
                   help="default: checkpoints/references/DATASET-METHOD.safetensors")
    p.add_argument("--data-dir", default=None,
                   help="data root (default: $AEEXPLORER_DATA or ./data)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from aeexplorer.core.latent import reference
    from aeexplorer.core.latent.faithfulness import trustworthiness_continuity

    test = _test_split(args.dataset, args.data_dir)
    images, labels = test.images.reshape(len(test.images), -1).numpy(), test.labels.numpy()
    started = time.perf_counter()
    try:
        codes, library = reference.compute(args.method, images, args.seed)
    except ImportError as exc:
        raise AeError(str(exc)) from None
    seconds = time.perf_counter() - started
    trust, cont = trustworthiness_continuity(images, codes)
    info = {"seed": args.seed, "library": library, "seconds": round(seconds, 1),
            "knn5_accuracy": reference.leave_one_out_accuracy(codes, labels),
            "trustworthiness": trust, "continuity": cont}
    out = args.out or reference.FOLDER / f"{args.dataset}-{args.method}.safetensors"
    ref = reference.ReferenceMap(args.method, args.dataset, codes, labels, info)
    try:
        reference.save_reference(out, ref)
    except OSError as exc:
        raise AeError(f"could not write {out}: {exc.strerror or exc}") from None
    print(json.dumps({"out": str(out), "method": args.method, "dataset": args.dataset,
                      "points": len(codes), **info}))
    return 0


def _test_split(dataset: str, data_dir: str | None):
    from aeexplorer.core.datasets.loading import load_split

    return load_split(dataset, train=False, data_dir=data_dir)  # DataNotFound is an AeError
