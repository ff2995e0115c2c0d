"""The Explorer's settings and its URL survive a visit to every other page (Streamlit drops the
values of widgets a run does not draw); the URL restores the whole scene, the open tab and
what a click does included."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers.apptest import open_app
from tests.helpers.checkpoints import make_checkpoint

NAME = "apptest-tiny-vae.safetensors"
EXPLORER = "aeexplorer/ui/pages/explorer.py"
SCENE_URL = {"ckpt": NAME, "z": "0.2500,0.7500", "a": "-1.0000,0.0000", "b": "1.0000,0.0000",
             "n": "6", "m": "slerp", "seed": "42", "t": "0.7", "k": "9", "ps": "1",
             "c": "stop", "tab": "samples"}


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ckpts")
    make_checkpoint(folder / NAME, kind="vae")
    return folder


@pytest.fixture
def app(ckpt_dir, tmp_path, monkeypatch) -> AppTest:
    return open_app(monkeypatch, ckpt_dir, tmp_path / "no-data", timeout=60, query=SCENE_URL)


def url(at: AppTest) -> dict[str, str]:
    return {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}


def settings(at: AppTest) -> dict:
    ss = at.session_state
    return {key: ss[key] for key in ("frames", "method", "seed", "temperature", "n_samples",
                                     "show_samples", "click_mode", "tool_tab", "class_a",
                                     "class_b", "index_b", "sim_k")}


def test_the_url_restores_the_open_tab_and_the_click_mode(app):
    assert app.session_state["tool_tab"] == "Samples from the prior"
    assert app.session_state["click_mode"] == "Add a path stop"
    assert url(app) == SCENE_URL  # nothing in the link was lost or rewritten


@pytest.mark.parametrize("page", ["compare", "anomalies", "denoise", "train"])
def test_every_setting_and_the_url_survive_a_visit_to_another_page(app, page):
    app.selectbox(key="class_a").set_value(5).run()
    app.number_input(key="index_b").set_value(17).run()
    app.slider(key="sim_k").set_value(12).run()
    before, link = settings(app), url(app)
    app.switch_page(f"aeexplorer/ui/pages/{page}.py").run()
    assert not app.exception
    app.switch_page(EXPLORER).run()
    assert not app.exception
    assert settings(app) == before
    assert app.slider(key="frames").value == 6 and app.slider(key="temperature").value == 0.7
    assert url(app) == link
    app.slider(key="n_samples").set_value(10).run()  # the next action keeps the rest
    assert url(app) == {**link, "k": "10"}


def test_explore_it_from_another_page_keeps_the_scene_of_the_same_model(app):
    from aeexplorer.ui import state

    link = url(app)
    app.switch_page("aeexplorer/ui/pages/train.py").run()
    scene = app.session_state["scene"]  # the scene outlives the page switch
    assert scene.ckpt == NAME and scene.frames == 6
    app.switch_page(state.EXPLORER_PAGE).run()  # where Train's "Explore it" goes
    assert not app.exception and url(app) == link


def _stops_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**A**"))


def test_a_stop_goes_between_two_others_and_the_stops_are_named_in_walking_order(app):
    from tests.helpers.apptest import click

    app.session_state["scene"].stops.clear()
    app.run()
    for x in (0.0, 1.0, 2.0):  # A, B, C at the end
        click(app, x, 0.0)
    box = app.selectbox(key="stop_at")
    assert box.options[0].startswith("at the end") and "between A and B" in box.options
    box.set_value(1).run()  # between A and B
    click(app, 0.5, 0.5)
    click(app, 0.75, 0.5)  # the next click goes after the one just inserted
    assert not app.exception
    assert app.session_state["scene"].stops == [(0.0, 0.0), (0.5, 0.5), (0.75, 0.5),
                                                (1.0, 0.0), (2.0, 0.0)]
    assert app.selectbox(key="stop_at").value == 3  # still before the old B, now D
    assert [n for n in "ABCDE" if f"**{n}**" in _stops_text(app)] == list("ABCDE")
    assert url(app)["wp"] == "0.7500,0.5000;1.0000,0.0000;2.0000,0.0000"
    app.selectbox(key="stop_pick").set_value("B").run()  # remove B, the first one inserted
    next(b for b in app.button if b.label == "Remove it").click().run()
    assert app.session_state["scene"].stops == [(0.0, 0.0), (0.75, 0.5), (1.0, 0.0),
                                                (2.0, 0.0)]
    next(b for b in app.button if b.label == "Undo stop").click().run()  # the last added
    assert app.session_state["scene"].stops == [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)]
    assert not app.exception


def _map_traces(at: AppTest) -> list[dict]:
    return json.loads(at.get("plotly_chart")[0].proto.spec)["data"]


def _array(value) -> list:
    """A trace's array as Plotly sends it: a list, or typed bytes in base64."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), value["dtype"]).tolist()
    return list(value)


def test_find_a_test_image_or_a_class_and_the_neighbours_are_ringed(app, ckpt_dir):
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.latent.neighbours import nearest

    app.number_input(key="find_index").set_value(12).run()
    assert not app.exception
    assert app.session_state["scene"].index == 12 and url(app)["i"] == "12"  # and selected
    found = [t for t in _map_traces(app) if t.get("name") == "found"]
    assert len(found) == 1 and _array(found[0]["customdata"]) == [12]
    app.selectbox(key="find_class").set_value(3).run()
    classes = [t for t in _map_traces(app) if t.get("showlegend") is not False
               and t.get("customdata") is not None]
    faded = [i for i, t in enumerate(classes) if t["marker"]["opacity"] < 0.2]
    assert len(classes) == 10 and faded == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    # the Similar images tab open: the selected image's nearest codes are ringed on the map
    app.session_state["tool_tab"] = "Similar images"
    app.slider(key="sim_k").set_value(5).run()
    assert not app.exception
    ringed = [t for t in _map_traces(app) if t.get("name") == "nearest neighbour"]
    atlas = load_checkpoint(ckpt_dir / NAME).atlas
    want = nearest(atlas.mu.numpy(), atlas.labels.numpy(), atlas.mu[12].numpy(), 5, 12)
    assert len(ringed) == 1 and _array(ringed[0]["customdata"]) == want.indices.tolist()
    assert any("Neighbours of **test image #12**" in m.value for m in app.markdown)
    app.session_state["tool_tab"] = "Interpolation path"
    app.run()
    assert not [t for t in _map_traces(app) if t.get("name") == "nearest neighbour"]


def test_a_z_that_rounds_to_zero_reads_zero():
    from aeexplorer.ui.latent_map import fmt_z

    assert fmt_z([-0.00002, -10.0004, 0.4]) == "(0.000, -10.000, 0.400)"
