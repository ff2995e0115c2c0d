"""The Explorer's "Download this view as one page": offered with or without a walk, its file
holds the scene on screen (the path, the selected point, the highlighted class) as the URL has
it, and the highlighted class goes into the URL and comes back from a link."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from aeexplorer.ui.explorer.onepage import LABEL
from tests.helpers.apptest import open_app
from tests.helpers.checkpoints import make_checkpoint

NAME = "apptest-onepage-vae.safetensors"


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ckpts")
    make_checkpoint(folder / NAME, kind="vae")
    return folder


@pytest.fixture
def seen(monkeypatch) -> dict:
    """What the download buttons are given, by label."""
    from streamlit.delta_generator import DeltaGenerator

    got: dict = {}
    real = DeltaGenerator.download_button

    def download(self, label, data, *args, **kwargs):
        got[label] = data
        return real(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", download)
    return got


def page_data(page: bytes) -> dict:
    found = re.search(rb'<script type="application/json" id="aeexplorer-data">(.*?)</script>',
                      page, re.S)
    return json.loads(found.group(1))


def classes_faded(data: dict) -> list[bool]:
    return [t["marker"]["opacity"] < 0.2 for t in data["figure"]["data"]
            if t.get("customdata") is not None and t.get("showlegend") is not False]


def url(at: AppTest) -> dict[str, str]:
    return {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}


def test_the_file_holds_the_scene_on_screen(monkeypatch, ckpt_dir, tmp_path, seen):
    at = open_app(monkeypatch, ckpt_dir, tmp_path / "no-data", timeout=60,
                  query={"ckpt": NAME, "z": "0.2500,0.7500", "hl": "4"})
    assert at.session_state["find_class"] == 4 and url(at)["hl"] == "4"
    data = page_data(seen[LABEL]())  # offered with no walk yet
    assert data["name"] == NAME and data["walk"] is None
    assert data["selected"]["z"][:2] == [0.25, 0.75]
    assert classes_faded(data) == [i != 4 for i in range(10)]
    # a walk, and another class highlighted: the next file has both
    at.session_state["scene"].stops = [(-1.0, 0.0), (1.0, 1.0)]
    at.selectbox(key="find_class").set_value(7).run()
    assert not at.exception and url(at)["hl"] == "7"
    data = page_data(seen[LABEL]())
    assert data["walk"]["stops"] == 2 and classes_faded(data) == [i != 7 for i in range(10)]
    at.selectbox(key="find_class").set_value(None).run()
    assert "hl" not in url(at) and not any(classes_faded(page_data(seen[LABEL]())))


def test_a_link_highlighting_a_class_the_model_lacks_highlights_none(monkeypatch, ckpt_dir,
                                                                       tmp_path):
    at = open_app(monkeypatch, ckpt_dir, tmp_path / "no-data", timeout=60,
                  query={"ckpt": NAME, "hl": "57"})
    assert not at.exception and at.session_state["find_class"] is None
    assert "hl" not in url(at)
