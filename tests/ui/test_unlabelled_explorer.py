"""The Explorer on a model of unlabelled data (atlas labels -1, no class names), driven headless
by AppTest: the map in one neutral colour with no legend, no class controls in the sidebar or
the path tab, and no class named for a clicked test point, a spot of empty space or the
Similar tab's neighbours."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers.apptest import click, open_app

NAME = "apptest-unlabelled.safetensors"


def make_unlabelled(path: Path, n: int = 300) -> Path:
    """A tiny 28x28 grey VAE of a data set without labels: its atlas labels are all -1."""
    import torch

    from aeexplorer.core.checkpoints.file import Atlas, save_checkpoint
    from aeexplorer.core.models import ModelConfig, build_model

    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="vae", hidden=(32, 16))).eval()
    mu = torch.randn(n, 2, generator=torch.Generator().manual_seed(1))
    atlas = Atlas(mu, torch.full((n, 2), -2.0), torch.full((n,), -1))
    return save_checkpoint(path, model, "scribbles", atlas, train={"config": {"epochs": 1}},
                           metrics={"knn5_accuracy": None}, classes=())


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("unlabelled")
    make_unlabelled(folder / NAME)
    return folder


@pytest.fixture
def app(ckpt_dir, tmp_path, monkeypatch) -> AppTest:
    return open_app(monkeypatch, ckpt_dir, tmp_path / "no-data", query={"ckpt": NAME})


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [i.value for i in at.info])


def test_the_map_has_one_neutral_colour_and_no_class_controls(app):
    from aeexplorer.app import figures

    (chart,) = app.get("plotly_chart")
    spec = json.loads(chart.proto.spec)
    points = [t for t in spec["data"] if "customdata" in t and t.get("name") != "selected z"]
    assert len(points) == 1 and points[0]["showlegend"] is False
    assert points[0]["marker"]["color"] == figures.NEUTRAL
    assert "fullData.name" not in points[0]["hovertemplate"]
    labels = [w.label for w in app.selectbox]
    assert "Highlight a class" not in labels and "A: a random" not in labels
    assert "Find test image #" in [w.label for w in app.number_input]


def test_clicks_name_no_class(app):
    click(app, 0.1, 0.2, index=7)
    assert not app.exception
    shown = texts(app)
    assert "Test image #7" in shown and "class" not in shown.split("Test image #7")[1][:40]
    click(app, 2.5, -2.5)
    assert not app.exception
    assert "a point of empty space, decoded" in texts(app)
    assert "Nearest test points" not in texts(app)


def test_the_similar_tab_lists_neighbours_without_classes(app):
    app.session_state["tool_tab"] = "Similar images"
    click(app, 0.1, 0.2, index=7)
    assert not app.exception
    heads = [m.value for m in app.markdown if m.value.startswith("Neighbours of")]
    assert heads == ["Neighbours of **test image #7**"]
    captions = re.findall(r"<figcaption>([^<]*)</figcaption>", texts(app))
    assert len([c for c in captions if re.fullmatch(r"\d+\.\d\d", c)]) == 8  # distances only
    assert not [c.value for c in app.caption if " are " in c.value]  # no share of a class
    click(app, 2.5, -2.5)
    assert not app.exception
    heads = [m.value for m in app.markdown if m.value.startswith("Neighbours of")]
    assert len(heads) == 1 and "vote" not in heads[0] and "decoded point" in heads[0]


def test_an_upload_lands_without_a_vote(app):
    import io

    from tests.helpers.images import draw_digit

    buf = io.BytesIO()
    draw_digit("7", ink=0, paper=255).save(buf, format="PNG")
    app.file_uploader(key="upload_file").upload("seven.png", buf.getvalue(), "image/png")
    app.run()
    assert not app.exception
    landing = next(m.value for m in app.markdown if m.value.startswith("Lands at"))
    assert "vote" not in landing and "the star on the map" in landing
    app.session_state["tool_tab"] = "Similar images"
    app.button_group(key="sim_source").set_value("Your uploaded image").run()
    assert not app.exception
    heads = [m.value for m in app.markdown if m.value.startswith("Neighbours of")]
    assert len(heads) == 1 and heads[0].startswith("Neighbours of **your image") \
        and "vote" not in heads[0]
