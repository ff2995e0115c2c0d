"""The Explorer's replay of how a checkpoint's map formed: shown for a file with snapshots (a
frame per snapshot, Play and a slider), and a line saying so for a file without."""

from __future__ import annotations

import json

from tests.helpers.apptest import open_app
from tests.helpers.checkpoints import make_checkpoint, make_snapshot_checkpoint


def _replay_spec(at):
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if spec.get("frames"):
            return spec
    return None


def test_the_explorer_replays_a_checkpoint_with_snapshots(tmp_path, monkeypatch):
    make_snapshot_checkpoint(tmp_path / "formed.safetensors", n_snaps=7)
    at = open_app(monkeypatch, tmp_path, tmp_path / "no-data", query={"ckpt": "formed.safetensors"})
    (box,) = [e for e in at.expander if e.label == "How this map formed"]
    spec = _replay_spec(at)
    assert spec is not None and len(spec["frames"]) == 7
    assert len(spec["layout"]["sliders"][0]["steps"]) == 7
    notes = " ".join(c.value for c in at.caption)
    assert "7 snapshots of 100 test images" in notes.replace("\\", "")
    assert len(box.get("plotly_chart")) == 1  # the replay is in its expander


def test_a_checkpoint_without_snapshots_says_so(tmp_path, monkeypatch):
    make_checkpoint(tmp_path / "plain.safetensors")
    at = open_app(monkeypatch, tmp_path, tmp_path / "no-data", query={"ckpt": "plain.safetensors"})
    assert _replay_spec(at) is None
    notes = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "holds no snapshots of its training (train it with --snapshots N)" in notes
