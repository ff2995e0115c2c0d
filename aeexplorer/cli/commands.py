"""The CLI commands. Argument parsing lives in ``cli/__init__.py``, what a command prints while
it runs in ``cli/progress.py``; torch is imported by the commands that need it, when they run."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shlex
import sys

from aeexplorer.cli.exits import EXIT_INTERRUPTED
from aeexplorer.cli.progress import (BarProgress, JsonProgress, SnapshotLines, emit, say_data,
                                     say_precision)
from aeexplorer.core.checkpoints.card import family
from aeexplorer.core.checkpoints.file import file_signature, load_checkpoint
from aeexplorer.core.checkpoints.metric_table import METRICS, MISSING, NOTES, QUALITY, why_missing
from aeexplorer.core.datasets.folder import image_folders
from aeexplorer.core.datasets.loading import (fetch, load_split, missing_files, resolve_data_root,
                                              train_images)
from aeexplorer.core.datasets.registry import (BUILTINS, DATASETS, DEFAULT_DATASETS, GENERATED,
                                               folder_name, raw_folder)
from aeexplorer.core.errors import AeError
from aeexplorer.core.images.upload import read_image_bytes
from aeexplorer.core.latent.placement import Method, place_bytes
from aeexplorer.core.training import distributed
from aeexplorer.core.training.options import configs as make_configs


def train(args: argparse.Namespace) -> int:
    model_cfg, cfg = configs(args)
    try:
        distributed.check(model_cfg, cfg, args.download)
    except ValueError as exc:
        raise AeError(str(exc)) from None
    with distributed.session(cfg.device):  # a process group only under torchrun
        return _train(args, model_cfg, cfg)


def _train(args: argparse.Namespace, model_cfg, cfg) -> int:
    from aeexplorer.core.pipeline import train_and_save  # torch: when it runs

    if args.out.is_dir():
        raise AeError(f"--out {args.out} is a folder: give a file name, e.g. "
                      f"{args.out / 'model.safetensors'}")
    report = JsonProgress(cfg.epochs) if args.progress_json else BarProgress(cfg.epochs)
    before = file_signature(args.out)
    lines = _snapshot_lines(args)

    def on_data(train, test) -> None:
        say_data(cfg.dataset, train, test, args.progress_json)
        if lines is not None:
            lines.named(train.class_names)

    try:
        result = train_and_save(
            model_cfg, cfg, args.out, args.data_dir, args.download, report,
            on_precision=lambda choice: say_precision(choice, args.progress_json),
            image_size=args.image_size, channels=args.image_channels,
            on_data=on_data, snapshots=args.snapshots, on_snapshot=lines)
    except OSError as exc:  # data loading errors are DataNotFound: this is the write
        raise AeError(f"could not write {args.out}: {exc}") from None
    except KeyboardInterrupt:  # in the instant after the rename, the new file is there
        if file_signature(args.out) == before or not distributed.is_main():
            raise
        report.close()  # the bar's last line first, then the message
        print(f"interrupted: {args.out} had already been written", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        report.close()
        if lines is not None:
            lines.close()  # the Train page's decoder files go with the training
    if result is None:  # a torchrun process other than rank 0: it trained its share, rank 0 writes
        return 0
    path, metrics = result
    if args.progress_json:
        # "figures" on the wire: the done line's key is documented for programs (README,
        # "Command line"); the app reads it (``aeexplorer.app.progress``)
        emit({"event": "done", "path": str(path), "figures": metrics})
        return 0
    shown = {k: metrics[k] for k in QUALITY if metrics.get(k) is not None}
    notes = [f"{k} {why_missing(metrics, k)}" for k in QUALITY if why_missing(metrics, k)]
    print(f"wrote {path}: " + ", ".join([*(f"{k}={v:.4g}" for k, v in shown.items()), *notes]))
    return 0


def _snapshot_lines(args: argparse.Namespace) -> SnapshotLines | None:
    """The snapshots as JSON lines (for the Train page), with the decoder written beside each
    into ``--snapshot-decoders``; None without ``--progress-json`` and ``--snapshots``."""
    if not (args.progress_json and args.snapshots):
        return None
    if args.snapshot_decoders is None:
        return SnapshotLines()
    from aeexplorer.app.snapshot_decoders import SnapshotDecoders

    return SnapshotLines(SnapshotDecoders(args.snapshot_decoders))


def data(args: argparse.Namespace) -> int:
    """Each data set under the data root: reported when there, else downloaded (``--check``:
    reported missing). Without ``--dataset``, MNIST and Fashion-MNIST are fetched and the
    other built-in sets only reported; the image folders under ``images/`` are listed. Ends
    with how to start the app on that root."""
    root = resolve_data_root(args.data_dir).resolve()
    names = DATASETS if args.dataset in ("all", None) else (args.dataset,)
    wanted = DATASETS if args.dataset == "all" else (args.dataset,) if args.dataset else \
        DEFAULT_DATASETS
    missing = []
    for name in names:
        if name in GENERATED:
            print(f"{name}: made when loaded, from a seed: no files, nothing to download")
            continue
        folder, absent = raw_folder(name, root), missing_files(name, root)
        if not absent:
            print(f"{folder_name(name)}: present in {folder}")
        elif name not in wanted:
            print(f"{folder_name(name)}: not here; `python -m aeexplorer data --dataset {name}` "
                  f"fetches it ({_megabytes(name)})")
        elif args.check:
            print(f"{folder_name(name)}: missing in {folder} ({', '.join(absent)})")
            missing.append(name)
        else:
            print(f"{folder_name(name)}: downloading into {folder} …", flush=True)
            with contextlib.redirect_stdout(io.StringIO()):  # torchvision's "Downloading …"
                fetch(name, root)
            print(f"{folder_name(name)}: downloaded into {folder}")
    if args.dataset is None:
        _list_image_folders(root)
    if missing:
        which = (f" --dataset {missing[0]}" if len(missing) == 1 else
                 f" --dataset {args.dataset}" if args.dataset else "")
        raise AeError(f"{' and '.join(folder_name(n) for n in missing)} not in {root}: run "
                      f"`python -m aeexplorer data --data-dir {shlex.quote(str(root))}{which}` "
                      "where a network allows, or copy the files there")
    print("Start the app on this data root: "
          f"AEEXPLORER_DATA={shlex.quote(str(root))} streamlit run app.py")
    return 0


def _megabytes(name: str) -> str:
    return f"about {BUILTINS[name].megabytes} MB"


def _list_image_folders(root) -> None:
    """The image folders the Train page offers (``<root>/images/NAME``), with their files."""
    for name in image_folders(root):
        try:
            count = f"{train_images(name, root):,} files in its training split"
        except AeError as exc:
            count = f"not usable: {exc}"
        print(f"{name}: an image folder in {root / 'images'} ({count})")


def configs(args: argparse.Namespace) -> tuple:
    """The model and train configs from the flags; a bad combination fails now, before any
    data is loaded."""
    from aeexplorer.core.runtime import pick_device  # torch: only the commands that train

    try:
        model_cfg, cfg = make_configs(vars(args))
        pick_device(cfg.device)  # an unknown or missing device fails now, not after loading
    except ValueError as exc:
        raise AeError(str(exc)) from None
    return model_cfg, cfg


def evaluate(args: argparse.Namespace) -> int:
    from aeexplorer.core.latent.metrics import evaluate as evaluate_model  # torch: when it runs

    ckpt = load_checkpoint(args.checkpoint)
    # the images as the model takes them; big data streams
    shape = {"image_size": ckpt.config.image_size, "channels": ckpt.config.image_channels,
             "stream": True}
    train_split = load_split(ckpt.dataset, True, args.data_dir, args.download, **shape)
    test_split = load_split(ckpt.dataset, False, args.data_dir, args.download, **shape)
    metrics = evaluate_model(ckpt.model, train_split, test_split)["metrics"]
    report = {"checkpoint": str(args.checkpoint), "dataset": ckpt.dataset,
              "model": ckpt.config.kind,
              "family": family(ckpt.config, ckpt.train.get("config", {})),
              "arch": ckpt.config.arch, "latent_dim": ckpt.config.latent_dim,
              **{key: metrics[key] for key in (*METRICS, "skipped_files") if key in metrics},
              **{note: metrics[note] for note in NOTES.values() if note in metrics}}
    if args.json:
        print(json.dumps(report))
    else:
        print("\n".join(report_lines(report)))
    return 0


def report_lines(report: dict) -> list[str]:
    """``evaluate``'s report for people: four decimals, not the app's rounding (numbers to
    compare and to copy); a metric left out shows "–" and the reason the metrics give."""
    lines = []
    for key, value in report.items():
        if key in NOTES.values():
            continue  # said beside its metric
        if value is None and key in METRICS:
            why = why_missing(report, key)
            value = f"{MISSING} ({why})" if why else MISSING
        lines.append(f"{key:>15}: {value:.4f}" if isinstance(value, float) else
                     f"{key:>15}: {value}")
    return lines


def encode(args: argparse.Namespace) -> int:
    ckpt = load_checkpoint(args.checkpoint)
    method = Method(how=args.placement, vote=args.vote)
    results, failed = [], 0
    for file in args.images:
        try:
            placed = place_bytes(ckpt, read_image_bytes(file), method)
        except (AeError, OSError) as exc:
            failed += 1
            results.append({"file": str(file), "error": str(exc)})
            print(f"error: {file}: {exc}", file=sys.stderr)
            continue
        results.append({"file": str(file), **placed.to_dict()})
    if args.json:
        print(json.dumps(results))
    else:
        for r in results:
            if "error" in r:
                continue
            z = ", ".join(f"{v:.3f}" for v in r["z"])
            label = (r["label_name"] if r["label"] is not None else MISSING if ckpt.labelled
                     else f"{MISSING} (the data set has no labels)")
            print(f"{r['file']}: z=({z}) label={label} "
                  f"nearest={[n['index'] for n in r['nearest']]}")
    return 1 if failed else 0

