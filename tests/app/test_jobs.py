"""Trainings started from the app (aeexplorer.app.jobs, aeexplorer.core.training.request): the
command line each form builds, the progress protocol, the cap on concurrent trainings, cancel
(also as the training ends, and at exit) and errors. Most tests run a fake trainer
(tests/helpers/fake_trainer.py, the CLI's own progress reporter, no torch); two run the real CLI
on MNIST."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aeexplorer.app import jobs
from aeexplorer.cli import build_parser
from aeexplorer.core import text_numbers
from aeexplorer.core.errors import AeError
from aeexplorer.core.training import families, request
from tests.helpers import REPO
from tests.helpers.checkpoints import make_checkpoint
from tests.helpers.jobs import FAKE, fake, wait


def wait_for_batches(job: jobs.Job, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not job.view().trace:
        assert job.status == jobs.RUNNING, job.view().error
        assert time.monotonic() < deadline, "no progress from the training"
        time.sleep(0.1)


def test_parse_line_takes_json_events_only():
    assert jobs.parse_line('{"event": "epoch", "epoch": 1}\n') == {"event": "epoch", "epoch": 1}
    for line in ("wrote x.safetensors", "", "[1, 2]", '{"epoch": 1}', '{"event": 3}', "{"):
        assert jobs.parse_line(line) is None


def args_of(family: str, **values) -> list[str]:
    req = request.TrainRequest(family=family, **values)
    return request.train_args(req, Path("runs/x.safetensors"), Path("data"))


def flag(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def test_each_family_gives_its_own_flags():
    vae = args_of("vae", beta=4.0, penalty_weight=0.5, noise_level=0.3)
    assert flag(vae, "--model") == "vae" and "--beta" not in vae  # β only for β-VAE
    assert "--penalty" not in vae and "--noise" not in vae
    assert float(flag(args_of("beta-vae", beta=4.0), "--beta")) == 4.0
    l1 = args_of("sparse-l1", penalty_weight=0.001)
    assert flag(l1, "--model") == "ae" and flag(l1, "--penalty") == "l1"
    assert float(flag(l1, "--penalty-weight")) == 0.001 and "--sparsity-target" not in l1
    kl = args_of("sparse-kl", sparsity_target=0.1, penalty_weight=3.0)
    assert flag(kl, "--penalty") == "kl" and flag(kl, "--activation") == "sigmoid"
    assert float(flag(kl, "--sparsity-target")) == 0.1
    assert float(flag(kl, "--penalty-weight")) == 3.0
    den = args_of("denoising", noise="mask", noise_level=0.25)
    assert flag(den, "--noise") == "mask" and flag(den, "--noise-level") == "0.25"
    cae = args_of("contractive", batchnorm=True, penalty_weight=0.1)
    assert flag(cae, "--penalty") == "contractive" and "--batchnorm" not in cae
    assert "--batchnorm" in args_of("ae", batchnorm=True)
    shallow = args_of("shallow", hidden=(64,))
    assert flag(shallow, "--hidden") == "none" and shallow.count("--hidden") == 1
    pca = args_of("pca", epochs=7)
    assert flag(pca, "--model") == "pca" and "--epochs" not in pca and "--hidden" not in pca
    common = args_of("ae", hidden=(64, 32), epochs=3, lr=3e-4, batch_size=64, seed=5)
    assert flag(common, "--hidden") == "64,32" and flag(common, "--epochs") == "3"
    assert float(flag(common, "--lr")) == 3e-4 and flag(common, "--batch-size") == "64"
    assert flag(common, "--seed") == "5" and common[-1] == "--progress-json"
    assert all(Path(flag(common, f)).is_absolute() for f in ("--out", "--data-dir"))


@pytest.mark.parametrize("family", list(families.FAMILIES))
def test_every_family_is_a_valid_cli_command(family):
    """The real parser takes each family's arguments (a renamed flag fails here)."""
    args = build_parser().parse_args(args_of(family))
    assert args.command == "train" and args.progress_json


def test_names_and_hidden_widths():
    assert request.check_name(" my-vae_2.safetensors ") == "my-vae_2"
    for bad in ("", "../evil", "a/b", ".hidden", "x" * 65, "naïve"):
        with pytest.raises(AeError, match="cannot be a model name"):
            request.check_name(bad)
    assert text_numbers.parse_hidden("512, 256") == (512, 256)
    assert text_numbers.parse_hidden(" 64 ,\t32 ") == (64, 32)
    # "²" and "٣" pass str.isdigit(); int() refuses the first and reads the second as 3
    for bad in ("", "512,", "a,b", "0", "5000", ",".join(["8"] * 9), "5²", "²", "٣", "+8",
                "-8", "1_000", "9" * 5000):
        with pytest.raises(AeError, match="hidden widths"):
            text_numbers.parse_hidden(bad)


def test_a_fake_training_reports_progress_and_ends_done(tmp_path):
    out = tmp_path / "m.safetensors"
    job = jobs.Job(fake("ok", out, epochs=3), out, "m", "vae")
    assert wait(job) == jobs.DONE
    view = job.view()
    assert view.epochs == 3 and len(view.history) == 3 and view.fraction == 1.0
    assert [h["epoch"] for h in view.history] == [1.0, 2.0, 3.0]
    assert view.history[1]["recon"] == 100.0 and view.history[2]["kl"] == 1.5
    # the epoch lines end each epoch: its last batch has no batch line of its own
    assert (view.epoch, view.batch, view.batches) == (3, 5, 5)
    assert view.trace and all(not x.is_integer() for x, _ in view.trace)
    assert view.trace[0][0] == 0.2 and view.trace[0][1]["kl"] == 1.1  # batch 1 of 5
    assert view.running == view.trace[-1][1] and view.loading > 0
    assert view.metrics == {"recon_mse": 0.05, "knn5_accuracy": 0.5}
    assert view.path == str(out) and out.read_bytes() == b"fake" and view.error == ""


def test_an_epoch_of_one_batch_still_counts_its_batch(tmp_path):
    """No batch line at all (the epoch line stands for the only batch): the batch count, the
    time of the first batch and the epoch come from the epoch lines."""
    out = tmp_path / "m.safetensors"
    job = jobs.Job(fake("single", out, epochs=3), out, "m", "vae")
    assert wait(job) == jobs.DONE
    view = job.view()
    assert not view.trace and len(view.history) == 3
    assert (view.epoch, view.batch, view.batches) == (3, 1, 1) and view.loading > 0


def test_a_failing_training_gives_the_cli_message(tmp_path):
    job = jobs.Job(fake("fail", tmp_path / "m.safetensors"), tmp_path / "m.safetensors", "m")
    assert wait(job) == jobs.FAILED
    assert job.view().error == "MNIST not found in /nowhere/MNIST/raw"
    crash = jobs.Job(fake("crash", tmp_path / "c.safetensors"), tmp_path / "c.safetensors", "c")
    assert wait(crash) == jobs.FAILED
    assert crash.view().error == "the training process ended with exit code 3: RuntimeError: boom"
    assert not list(tmp_path.iterdir())


def test_cancel_stops_a_long_job_and_keeps_the_existing_file(tmp_path):
    out = tmp_path / "m.safetensors"
    out.write_bytes(b"the previous model")
    job = jobs.Job(fake("slow", out, epochs=100), out, "m")
    wait_for_batches(job, timeout=30)
    assert 0 < job.view().fraction < 0.1
    job.cancel()
    assert wait(job, timeout=10) == jobs.CANCELLED
    assert out.read_bytes() == b"the previous model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


def test_a_job_that_ignores_sigint_is_killed(tmp_path):
    out = tmp_path / "m.safetensors"
    job = jobs.Job(fake("stubborn", out, epochs=100), out, "m")
    wait_for_batches(job, timeout=30)
    start = time.monotonic()
    job.cancel(kill_after=0.5)
    job.cancel()  # a second click changes nothing
    assert wait(job, timeout=10) == jobs.CANCELLED
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("mode", ["linger", "linger-done"])
def test_a_cancel_after_the_model_is_written_is_done(tmp_path, mode):
    """Cancel pressed as the training ends: the file is there (and the "done" line may be), so
    the job is done, whatever the exit code of the interrupted process."""
    out = tmp_path / "m.safetensors"
    out.write_bytes(b"the previous model")  # replaced by a file of the same age and size
    job = jobs.Job(fake(mode, out, epochs=1), out, "m")
    deadline = time.monotonic() + 30
    while out.read_bytes() != b"fake" or (mode == "linger-done" and not job.view().path):
        assert job.status == jobs.RUNNING and time.monotonic() < deadline
        time.sleep(0.02)
    job.cancel()
    assert wait(job, timeout=10) == jobs.DONE, job.view().error
    assert job.view().error == "" and out.read_bytes() == b"fake"
    assert bool(job.view().metrics) is (mode == "linger-done")


def test_cancel_all_waits_then_kills_without_a_timer(tmp_path):
    """At exit no Timer thread runs: SIGINT, a short wait, then SIGKILL, all before return."""
    registry = jobs.Registry(cap=2)
    out = tmp_path / "m.safetensors"
    job = registry.start(fake("stubborn", out, epochs=100), out, "m")
    try:
        wait_for_batches(job, timeout=30)
        start = time.monotonic()
        registry.cancel_all(grace=0.5)
        assert time.monotonic() - start < 2
        assert not pid_alive(job.pid)  # killed and reaped before cancel_all returned
        assert wait(job, timeout=2) == jobs.CANCELLED
    finally:
        job.cancel(kill_after=0)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_a_server_that_exits_stops_its_trainings(tmp_path):
    """The shared registry's exit hook stops a training that ignores SIGINT, within seconds."""
    out = tmp_path / "m.safetensors"
    script = (
        "import sys, time\n"
        "from aeexplorer.app import jobs\n"
        f"cmd = [sys.executable, {FAKE!r}, 'stubborn', 'train', '--epochs', '100', '--out', "
        f"{str(out)!r}]\n"
        f"job = jobs.shared().start(cmd, {str(out)!r}, 'm')\n"
        "while not job.view().trace:\n"
        "    time.sleep(0.05)\n"
        "print(job.pid, flush=True)\n")
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout.split()[-1])
    try:
        assert not pid_alive(pid)
        assert time.monotonic() - start < 20  # 3 s at exit, the rest starting up
    finally:
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_there_is_one_shared_registry():
    assert jobs.shared() is jobs.shared()


def test_the_server_runs_at_most_cap_trainings(tmp_path):
    registry = jobs.Registry(cap=2)
    started = [registry.start(fake("slow", tmp_path / f"{i}.safetensors", 100),
                              tmp_path / f"{i}.safetensors", str(i)) for i in range(2)]
    try:
        with pytest.raises(jobs.Busy, match="all 2 training slots .* in use"):
            registry.start(fake("slow", tmp_path / "2.safetensors", 1), tmp_path / "2.x", "2")
        started[0].cancel()
        wait(started[0])
        with pytest.raises(jobs.Busy, match="already writing 1.safetensors"):
            registry.start(fake("ok", tmp_path / "1.safetensors"), tmp_path / "1.safetensors", "1")
        third = registry.start(fake("ok", tmp_path / "2.safetensors"), tmp_path / "2.safetensors",
                               "2")
        assert wait(third) == jobs.DONE
        assert registry.running() == [started[1]]
    finally:
        registry.cancel_all()
        wait(started[1])
    assert registry.running() == []


def test_the_cap_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("AEEXPLORER_MAX_TRAININGS", "3")
    assert jobs.Registry().cap == 3
    monkeypatch.setenv("AEEXPLORER_MAX_TRAININGS", " 4 ")
    assert jobs.Registry().cap == 4
    for bad in ("lots", "", "²", "٣", "-1", "2.5", "9" * 5000):  # the default, never an error
        monkeypatch.setenv("AEEXPLORER_MAX_TRAININGS", bad)
        assert jobs.Registry().cap == 2, bad


SMALL = request.TrainRequest(family="vae", hidden=(32,), epochs=1, batch_size=256)


@pytest.mark.slow
def test_a_real_training_through_the_cli(tmp_path, data_root):
    from aeexplorer.core.checkpoints.header import read_card

    out = tmp_path / "real.safetensors"
    job = jobs.Registry(cap=1).train(SMALL, out, data_root)
    assert wait(job, timeout=300) == jobs.DONE, job.view().error
    view = job.view()
    assert len(view.history) == 1 and view.history[0]["recon"] > 0 and view.trace
    assert view.batch == view.batches == 235  # 60,000 / 256: the epoch line ends the epoch
    assert {"recon", "kl", "loss"} <= set(view.running)
    assert 0 < view.metrics["recon_mse"] < 0.2 and view.path == str(out)
    card = read_card(out)
    assert card["config"].hidden == (32,) and card["train"]["config"]["epochs"] == 1


@pytest.mark.slow
def test_cancelling_a_real_training_keeps_the_existing_file(tmp_path, data_root):
    out = make_checkpoint(tmp_path / "kept.safetensors")
    before = out.read_bytes()
    job = jobs.Registry(cap=1).train(request.TrainRequest(hidden=(32,), epochs=50), out, data_root)
    wait_for_batches(job)
    job.cancel()
    assert wait(job, timeout=30) == jobs.CANCELLED
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.safetensors"]


def feed(view: jobs.Progress, lines: list[tuple[float, dict]]) -> jobs.Progress:
    """Progress lines as the reader gets them: (seconds since the start, event)."""
    from aeexplorer.app.progress import apply

    for elapsed, event in lines:
        apply(view, event, elapsed)
    view.seconds = lines[-1][0]
    return view


def batches(t0: float, t1: float, first: int, per_s: float, epochs: int = 1):
    """A batch line every 0.25 s from ``t0`` to ``t1``, at ``per_s`` batches a second."""
    steps = round((t1 - t0) / 0.25)
    return [(t0 + i * 0.25, {"event": "batch", "epoch": 1, "epochs": epochs,
                             "batch": first + round(i * 0.25 * per_s), "batches": 469})
            for i in range(steps + 1)]


def test_the_time_left_comes_from_steady_batches():
    # the first line after 4.8 s of loading, then a burst: 46 batches in 0.2 s; then a steady
    # 20 batches a second (the whole epoch: about 23 s). From the first line on, the pace
    # reads as 230 batches a second: "batch 47 of 469 · 5 s, about 2 s left"
    start = [(4.8, {"event": "batch", "epoch": 1, "epochs": 1, "batch": 1, "batches": 469}),
             (5.0, {"event": "batch", "epoch": 1, "epochs": 1, "batch": 47, "batches": 469})]
    view = feed(jobs.Progress("m", "vae", Path("m")), start)
    assert view.left is None  # warming up: no estimate yet, rather than a wrong one
    view = feed(view, batches(5.25, 9.0, 52, 20.0))
    assert view.batch == 127
    assert view.left == pytest.approx((469 - 127) / 20, rel=0.05)
    view.seconds = 10.0  # a second after the last line: the count goes on down
    assert view.left == pytest.approx((469 - 127) / 20 - 1.0, rel=0.05)


def test_the_time_left_follows_the_recent_pace():
    lines = [(2.0, {"event": "batch", "epoch": 1, "epochs": 2, "batch": 1, "batches": 469})]
    lines += batches(2.25, 30.0, 6, 10.0, epochs=2)  # 10 batches a second for 28 s
    lines += batches(30.25, 50.0, 286, 5.0, epochs=2)  # then 5 (another job started)
    view = feed(jobs.Progress("m", "vae", Path("m")), lines)
    done = view.batch
    assert view.left == pytest.approx((2 * 469 - done) / 5.0, rel=0.05)


def test_no_time_left_while_loading_or_once_trained():
    assert jobs.Progress("m", "vae", Path("m"), epochs=2, seconds=5.0).left is None  # loading
    lines = [(1.0, {"event": "batch", "epoch": 1, "epochs": 1, "batch": 1, "batches": 100})]
    lines += [(1.0 + i, {"event": "batch", "epoch": 1, "epochs": 1, "batch": 10 * i,
                         "batches": 100}) for i in range(2, 9)]
    lines.append((10.0, {"event": "epoch", "epoch": 1, "epochs": 1, "batches": 100,
                         "loss": 1.0, "seconds": 9.0}))
    finished = feed(jobs.Progress("m", "vae", Path("m")), lines)
    assert finished.fraction == 1.0 and finished.left is None  # computing the metrics
