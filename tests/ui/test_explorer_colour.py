"""The Explorer with colour models of other sizes (a dense one 16 pixels a side, a conv one 32)
and with an unlabelled one, under AppTest: every view shows colour images of the model's size
(the decoded point, the clicked test image beside its decoded code, the walk's strip and GIF,
the prior samples, the manifold, the Similar tab's rows, an upload), the page decoder gets
the channels, and unlabelled data shows no class anywhere. The dense model is trained on
coloured shapes (``colour_images``: red, green, blue classes), so a swapped or dropped channel
shows as the wrong colour."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from aeexplorer.ui import resources
from tests.helpers.apptest import click as map_click
from tests.helpers.apptest import open_app
from tests.helpers.checkpoints import colour_images, make_colour_checkpoint

DENSE, CONV, BARE = "colour-dense.safetensors", "colour-conv.safetensors", "colour-bare.safetensors"
# each checkpoint's data set: its side, whether it is labelled (the atlas is colour_images(300,
# side, seed=1), which ``test_images`` below gives as the test set)
SETS = {"shapes-16": (16, True), "shapes-32": (32, True), "shapes-12": (12, False)}


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("colour")
    make_colour_checkpoint(folder / DENSE, side=16, dataset="shapes-16")
    make_colour_checkpoint(folder / CONV, arch="conv", side=32, steps=0, dataset="shapes-32")
    make_colour_checkpoint(folder / BARE, side=12, labelled=False, kind="ae",
                           dataset="shapes-12")
    return folder


@pytest.fixture
def test_images(monkeypatch):
    """The checkpoints' test sets, given where ``resources`` reads a data set's test split."""
    def split(dataset, root, *args, **kwargs):
        side, labelled = SETS[dataset]
        images, labels = colour_images(300, side, seed=1)
        return images, labels if labelled else np.full(len(labels), -1)

    monkeypatch.setattr(resources, "test_split", split)


def _open(monkeypatch, ckpt_dir, data: Path, name: str, **query) -> AppTest:
    at = open_app(monkeypatch, ckpt_dir, data, query={"ckpt": name, **query})
    assert not at.exception
    return at


def _ckpt(ckpt_dir: Path, name: str):
    from aeexplorer.core.checkpoints.file import load_checkpoint

    return load_checkpoint(ckpt_dir / name)


def shown(at: AppTest, caption: str, where=None) -> Image.Image:
    """The inline image captioned ``caption`` as the PNG the page shows."""
    tag = re.compile(r'<img src="data:image/png;base64,([^"]+)" width="(\d+)"[^>]*alt="'
                     + re.escape(caption) + '"')
    found = [hit for m in (where or at).markdown for hit in tag.findall(m.value)]
    assert found, f"no image captioned {caption!r}"
    png = Image.open(io.BytesIO(base64.b64decode(found[0][0])))
    png.shown_width = int(found[0][1])
    return png


def all_shown(where) -> list[tuple[str, Image.Image]]:
    """Every inline image in ``where``, in order, with its caption."""
    found = re.findall(r'<img src="data:image/png;base64,([^"]+)"[^>]*alt="([^"]*)"',
                       "".join(m.value for m in where.markdown))
    return [(caption, Image.open(io.BytesIO(base64.b64decode(b64)))) for b64, caption in found]


def pixels(png: Image.Image, side: int) -> np.ndarray:
    """An enlarged PNG back at ``side`` pixels, (side, side, 3) in [0, 1]."""
    arr = np.asarray(png.convert("RGB"), dtype=np.float32) / 255
    step = png.width // side
    return arr[::step, ::step]


def ink(image: np.ndarray) -> int:
    """The colour of the shape in a ``colour_images`` image (or a decoding of one): 0 red,
    1 green, 2 blue, from the mean of its bright pixels."""
    flat = image.reshape(-1, 3)
    return int(np.argmax(flat[flat.max(1) > 0.3].mean(0)))


def test_a_clicked_test_image_and_its_decoded_code_in_colour(monkeypatch, ckpt_dir, tmp_path,
                                                            test_images):
    ckpt = _ckpt(ckpt_dir, DENSE)
    images, labels = colour_images(300, 16, seed=1)
    at = _open(monkeypatch, ckpt_dir, tmp_path, DENSE)
    for i in (int(np.flatnonzero(labels == c)[0]) for c in range(3)):
        map_click(at, *ckpt.atlas.mu[i, :2].tolist(), index=i)
        assert not at.exception
        original, decoded = shown(at, "original"), shown(at, "decoded code")
        assert original.mode == decoded.mode == "RGB"
        np.testing.assert_allclose(pixels(original, 16), images[i], atol=1 / 255)
        want = ckpt.ops.decode(ckpt.atlas.mu[i].numpy())[0]
        np.testing.assert_allclose(pixels(decoded, 16), want, atol=1 / 255)
        assert ink(want) == labels[i]  # red decodes red: no channel swapped
        name = ("red", "green", "blue")[labels[i]]
        assert any(f"Test image #{i}** · class **{name}**" in m.value for m in at.markdown)
    # a 16-pixel image shows as wide as a 28-pixel one (140 px)
    assert decoded.shown_width == 140


def test_empty_space_and_the_page_decoder_know_the_colours(monkeypatch, ckpt_dir, tmp_path):
    ckpt = _ckpt(ckpt_dir, DENSE)
    at = _open(monkeypatch, ckpt_dir, tmp_path / "no-data", DENSE)
    map_click(at, 0.3, -0.2)
    png = shown(at, "decoded z")
    assert png.mode == "RGB"
    np.testing.assert_allclose(pixels(png, 16), ckpt.ops.decode([0.3, -0.2])[0], atol=1 / 255)
    hover = _mounted(at, "aeexplorer.live_hover")
    assert (hover["side"], hover["channels"]) == (16, 3)
    assert hover["net"]["spec"]["channels"] == 3
    assert hover["net"]["spec"]["layers"][-1]["out"] == 3 * 16 * 16


def _mounted(at: AppTest, name: str) -> dict:
    found = [e.proto for e in at.get("bidi_component") if e.proto.component_name == name]
    assert len(found) == 1, f"{name} is not on the page once"
    return json.loads(found[0].json)


def _spy(monkeypatch) -> dict:
    """What ``st.image`` and the download buttons (in columns) are given, by caption and
    label."""
    from streamlit.delta_generator import DeltaGenerator

    seen: dict = {}
    real_image, real_download = st.image, DeltaGenerator.download_button

    def image(data, *args, caption=None, **kwargs):
        seen[caption] = data
        return real_image(data, *args, caption=caption, **kwargs)

    def download(self, label, data, *args, **kwargs):
        seen[label] = data
        return real_download(self, label, data, *args, **kwargs)

    monkeypatch.setattr(st, "image", image)
    monkeypatch.setattr(DeltaGenerator, "download_button", download)
    return seen


def test_the_walk_and_the_prior_samples_in_colour(monkeypatch, ckpt_dir, tmp_path):
    ckpt = _ckpt(ckpt_dir, DENSE)
    seen = _spy(monkeypatch)
    _open(monkeypatch, ckpt_dir, tmp_path, DENSE, a="-1,0", b="1,1", n="5")
    strip = Image.open(io.BytesIO(seen["5 decoded frames, 1 leg(s)"]))
    assert strip.mode == "RGB"
    frames = ckpt.ops.walk([[-1, 0], [1, 1]], 5)[1]
    times = strip.height // 16  # about as large as a 28-pixel strip enlarged 3 times
    assert times == 5 and strip.width == times * (5 * 16 + 4 * 2)
    first = np.asarray(strip, dtype=np.float32)[:16 * times:times, :16 * times:times] / 255
    np.testing.assert_allclose(first, frames[0], atol=1 / 255)
    gif = Image.open(io.BytesIO(seen["Walk as GIF"]()))
    assert gif.n_frames == 8  # forward, then back
    rgb = np.asarray(gif.convert("RGB"), dtype=np.float32) / 255
    assert np.abs(rgb[..., 0] - rgb[..., 2]).max() > 0.1  # a palette of colours, not grey
    assert Image.open(io.BytesIO(seen["Strip as PNG"]())).mode == "RGB"
    grid = Image.open(io.BytesIO(seen["16 samples, seed 0"]))
    assert grid.mode == "RGB"
    samples = ckpt.ops.prior(16, 0, 1.0)[1]
    np.testing.assert_allclose(pixels(grid.crop((0, 0, 16 * 4, 16 * 4)), 16), samples[0],
                               atol=1 / 255)


def test_the_manifold_behind_the_map_in_colour(monkeypatch, ckpt_dir, tmp_path):
    from aeexplorer.app import views

    at = _open(monkeypatch, ckpt_dir, tmp_path, DENSE)
    at.toggle(key="manifold").set_value(True).run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    source = [im["source"] for im in spec["layout"]["images"]][0]
    png = Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1])))
    assert png.mode == "RGB"
    arr = np.asarray(png, dtype=np.float32) / 255
    n = png.width // 16
    big, _ = views.manifold(_ckpt(ckpt_dir, DENSE), *_ranges(at), n)
    np.testing.assert_allclose(arr, big, atol=1 / 255)  # as decoded: not turned to ink on paper


def _ranges(at: AppTest) -> tuple:
    name = DENSE.removesuffix(".safetensors")
    return tuple(at.session_state[f"mfx:{name}"]), tuple(at.session_state[f"mfy:{name}"])


def test_similar_images_by_colour_pixels(monkeypatch, ckpt_dir, tmp_path, test_images):
    ckpt = _ckpt(ckpt_dir, DENSE)
    images, labels = colour_images(300, 16, seed=1)
    at = _open(monkeypatch, ckpt_dir, tmp_path, DENSE)
    at.session_state["tool_tab"] = "Similar images"
    i = int(np.flatnonzero(labels == 2)[0])
    map_click(at, *ckpt.atlas.mu[i, :2].tolist(), index=i)
    assert not at.exception
    tab = next(t for t in at.tabs if t.label == "Similar images")
    text = "\n".join([m.value for m in tab.markdown] + [c.value for c in tab.caption])
    assert "over the 768 values (16×16 pixels × 3 colours)" in text
    assert "class: **blue**" in text
    d = np.sqrt(((images.reshape(300, -1) - images[i].reshape(-1)) ** 2).sum(1))
    d[i] = np.inf
    nearest = np.argsort(d, kind="stable")[:8]
    found = all_shown(tab)  # the query, the latent row, the pixel row
    assert [caption for caption, _ in found[9:]] == [
        f"{('red', 'green', 'blue')[labels[j]]} · {d[j]:.2f}" for j in nearest]
    for (_, png), j in zip(found[9:], nearest):
        assert png.mode == "RGB"
        # the test image it shows (shapes tie often: one at the same distance as the j-th)
        k = int(np.argmin(np.abs(images - pixels(png, 16)).reshape(300, -1).max(1)))
        np.testing.assert_allclose(pixels(png, 16), images[k], atol=1 / 255)
        assert abs(d[k] - d[j]) < 1e-5 and labels[k] == labels[j]
    np.testing.assert_allclose(pixels(found[0][1], 16), images[i], atol=1 / 255)
    assert f"{sum(labels[nearest] == 2)} of 8 are blue." in text


def test_without_the_test_images_the_colour_model_still_explores(monkeypatch, ckpt_dir,
                                                                tmp_path):
    ckpt = _ckpt(ckpt_dir, DENSE)
    at = _open(monkeypatch, ckpt_dir, tmp_path / "no-data", DENSE)
    at.session_state["tool_tab"] = "Similar images"
    map_click(at, *ckpt.atlas.mu[4, :2].tolist(), index=4)
    assert not at.exception
    assert any("The original is not available" in m.value for m in at.markdown)
    assert any("not on this machine" in i.value for i in at.info)  # no pixel row
    tab = next(t for t in at.tabs if t.label == "Similar images")
    found = all_shown(tab)  # no query image: its pixels are not on disk
    near = np.argsort(np.linalg.norm(ckpt.atlas.mu.numpy() - ckpt.atlas.mu[4].numpy(), axis=1),
                      kind="stable")[1:9]
    decoded = ckpt.ops.decode(ckpt.atlas.mu.numpy()[near])  # the latent row, decoded
    assert len(found) == 8 and all(png.mode == "RGB" for _, png in found)
    for (_, png), want in zip(found, decoded):
        np.testing.assert_allclose(pixels(png, 16), want, atol=1 / 255)


def test_a_conv_colour_model_32_pixels_a_side(monkeypatch, ckpt_dir, tmp_path, test_images):
    from aeexplorer.ui.explorer import live

    ckpt = _ckpt(ckpt_dir, CONV)
    at = _open(monkeypatch, ckpt_dir, tmp_path, CONV, a="-1,0", b="1,1", n="4")
    map_click(at, *ckpt.atlas.mu[3, :2].tolist(), index=3)
    assert not at.exception
    decoded = shown(at, "decoded code")
    assert decoded.mode == "RGB" and decoded.shown_width == 160  # 32 pixels: 5 times
    np.testing.assert_allclose(pixels(decoded, 32), ckpt.ops.decode(ckpt.atlas.mu[3].numpy())[0],
                               atol=1 / 255)
    hover = _mounted(at, "aeexplorer.live_hover")
    # its transposed convolutions run in the page too: the decoder goes there, no frames
    spec = hover["net"]["spec"]
    assert (spec["side"], spec["channels"], spec["layers"][-1]["type"]) == (32, 3, "convT")
    assert (hover["side"], hover["channels"], hover["px"]) == (32, 3, 160)
    play = _mounted(at, "aeexplorer.live_play")
    assert play["net"] == hover["net"] and play["frames"] == []
    # the server's decode at rest (a decoder too large for the page) still knows the colours
    rest = live.server_image(ckpt, "0.5000,-1.0000")
    server = Image.open(io.BytesIO(base64.b64decode(rest["uri"].split(",", 1)[1])))
    np.testing.assert_allclose(np.asarray(server, dtype=np.float32) / 255,
                               ckpt.ops.decode([0.5, -1.0])[0], atol=1 / 255)


def _photo(colour: tuple[int, int, int]) -> bytes:
    """A wide photo-like picture: a square of ``colour`` in its middle, on dark grey."""
    im = np.full((90, 150, 3), 20, np.uint8)
    im[25:65, 55:95] = colour
    buf = io.BytesIO()
    Image.fromarray(im).save(buf, format="PNG")
    return buf.getvalue()


def test_a_colour_upload_keeps_its_colours(monkeypatch, ckpt_dir, tmp_path, test_images):
    from aeexplorer.core.images.photo import prepare_bytes

    ckpt = _ckpt(ckpt_dir, DENSE)
    at = _open(monkeypatch, ckpt_dir, tmp_path, DENSE)
    assert _mounted(at, "aeexplorer.draw_pad")["colour"] is True  # a pen colour to choose
    data = _photo((30, 200, 40))
    at.file_uploader(key="upload_file").upload("green.png", data, "image/png")
    at.run()
    assert not at.exception
    given = shown(at, "16×16 input")
    assert given.mode == "RGB"
    want = prepare_bytes(data, ckpt.config, ckpt.dataset).image
    np.testing.assert_allclose(pixels(given, 16), want, atol=1 / 255)
    assert ink(want) == 1 and shown(at, "your image, centre boxed").mode == "RGB"
    landing = at.get("markdown")
    assert any("nearest test images vote **green**" in m.value for m in landing)


def test_an_unlabelled_model_shows_no_class_anywhere(monkeypatch, ckpt_dir, tmp_path,
                                                    test_images):
    ckpt = _ckpt(ckpt_dir, BARE)
    assert ckpt.class_names == () and (ckpt.atlas.labels == -1).all()
    at = _open(monkeypatch, ckpt_dir, tmp_path, BARE)
    assert not any(b.label == "Random pair" for b in at.button)  # no class to pick
    assert any(i.value.endswith("Or pick two test images above.") for i in at.info)
    map_click(at, *ckpt.atlas.mu[5, :2].tolist(), index=5)
    assert not at.exception
    page = "\n".join(m.value for m in at.markdown)
    assert "Test image #5** · z = " in page and "class **" not in page
    assert shown(at, "original").mode == "RGB"
    map_click(at, 0.2, 0.1)
    assert "Nearest test points" not in "\n".join(m.value for m in at.markdown)
    at.session_state["tool_tab"] = "Similar images"
    map_click(at, *ckpt.atlas.mu[5, :2].tolist(), index=5)
    assert not at.exception
    tab = next(t for t in at.tabs if t.label == "Similar images")
    text = "\n".join([m.value for m in tab.markdown] + [c.value for c in tab.caption])
    assert "Neighbours of **test image #5**" in text and "class" not in text.replace(
        'class="', "")
    assert "of the 8 appear in both rows." in text and " are " not in text
    captions = re.findall(r'alt="([^"]*)"', "".join(m.value for m in tab.markdown))
    assert len(captions) == 17 and all(re.fullmatch(r"query|\d+\.\d\d", c) for c in captions)
    at.file_uploader(key="upload_file").upload("pic.png", _photo((200, 30, 30)), "image/png")
    at.run()
    assert not at.exception
    assert any("Its 5 nearest test images are below." in m.value for m in at.markdown)
    assert shown(at, "12×12 input").mode == "RGB"


def _map_traces(at: AppTest) -> list[dict]:
    """The Explorer map's point traces (those carrying test indices), as the page sends them."""
    chart = next(c for c in at.get("plotly_chart") if "customdata" in c.proto.spec)
    spec = json.loads(chart.proto.spec)
    return [t for t in spec["data"] if t.get("customdata") is not None and t.get("name")
            and t.get("mode") == "markers" and t.get("hoverinfo") != "none"]


def test_dots_can_take_their_images_colours(monkeypatch, ckpt_dir, tmp_path, test_images):
    """The toggle paints each test image's dot in its decoded image's colour: the red class's
    dots come out red, the green class's green; the traces stay one per class."""
    at = _open(monkeypatch, ckpt_dir, tmp_path, DENSE)
    toggle = at.sidebar.toggle(key="by_colour")
    before = _map_traces(at)
    assert all(isinstance(t["marker"]["color"], str) for t in before)  # one colour a class
    toggle.set_value(True).run()
    assert not at.exception
    after = _map_traces(at)
    assert [t["name"] for t in after] == [t["name"] for t in before]
    for trace, channel in zip(after, (0, 1, 2)):  # classes 0, 1, 2: red, green, blue shapes
        rgb = np.array([[int(v) for v in re.findall(r"\d+", c)] for c in trace["marker"]["color"]])
        data = trace["customdata"]  # plotly sends typed arrays base64-encoded
        indices = (np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
                   if isinstance(data, dict) else np.asarray(data))
        assert len(rgb) == len(indices)
        assert (rgb.argmax(axis=1) == channel).mean() > 0.8


def test_grey_models_have_no_colour_toggle(monkeypatch, tmp_path):
    from tests.helpers.checkpoints import make_checkpoint

    folder = tmp_path / "grey"
    make_checkpoint(folder / "g.safetensors")
    at = open_app(monkeypatch, folder, tmp_path, query={"ckpt": "g.safetensors"})
    assert not at.exception
    assert not [t for t in at.sidebar.toggle if t.key == "by_colour"]
