"""The big map: a synthetic atlas of a million 2-D codes (a mixture of 10 Gaussians of unequal
sizes, 10 labels) saved with a tiny untrained model as a real checkpoint in a temporary
folder, and what its visitors wait for: the checkpoint checked and read, the map figure built
and what each rerun sends, a click's nearest-code searches and, in Chromium, the page's map
drawn and clicks on it (beside a 10k atlas made the same way, in the same server).

    python benchmarks/bench_bigmap.py [--n 1000000] [--clicks 20] [--no-browser]
                                      [--screenshot /tmp/bigmap.png]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from report import percentiles  # noqa: E402

BIG, SMALL = "big-map.safetensors", "small-map.safetensors"


def synthetic(folder: Path, n: int, name: str = BIG, seed: int = 0) -> Path:
    """A tiny VAE (untrained) with an atlas of ``n`` codes from 10 Gaussians whose sizes range
    over a factor of about 10, saved through the core API as any checkpoint is."""
    import torch

    from aeexplorer.core.checkpoints.file import Atlas, save_checkpoint
    from aeexplorer.core.models import ModelConfig, build_model

    rng = np.random.default_rng(seed)
    weights = np.linspace(1, 10, 10)
    labels = rng.choice(10, size=n, p=weights / weights.sum())
    centres = rng.normal(size=(10, 2)) * 2.2
    spread = rng.uniform(0.25, 0.7, size=(10, 2))
    mu = (centres[labels] + rng.normal(size=(n, 2)) * spread[labels]).astype(np.float32)
    torch.manual_seed(seed)
    model = build_model(ModelConfig(kind="vae", hidden=(32, 16))).eval()
    atlas = Atlas(torch.from_numpy(mu), torch.full((n, 2), -2.0),
                  torch.from_numpy(labels.astype(np.int64)))
    return save_checkpoint(folder / name, model, "mnist", atlas,
                           train={"config": {"epochs": 1}})


def timed_ms(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def checkpoint_times(path: Path, repeats: int = 5) -> dict:
    """What the pages do with a listed file: its header and atlas checked (the picker's card),
    the atlas read for the map, the model loaded (best of ``repeats``, ms)."""
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.checkpoints.header import check_file, read_atlas

    return {"bigmap_check_ms": min(timed_ms(lambda: check_file(path), repeats)),
            "bigmap_read_atlas_ms": min(timed_ms(lambda: read_atlas(path), repeats)),
            "bigmap_load_ms": min(timed_ms(lambda: load_checkpoint(path), repeats)),
            "bigmap_file_bytes": path.stat().st_size}


def figure_times(path: Path, repeats: int = 3) -> dict:
    """The map as ``resources.base_map`` builds it once per model (figure and dict), as every
    rerun sends it (rebuilt from the dict, Streamlit's ``to_json``), and the payload; beside
    the payload of the same atlas drawn point by point."""
    import plotly.io as pio

    from aeexplorer.app import figures, views
    from aeexplorer.core.checkpoints.header import read_atlas
    from aeexplorer.core.datasets.registry import CLASS_NAMES

    mu, labels = read_atlas(path)
    xy, names = views.map_xy(mu), CLASS_NAMES["mnist"]
    bounds = views.map_bounds(xy)
    spec: dict = {}

    def build() -> None:
        fig = figures.latent_map(xy, labels, names, bounds)
        spec.update(fig.to_dict(), drawn=sum(len(t.customdata) for t in fig.data
                                             if t.customdata is not None))

    build_ms = timed_ms(build, repeats)
    drawn = spec.pop("drawn")
    payload = pio.to_json(figures.from_dict(spec), validate=False)
    send_ms = timed_ms(lambda: pio.to_json(figures.from_dict(spec), validate=False), repeats)
    every = figures.latent_map(xy, labels, names, bounds, max_points=len(xy))
    return {"bigmap_codes": len(xy), "bigmap_figure_build_ms": min(build_ms),
            "bigmap_rerun_json_ms": min(send_ms), "bigmap_payload_bytes": len(payload),
            "bigmap_points_drawn": drawn,
            "bigmap_payload_every_point_bytes": len(pio.to_json(every, validate=False))}


def lookup_times(path: Path, queries: int = 200, seed: int = 1) -> dict:
    """A click's searches, exact, as the app makes them: the 5 nearest codes to a spot in the
    map's view (``resources.MapPoints.index``, a ``spatial.GridIndex`` built once per atlas),
    and the Similar tab's 8 nearest to a test image by its code, itself left out (for a 2-D
    model the same index); beside the flat search over every code (``neighbours.nearest``,
    an index built per query, as before the grid)."""
    from aeexplorer.app import views
    from aeexplorer.core.checkpoints.header import read_atlas
    from aeexplorer.core.latent.neighbours import nearest
    from aeexplorer.core.latent.spatial import GridIndex

    mu, labels = read_atlas(path)
    xy = views.map_xy(mu)
    build = timed_ms(lambda: GridIndex(xy, labels), 3)
    grid = GridIndex(xy, labels)
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = views.map_bounds(xy)
    spots = np.stack([rng.uniform(x0, x1, queries), rng.uniform(y0, y1, queries)], axis=1)
    picks = rng.integers(0, len(xy), queries)
    nearest(xy, labels, spots[0], 5)  # torch's first import and first product
    series = {"nearest": [timed_ms(lambda q=q: grid.nearest(q, 5), 1)[0] for q in spots],
              "similar": [timed_ms(lambda i=i: grid.nearest(xy[i], 8, int(i)), 1)[0]
                          for i in picks],
              "flat_nearest": [timed_ms(lambda q=q: nearest(xy, labels, q, 5), 1)[0]
                               for q in spots[:queries // 4]]}
    out = {"bigmap_index_build_ms": min(build)}
    for key, times in series.items():
        out[f"bigmap_{key}_p50_ms"], out[f"bigmap_{key}_p95_ms"] = percentiles(times)
    return out


def page_times(folder: Path, clicks: int, screenshot: Path | None) -> dict:
    """Chromium against one server listing both atlases, for 10k codes then the big one: a
    fresh page's load → painted map (the first after the server start, then best of 2),
    then clicks on test points and on empty space in the last page."""
    from playwright.sync_api import sync_playwright

    from bench_browser import _launch
    from tests.browser.server import running

    out: dict[str, Any] = {"bigmap_clicks": clicks}
    log = Path(tempfile.mkdtemp(prefix="aeexplorer-bigmap-")) / "server.log"
    with running({"AEEXPLORER_CHECKPOINT_DIRS": str(folder)}, log) as url, \
            sync_playwright() as pw:
        browser = _launch(pw)
        try:
            for key, name in (("small", SMALL), ("big", BIG)):
                loads = [_load(browser, f"{url}/?ckpt={name}") for _ in range(3)]
                out[f"bigmap_page_first_s_{key}"] = loads[0][0]
                out[f"bigmap_page_s_{key}"] = min(t for t, _ in loads[1:])
                for _, page in loads[:-1]:
                    page.context.close()
                out.update(_clicks(loads[-1][1], clicks, key,
                                   screenshot if key == "big" else None))
                loads[-1][1].context.close()
        finally:
            browser.close()
    return out


def _clicks(page, clicks: int, key: str, screenshot: Path | None) -> dict:
    """p50/p95 ms of clicks on test points (one per class in turn) and on empty space."""
    from bench_browser import click_series, empty_targets, point_targets, timed_click
    from tests.browser import helpers as h

    page.wait_for_selector(".st-key-decoded", timeout=60_000)
    h.wait_idle(page)
    if screenshot is not None:
        page.set_viewport_size({"width": 1280, "height": 720})
        time.sleep(1.0)
        page.screenshot(path=str(screenshot))
    points, empties = point_targets(page), empty_targets(page, clicks + 1)
    timed_click(page, *empties[-1])  # the first click: imports, the first decode
    out = {}
    for kind, targets in (("point", points), ("empty", empties[:-1])):
        out[f"bigmap_click_p50_ms_{kind}_{key}"], out[f"bigmap_click_p95_ms_{kind}_{key}"] = \
            percentiles(click_series(page, targets, clicks))
    return out


def _load(browser, url: str) -> tuple[float, Any]:
    """Seconds from ``goto`` in a fresh context to the map drawn and two frames painted."""
    from bench_browser import new_page
    from tests.browser import helpers as h

    page = new_page(browser)
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_function(h.PLOT_READY, timeout=120_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return time.perf_counter() - t0, page


def run_bigmap(n: int = 1_000_000, browser: bool = True, clicks: int = 20,
               screenshot: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="aeexplorer-bigmap-") as tmp:
        folder = Path(tmp)
        path = synthetic(folder, n)
        synthetic(folder, 10_000, SMALL)
        out = {**checkpoint_times(path), **figure_times(path), **lookup_times(path)}
        if browser:
            out.update(page_times(folder, clicks, screenshot))
    return out


def bigmap_rows(r: dict) -> list[str]:
    """The big map's figures as Markdown table rows (README, Performance)."""
    n = f"{r['bigmap_codes']:,}"
    rows = [("| Big map: a synthetic atlas of " + n + " 2-D codes | p50 / value | p95 |"),
            "|---|--:|--:|",
            f"| checkpoint checked (header and atlas: the picker's card) | "
            f"{r['bigmap_check_ms']:.0f} ms | |",
            f"| atlas read for the map / model loaded | {r['bigmap_read_atlas_ms']:.0f} / "
            f"{r['bigmap_load_ms']:.0f} ms | |",
            f"| map figure built (once per model, shared) | {r['bigmap_figure_build_ms']:.0f} ms"
            " | |",
            f"| map sent on each rerun: JSON time, bytes ({r['bigmap_points_drawn']:,} points "
            f"and the density image) | {r['bigmap_rerun_json_ms']:.0f} ms, "
            f"{r['bigmap_payload_bytes']:,} bytes | |",
            f"| the same map drawn point by point (before) | "
            f"{r['bigmap_payload_every_point_bytes']:,} bytes | |",
            f"| the map's grid index built (once per atlas, shared) | "
            f"{r['bigmap_index_build_ms']:.0f} ms | |",
            f"| click in the view: 5 nearest codes (grid index) | "
            f"{r['bigmap_nearest_p50_ms']:.2f} ms | {r['bigmap_nearest_p95_ms']:.2f} ms |",
            f"| Similar tab: 8 nearest to a test image's code (grid index) | "
            f"{r['bigmap_similar_p50_ms']:.2f} ms | {r['bigmap_similar_p95_ms']:.2f} ms |",
            f"| the same 5 nearest over every code (flat search, before) | "
            f"{r['bigmap_flat_nearest_p50_ms']:.1f} ms | "
            f"{r['bigmap_flat_nearest_p95_ms']:.1f} ms |"]
    if "bigmap_page_s_big" in r:
        rows += [f"| fresh page, warm server → painted map: 10,000 / {n} codes (best of 2) | "
                 f"{r['bigmap_page_s_small']:.2f} / {r['bigmap_page_s_big']:.2f} s | |",
                 f"| first page after the server start: 10,000 / {n} codes | "
                 f"{r['bigmap_page_first_s_small']:.2f} / {r['bigmap_page_first_s_big']:.2f} s"
                 " | |"]
        for kind, label in (("point", "a test point"), ("empty", "empty space")):
            p50, p95 = (f"{r[f'bigmap_click_{p}_ms_{kind}_small']:.0f} / "
                        f"{r[f'bigmap_click_{p}_ms_{kind}_big']:.0f} ms" for p in ("p50", "p95"))
            rows.append(f"| click on {label} → decoded image, 10,000 / {n} codes "
                        f"({r['bigmap_clicks']} clicks each) | {p50} | {p95} |")
    return rows


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000, help="codes in the big atlas")
    p.add_argument("--clicks", type=int, default=20, help="timed clicks of each kind")
    p.add_argument("--no-browser", action="store_true", help="skip the Chromium figures")
    p.add_argument("--screenshot", type=Path, help="a 1280x720 screenshot of the big map page")
    args = p.parse_args(argv)
    result = run_bigmap(args.n, not args.no_browser, args.clicks, args.screenshot)
    print("\n".join(bigmap_rows(result)))
    print(json.dumps(result, default=float))
    return result


if __name__ == "__main__":
    main()
