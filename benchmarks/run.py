"""All benchmarks: `python benchmarks/run.py [--quick]` prints a table, then, as its last line,
one JSON object with every figure. Plain timing: nothing here passes or fails.

The checkpoint: ``checkpoints/mnist-vae.safetensors`` (shipped) when it is there, else the one
in ``--checkpoint-dir DIR``, else the first folder of AEEXPLORER_CHECKPOINT_DIRS that holds one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # aeexplorer, when run as `python benchmarks/run.py`
NAME = "mnist-vae.safetensors"
TARGETS = {"train_speedup_dense_vae": (">=", 3.0), "train_speedup_conv_vae": (">=", 3.0),
           **{f"train_speedup_{arch}_vae_{precision}": (">=", 3.0)
              for arch in ("dense", "conv") for precision in ("fp32", "bf16")},
           "click_p50_ms_point": ("<=", 150.0), "click_p50_ms_empty": ("<=", 150.0),
           "cold_start_s": ("<=", 6.0),
           "hover_p50_ms": ("<=", 16.0), "hover_p95_ms": ("<=", 33.0),
           "hover_conv_p50_ms": ("<=", 16.0), "hover_conv_server_messages": ("==", 0),
           "hover_server_messages": ("==", 0), "click_page_p50_ms": ("<=", 50.0),
           "playback_fps": (">=", 30.0), "train_seconds_to_elbo_140": ("<=", 60.0),
           "sequence_failures": ("==", 0)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes: about a minute")
    p.add_argument("--checkpoint-dir", type=Path, help=f"a folder holding {NAME}")
    p.add_argument("--data-dir", type=Path, help="MNIST root (default: AEEXPLORER_DATA)")
    p.add_argument("--threads", type=int, default=0,
                   help="torch threads for the model benchmarks (default: torch's own)")
    p.add_argument("--clicks", type=int, help="timed clicks of each kind (30 quick, 50 full)")
    p.add_argument("--moves", type=int,
                   help="pointer moves over the map, each series (200 quick, 400 full)")
    p.add_argument("--sequence-steps", type=int,
                   help="seeded presenter actions checked in Chromium (40 quick, 1000 full)")
    p.add_argument("--no-browser", action="store_true", help="skip the Chromium benchmarks")
    p.add_argument("--no-bigmap", action="store_true",
                   help="skip the big map (a synthetic atlas of 1M codes; 200k quick)")
    return p.parse_args(argv)


def find_checkpoint(given: Path | None) -> tuple[Path, dict[str, str]]:
    """The MNIST VAE to benchmark, and the environment that makes the app list it."""
    if given is not None:
        if not (given / NAME).is_file():
            raise SystemExit(f"no {NAME} in {given}")
        return (given / NAME).resolve(), {"AEEXPLORER_CHECKPOINT_DIRS": str(given.resolve())}
    if (ROOT / "checkpoints" / NAME).is_file():
        return ROOT / "checkpoints" / NAME, {}
    for folder in os.environ.get("AEEXPLORER_CHECKPOINT_DIRS", "").split(os.pathsep):
        if folder.strip() and (Path(folder) / NAME).is_file():
            return (Path(folder) / NAME).resolve(), {}
    raise SystemExit(
        f"no {NAME} in checkpoints/, and none given: train one for an epoch, e.g.\n"
        f"  python -m aeexplorer train --dataset mnist --model vae --epochs 1 "
        f"--out /tmp/bench/{NAME}\nthen pass --checkpoint-dir /tmp/bench")


def ckpt_query(path: Path, env: dict[str, str]) -> str:
    """The ``?ckpt=`` link that picks ``path``: its display name in the app's picker (the
    folder goes in front where two listed folders hold the same file name)."""
    dirs = env.get("AEEXPLORER_CHECKPOINT_DIRS", os.environ.get("AEEXPLORER_CHECKPOINT_DIRS", ""))
    folders = [ROOT / "checkpoints", ROOT / "runs",
               *(Path(d) for d in dirs.split(os.pathsep) if d.strip())]
    same = {(f / path.name).resolve() for f in folders if (f / path.name).is_file()}
    return f"?ckpt={path.name if len(same) <= 1 else f'{path.parent.name}/{path.name}'}"


def conditions(args: argparse.Namespace, ckpt: Path) -> dict:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"mode": "quick" if args.quick else "full", "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "load_avg_1min": load,
            "torch": torch.__version__, "python": platform.python_version(),
            "checkpoint": str(ckpt.relative_to(ROOT) if ckpt.is_relative_to(ROOT) else ckpt)}


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    from aeexplorer.core.datasets.loading import resolve_data_root

    data_root = resolve_data_root(args.data_dir)
    os.environ["AEEXPLORER_DATA"] = str(data_root)
    ckpt, env = find_checkpoint(args.checkpoint_dir)
    result = conditions(args, ckpt)
    started = time.perf_counter()
    if not args.no_browser:  # first, while the machine is least warm from our own work
        from bench_browser import run_browser

        result.update(run_browser(env, ckpt_query(ckpt, env), args.clicks or
                                  (30 if args.quick else 50), 1 if args.quick else 3,
                                  args.moves or (200 if args.quick else 400)))
        from bench_sequence import run_sequence

        result.update(run_sequence(args.sequence_steps or (40 if args.quick else 1000)))
    from bench_model import run_model

    sizes = (2560, 1280, 2) if args.quick else (60_000, 12_800, 3)
    result.update(run_model(data_root, ckpt, *sizes))
    from bench_quality import threads_and_data, time_to_elbo

    result.update(time_to_elbo(data_root))
    result.update(threads_and_data(data_root, 5_120 if args.quick else 20_480))
    if not args.no_bigmap:
        from bench_bigmap import run_bigmap

        result.update(run_bigmap(200_000 if args.quick else 1_000_000, not args.no_browser,
                                 10 if args.quick else 20))
    result["bench_seconds"] = time.perf_counter() - started
    from bench_bigmap import bigmap_rows
    from report import table

    print(table(result, TARGETS))
    if "bigmap_codes" in result:
        print("\n" + "\n".join(bigmap_rows(result)))
    print(json.dumps(result, default=float))
    return result


if __name__ == "__main__":
    main()
