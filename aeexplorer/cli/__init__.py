"""Command line: ``python -m aeexplorer train | evaluate | encode``.

Every error meant for a person (missing data, a bad image, a wrong checkpoint, a diverged
training) is printed as one ``error:`` line on stderr with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aeexplorer.core.errors import AeError
from aeexplorer.core.placement import DEFAULT_HOW, DEFAULT_VOTE, HOWS, VOTES
from aeexplorer.core.recipes import FAST, RECIPES

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


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
    parser = argparse.ArgumentParser(prog="python -m aeexplorer", description=__doc__.split("\n")[0])
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
                   help="encoder: the encoder's code; refined: a few steps of the decoder's fit "
                        "from it; searched (default): the best fit over the whole 2-D map, "
                        "then those steps (README, 'Placing your own digit')")
    c.add_argument("--vote", choices=VOTES, default=DEFAULT_VOTE,
                   help="the label from the 5 nearest test codes: majority, or weighted by "
                        "inverse distance")
    return parser


def _train_args(t: argparse.ArgumentParser) -> None:
    """The model (what is built), then how it is trained."""
    t.add_argument("--dataset", choices=("mnist", "fashion"), default="mnist")
    t.add_argument("--model", choices=("ae", "vae", "pca"), default="vae",
                   help="pca: the top principal components, fitted in closed form")
    t.add_argument("--arch", choices=("dense", "conv"), default="dense")
    t.add_argument("--latent-dim", type=int, default=2)
    t.add_argument("--hidden", type=_int_list, default=(512, 256),
                   help="layer widths, e.g. 512,256; none: a shallow model (no hidden layer)")
    t.add_argument("--channels", type=_int_list, default=(32, 64), help="conv only, e.g. 32,64")
    t.add_argument("--batchnorm", action=argparse.BooleanOptionalAction, default=False,
                   help="batch norm after each hidden layer (--no-batchnorm: none, e.g. to "
                        "override a recipe)")
    t.add_argument("--activation", choices=("relu", "sigmoid"), default="relu")
    _objective_args(t)
    _data_args(t)


def _objective_args(t: argparse.ArgumentParser) -> None:
    t.add_argument("--epochs", type=int, default=30)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--weight-decay", type=float, default=0.0)
    t.add_argument("--beta", type=float, default=1.0, help="KL weight (VAE)")
    t.add_argument("--kl-warmup", type=int, default=0, help="epochs of linear KL warm-up")
    t.add_argument("--penalty", choices=("none", "l1", "kl", "contractive"), default="none",
                   help="l1 / kl: sparse AE (on the last hidden layer); contractive: Jacobian")
    t.add_argument("--penalty-weight", type=float, default=0.0,
                   help="lambda for l1 and contractive, the weight of the KL sparsity term")
    t.add_argument("--sparsity-target", type=float, default=0.05,
                   help="rho, the wanted mean activation (kl)")
    t.add_argument("--noise", choices=("none", "gaussian", "mask"), default="none",
                   help="denoising AE: corrupt the inputs while training")
    t.add_argument("--noise-level", type=float, default=0.0,
                   help="gaussian: sigma; mask: the probability that a pixel is dropped")
    t.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                   help="bf16: bfloat16 autocast in the forward pass (faster on CPUs with "
                        "AVX-512 BF16 or AMX and on GPUs); auto (default): bf16 where the "
                        "hardware has it, else fp32")
    t.add_argument("--recipe", choices=sorted(RECIPES), default=None,
                   help="named settings, e.g. fast: " + FAST.summary + "; flags given "
                        "explicitly win")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="auto", help="auto, cpu or cuda")
    t.add_argument("--out", required=True, type=Path)
    t.add_argument("--progress-json", action="store_true",
                   help="progress as JSON lines on stdout (for programs) instead of a bar")


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", default=None, help="data root (default: $AEEXPLORER_DATA or ./data)")
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
    from aeexplorer.cli import commands  # torch is imported here, after --help and argument errors

    try:
        return getattr(commands, args.command)(args)
    except AeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED

