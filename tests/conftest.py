"""Shared fixtures: a data root (the real one when present), a small checkpoint, a private cache
folder; the run's runtime files in a temp folder. Helpers are in ``tests/helpers``."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.helpers import find_data_root
from tests.helpers.checkpoints import make_checkpoint

_RUN_FILES: list[Path] = []


def pytest_configure(config):
    """The files a test run makes go to a temp folder removed at its end, so the checkout is
    left as it was found: Hypothesis's examples and caches (else ``.hypothesis/``), and the
    decoders the Explorer writes for the page (else ``static/``; under AppTest nothing is
    served, and a browser test's server drops the variable: see tests/browser/server.py).
    Set here, before the tests are collected: ``decoder_files`` reads it when imported."""
    from hypothesis.configuration import set_hypothesis_home_dir

    run = Path(tempfile.mkdtemp(prefix="aeexplorer-tests-"))
    _RUN_FILES.append(run)
    set_hypothesis_home_dir(run / "hypothesis")
    os.environ.setdefault("AEEXPLORER_STATIC", str(run / "static"))


def pytest_unconfigure(config):
    for run in _RUN_FILES:
        shutil.rmtree(run, ignore_errors=True)


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


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models train fastest on one thread, above all on a machine that is busy: a module
    of such trainings asks for it with ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
