"""``python -m aeexplorer export-html CHECKPOINT OUT.html [--scene URL-QUERY]``: a model's map,
its decoder and a scene as one HTML file that works from disk with the network off (built by
``aeexplorer.app.onepage``). Registered by ``cli/__init__.py``; torch is imported only when it
runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from aeexplorer.core import atomic
from aeexplorer.core.errors import AeError

MAX_SCENE = 4096  # characters of --scene: a link's query is far shorter


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-html", help="write a model's map, decoder and a scene as one "
                                           "HTML file that works offline (for a talk)")
    p.add_argument("checkpoint", type=Path)
    p.add_argument("out", type=Path, help="the HTML file to write")
    p.add_argument("--scene", default="", metavar="URL-QUERY",
                   help="the scene, as an Explorer link or its query: the selected point (z, "
                        "i), the path (a, b, wp, n, m), the highlighted class (hl), talk=1; "
                        "e.g. 'a=-1,0&b=1,1&z=0.5,0.5&hl=3'")
    p.set_defaults(run=run)


def scene_query(text: str) -> dict[str, str]:
    """``--scene`` as query parameters: a whole link, ``?a=..``, or ``a=..&b=..``."""
    if len(text) > MAX_SCENE:
        raise AeError(f"--scene is {len(text)} characters long: at most {MAX_SCENE}")
    query = urlsplit(text).query if "?" in text else text
    return dict(parse_qsl(query.lstrip("?")))


def run(args: argparse.Namespace) -> int:
    from aeexplorer.app.onepage import TooBig, build_from_query
    from aeexplorer.core.checkpoints.file import load_checkpoint

    if args.out.is_dir():
        raise AeError(f"{args.out} is a folder: give a file name, e.g. {args.out / 'talk.html'}")
    query = scene_query(args.scene)
    ckpt = load_checkpoint(args.checkpoint)
    try:
        page = build_from_query(ckpt, args.checkpoint.name, query)
    except TooBig as exc:
        raise AeError(f"{args.checkpoint.name}: {exc}") from None
    _write(args.out, page)
    others = f" (its ckpt={query['ckpt']} is not this file's)" if query.get("ckpt") not in (
        None, args.checkpoint.name) else ""
    print(f"wrote {args.out}: {len(page) / 2**20:.1f} MB, opens offline in a browser{others}")
    return 0


def _write(out: Path, page: bytes) -> None:
    """Atomically: a reader never sees half a page, a failed write leaves the old one."""
    try:
        atomic.write_bytes(out, page)
    except OSError as exc:
        raise AeError(f"could not write {out}: {exc.strerror or exc}") from None
