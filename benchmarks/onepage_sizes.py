"""The size of the one-page file (``python -m aeexplorer export-html``) for every shipped model,
with a three-stop walk and a selected point, as JSON: MB per model, its parts (Plotly's script,
the decoder's weights as base64, the rest: the map and the walk), and the largest. The bound is
12 MB (``aeexplorer.app.onepage.MAX_BYTES``).

    python benchmarks/onepage_sizes.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MB = 2**20


def main() -> None:
    from aeexplorer.app import onepage
    from aeexplorer.app.scene import Scene
    from aeexplorer.core.checkpoints.file import load_checkpoint

    scene = Scene(z=(0.5, 0.5), stops=[(-1.0, 0.0), (1.0, 1.0), (0.0, -1.0)])
    plotly = len(onepage.plotly_js().encode("utf-8"))
    sizes = {}
    for path in sorted((REPO / "checkpoints").glob("*.safetensors")):
        ckpt = load_checkpoint(path)
        page = onepage.build(ckpt, path.name, scene)
        data = onepage.page_data(ckpt, path.name, scene)
        weights = len(data["net"]["weights"]) if data["net"] else 0
        sizes[path.stem] = {"mb": round(len(page) / MB, 2), "weights_mb": round(weights / MB, 2),
                            "map_and_rest_mb": round((len(page) - plotly - weights) / MB, 2),
                            "page_decoder": data["net"] is not None}
    print(json.dumps({"plotly_js_mb": round(plotly / MB, 2), "bound_mb": onepage.MAX_BYTES / MB,
                      "largest_mb": max(s["mb"] for s in sizes.values()), "models": sizes},
                     indent=1))


if __name__ == "__main__":
    main()
