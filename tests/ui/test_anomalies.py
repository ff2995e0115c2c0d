"""The Anomalies page driven headless by AppTest: tiny checkpoints over the real test images
(skipped without them), and the message when the test images are absent."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.elements.plotly_chart import PlotlySelectionState
from streamlit.testing.v1 import AppTest
from streamlit.typing import PlotlyState

from aeexplorer.app import anomaly
from tests.helpers.apptest import open_app, plain
from tests.helpers.checkpoints import make_checkpoint
from tests.helpers.images import draw_digit, to_bytes

PAGE = "aeexplorer/ui/pages/anomalies.py"
NAME = "apptest-anom-ae"


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("anom-ckpts")
    make_checkpoint(folder / f"{NAME}.safetensors", kind="ae")
    return folder


@pytest.fixture(scope="module")
def expected(ckpt_dir, data_root):
    """Errors computed here, directly, for the tiny model on the real MNIST test set."""
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.datasets.loading import load_split

    split = load_split("mnist", False, data_root)
    ckpt = load_checkpoint(ckpt_dir / f"{NAME}.safetensors")
    return anomaly.score(ckpt, split.images[:, 0].numpy()).errors, split.labels.numpy()


def open_page(monkeypatch, ckpt_dir, data) -> AppTest:
    return open_app(monkeypatch, ckpt_dir, data, PAGE)


@pytest.fixture
def page(monkeypatch, ckpt_dir, data_root) -> AppTest:
    at = open_page(monkeypatch, ckpt_dir, data_root)
    pick = at.selectbox(key="anom_ckpt")
    pick.select_index(next(i for i, o in enumerate(pick.options) if o.startswith(NAME))).run()
    assert not at.exception
    return at


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_threshold_starts_at_the_99th_percentile_with_its_count(page, expected):
    errors, _ = expected
    assert page.title[0].value.startswith("Anomalies")
    assert len(page.get("plotly_chart")) == 2  # the histogram and the map
    threshold = page.slider(key="anom_threshold").value
    assert threshold == pytest.approx(np.percentile(errors, 99), abs=1e-4)
    above = anomaly.n_above(errors, threshold)
    assert 80 <= above <= 120
    assert f"**{above}** of 10,000 test images" in markdown(page)
    assert f"Above the threshold: the 16 worst of {above}" in [s.value for s in page.subheader]


def test_moving_the_threshold_updates_the_count_and_the_gallery(page, expected):
    errors, _ = expected
    worst = anomaly.worst(errors, 16)
    cut = float(errors[worst[5]]) - 1e-5  # the six worst lie above it
    page.slider(key="anom_threshold").set_value(round(cut, 4)).run()
    assert not page.exception
    value = page.slider(key="anom_threshold").value
    n = anomaly.n_above(errors, value)
    assert f"**{n}** of 10,000 test images" in markdown(page)
    assert 4 <= n <= 7  # the slider's grid is 1e-4: the cut may move by a step
    heads = [s.value for s in page.subheader]
    assert f"Above the threshold: all {n}" in heads
    assert "The next worst, below the threshold" in heads
    shown = [m.value for m in page.markdown if "ae-image" in m.value and "· " in m.value]
    assert len(shown) == 16
    for html, i in zip(shown, worst):  # worst first, each captioned with index and error
        assert f">#{i} · " in html and f"{errors[i]:.4f}<" in html


def test_the_worst_images_follow_the_slider_for_how_many(page):
    page.slider(key="anom_k").set_value(32).run()
    shown = [m.value for m in page.markdown if "ae-image" in m.value and "· " in m.value]
    assert len(shown) == 32


def test_a_click_on_the_map_shows_that_image_and_its_error(page, expected):
    errors, labels = expected
    i = int(anomaly.worst(errors, 3)[2])
    point = {"x": 0.0, "y": 0.0, "customdata": i, "curve_number": 0, "point_number": 0,
             "point_index": 0}
    selection = PlotlySelectionState({"points": [point], "point_indices": [0], "box": [],
                                      "lasso": []})
    page.session_state["anom_map"] = PlotlyState({"selection": selection})
    page.run()
    assert not page.exception
    text = markdown(page)
    assert f"**Test image #{i}** · class **{labels[i]}** · error **{errors[i]:.4f}**" in text
    assert "the 3rd worst of 10,000" in text
    assert any('alt="original"' in m.value for m in page.markdown)


def test_an_upload_gets_its_error_and_percentile(page, expected, ckpt_dir):
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.images.preprocess import preprocess_bytes

    errors, _ = expected
    digit = to_bytes(draw_digit("7", ink=0, paper=255))
    page.get("file_uploader")[0].upload("seven.png", digit, "image/png")
    page.run()
    assert not page.exception
    ckpt = load_checkpoint(ckpt_dir / f"{NAME}.safetensors")
    error, _ = anomaly.image_error(ckpt, preprocess_bytes(digit).image)
    share = np.floor(anomaly.percentile_of(errors, error) * 10) / 10
    line = next(m.value for m in page.markdown if m.value.startswith("Reconstruction error"))
    assert line == (f"Reconstruction error **{error:.4f}**: "
                    f"**higher than {share:.1f} % of test images**.")
    assert any('alt="28×28 input"' in m.value for m in page.markdown)


def test_a_bad_upload_gives_one_message(page):
    page.get("file_uploader")[0].upload("broken.png", b"\x89PNG not really", "image/png")
    page.run()
    assert not page.exception
    assert len(page.error) == 1
    assert "Could not use this image. broken.png" in plain(page.error[0].value)


def test_without_the_test_images_the_page_says_so(monkeypatch, ckpt_dir, tmp_path):
    at = open_page(monkeypatch, ckpt_dir, tmp_path / "no-data")
    assert not at.exception
    assert "need the test images" in at.warning[0].value
    shown = plain(at.warning[0].value)
    assert "looks for it in **…/MNIST/raw**" in shown  # the folder, not the server's whole path
    assert str(tmp_path) not in shown
    assert len(at.get("plotly_chart")) == 0


def test_the_server_path_is_shown_when_its_owner_asks(monkeypatch, ckpt_dir, tmp_path):
    monkeypatch.setenv("AEEXPLORER_SHOW_PATHS", "1")
    at = open_page(monkeypatch, ckpt_dir, tmp_path / "no-data")
    assert str(tmp_path / "no-data" / "MNIST" / "raw") in plain(at.warning[0].value)


def test_a_checkpoint_retrained_at_the_same_path_scores_the_upload_anew(monkeypatch, tmp_path,
                                                                         data_root):
    import os

    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.images.preprocess import preprocess_bytes

    path = make_checkpoint(tmp_path / "retrained-ae.safetensors", kind="ae", seed=3)
    at = open_page(monkeypatch, tmp_path, data_root)
    pick = at.selectbox(key="anom_ckpt")
    pick.select_index(next(i for i, o in enumerate(pick.options)
                           if o.startswith("retrained-ae"))).run()
    digit = to_bytes(draw_digit("8", ink=0, paper=255))
    at.get("file_uploader")[0].upload("eight.png", digit, "image/png")
    at.run()

    def line() -> str:
        return next(m.value for m in at.markdown if m.value.startswith("Reconstruction error"))

    def error_of(path) -> str:
        error, _ = anomaly.image_error(load_checkpoint(path), preprocess_bytes(digit).image)
        return f"Reconstruction error **{error:.4f}**"

    before = line()
    assert before.startswith(error_of(path))
    mtime = path.stat().st_mtime
    make_checkpoint(path, kind="ae", seed=4)  # retrained: new weights, same file name
    os.utime(path, (mtime + 10, mtime + 10))
    at.run()
    assert not at.exception
    assert line().startswith(error_of(path)) and line() != before


def test_an_empty_test_set_gets_a_message(monkeypatch, ckpt_dir, tmp_path):
    from aeexplorer.ui import anomalies, resources

    empty = (np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64))
    monkeypatch.setattr(resources, "test_split", lambda dataset, root, shape=None: empty)
    at = open_page(monkeypatch, ckpt_dir, tmp_path / "no-data")
    assert not at.exception
    assert [w.value for w in at.warning] == [anomalies.NO_IMAGES]
    assert len(at.get("plotly_chart")) == 0
    assert anomalies.higher_than(np.zeros(0, np.float32), 0.1).startswith("not comparable")


def test_no_container_shares_a_key_with_a_session_state_value():
    """A container's key names its element; the page's session-state values live under the
    module's key constants: one name must not mean both."""
    import ast
    import inspect

    from aeexplorer.ui import anomalies

    tree = ast.parse(inspect.getsource(anomalies))
    containers = {kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)
                  and getattr(node.func, "attr", None) == "container"
                  for kw in node.keywords if kw.arg == "key"}
    state = {v for k, v in vars(anomalies).items() if k.isupper() and isinstance(v, str)}
    assert containers and not containers & state
