"""Helpers the tests share (conftest keeps only fixtures): the checkout and data root, small
checkpoints, drawn digits and image files, AppTest drivers, the fake trainer, the upload
corpus. Imported as ``tests.helpers.*`` (pytest.ini puts the checkout on sys.path)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def find_data_root() -> Path | None:
    """The MNIST / Fashion-MNIST root: AEEXPLORER_DATA, else ../shared/data beside the checkout."""
    for candidate in (os.environ.get("AEEXPLORER_DATA"), REPO.parent / "shared" / "data"):
        if candidate and (Path(candidate) / "MNIST" / "raw").is_dir():
            return Path(candidate)
    return None
