"""Shared fixtures: a data root (the real one when present) and small checkpoints built in
seconds without any data set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _data_root() -> Path | None:
    for candidate in (os.environ.get("AEEXPLORER_DATA"), REPO.parent / "shared" / "data"):
        if candidate and (Path(candidate) / "MNIST" / "raw").is_dir():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The MNIST / Fashion-MNIST root; tests that need it skip (with the reason) without it,
    and CI sets AEEXPLORER_DATA so they run there."""
    root = _data_root()
    if root is None:
        if os.environ.get("CI"):
            pytest.fail("AEEXPLORER_DATA is not set to a folder with MNIST/raw in CI")
        pytest.skip("no data root: set AEEXPLORER_DATA to a folder holding MNIST/raw")
    return root


def make_checkpoint(path: Path, kind: str = "vae", arch: str = "dense", dataset: str = "mnist",
                    n_atlas: int = 200, seed: int = 0, train: dict | None = None,
                    hidden: tuple[int, ...] = (32, 16)) -> Path:
    """A small untrained model with a synthetic atlas, saved as a real checkpoint; ``train``
    adds to the stored train config (e.g. ``{"noise": "gaussian", "noise_level": 0.5}``)."""
    import torch

    from aeexplorer.core.checkpoint import Atlas, save_checkpoint
    from aeexplorer.core.models import ModelConfig, build_model

    torch.manual_seed(seed)
    cfg = ModelConfig(kind=kind, arch=arch, hidden=hidden, channels=(4, 8))
    model = build_model(cfg).eval()
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(n_atlas, 2, generator=g)
    logvar = torch.full((n_atlas, 2), -2.0) if kind == "vae" else None
    labels = torch.arange(n_atlas) % 10
    metrics = {"recon_bce": 200.0, "recon_mse": 0.06, "kl": 3.0 if kind == "vae" else None,
               "neg_elbo": 203.0 if kind == "vae" else None, "knn5_accuracy": 0.5,
               "n_test": n_atlas}
    return save_checkpoint(path, model, dataset, Atlas(mu, logvar, labels),
                           train={"config": {"epochs": 1, **(train or {})}}, metrics=metrics)


@pytest.fixture
def tiny_checkpoint(tmp_path: Path) -> Path:
    return make_checkpoint(tmp_path / "tiny-vae.safetensors")


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Measured precision choices (aeexplorer.core.precision) go to a folder of the test run, not
    to the home folder's cache."""
    os.environ.setdefault("AEEXPLORER_CACHE", str(tmp_path_factory.mktemp("cache")))
