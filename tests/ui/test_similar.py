"""The explorer's "Similar images" tab, driven by AppTest on tiny checkpoints: the latent and
pixel rows against brute-force neighbours, the query left out, k, an empty-space point, an
upload, and the message without the test images."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.helpers.apptest import click as map_click
from tests.helpers.apptest import open_app
from tests.helpers.checkpoints import make_checkpoint, make_deep_checkpoint
from tests.helpers.images import draw_digit

SMALL, FULL = "similar-small.safetensors", "similar-full.safetensors"
DEEP, CLICK = "similar-deep.safetensors", (1.5, -0.5)


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ckpts")
    make_checkpoint(folder / SMALL, n_atlas=200)
    make_checkpoint(folder / FULL, n_atlas=10_000)  # indexes the real test set
    make_deep_checkpoint(folder / DEEP, CLICK)
    return folder


def _app(monkeypatch, ckpt_dir: Path, data: Path, name: str) -> AppTest:
    at = open_app(monkeypatch, ckpt_dir, data, timeout=60, query={"ckpt": name})
    at.session_state["tool_tab"] = "Similar images"  # the search runs only in its open tab
    at.run()
    return at


def click(at: AppTest, x: float, y: float, index: int | None = None) -> None:
    map_click(at, x, y, index)
    assert not at.exception


def tab(at: AppTest):
    return next(t for t in at.tabs if t.label == "Similar images")


def tab_images(at: AppTest) -> list[tuple[str, np.ndarray]]:
    out = []
    for m in tab(at).markdown:
        found = re.search(r'src="data:image/png;base64,([^"]+)"[^>]*alt="([^"]*)"', m.value)
        if found:
            arr = np.asarray(Image.open(io.BytesIO(base64.b64decode(found.group(1)))))
            out.append((found.group(2), arr[:: arr.shape[0] // 28, :: arr.shape[1] // 28] / 255))
    return out


def tab_text(at: AppTest) -> str:
    t = tab(at)
    return "\n".join([m.value for m in t.markdown] + [c.value for c in t.caption] +
                     [i.value for i in t.info])


def _brute(rows: np.ndarray, q: np.ndarray, k: int,
           exclude: int | None) -> tuple[np.ndarray, np.ndarray]:
    d = np.sqrt(((rows.reshape(len(rows), -1).astype(np.float64) - q.reshape(-1)) ** 2).sum(1))
    if exclude is not None:
        d[exclude] = np.inf
    return np.argsort(d, kind="stable")[:k], np.sort(d)[:k]


def test_before_any_selection_the_tab_says_what_to_do(monkeypatch, ckpt_dir, tmp_path):
    at = _app(monkeypatch, ckpt_dir, tmp_path / "no-data", SMALL)
    assert "Select a point first" in tab_text(at)


def test_without_the_test_images_latent_neighbours_are_decoded(monkeypatch, ckpt_dir,
                                                               tmp_path):
    from aeexplorer.core.checkpoints.file import load_checkpoint

    at = _app(monkeypatch, ckpt_dir, tmp_path / "no-data", SMALL)
    click(at, 0.0, 0.0, index=7)
    ckpt = load_checkpoint(ckpt_dir / SMALL)
    mu = ckpt.atlas.mu.numpy()
    want, dist = _brute(mu, mu[7], 8, exclude=7)
    shown = tab_images(at)
    assert len(shown) == 8  # no query image: its pixels are not on disk
    for (caption, image), i, d in zip(shown, want, dist):
        assert caption == f"{i % 10} · {d:.2f}"  # the synthetic atlas: label = index % 10
        np.testing.assert_allclose(image, ckpt.ops.decode(mu[i])[0], atol=1 / 255)
    text = tab_text(at)
    assert "test image #7" in text and "not on this machine" in text
    assert "In pixel space" not in text


def test_a_test_image_neighbours_in_both_spaces(monkeypatch, ckpt_dir, data_root):
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.datasets.loading import load_split

    at = _app(monkeypatch, ckpt_dir, data_root, FULL)
    click(at, 0.0, 0.0, index=7)
    test = load_split("mnist", False)
    x, labels = test.images[:, 0].numpy(), test.labels.numpy()
    mu = load_checkpoint(ckpt_dir / FULL).atlas.mu.numpy()
    shown = tab_images(at)
    assert len(shown) == 1 + 8 + 8
    assert shown[0][0] == "query"
    np.testing.assert_allclose(shown[0][1], x[7], atol=1 / 255)
    z_idx, z_dist = _brute(mu, mu[7], 8, exclude=7)
    px_idx, px_dist = _brute(x, x[7], 8, exclude=7)
    for (caption, image), i, d in zip(shown[1:9], z_idx, z_dist):
        assert caption == f"{i % 10} · {d:.2f}"
        np.testing.assert_allclose(image, x[i], atol=1 / 255)
    for (caption, image), i, d in zip(shown[9:], px_idx, px_dist):
        assert caption == f"{labels[i]} · {d:.2f}"
        np.testing.assert_allclose(image, x[i], atol=1 / 255)
    text = tab_text(at)
    # class 7 % 10 from the atlas; the pixel row's classes are the real labels
    assert f"{sum(i % 10 == 7 for i in z_idx)} of 8 are 7." in text
    assert f"{sum(labels[i] == 7 for i in px_idx)} of 8 are 7." in text
    assert f"{len(set(z_idx) & set(px_idx))} of the 8 appear in both rows" in text


def test_k_from_the_slider(monkeypatch, ckpt_dir, data_root):
    at = _app(monkeypatch, ckpt_dir, data_root, FULL)
    click(at, 0.0, 0.0, index=3)
    at.slider(key="sim_k").set_value(13).run()
    assert not at.exception
    assert len(tab_images(at)) == 1 + 13 + 13
    assert "of 13 are" in tab_text(at)


def test_an_empty_point_searches_with_its_decoded_image(monkeypatch, ckpt_dir, data_root):
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.datasets.loading import load_split
    from aeexplorer.core.latent.neighbours import majority

    at = _app(monkeypatch, ckpt_dir, data_root, SMALL)
    click(at, 1.5, -0.5)
    ckpt = load_checkpoint(ckpt_dir / SMALL)
    decoded = ckpt.ops.decode([1.5, -0.5])[0]
    x = load_split("mnist", False).images[:, 0].numpy()
    shown = tab_images(at)
    np.testing.assert_allclose(shown[0][1], decoded, atol=1 / 255)
    px_idx, _ = _brute(x, decoded, 8, exclude=None)
    for (_, image), i in zip(shown[9:], px_idx):
        np.testing.assert_allclose(image, x[i], atol=1 / 255)
    mu = ckpt.atlas.mu.numpy()
    voters, _ = _brute(mu, np.array([1.5, -0.5]), 5, exclude=None)
    label = majority([i % 10 for i in voters])  # the synthetic atlas: label = index % 10
    assert f"vote of its 5 nearest codes: **{label}**" in tab_text(at)


def test_the_upload_as_query(monkeypatch, ckpt_dir, tmp_path):
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.latent.placement import place_bytes

    at = _app(monkeypatch, ckpt_dir, tmp_path / "no-data", SMALL)
    buf = io.BytesIO()
    draw_digit("7", ink=0, paper=255).save(buf, format="PNG")
    at.file_uploader(key="upload_file").upload("seven.png", buf.getvalue(), "image/png")
    at.run()
    assert not at.exception
    assert "Select a point first" in tab_text(at)  # the selected point is still the query
    at.button_group(key="sim_source").set_value("Your uploaded image").run()
    assert not at.exception
    placed = place_bytes(load_checkpoint(ckpt_dir / SMALL), buf.getvalue())  # as the app places it
    shown = tab_images(at)
    assert shown[0][0] == "query"
    np.testing.assert_allclose(shown[0][1], placed.steps.image, atol=1 / 255)
    assert len(shown) == 1 + 8
    name = placed.class_names[placed.vote]
    assert "Neighbours of **your image" in tab_text(at)
    assert f"vote of its 5 nearest codes: **{name}**" in tab_text(at)


def test_the_search_waits_until_its_tab_is_opened(monkeypatch, ckpt_dir, data_root):
    import aeexplorer.ui.explorer.similar as ui_similar

    calls = []
    real = ui_similar.chosen_query
    monkeypatch.setattr(ui_similar, "chosen_query", lambda *a: calls.append(1) or real(*a))
    at = _app(monkeypatch, ckpt_dir, data_root, FULL)
    at.session_state["tool_tab"] = "Interpolation path"
    click(at, 0.1, 0.2)
    assert calls == [] and "Neighbours of" not in tab_text(at)
    at.session_state["tool_tab"] = "Similar images"
    at.run()
    assert calls and "Neighbours of" in tab_text(at)


def test_an_empty_point_of_a_deeper_latent_is_searched_where_it_was_clicked(monkeypatch,
                                                                          ckpt_dir, tmp_path):
    from aeexplorer.core.checkpoints.file import load_checkpoint

    at = _app(monkeypatch, ckpt_dir, tmp_path / "no-data", DEEP)
    click(at, *CLICK)
    mu = load_checkpoint(ckpt_dir / DEEP).atlas.mu.numpy()
    want, dist = _brute(mu[:, :2], np.array(CLICK), 8, exclude=None)
    shown = tab_images(at)  # the decoded query, then the latent row
    assert [caption for caption, _ in shown[1:]] == [
        f"{3 if mu[i, 2] else 7} · {d:.2f}" for i, d in zip(want, dist)]
    assert [caption[0] for caption, _ in shown[1:6]] == ["3"] * 5  # the 5 nearest on the map
    text = tab_text(at)
    assert "vote of its 5 nearest codes: **3**" in text
    assert "distance on the map (z₁, z₂)" in text and "5 of 8 are 3." in text
