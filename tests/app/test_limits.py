"""The limits of a shared server (aeexplorer.app.limits, enforced by
aeexplorer.app.jobs.Registry): read from the environment (a bad value gives the default), a
model's size and work refused before a start, the disk budgets, the off switch, trainings per
session, and, with the fake trainer (tests/helpers/fake_trainer.py), the run time, the memory
and a session that stopped beating."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from aeexplorer.app import jobs, limits
from aeexplorer.app.limits import GB, MB, Limits
from aeexplorer.core.errors import AeError
from aeexplorer.core.training.families import FAMILIES
from aeexplorer.core.training.request import TrainRequest, train_args
from tests.helpers.jobs import fake as fake_command
from tests.helpers.jobs import wait


def fake(mode: str, out: Path, epochs: int = 100) -> list[str]:
    """The fake trainer, long enough by default to be running while a limit is checked."""
    return fake_command(mode, out, epochs)


@pytest.fixture
def registries():
    """Registries made by a test, whose trainings are all stopped when it ends."""
    made: list[jobs.Registry] = []

    def make(**values) -> jobs.Registry:
        cap = values.pop("cap", 3)
        made.append(jobs.Registry(cap=cap, limits=replace(Limits(), **values)))
        return made[-1]

    yield make
    for registry in made:
        registry.cancel_all(grace=1.0)


def test_defaults_and_values_from_the_environment():
    assert Limits.from_env({}) == Limits()
    lim = Limits.from_env({
        "AEEXPLORER_TRAINING": " Off ", "AEEXPLORER_MAX_TRAININGS": "4",
        "AEEXPLORER_TRAININGS_PER_SESSION": " 2 ", "AEEXPLORER_MAX_PARAMS": "2e6",
        "AEEXPLORER_MAX_WORK": "1e12", "AEEXPLORER_MAX_TRAIN_MINUTES": "0.5",
        "AEEXPLORER_MAX_TRAIN_MEMORY_MB": "512", "AEEXPLORER_SESSION_DISK_MB": "10",
        "AEEXPLORER_TOTAL_DISK_MB": "1000", "AEEXPLORER_SESSION_GRACE_S": "30",
        "AEEXPLORER_SESSION_MAX_AGE_H": "2", "AEEXPLORER_TMP_MAX_AGE_MIN": "5"})
    assert lim == Limits(training=False, max_trainings=4, per_session=2, max_params=2_000_000,
                         max_work=1e12, max_seconds=30, max_memory=512 * MB,
                         session_disk=10 * MB, total_disk=1000 * MB, grace=30, max_age=7200,
                         tmp_age=300)
    for off in ("off", "0", "no", "false", "OFF"):
        assert not Limits.from_env({"AEEXPLORER_TRAINING": off}).training
    for on in ("on", "1", "yes", "", "whatever"):
        assert Limits.from_env({"AEEXPLORER_TRAINING": on}).training
    assert Limits.from_env({"AEEXPLORER_MAX_TRAIN_MINUTES": "0"}).max_seconds == 0  # no limit


@pytest.mark.parametrize("bad", ["lots", "", " ", "-1", "nan", "inf", "1e999", "²", "٣",
                                 "9" * 5000, "2.5.1", "1_000", "0x10", "+-3", "1e-3e3"])
def test_a_bad_value_gives_the_default(bad):
    names = ["AEEXPLORER_MAX_TRAININGS", "AEEXPLORER_TRAININGS_PER_SESSION",
             "AEEXPLORER_MAX_PARAMS", "AEEXPLORER_MAX_WORK", "AEEXPLORER_MAX_TRAIN_MINUTES",
             "AEEXPLORER_MAX_TRAIN_MEMORY_MB", "AEEXPLORER_SESSION_DISK_MB",
             "AEEXPLORER_TOTAL_DISK_MB", "AEEXPLORER_SESSION_GRACE_S",
             "AEEXPLORER_SESSION_MAX_AGE_H", "AEEXPLORER_TMP_MAX_AGE_MIN"]
    assert Limits.from_env(dict.fromkeys(names, bad)) == Limits(), bad


def test_the_registry_reads_its_limits_from_the_environment(monkeypatch):
    monkeypatch.setenv("AEEXPLORER_MAX_TRAIN_MEMORY_MB", "256")
    monkeypatch.setenv("AEEXPLORER_MAX_TRAININGS", "5")
    registry = jobs.Registry()
    assert registry.limits.max_memory == 256 * MB and registry.cap == 5


@pytest.mark.parametrize("family", list(FAMILIES))
def test_the_parameter_count_is_the_model_s(family):
    """Counted from the form's values without torch, as the real model has them: the model
    the CLI builds from the command line the job runs."""
    from aeexplorer.cli import parse
    from aeexplorer.cli.commands import configs
    from aeexplorer.core.models.build import build_model, count_parameters

    req = TrainRequest(family=family, hidden=(300, 100), batchnorm=True)
    config, _ = configs(parse(train_args(req, Path("m.safetensors"), Path("data"))))
    assert limits.parameters(req) == count_parameters(build_model(config))


SHIPPED = [  # the README's recipes (model card), as Train page requests
    TrainRequest(family="vae", hidden=(512, 512, 256), batchnorm=True, epochs=100),
    TrainRequest(dataset="fashion", family="ae", hidden=(512, 512, 256), batchnorm=True,
                 epochs=100),
    TrainRequest(family="sparse-l1", hidden=(512, 512, 256), batchnorm=True, epochs=20),
    TrainRequest(family="denoising", hidden=(512, 512, 256), batchnorm=True, epochs=30),
    TrainRequest(family="contractive", hidden=(512, 512, 256), epochs=30),
    TrainRequest(family="shallow", epochs=30), TrainRequest(family="pca"),
    TrainRequest(),  # the form's defaults
]


@pytest.mark.parametrize("req", SHIPPED)
def test_the_shipped_recipes_are_allowed(req):
    limits.check_request(req, Limits())


def test_a_huge_model_is_refused_with_what_to_reduce():
    huge = TrainRequest(hidden=(4096,) * 8, epochs=200)
    assert limits.work(huge) > 1e15
    with pytest.raises(limits.TooBig, match=r"241\.\d M parameters.*up to 10\.0 M.*narrower"):
        limits.check_request(huge, Limits())
    # without a parameter cap, the work is still too much: fewer epochs would not do
    with pytest.raises(limits.TooBig, match="too long .* use fewer or narrower hidden layers"):
        limits.check_request(huge, Limits(max_params=0))
    # a model that fits, for too many epochs: the most epochs it may have
    long = TrainRequest(hidden=(1024, 1024), epochs=200)
    most = int(1e13 // (limits.parameters(long) * 60_000))
    with pytest.raises(limits.TooBig, match=f"use at most {most} epochs for this model"):
        limits.check_request(long, Limits())
    limits.check_request(replace(long, epochs=most), Limits())
    limits.check_request(huge, Limits(max_params=0, max_work=0))  # 0: no limit


def test_refusals_come_before_any_process(registries, tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(jobs, "command",
                        lambda args: started.append(args) or fake("ok", tmp_path))
    with pytest.raises(limits.TooBig, match="turned off"):
        registries(training=False).train(TrainRequest(), tmp_path / "m.safetensors", tmp_path)
    with pytest.raises(limits.TooBig, match="narrower"):
        registries().train(TrainRequest(hidden=(4096,) * 8), tmp_path / "m.safetensors",
                           tmp_path)
    assert started == []


def test_the_disk_budgets(registries, tmp_path, monkeypatch):
    monkeypatch.setattr(jobs, "command",
                        lambda args: fake("slow", Path(args[args.index("--out") + 1])))
    sessions = tmp_path / "runs" / "sessions"
    mine, other = sessions / "mine", sessions / "other"
    for folder, size in ((mine, 2 * MB), (other, 3 * MB)):
        folder.mkdir(parents=True)
        (folder / "a.safetensors").write_bytes(b"x" * size)
    full = registries(session_disk=2 * MB)
    with pytest.raises(limits.TooBig, match="Your trained models take 2 MB.*Download"):
        full.train(TrainRequest(), mine / "b.safetensors", tmp_path, owner="mine")
    with pytest.raises(limits.TooBig, match="space for trained models is full"):
        registries(total_disk=5 * MB).train(TrainRequest(), mine / "b.safetensors", tmp_path,
                                            owner="mine")
    job = registries(session_disk=3 * MB, total_disk=6 * MB).train(
        TrainRequest(), mine / "b.safetensors", tmp_path, owner="mine")
    assert job.status == jobs.RUNNING
    (mine / "link").symlink_to(other, target_is_directory=True)  # not counted: not followed
    assert limits.folder_bytes(mine) == 2 * MB and limits.folder_bytes(tmp_path / "no") == 0


def test_one_training_at_once_per_session(registries, tmp_path):
    registry = registries(cap=3, per_session=1)
    first = registry.start(fake("slow", tmp_path / "a1"), tmp_path / "a1", "a1", owner="a")
    with pytest.raises(jobs.Busy, match="you already run 1 training, as many at once"):
        registry.start(fake("slow", tmp_path / "a2"), tmp_path / "a2", "a2", owner="a")
    registry.start(fake("slow", tmp_path / "b1"), tmp_path / "b1", "b1", owner="b")
    registry.start(fake("slow", tmp_path / "n1"), tmp_path / "n1", "n1")  # no session: none
    first.cancel()
    wait(first)
    registry.start(fake("slow", tmp_path / "a2"), tmp_path / "a2", "a2", owner="a")  # its turn
    with pytest.raises(jobs.Busy, match="all 3 training slots"):  # the server's cap still holds
        registry.start(fake("slow", tmp_path / "c1"), tmp_path / "c1", "c1", owner="c")


def test_a_training_over_its_run_time_is_stopped(registries, tmp_path):
    registry = registries(max_seconds=1.0)
    job = registry.start(fake("slow", tmp_path / "m"), tmp_path / "m", "m")
    assert wait(job, timeout=15) == jobs.CANCELLED
    assert 1.0 <= job.view().seconds < 10
    assert job.view().reason == ("it ran for more than 1 second, the most this server gives "
                                 "one training")
    assert not (tmp_path / "m").exists()


@pytest.mark.skipif(not os.path.exists(f"/proc/{os.getpid()}/statm"), reason="no /proc")
@pytest.mark.slow
def test_a_training_over_its_memory_is_stopped(registries, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_HOG_MB", "300")
    registry = registries(max_memory=150 * MB)
    job = registry.start(fake("hog", tmp_path / "m"), tmp_path / "m", "m")
    assert wait(job, timeout=15) == jobs.CANCELLED
    assert job.view().reason == ("it used more than 150 MB of memory, the most this server "
                                 "gives one training")
    small = registries(max_memory=1 * GB)  # a training under the limit goes on
    kept = small.start(fake("hog", tmp_path / "k", epochs=2), tmp_path / "k", "k")
    assert wait(kept, timeout=30) == jobs.DONE and kept.view().reason == ""


@pytest.mark.slow
def test_a_training_whose_session_stopped_beating_is_stopped(registries, tmp_path):
    registry = registries(cap=3, grace=1.0)
    gone = registry.start(fake("slow", tmp_path / "g"), tmp_path / "g", "g", owner="gone")
    here = registry.start(fake("slow", tmp_path / "h"), tmp_path / "h", "h", owner="here")
    cli = registry.start(fake("slow", tmp_path / "c"), tmp_path / "c", "c")  # no session
    # "here" beats every 0.2 s the whole time (a busy machine may take a while to stop "gone")
    deadline, stopped_by = time.monotonic() + 3.0, time.monotonic() + 13.0
    while time.monotonic() < deadline or (gone.status == jobs.RUNNING
                                          and time.monotonic() < stopped_by):
        registry.beat("here")
        time.sleep(0.2)
    registry.beat("here")
    assert wait(gone, timeout=1) == jobs.CANCELLED
    assert gone.view().reason == "the page that started it was closed"
    assert here.status == jobs.RUNNING and cli.status == jobs.RUNNING
    assert registry.recent(1.0) == {"here"}


@pytest.mark.parametrize("dataset, images, side, channels", [
    ("mnist", 60_000, 28, 1), ("emnist-letters", 124_800, 28, 1), ("cifar10", 50_000, 32, 3),
    ("folder:shapes", None, 28, 3)])  # a folder's channels come from its files: at most 3
def test_the_work_counts_the_data_sets_own_images_and_pixels(tmp_path, dataset, images, side,
                                                             channels):
    from aeexplorer.cli import parse
    from aeexplorer.cli.commands import configs
    from aeexplorer.core.models.build import build_model, count_parameters
    from tests.helpers.datasets import class_folder, split_of

    written = class_folder(tmp_path / "images" / "shapes", {"a": 40, "b": 30})
    size = limits.data_size(dataset, tmp_path)  # no image is read
    assert size == limits.DataSize(images or len(split_of(written, True)),
                                   side * side * channels)
    req = TrainRequest(dataset=dataset, family="vae", hidden=(64,), epochs=3)
    config, _ = configs(parse(train_args(req, Path("m.safetensors"), tmp_path)))
    built = build_model(replace(config, image_size=side, image_channels=channels))
    assert limits.parameters(req, size) == count_parameters(built)
    assert limits.work(req, size) == count_parameters(built) * 3 * size.images


def test_a_visitor_trains_on_the_offered_folders_only(tmp_path, registries):
    for path in ("folder:/etc", "folder:..", "folder:~/x", "folder:a/b"):
        with pytest.raises(limits.TooBig, match="Only the image folders this server offers"):
            registries().train(TrainRequest(dataset=path), tmp_path / "m.safetensors", tmp_path)
    with pytest.raises(AeError, match="no folder"):
        registries().train(TrainRequest(dataset="folder:gone"), tmp_path / "m.safetensors",
                           tmp_path)


def test_a_training_from_the_page_decodes_in_its_own_process_within_its_memory():
    assert limits.child_env(Limits(max_memory=3 * GB)) == {
        "AEEXPLORER_LOADER_WORKERS": "0", "AEEXPLORER_STREAM_MB": "768"}
    assert limits.child_env(Limits(max_memory=0)) == {"AEEXPLORER_LOADER_WORKERS": "0"}
