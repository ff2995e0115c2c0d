"""`torchrun -m aeexplorer train`: two real processes (gloo, CPU) on a small generated data set
train the model one process trains, write one checkpoint and report once; a mistake is one
``error:`` line from the processes (torchrun adds its own failure report after it). The
settings torchrun refuses are checked in-process, as rank 0 and as rank 1."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from aeexplorer import cli
from aeexplorer.core.checkpoints.file import load_checkpoint
from tests.helpers import REPO
from tests.helpers.images import synthetic_images
from tests.helpers.mnist_root import write_mnist

TRAIN = ["train", "--model", "ae", "--hidden", "32", "--epochs", "3", "--batch-size", "64",
         "--seed", "0", "--precision", "fp32", "--progress-json"]


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """Bars and blobs (four kinds, the labels) as a 1024 / 256 MNIST."""
    def split(n: int, seed: int):
        images, labels = synthetic_images(n, seed)
        return (images[:, 0].numpy() * 255).round().astype(np.uint8), labels.numpy()

    return write_mnist(tmp_path_factory.mktemp("bars"), split(1024, 0), split(256, 1))


def _run(n: int | None, argv: list[str], tmp: Path, module: list[str] = ("aeexplorer",),
         extra_env: dict | None = None):
    """The CLI in one plain process (``n`` None) or under torchrun with ``n`` processes."""
    launch = [] if n is None else ["-m", "torch.distributed.run", "--standalone",
                                   "--nproc-per-node", str(n)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "AEEXPLORER_CACHE": str(tmp / "cache"),
           **(extra_env or {})}
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        env.pop(name, None)
    return subprocess.run([sys.executable, *launch, "-m", *module, *argv], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _our_errors(stderr: str) -> list[str]:
    """What the training processes said; torchrun's own report (its ChildFailedError
    traceback, its log lines) follows and is not theirs."""
    assert not re.search(r'File ".*aeexplorer/(core|cli)/', stderr), stderr  # no frame of ours
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.mark.slow
def test_two_processes_train_the_model_one_process_trains(root, tmp_path):
    """A dense AE has no batch norm, noise or sampling: its 2-process steps are the 1-process
    steps but for the order of float32 sums (DDP adds the two halves' gradients), a relative
    1e-7 per operation that stays far under 1e-3 over 48 Adam steps, while two seeds differ
    by a percent or more and a wrong split (both ranks on the same rows, unweighted slices)
    changes the result at that scale."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    data = ["--device", "cpu", "--data-dir", str(root)]
    one = _run(None, [*TRAIN, *data, "--out", str(tmp_path / "one" / "m.safetensors")], tmp_path)
    two = _run(2, [*TRAIN, *data, "--out", str(tmp_path / "two" / "m.safetensors")], tmp_path)
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    # rank 0 alone reports: one precision line, each epoch once, one "done"
    kinds = [e["event"] for e in _events(two.stdout)]
    assert kinds.count("precision") == 1 and kinds.count("done") == 1
    assert [e["epoch"] for e in _events(two.stdout) if e["event"] == "epoch"] == [1, 2, 3]
    assert [p.name for p in (tmp_path / "two").iterdir()] == ["m.safetensors"]  # no leftovers
    a, b = (load_checkpoint(tmp_path / d / "m.safetensors") for d in ("one", "two"))
    for key in ("recon_bce", "recon_mse"):
        assert b.metrics[key] == pytest.approx(a.metrics[key], rel=1e-3), key
    assert b.metrics["knn5_accuracy"] == pytest.approx(a.metrics["knn5_accuracy"], abs=0.02)
    # the recorded history is the whole batches' mean, not one rank's half
    losses = [[e["loss"] for e in c.train["history"]["epochs"]] for c in (a, b)]
    assert losses[1] == pytest.approx(losses[0], rel=1e-3)
    assert b.train["config"]["batch_size"] == 64  # the total, as given


@pytest.mark.slow
def test_two_processes_streaming_train_the_model_one_process_trains_in_memory(root, tmp_path):
    """With a memory budget of 0 every split streams through a DataLoader: each process reads
    its share of the same batches, so the model is the in-memory one-process model."""
    data = ["--device", "cpu", "--data-dir", str(root)]
    outs = {d: tmp_path / d / "m.safetensors" for d in ("one", "two")}
    one = _run(None, [*TRAIN, *data, "--out", str(outs["one"])], tmp_path)
    two = _run(2, [*TRAIN, *data, "--out", str(outs["two"])], tmp_path,
               extra_env={"AEEXPLORER_STREAM_MB": "0", "AEEXPLORER_LOADER_WORKERS": "0"})
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    a, b = (load_checkpoint(path) for path in outs.values())
    assert b.metrics["recon_bce"] == pytest.approx(a.metrics["recon_bce"], rel=1e-3)


@pytest.mark.slow
def test_data_missing_on_one_machine_is_one_error_line(root, tmp_path):
    """Rank 1 reads an empty folder (a machine without the data): every process stops before
    training and rank 0 says which rank lacked what."""
    (tmp_path / "empty").mkdir()
    out = tmp_path / "m.safetensors"
    result = _run(2, [str(tmp_path / "empty"), *TRAIN, "--device", "cpu", "--data-dir",
                      str(root), "--out", str(out)], tmp_path, module=["tests.helpers.rank_cli"])
    assert result.returncode != 0
    errors = _our_errors(result.stderr)
    assert len(errors) == 1, result.stderr
    assert "on rank 1" in errors[0] and "MNIST not found" in errors[0] and "empty" in errors[0]
    assert not out.exists() and "done" not in result.stdout


def _torchrun_env(monkeypatch, rank: int) -> None:
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", str(rank))


@pytest.mark.parametrize("extra,needle", [
    (["--batch-size", "63"], "multiple of 2"),
    (["--model", "pca"], "closed form"),
    (["--download"], "python -m aeexplorer data"),
])
def test_torchrun_refusals_are_said_once(monkeypatch, capfd, tmp_path, extra, needle):
    argv = ["train", "--device", "cpu", "--data-dir", str(tmp_path), "--out",
            str(tmp_path / "m.safetensors"), *extra]
    said = []
    for rank in (0, 1):
        _torchrun_env(monkeypatch, rank)
        assert cli.main(argv) == cli.EXIT_ERROR
        out, err = capfd.readouterr()
        assert out == "" and "Traceback" not in err
        said.append(err.splitlines())
    assert len(said[0]) == 1 and said[0][0].startswith("error: ") and needle in said[0][0]
    assert said[1] == []  # rank 1 stops as silently as its command line is the same
    assert not (tmp_path / "m.safetensors").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="refusing cuda needs a machine without")
@pytest.mark.parametrize("rank", [None, 0])
def test_asking_for_a_missing_gpu_is_one_error_line(monkeypatch, capfd, tmp_path, rank):
    if rank is not None:
        _torchrun_env(monkeypatch, rank)
    rc = cli.main(["train", "--device", "cuda", "--data-dir", str(tmp_path), "--out",
                   str(tmp_path / "m.safetensors")])
    out, err = capfd.readouterr()
    assert rc == cli.EXIT_ERROR and out == "" and "Traceback" not in err
    assert err.splitlines() == ["error: device 'cuda' was asked for, but no CUDA GPU is available"]


@pytest.mark.slow
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_processes_on_gpus_train_the_model_one_gpu_trains(root, tmp_path):
    """NCCL, one GPU a process. GPU kernels may pick other summation orders for half a batch,
    so the agreement asked is looser than on the CPU, and still well under the seed spread."""
    n = min(2, torch.cuda.device_count())
    data = ["--device", "cuda", "--data-dir", str(root)]
    one = _run(None, [*TRAIN, *data, "--out", str(tmp_path / "one.safetensors")], tmp_path)
    many = _run(n, [*TRAIN, *data, "--out", str(tmp_path / "many.safetensors")], tmp_path)
    assert one.returncode == 0, one.stderr
    assert many.returncode == 0, many.stderr
    assert [e["event"] for e in _events(many.stdout)].count("done") == 1
    a, b = (load_checkpoint(tmp_path / f"{d}.safetensors") for d in ("one", "many"))
    assert b.metrics["recon_bce"] == pytest.approx(a.metrics["recon_bce"], rel=1e-2)
