"""Atomic file writes: a reader sees the old file or the whole new one, never half of one.

The file is written to a temporary name in the target's own folder (so the final
``os.replace`` is a rename on one file system, which POSIX makes atomic), made readable by
all (``mkstemp`` creates it 0600; the files written here are for sharing: models, pages,
images the server serves), and renamed over the target. On any failure the temporary file
is removed and the old target is left as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(target: Path, *, fsync: bool = False) -> Iterator[Path]:
    """Yields a temporary path beside ``target``; when the block ends without an exception
    that file replaces ``target``. ``fsync`` flushes it to disk first (for files worth
    the wait, such as checkpoints)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        if fsync:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(target: Path, blob: bytes) -> None:
    """Writes ``blob`` to ``target`` atomically (see the module's docstring)."""
    with replacing(target) as tmp:
        tmp.write_bytes(blob)
