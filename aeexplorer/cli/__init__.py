"""Command line: ``python -m aeexplorer train | evaluate | encode | data | export-html``.

Every error meant for a person (missing data, a bad image, a wrong checkpoint, a diverged
training) is printed as one ``error:`` line on stderr with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aeexplorer.cli import commands, export_html, reference
from aeexplorer.cli.exits import EXIT_ERROR, EXIT_INTERRUPTED
from aeexplorer.core.datasets.registry import DATASETS, DEFAULT_DATASETS
from aeexplorer.core.errors import AeError
from aeexplorer.core.latent.placement import DEFAULT_HOW, DEFAULT_VOTE, HOWS, VOTES
from aeexplorer.core.training.distributed import speaks
from aeexplorer.core.training.options import OPTIONS, Option
from aeexplorer.core.training.recipes import FAST, RECIPES


def _int_list(text: str) -> tuple[int, ...]:
    if text.strip().lower() == "none":  # no hidden layer: a shallow model
        return ()
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return values


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aeexplorer",
                                     description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    parser.train = sub.add_parser("train", help="train a model and write a checkpoint")
    _train_args(parser.train)

    e = sub.add_parser("evaluate", help="print a checkpoint's test-set figures")
    e.add_argument("checkpoint", type=Path)
    e.add_argument("--json", action="store_true", help="one JSON object on stdout")
    _data_args(e)

    c = sub.add_parser("encode", help="place images in a checkpoint's latent space")
    c.add_argument("checkpoint", type=Path)
    c.add_argument("images", nargs="+", type=Path)
    c.add_argument("--json", action="store_true", help="one JSON list on stdout")
    c.add_argument("--placement", choices=HOWS, default=DEFAULT_HOW,
                   help="auto (default): encoder for a VAE and a UMAP AE, searched for "
                        "other models, as measured; encoder: the encoder's code; refined: "
                        "a few steps of the decoder's fit from it; searched: the best fit "
                        "over the whole 2-D map, then those steps (README, 'Placing your own "
                        "digit')")
    c.add_argument("--vote", choices=VOTES, default=DEFAULT_VOTE,
                   help="the label from the 5 nearest test codes: majority, or weighted by "
                        "inverse distance")

    d = sub.add_parser("data", help="download the data sets where a network allows, or "
                                    "report what the data root holds")
    _data_dir_arg(d)
    d.add_argument("--dataset", choices=[*DATASETS, "all"], default=None,
                   help=f"one data set, or all of them (default: {' and '.join(DEFAULT_DATASETS)}"
                        ", what the shipped models were trained on; the others are listed)")
    d.add_argument("--check", action="store_true", help="only report what is there; download "
                                                        "nothing")
    export_html.add_parser(sub)  # a command of its own module: it sets its ``run``
    reference.add_parser(sub)
    return parser


def _train_args(t: argparse.ArgumentParser) -> None:
    """A flag per config setting (``aeexplorer.core.training.options``), then where the model
    goes."""
    for option in OPTIONS:
        t.add_argument(option.flag, dest=option.field, default=option.default, help=option.help,
                       **_parsing(option))
    t.add_argument("--recipe", choices=sorted(RECIPES), default=None,
                   help="named settings, e.g. fast: " + FAST.summary + "; flags given "
                        "explicitly win")
    t.add_argument("--out", required=True, type=Path)
    t.add_argument("--snapshots", type=_snapshot_count, default=0, metavar="N",
                   help="keep N snapshots (2 to 40) of how the map formed: the codes of 2,000 "
                        "test images, replayed by the app (default 0: none, the file as "
                        "small as before)")
    t.add_argument("--progress-json", action="store_true",
                   help="progress as JSON lines on stdout (for programs) instead of a bar")
    t.add_argument("--snapshot-decoders", type=Path, default=None, metavar="DIR",
                   help="with --progress-json and --snapshots: write the decoder's weights "
                        "with each snapshot into DIR (the last 5 kept, removed at the end), for "
                        "the Train page's decoder under the pointer")
    _data_args(t)


def _snapshot_count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n != 0 and not 2 <= n <= 40:
        raise argparse.ArgumentTypeError(f"0 (none) or 2 to 40 snapshots, not {text!r}")
    return n


def _parsing(option: Option) -> dict:
    """How argparse reads an option, from the type of its field."""
    if option.type is bool:
        return {"action": argparse.BooleanOptionalAction}
    if option.choices:
        return {"choices": option.choices}
    # the metavar argparse would make of the flag (the field's name may differ: kind, --model)
    metavar = option.flag[2:].upper().replace("-", "_")
    kind = option.parse or (_int_list if option.type is tuple else option.type)
    return {"type": kind, "metavar": metavar}


def _data_dir_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", default=None,
                   help="data root (default: $AEEXPLORER_DATA or ./data)")


def _data_args(p: argparse.ArgumentParser) -> None:
    _data_dir_arg(p)
    p.add_argument("--download", action="store_true", help="download the data set if missing")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with a ``train --recipe``'s settings filled in where no flag set
    them."""
    args = build_parser().parse_args(argv)
    if args.command == "train" and args.recipe:
        recipe = RECIPES[args.recipe]
        # which of the recipe's settings the command line gave: parsed again with no defaults
        parser = build_parser()
        for action in parser.train._actions:  # noqa: SLF001  (argparse keeps them here)
            if action.dest in recipe.settings:
                action.default = argparse.SUPPRESS
        recipe.fill(args, given=set(vars(parser.parse_args(argv))))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)


    try:
        return (getattr(args, "run", None) or getattr(commands, args.command))(args)
    except AeError as exc:
        if speaks():
            print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        if speaks():
            print("interrupted: nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED

