"""The live map's Python side under AppTest: the explorer mounts the hover panel and the walk
player with the data the page needs: where the decoder's weights are (written once, the size
its layers say) for a dense and a conv model alike, the walk's full codes; and where the page
cannot have the decoder (the server could not store its file), none, why, and the server's
frames."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from aeexplorer.app.export import layer_floats
from aeexplorer.ui.explorer import live
from aeexplorer.ui.inpage import decoder_files
from tests.helpers.apptest import mounted, open_app
from tests.helpers.checkpoints import make_checkpoint


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("live")
    make_checkpoint(folder / "live-dense-vae.safetensors", kind="vae")
    make_checkpoint(folder / "live-conv-vae.safetensors", kind="vae", arch="conv")
    return folder


@pytest.mark.parametrize(("name", "types"), [
    ("live-dense-vae.safetensors", ["dense"] * 3),
    ("live-conv-vae.safetensors", ["dense", "dense", "dense", "convT", "convT"])])
def test_the_model_sends_its_decoder_once_by_url(monkeypatch, ckpt_dir, tmp_path, name, types):
    at = open_app(monkeypatch, ckpt_dir, tmp_path, query={"ckpt": name})
    data = mounted(at, "aeexplorer.live_hover")
    net = data["net"]
    assert data["mode"] == "hover" and data["dim"] == 2 and data["server"] is None
    assert data["why"] == ""
    assert net["url"].startswith("app/static/decoders/")
    assert [layer["type"] for layer in net["spec"]["layers"]] == types
    blob = decoder_files.DECODERS.parent / net["url"].removeprefix("app/static/")
    assert blob.stat().st_size == 4 * sum(map(layer_floats, net["spec"]["layers"]))
    assert len(json.dumps(data)) < 5_000  # the weights never travel with each rerun


def test_the_player_gets_the_walk(monkeypatch, ckpt_dir, tmp_path):
    at = open_app(monkeypatch, ckpt_dir, tmp_path, query={
        "ckpt": "live-dense-vae.safetensors", "a": "-1,0", "b": "1,1", "wp": "0,2", "m": "slerp"})
    data = mounted(at, "aeexplorer.live_play")
    assert data["stops"] == [[-1.0, 0.0], [1.0, 1.0], [0.0, 2.0]] and data["method"] == "slerp"
    assert data["net"] is not None and data["frames"] == []  # decoded in the page


def test_a_conv_model_plays_its_walk_in_the_page(monkeypatch, ckpt_dir, tmp_path):
    at = open_app(monkeypatch, ckpt_dir, tmp_path, query={
        "ckpt": "live-conv-vae.safetensors", "a": "-1,0", "b": "1,1", "n": "4"})
    play = mounted(at, "aeexplorer.live_play")
    assert play["net"] is not None and play["frames"] == []


def test_a_decoder_the_server_cannot_store_is_not_in_the_page_and_says_why(
        monkeypatch, ckpt_dir, tmp_path):
    """Its folder cannot be made (a file stands in its way): the panel says so, and the
    player gets the server's frames."""
    (tmp_path / "blocked").write_text("a file, not a folder")
    monkeypatch.setattr(decoder_files, "DECODERS", tmp_path / "blocked" / "decoders")
    at = open_app(monkeypatch, ckpt_dir, tmp_path, query={
        "ckpt": "live-conv-vae.safetensors", "a": "-1,0", "b": "1,1", "n": "4"})
    hover = mounted(at, "aeexplorer.live_hover")
    assert hover["net"] is None and hover["why"] == decoder_files.NOT_STORED
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


def test_the_panel_gets_the_selection_as_the_server_shows_it(monkeypatch, ckpt_dir, tmp_path):
    """Its model and layout (a change rebuilds the page's panel), and the selected point: a
    test point's own code, or the clicked spot's; the page's click is then confirmed by it."""
    from tests.helpers.apptest import click

    at = open_app(monkeypatch, ckpt_dir, tmp_path, query={"ckpt": "live-dense-vae.safetensors"})
    data = mounted(at, "aeexplorer.live_hover")
    assert data["model"] == "live-dense-vae.safetensors" and data["talk"] is False
    assert data["selected"] is None and data["sprite"] is None  # no test images in tmp_path
    click(at, 0.25, -0.5)
    assert mounted(at, "aeexplorer.live_hover")["selected"] == {
        "xy": [0.25, -0.5], "index": None, "z": [0.25, -0.5]}
    click(at, 0.3, 0.1, index=7)
    from aeexplorer.core.checkpoints.file import load_checkpoint

    code = load_checkpoint(ckpt_dir / "live-dense-vae.safetensors").atlas.mu[7].tolist()
    selected = mounted(at, "aeexplorer.live_hover")["selected"]
    assert selected["index"] == 7 and selected["z"] == pytest.approx(code)
    click(at, 0.3, 0.1, index=10_000)  # beyond the atlas: read as empty space
    assert mounted(at, "aeexplorer.live_hover")["selected"]["index"] is None


def test_the_sprite_sheet_holds_the_test_images_in_a_bounded_png(monkeypatch, ckpt_dir, tmp_path,
                                                                 data_root):
    from PIL import Image

    from aeexplorer.ui import resources
    from aeexplorer.ui.explorer import sprites

    at = open_app(monkeypatch, ckpt_dir, data_root, query={"ckpt": "live-dense-vae.safetensors"})
    sheet = mounted(at, "aeexplorer.live_hover")["sprite"]
    assert sheet["url"].startswith("app/static/sprites/") and sheet["side"] == 28
    images = resources.test_images("mnist", str(data_root), (28, 1))
    assert sheet["n"] == min(len(images), sprites.MAX_SPRITE_PIXELS // 28**2)
    file = sprites.SPRITES.parent / sheet["url"].removeprefix("app/static/")
    png = Image.open(file)
    assert png.width == sheet["cols"] * 28 and png.height * png.width <= 1.01 * (
        sprites.MAX_SPRITE_PIXELS + sheet["cols"] * 28**2)
    cells = np.asarray(png.convert("L"), dtype=np.float32) / 255
    for i in (0, 1, sheet["n"] - 1):  # cell i: row i // cols, column i % cols
        r, c = divmod(i, sheet["cols"])
        assert np.abs(cells[r * 28:(r + 1) * 28, c * 28:(c + 1) * 28] - images[i]).max() <= 1 / 255
    assert len(json.dumps(mounted(at, "aeexplorer.live_hover"))) < 5_000  # by URL, not inline
