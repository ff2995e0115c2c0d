"""Disk cleanup (aeexplorer.app.cleanup): old session folders and leftover temporary checkpoint
files are removed; a running training's folder and files, a session seen lately, young files,
other files and anything reached through a link are kept."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from aeexplorer.app import cleanup
from aeexplorer.app.limits import Limits

DAY = 24 * 3600


def touch(path: Path, age: float = 0.0, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    when = time.time() - age
    os.utime(path, (when, when))
    return path


def age(folder: Path, seconds: float) -> Path:
    """Sets ``folder`` and everything under it to ``seconds`` old."""
    when = time.time() - seconds
    for sub, _, files in os.walk(folder):
        for name in files:
            os.utime(Path(sub) / name, (when, when))
        os.utime(sub, (when, when))
    return folder


def save_tmp(folder: Path, name: str, seconds_old: float) -> Path:
    """A temporary file named as ``save_checkpoint`` names it (its own mkstemp call)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    when = time.time() - seconds_old
    os.utime(tmp, (when, when))
    return Path(tmp)


def test_old_session_folders_go_and_the_others_stay(tmp_path):
    sessions = tmp_path / "runs" / "sessions"
    for name in ("old", "young", "busy", "live", "touched"):
        touch(sessions / name / "m.safetensors")
        age(sessions / name, 2 * DAY)
    touch(sessions / "young" / "m.safetensors")  # written just now
    touch(sessions / "touched" / "deep" / "n.safetensors", age=3600)  # newest mtime within
    shared = touch(tmp_path / "runs" / "shared.safetensors", age=9 * DAY)  # runs/ itself
    removed = cleanup.sweep(tmp_path, Limits(), busy=[sessions / "busy" / "m.safetensors"],
                            live={"live"})
    assert removed == [sessions / "old"]
    assert sorted(p.name for p in sessions.iterdir()) == ["busy", "live", "touched", "young"]
    assert shared.exists()
    age(sessions / "young", 2 * DAY)
    assert cleanup.sweep(tmp_path, Limits(max_age=0)) == []  # 0: the rule is off
    assert (sessions / "young").exists()


def test_stale_temporary_files_go_but_not_young_ones_or_a_running_job_s(tmp_path):
    runs, shipped = tmp_path / "runs", tmp_path / "checkpoints"
    sessions = runs / "sessions"
    stale = [save_tmp(runs, "a.safetensors", 2 * 3600),
             save_tmp(sessions / "s1", "b.safetensors", 2 * 3600),
             save_tmp(shipped, "mnist-vae.safetensors", 2 * 3600)]
    young = save_tmp(sessions / "s1", "c.safetensors", 60)
    writing = save_tmp(sessions / "s2", "m.safetensors", 2 * 3600)  # beside a running job's out
    others = [touch(runs / "notes.tmp", 2 * 3600), touch(shipped / "mnist-vae.safetensors", DAY),
              touch(runs / ".hidden.safetensors.tmp", 2 * 3600),
              touch(tmp_path / "elsewhere" / ".x.safetensors.abcdefgh.tmp", 2 * 3600)]
    removed = cleanup.sweep(tmp_path, Limits(), busy=[sessions / "s2" / "m.safetensors"])
    assert sorted(removed) == sorted(stale)
    assert young.exists() and writing.exists() and all(p.exists() for p in others)
    assert not any(p.exists() for p in stale)


def test_links_are_never_followed(tmp_path):
    outside = tmp_path / "outside"
    kept = [touch(outside / "precious.safetensors", 9 * DAY),
            touch(outside / ".p.safetensors.abcdefgh.tmp", 9 * DAY)]
    age(outside, 9 * DAY)
    sessions = tmp_path / "app" / "runs" / "sessions"
    sessions.mkdir(parents=True)
    (sessions / "linked").symlink_to(outside, target_is_directory=True)  # a link: left alone
    old = sessions / "old"
    touch(old / "m.safetensors", 2 * DAY)
    (old / "to-outside").symlink_to(outside, target_is_directory=True)
    os.utime(old / "to-outside", (time.time() - 2 * DAY,) * 2, follow_symlinks=False)
    age(old, 2 * DAY)
    (tmp_path / "app" / "checkpoints").symlink_to(outside, target_is_directory=True)
    removed = cleanup.sweep(tmp_path / "app", Limits())
    assert removed == [old]  # the folder goes, the link in it with it, not what it points to
    assert all(p.exists() for p in kept) and (sessions / "linked").is_symlink()


def test_a_sweep_is_due_at_first_then_now_and_then(tmp_path):
    old = touch(tmp_path / "runs" / "sessions" / "old" / "m.safetensors")
    age(old.parent, 2 * DAY)
    assert cleanup.sweep_if_due(tmp_path, Limits()) == [old.parent]
    touch(old)
    age(old.parent, 2 * DAY)
    assert cleanup.sweep_if_due(tmp_path, Limits()) is None  # not due yet
    assert old.exists()
    assert cleanup.sweep_if_due(tmp_path, Limits(), every=0) == [old.parent]


def test_a_missing_runs_folder_is_nothing_to_do(tmp_path):
    assert cleanup.sweep(tmp_path, Limits()) == []


def test_a_runs_folder_that_is_a_link_is_not_swept(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    old = touch(elsewhere / "sessions" / "old" / "m.safetensors", 2 * DAY)
    stale = touch(elsewhere / ".m.safetensors.abcdefgh.tmp", 2 * DAY)
    age(old.parent, 2 * DAY)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "runs").symlink_to(elsewhere, target_is_directory=True)
    assert cleanup.sweep(tmp_path / "app", Limits()) == []
    assert old.exists() and stale.exists()
