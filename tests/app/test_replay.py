"""The replay figure and the forming map's progress lines: what the pages draw from snapshots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from aeexplorer.app.progress import Progress, apply, parse_line
from aeexplorer.app.replay import live_figure, moment_label, replay_figure
from aeexplorer.core.checkpoints.snapshots import read_snapshots
from tests.helpers.checkpoints import make_snapshot_checkpoint

NAMES = tuple(str(d) for d in range(10))


def test_the_replay_has_a_frame_and_a_slider_step_per_snapshot(tmp_path):
    snaps = read_snapshots(make_snapshot_checkpoint(tmp_path / "s.safetensors", n_snaps=6))
    fig = replay_figure(snaps, NAMES)
    assert len(fig.frames) == 6 and len(fig.layout.sliders[0].steps) == 6
    assert fig.layout.sliders[0].active == 5  # it opens on the trained map
    assert fig.layout.sliders[0].steps[0].label == "before training"
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["▶ Play", "❚❚ Pause"]
    # each frame's dots are that snapshot's codes, by class; the map grows
    for frame, codes in zip(fig.frames, snaps.codes):
        for trace in frame.data:
            rows = snaps.labels == int(trace.name)
            assert np.allclose(trace.x, codes[rows, 0].astype(np.float32))
    spread = [np.ptp(np.concatenate([t.x for t in f.data])) for f in fig.frames]
    assert spread == sorted(spread) and spread[-1] > 5 * spread[0]
    (x0, x1) = fig.layout.xaxis.range  # the axes hold the last (widest) snapshot
    assert x0 <= snaps.codes[-1][:, 0].min() and x1 >= snaps.codes[-1][:, 0].max()


def test_moment_labels():
    assert moment_label({"epoch": 0.0, "step": 0, "seconds": 0.0}) == "before training"
    assert moment_label({"epoch": 2.5, "step": 9, "seconds": 3.4}) == "epoch 2.50 · 3 s"


def _state() -> Progress:
    return Progress(name="m", family="vae", out=Path("m.safetensors"))


def test_the_forming_map_follows_the_snapshot_lines_and_skips_bad_ones():
    s = _state()
    apply(s, parse_line(json.dumps({"event": "sample", "labels": [0, 1, 1],
                                    "classes": ["a", "b"]})), 1.0)
    assert s.sample_labels == [0, 1, 1] and s.sample_classes == ("a", "b")
    good = {"event": "snapshot", "epoch": 0.5, "step": 10, "seconds": 2.0,
            "xy": [[0, 0], [1, 1], [2, 2]]}
    apply(s, good, 2.0)
    assert s.snapshots_seen == 1 and s.snapshot["xy"][2] == (2.0, 2.0)
    for bad in ({**good, "xy": [[0, 0]]}, {**good, "xy": [[0, 0], [1, "x"], [2, 2]]},
                {**good, "xy": [[0, 0], [1, 1e9], [2, 2]]}, {**good, "xy": "no"},
                {**good, "step": None}):
        apply(s, bad, 3.0)
    assert s.snapshots_seen == 1 and s.snapshot["step"] == 10
    apply(s, {**good, "step": 20}, 4.0)
    assert s.snapshots_seen == 2 and s.snapshot["step"] == 20
    apply(s, {"event": "sample", "labels": list(range(6000))}, 5.0)  # over the bound: kept
    assert s.sample_labels == [0, 1, 1]


def test_a_snapshots_decoder_is_taken_only_as_a_digests_file_and_a_small_spec():
    s = _state()
    apply(s, {"event": "sample", "labels": [0, 1]}, 1.0)
    spec = {"latent_dim": 2, "side": 28, "channels": 1, "output": "sigmoid", "layers": []}
    line = {"event": "snapshot", "epoch": 0.5, "step": 10, "seconds": 2.0,
            "xy": [[0, 0], [1, 1]], "decoder": {"file": "0123456789abcdef01234567.bin",
                                                 "spec": spec}}
    apply(s, line, 2.0)
    assert s.decoder == {"file": "0123456789abcdef01234567.bin", "spec": spec,
                         "epoch": 0.5, "step": 10, "seconds": 2.0}
    for bad in ({"file": "../../app.py", "spec": spec}, {"file": "0123456789abcdef01234567.bin"},
                {"file": "0123456789ABCDEF01234567.bin", "spec": spec},
                {"file": "0123456789abcdef01234567.bin\n", "spec": spec},
                {"file": "0123456789abcdef01234567.bin", "spec": {"x": "y" * 30_000}},
                {"file": "0123456789abcdef01234567.bin", "spec": []}, "text", None):
        apply(s, {**line, "step": 20, "decoder": bad}, 3.0)
        assert s.snapshot["step"] == 20 and s.decoder["step"] == 10  # the map moves, the
        # decoder stays the last good one
    apply(s, {**line, "step": 30, "decoder": {**line["decoder"],
                                              "file": "f" * 24 + ".bin"}}, 4.0)
    assert s.decoder["file"] == "f" * 24 + ".bin" and s.decoder["step"] == 30


def test_the_live_map_draws_the_latest_codes_by_class():
    fig = live_figure(np.array([[0, 0], [1, 1], [2, 2]]), np.array([0, 1, 1]), ("a", "b"),
                      "The map forming")
    assert [t.name for t in fig.data] == ["a", "b"] and list(fig.data[1].x) == [1, 2]
