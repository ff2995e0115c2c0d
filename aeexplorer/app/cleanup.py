"""Disk cleanup for a server (no Streamlit here): each browser session trains into its own
``runs/sessions/<id>/`` and a reload is a new session, so without this the disk only fills.
Removed: session folders untouched for ``Limits.max_age``, and the temporary files a killed
training leaves (``save_checkpoint`` writes ``.NAME.XXXXXXXX.tmp``, then renames it) once
older than ``Limits.tmp_age``; and in ``static/decoders/`` (the page's decoders,
``aeexplorer.ui.inpage.decoder_files``) the files no page used for ``Limits.decoder_age`` and
temporary ones older than ``Limits.tmp_age``. Never removed: anything outside ``runs/`` but
those temporary files in ``checkpoints/`` and those files in ``static/decoders/``, anything
reached through a link, the folder of a running training or of a session seen lately, and the
temporary files beside a running training's out path."""

from __future__ import annotations

import os
import re
import shutil
import stat
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from aeexplorer.app.limits import Limits

EVERY_S = 300.0  # a sweep at most this often, the first one at the server's first page load
DECODERS_DIR = Path("static", "decoders")  # under the app's folder: Streamlit serves it
# a decoder, or core.atomic's temporary file while one is written: ".NAME.XXXXXXXX.tmp"
DECODER = re.compile(r"[0-9a-f]{24}\.bin|\.[0-9a-f]{24}\.bin\.[A-Za-z0-9_]{8}\.tmp", re.ASCII)
# save_checkpoint's tempfile.mkstemp(prefix=".{name}.", suffix=".tmp"): 8 random characters
TMP = re.compile(r"\.(?P<name>.+\.safetensors)\.[A-Za-z0-9_]{8}\.tmp", re.ASCII)

_last: dict[Path, float] = {}  # root -> time of its last sweep
_lock = threading.Lock()


def newest_mtime(folder: Path) -> float:
    """The latest modification time of ``folder`` and of anything under it (links not
    followed: a link's own time counts, not its target's)."""
    newest = folder.lstat().st_mtime
    for entry in os.scandir(folder):
        try:
            if entry.is_dir(follow_symlinks=False):
                newest = max(newest, newest_mtime(Path(entry.path)))
            else:
                newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
        except OSError:  # removed meanwhile
            continue
    return newest


def old_sessions(root: Path, max_age: float, keep: set[str], now: float) -> list[Path]:
    """The folders under ``runs/sessions/`` untouched for ``max_age`` seconds, but those named
    in ``keep``; a link there is never one of them."""
    sessions = root / "runs" / "sessions"
    if not max_age or not _real_dir(sessions, root):
        return []
    found = []
    for entry in os.scandir(sessions):
        path = Path(entry.path)
        try:
            if (entry.name in keep or not entry.is_dir(follow_symlinks=False)
                    or now - newest_mtime(path) <= max_age):
                continue
        except OSError:
            continue
        found.append(path)
    return found


def stale_tmp(root: Path, tmp_age: float, busy: Iterable[Path], now: float) -> list[Path]:
    """The leftover ``.NAME.XXXXXXXX.tmp`` files older than ``tmp_age`` in ``runs/``, each
    ``runs/sessions/<id>/`` and ``checkpoints/``, but those beside a running training's out."""
    if not tmp_age:
        return []
    writing = {(Path(p).parent.resolve(), Path(p).name) for p in busy}
    found = []
    for folder in _tmp_folders(root):
        for entry in os.scandir(folder):
            match = TMP.fullmatch(entry.name)
            if not match or (folder.resolve(), match["name"]) in writing:
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > tmp_age:
                found.append(Path(entry.path))
    return found


def stale_decoders(root: Path, limits: Limits, now: float) -> list[Path]:
    """The page's decoder files in ``static/decoders/`` unused for ``limits.decoder_age`` (a
    page that uses one refreshes its time), and the temporary ones older than
    ``limits.tmp_age``; nothing else there, and nothing if the folder is reached by a link."""
    folder = root / DECODERS_DIR
    if not _real_dir(folder, root):
        return []
    found = []
    for entry in os.scandir(folder):
        if not DECODER.fullmatch(entry.name):
            continue
        most = limits.tmp_age if entry.name.endswith(".tmp") else limits.decoder_age
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if most and stat.S_ISREG(info.st_mode) and now - info.st_mtime > most:
            found.append(Path(entry.path))
    return found


def _tmp_folders(root: Path) -> list[Path]:
    folders = [root / "runs", root / "checkpoints"]
    sessions = root / "runs" / "sessions"
    if _real_dir(sessions, root):
        folders += [Path(e.path) for e in os.scandir(sessions) if e.is_dir(follow_symlinks=False)]
    return [f for f in folders if _real_dir(f, root)]


def _real_dir(path: Path, root: Path) -> bool:
    """A folder reached from ``root`` through no link at all (``runs`` a link to elsewhere
    included, not only the folder itself)."""
    try:
        inside = root.resolve() / path.relative_to(root)
    except ValueError:
        return False
    return path.is_dir() and path.resolve() == inside


def sweep(root: Path, limits: Limits, busy: Iterable[Path] = (), live: Iterable[str] = (),
          now: float | None = None) -> list[Path]:
    """Removes the old session folders and stale temporary files under ``root``; ``busy``:
    the out paths of the running trainings (their folders and temporary files are kept),
    ``live``: the sessions seen lately (their folders are kept). Returns what it removed;
    a file it cannot remove (gone, or not its own) is skipped, never raised."""
    now = time.time() if now is None else now
    busy = [Path(p) for p in busy]
    keep = set(live) | {p.parent.name for p in busy
                        if p.parent.parent.resolve() == (root / "runs" / "sessions").resolve()}
    removed = []
    for folder in old_sessions(root, limits.max_age, keep, now):
        shutil.rmtree(folder, ignore_errors=True)  # rmtree removes links, never follows them
        removed += [folder] if not folder.exists() else []
    for path in [*stale_tmp(root, limits.tmp_age, busy, now), *stale_decoders(root, limits, now)]:
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def sweep_if_due(root: Path, limits: Limits, busy: Iterable[Path] = (),
                 live: Iterable[str] = (), every: float = EVERY_S) -> list[Path] | None:
    """``sweep`` on a server's first call for ``root``, then at most every ``every`` seconds
    (None when not due): cheap enough for every page load."""
    key = root.resolve()
    with _lock:
        last = _last.get(key)
        if last is not None and time.monotonic() - last < every:
            return None
        _last[key] = time.monotonic()
    return sweep(root, limits, busy, live)
