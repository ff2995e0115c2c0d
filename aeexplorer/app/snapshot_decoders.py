"""The decoder of a model as it trains, written for the Train page with each snapshot: the page
decodes the z under the pointer over the forming map with the latest weights (``ui/forming``).
Written by the training process (``train --snapshot-decoders DIR``, which the Train page passes:
its static decoders folder, ``ui/inpage/decoder_files``), in the Explorer's format
(``app.export``), named by digest as the Explorer's are, so the cleanup's sweep of that folder
covers a file a killed training leaves.

Bounded: only the last ``KEEP`` files of a training stay (a page that read the previous line
can still fetch its file), a decoder over ``MAX_BLOB_BYTES`` is never written nor one that would
take the folder over ``MAX_FOLDER_BYTES``, none is written sooner than ``MIN_GAP_S`` after the
last, and the process removes its files when it ends."""

from __future__ import annotations

import time
from pathlib import Path

from aeexplorer.app.export import MAX_BLOB_BYTES, export_decoder, write_blob

KEEP = 5  # files of one training at once (16 MB for the fast recipe's VAE): a page that lags
# on a busy machine still finds the file its last update named
MIN_GAP_S = 1.0  # a snapshot at an epoch's end right after a timed one: the file can wait


class SnapshotDecoders:
    """Writes a model's decoder to ``folder`` when asked (``write``), keeping its last few."""

    def __init__(self, folder: Path, keep: int = KEEP, min_gap_s: float | None = None) -> None:
        self.folder, self.keep = Path(folder), max(1, keep)
        self.min_gap_s = MIN_GAP_S if min_gap_s is None else min_gap_s
        self.written: list[Path] = []
        self.last_at = -float("inf")
        self.failed = False  # the folder cannot be written: the page says so, no retry

    def write(self, model) -> dict | None:
        """{"file", "spec"} of ``model``'s decoder, written now; None when it is not (too soon
        after the last, a decoder the page cannot run or too large, the folder unwritable)."""
        now = time.monotonic()
        if self.failed or now - self.last_at < self.min_gap_s:
            return None
        part = getattr(model, "decoder", None)
        if part is None or 4 * sum(p.numel() for p in part.parameters()) > MAX_BLOB_BYTES:
            return None
        exported = export_decoder(model)  # the batch norms' running statistics folded in
        if exported is None:
            return None
        target = self.folder / f"{exported.digest}.bin"
        try:
            if not write_blob(target, exported.blob):
                return None  # the folder is full for now: a later snapshot tries again
        except OSError:
            self.failed = True
            return None
        self.last_at = now
        if target not in self.written:
            self.written.append(target)
        while len(self.written) > self.keep:
            self.written.pop(0).unlink(missing_ok=True)
        return {"file": target.name, "spec": exported.spec}

    def close(self) -> None:
        """Removes the files this training wrote: its forming map is gone with it."""
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written = []

