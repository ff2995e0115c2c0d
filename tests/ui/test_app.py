"""The Streamlit app driven headless by AppTest on tiny random checkpoints (no browser, no
data set): clicks are simulated by setting the chart's selection state."""

from __future__ import annotations

import json

import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.elements.plotly_chart import PlotlySelectionState
from streamlit.testing.v1 import AppTest
from streamlit.typing import PlotlyState

from tests.helpers import REPO
from tests.helpers.apptest import click as map_click
from tests.helpers.apptest import open_app, plain, shown_image
from tests.helpers.checkpoints import make_checkpoint

NAME = "apptest-tiny-vae.safetensors"


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ckpts")
    make_checkpoint(folder / NAME, kind="vae")
    make_checkpoint(folder / "apptest-tiny-ae.safetensors", kind="ae", dataset="fashion")
    make_checkpoint(folder / "apptest-polished-ae.safetensors", kind="ae", refine=30)
    (folder / "apptest-broken.safetensors").write_bytes(b"this is not a checkpoint")
    return folder


@pytest.fixture
def app(ckpt_dir, tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("AEEXPLORER_CHECKPOINT_DIRS", str(ckpt_dir))
    monkeypatch.setenv("AEEXPLORER_DATA", str(tmp_path / "no-data"))  # originals: absent
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.query_params["ckpt"] = NAME
    return at


def click(at: AppTest, x: float, y: float, index: int | None = None) -> None:
    map_click(at, x, y, index)


def text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(i.value for i in at.info)


def test_starts_with_the_model_card_and_the_map(app):
    app.run()
    assert not app.exception
    assert app.title[0].value == "The latent space, decoded"
    sidebar = "\n".join(m.value for m in app.sidebar.markdown)
    assert "MNIST digits" in sidebar and "VAE" in sidebar and "5-NN accuracy" in sidebar
    assert "Click anywhere on the map" in app.info[0].value
    assert "polished" not in sidebar


def test_the_model_card_says_when_the_decoder_polishes_the_codes(app):
    app.query_params["ckpt"] = "apptest-polished-ae.safetensors"
    app.run()
    assert not app.exception
    sidebar = "\n".join(m.value for m in app.sidebar.markdown)
    assert "2-D latent · codes polished (30 steps)" in sidebar


def test_a_bookmark_keeps_the_checkpoint_and_the_selected_point(app, ckpt_dir, monkeypatch):
    """The app writes the scene to the URL (here another checkpoint than the link's, and a
    clicked test point); a new session opened on that URL shows the same selection."""
    from aeexplorer.app.scene import format_point

    app.run()
    app.selectbox(key="ckpt_pick").set_value("apptest-tiny-ae.safetensors").run()
    click(app, 0.1, 0.2, index=7)
    assert not app.exception
    url = {k: v[0] if isinstance(v, list) else v for k, v in app.query_params.items()}
    assert url["ckpt"] == "apptest-tiny-ae.safetensors"
    assert url["z"] == format_point((0.1, 0.2)) and url["i"] == "7"
    again = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    for k, v in url.items():
        again.query_params[k] = v
    again.run()
    assert not again.exception
    assert again.selectbox(key="ckpt_pick").value == "apptest-tiny-ae.safetensors"
    assert again.session_state["scene"].z == (0.1, 0.2)
    assert "Test image #7" in text(again)


def test_click_on_empty_space_decodes_that_z(app, ckpt_dir):
    from aeexplorer.app import views
    from aeexplorer.core.checkpoints.file import load_checkpoint

    app.run()
    click(app, 0.5, -0.25)
    assert not app.exception
    assert app.session_state["scene"].z == (0.5, -0.25)
    # no test image there: named by how near the nearest code is, on the map's scale
    xy = views.map_xy(load_checkpoint(ckpt_dir / NAME).atlas.mu.numpy())
    gap = float(np.linalg.norm(xy - np.array([0.5, -0.25]), axis=1).min())
    empty = views.is_empty_space(gap, views.map_bounds(xy))
    assert "z = (0.500, -0.250)" in text(app)
    assert ("a point of empty space" if empty else "a point among the test images") in text(app)
    click(app, 40.0, 40.0)  # far beyond every code
    assert "a point of empty space" in text(app)
    click(app, 0.5, -0.25)
    want = load_checkpoint(ckpt_dir / NAME).ops.decode([0.5, -0.25])[0]
    np.testing.assert_allclose(shown_image(app, "decoded z"), want, atol=1 / 255)
    assert len(app.get("image")) >= 1  # the prior samples
    ckpt = load_checkpoint(ckpt_dir / NAME)  # the classes of the 5 nearest points on the map
    d = np.linalg.norm(ckpt.atlas.mu.numpy() - np.array([0.5, -0.25]), axis=1)
    names = " · ".join(str(int(ckpt.atlas.labels[i])) for i in np.argsort(d, kind="stable")[:5])
    assert f"Nearest test points, nearest first: {names}</span>" in text(app)


def test_click_on_a_point_without_data_says_so_politely(app):
    app.run()
    click(app, 0.1, 0.2, index=7)
    assert not app.exception
    assert app.session_state["scene"].index == 7
    assert "Test image #7" in text(app) and "class **7**" in text(app)
    assert "The original is not available" in text(app)


def test_path_stops_by_clicking_then_strip_and_downloads(app):
    app.run()
    app.session_state["click_mode"] = "Add a path stop"
    click(app, -1.0, -1.0)
    assert "Now click B" in "\n".join(i.value for i in app.info)
    click(app, 1.0, 1.0)
    click(app, 1.0, -1.0)
    assert not app.exception
    assert len(app.session_state["scene"].stops) == 3
    assert any("**A**" in m.value and "**C**" in m.value for m in app.markdown)
    app.slider(key="frames").set_value(5).run()
    app.radio(key="method").set_value("slerp").run()
    assert not app.exception
    assert app.session_state["scene"].stops[2] == (1.0, -1.0)


def test_random_pair_of_classes(app):
    app.run()
    app.selectbox(key="class_a").set_value(3)
    app.selectbox(key="class_b").set_value(8)
    app.button[[b.label for b in app.button].index("Random pair")].click().run()
    assert not app.exception
    stops = app.session_state["scene"].stops
    assert len(stops) == 2
    assert app.session_state["scene"].index % 10 == 3  # the synthetic atlas: label = index % 10


def test_samples_controls(app):
    app.run()
    app.toggle(key="show_samples").set_value(True).run()
    app.slider(key="n_samples").set_value(9).run()
    seed = app.session_state["seed"]
    app.button[[b.label for b in app.button].index("New seed")].click().run()
    assert not app.exception
    assert app.session_state["seed"] == seed + 1
    assert len(app.get("image")) >= 1


def test_scene_restored_from_the_url(ckpt_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("AEEXPLORER_CHECKPOINT_DIRS", str(ckpt_dir))
    monkeypatch.setenv("AEEXPLORER_DATA", str(tmp_path))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    for k, v in {"ckpt": NAME, "z": "0.25,0.75", "a": "-1,0", "b": "1,0", "wp": "0,1;0,-1",
                 "seed": "42", "talk": "1", "n": "6", "m": "slerp", "ps": "1"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    s = at.session_state["scene"]
    assert s.z == (0.25, 0.75) and s.stops == [(-1.0, 0.0), (1.0, 0.0), (0.0, 1.0), (0.0, -1.0)]
    assert at.session_state["seed"] == 42 and at.session_state["talk"] is True
    assert at.session_state["frames"] == 6 and at.session_state["method"] == "slerp"
    assert at.session_state["show_samples"] is True
    assert "z = (0.250, 0.750)" in text(at)


def test_a_link_without_a_checkpoint_restores_its_scene_on_the_default_model(ckpt_dir,
                                                                              monkeypatch):
    at = open_app(monkeypatch, ckpt_dir, None, timeout=60,
                  query={"z": "0.25,0.75", "i": "3", "a": "-1,0", "b": "1,0"})
    s = at.session_state["scene"]
    assert s.ckpt == "mnist-vae.safetensors"  # the default: the first MNIST VAE
    assert s.z == (0.25, 0.75) and s.index == 3 and s.stops == [(-1.0, 0.0), (1.0, 0.0)]
    assert at.query_params["ckpt"] == ["mnist-vae.safetensors"] or \
        at.query_params["ckpt"] == "mnist-vae.safetensors"
    assert at.query_params["i"] in ("3", ["3"])


def test_the_tabs_changes_reach_the_url(app):
    """The map view writes the scene to the URL; what the tabs change (here a random pair
    of stops and the seed) is in it after their run."""
    from aeexplorer.app.scene import format_point

    app.run()
    next(b for b in app.button if b.label == "Random pair").click().run()
    app.number_input(key="seed").set_value(9).run()
    assert not app.exception
    query = {k: app.query_params[k] for k in ("a", "b", "seed")}
    a, b = app.session_state["scene"].stops
    assert {k: v[0] if isinstance(v, list) else v for k, v in query.items()} == {
        "a": format_point(a), "b": format_point(b), "seed": "9"}


def test_switching_checkpoint_resets_the_scene(app):
    app.run()
    click(app, 0.5, 0.5)
    app.selectbox(key="ckpt_pick").set_value("apptest-tiny-ae.safetensors").run()
    assert not app.exception
    assert app.session_state["scene"].z is None
    assert "Fashion-MNIST" in "\n".join(m.value for m in app.sidebar.markdown)


def test_a_broken_checkpoint_is_listed_as_unusable_and_a_link_to_it_says_why(app):
    app.query_params["ckpt"] = "apptest-broken.safetensors"
    app.run()
    assert not app.exception
    warning = app.warning[0].value
    assert "cannot be used" in warning and "not a safetensors file" in warning
    assert "instead" in warning  # the default model is shown
    options = app.selectbox(key="ckpt_pick").options
    assert not any("broken" in o for o in options) and any("apptest-tiny-vae" in o for o in options)
    note = app.sidebar.expander[0]
    assert note.label == "1 checkpoint file cannot be used"
    assert "apptest\\-broken\\.safetensors" in note.markdown[0].value


def test_no_checkpoints_explains_how_to_train(tmp_path, monkeypatch):
    shutil.copy(REPO / "app.py", tmp_path / "app.py")  # the root is where the pages are
    shutil.copytree(REPO / "aeexplorer/ui/pages", tmp_path / "aeexplorer/ui/pages")
    monkeypatch.setenv("AEEXPLORER_CHECKPOINT_DIRS", str(tmp_path / "nothing-here"))
    at = AppTest.from_file(str(tmp_path / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception
    assert "python -m aeexplorer train" in at.info[0].value


def test_an_empty_selection_changes_nothing(app):
    app.run()
    click(app, 0.5, 0.5)
    empty = PlotlySelectionState({"points": [], "point_indices": [], "box": [], "lasso": []})
    app.session_state["map"] = PlotlyState({"selection": empty})
    app.run()
    assert not app.exception
    assert app.session_state["scene"].z == (0.5, 0.5)


def test_a_selection_is_applied_once_across_reruns(app):
    app.run()
    app.session_state["click_mode"] = "Add a path stop"
    click(app, 0.25, 0.25)
    app.slider(key="frames").set_value(4).run()  # another widget reruns: the chart state stays
    app.run()
    assert app.session_state["scene"].stops == [(0.25, 0.25)]


def test_manifold_and_talk_mode_toggles(app):
    app.run()
    app.toggle(key="manifold").set_value(True).run()
    app.toggle(key="talk").set_value(True).run()
    assert not app.exception
    assert app.query_params["mf"] in ("1", ["1"]) and app.query_params["talk"] in ("1", ["1"])
    assert any("font-size: 22px" in h.proto.body for h in app.get("html"))


def test_weights_that_do_not_load_give_a_message_under_the_map(tmp_path, monkeypatch):
    """The map is drawn from the atlas alone; a file whose weights do not fit its config is
    found out when the model loads, and the page says so instead of raising."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    good = make_checkpoint(tmp_path / "good.safetensors")
    with safe_open(str(good), framework="pt") as fh:
        metadata = fh.metadata()
    tensors = load_file(str(good))
    key = next(k for k in tensors if k.startswith("model.") and k.endswith("weight"))
    tensors[key] = tensors[key][:-1].contiguous()  # one row short of what the config builds
    folder = tmp_path / "ckpts"
    folder.mkdir()
    save_file(tensors, str(folder / "bad-weights.safetensors"), metadata=metadata)
    monkeypatch.setenv("AEEXPLORER_CHECKPOINT_DIRS", str(folder))
    monkeypatch.setenv("AEEXPLORER_DATA", str(tmp_path / "no-data"))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.query_params["ckpt"] = "bad-weights.safetensors"
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1
    assert "model cannot be loaded" in at.error[0].value and key in plain(at.error[0].value)
    at.toggle(key="manifold").set_value(True).run()  # the manifold needs the model too
    assert not at.exception and "model cannot be loaded" in at.error[0].value


@pytest.mark.parametrize("page", ["anomalies", "denoise", "train", "compare"])
def test_talk_mode_follows_the_presenter_to_every_page(app, page):
    app.run()
    app.toggle(key="talk").set_value(True).run()
    app.switch_page(f"aeexplorer/ui/pages/{page}.py").run()
    # AppTest's first run of a new page draws a persisted widget at its default (a browser
    # does not: checked with Chromium); the next run has the session's value
    app.run()
    assert not app.exception
    assert app.toggle(key="talk").value is True
    assert any("font-size: 22px" in h.proto.body for h in app.get("html"))  # large type


def _ranges(at: AppTest) -> tuple[list, list]:
    layout = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    return layout["xaxis"]["range"], layout["yaxis"]["range"]


def test_prior_samples_never_rescale_the_map(app):
    """The map's ranges are the atlas's: samples drawn far out (the largest temperature)
    are marked on the map as it was, not on a map zoomed out to hold them."""
    app.query_params.update(t="3", k="100", seed="3")
    app.run()
    before = _ranges(app)
    app.toggle(key="show_samples").set_value(True).run()
    assert not app.exception
    traces = json.loads(app.get("plotly_chart")[0].proto.spec)["data"]
    assert "prior samples" in [t.get("name") for t in traces]
    assert _ranges(app) == before
