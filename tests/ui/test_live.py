"""The live map's Python side under AppTest: the explorer mounts the hover panel and the walk
player with the data the page needs: where the decoder's weights are (written once, the size
its layers say), the walk's full codes; for a conv model no page decoder, and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aeexplorer.ui.explorer import decoder_files, live
from tests.helpers.apptest import open_app
from tests.helpers.checkpoints import make_checkpoint


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("live")
    make_checkpoint(folder / "live-dense-vae.safetensors", kind="vae")
    make_checkpoint(folder / "live-conv-vae.safetensors", kind="vae", arch="conv")
    return folder


def mounted(at, name: str) -> dict:
    """The data of the component ``name`` on the page."""
    found = [e.proto for e in at.get("bidi_component") if e.proto.component_name == name]
    assert len(found) == 1, f"{name} is not on the page once"
    return json.loads(found[0].json)


def test_the_dense_model_sends_its_decoder_once_by_url(monkeypatch, ckpt_dir, tmp_path):
    at = open_app(monkeypatch, ckpt_dir, tmp_path, query={"ckpt": "live-dense-vae.safetensors"})
    data = mounted(at, "aeexplorer.live_hover")
    net = data["net"]
    assert data["mode"] == "hover" and data["dim"] == 2 and data["server"] is None
    assert net["url"].startswith("app/static/decoders/") and "layers" in net["spec"]
    blob = decoder_files.APP_ROOT / "static" / net["url"].removeprefix("app/static/")
    n_floats = sum(l["in"] * l["out"] + l["out"] for l in net["spec"]["layers"])
    assert blob.stat().st_size == 4 * n_floats
    assert len(json.dumps(data)) < 5_000  # the weights never travel with each rerun


def test_the_player_gets_the_walk(monkeypatch, ckpt_dir, tmp_path):
    at = open_app(monkeypatch, ckpt_dir, tmp_path, query={
        "ckpt": "live-dense-vae.safetensors", "a": "-1,0", "b": "1,1", "wp": "0,2", "m": "slerp"})
    data = mounted(at, "aeexplorer.live_play")
    assert data["stops"] == [[-1.0, 0.0], [1.0, 1.0], [0.0, 2.0]] and data["method"] == "slerp"
    assert data["net"] is not None and data["frames"] == []  # decoded in the page


def test_a_conv_model_has_no_page_decoder_and_says_why(monkeypatch, ckpt_dir, tmp_path):
    at = open_app(monkeypatch, ckpt_dir, tmp_path, query={
        "ckpt": "live-conv-vae.safetensors", "a": "-1,0", "b": "1,1", "n": "4"})
    hover = mounted(at, "aeexplorer.live_hover")
    assert hover["net"] is None and "convolutions" in hover["why"]
    play = mounted(at, "aeexplorer.live_play")
    assert play["net"] is None and len(play["frames"]) == 4  # the server's frames instead
    assert all(f.startswith("data:image/png;base64,") for f in play["frames"])


def test_a_resting_point_from_the_browser_is_read_like_a_url_point(ckpt_dir):
    """The rest value is sent by the page: anything but a finite, bounded "x,y" is ignored."""
    from aeexplorer.core.checkpoints.file import load_checkpoint

    ckpt = load_checkpoint(ckpt_dir / "live-conv-vae.safetensors")
    shown = live.server_image(ckpt, "0.5000,-1.0000")
    assert shown["z"] == [0.5, -1.0] and shown["uri"].startswith("data:image/png;base64,")
    for hostile in ("nan,1", "1e308,0", "1,2,3", "x" * 10_000, None, ["0", "0"]):
        assert live.server_image(ckpt, hostile) is None
