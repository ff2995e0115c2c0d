"""Shared fixtures: a data root (the real one when present), a small checkpoint, a private cache
folder. Helpers are in ``tests/helpers``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import find_data_root
from tests.helpers.checkpoints import make_checkpoint


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The MNIST / Fashion-MNIST root; tests that need it skip (with the reason) without it,
    and CI sets AEEXPLORER_DATA so they run there."""
    root = find_data_root()
    if root is None:
        if os.environ.get("CI"):
            pytest.fail("AEEXPLORER_DATA is not set to a folder with MNIST/raw in CI")
        pytest.skip("no data root: set AEEXPLORER_DATA to a folder holding MNIST/raw")
    return root


@pytest.fixture
def tiny_checkpoint(tmp_path: Path) -> Path:
    return make_checkpoint(tmp_path / "tiny-vae.safetensors")


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Measured precision choices (aeexplorer.core.training.precision) go to a folder of the test
    run, not to the home folder's cache."""
    os.environ.setdefault("AEEXPLORER_CACHE", str(tmp_path_factory.mktemp("cache")))
