"""The Compare page driven headless by AppTest on tiny checkpoints: the figures table, the
pickers (B and C from A's dataset, C optional), and the shared selection of the two or three
maps (clicks simulated by setting a chart's selection state)."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.helpers import REPO
from tests.helpers.apptest import click as map_click
from tests.helpers.apptest import open_app, plain
from tests.helpers.checkpoints import make_checkpoint, make_deep_checkpoint

PAGE = "aeexplorer/ui/pages/compare.py"


def app_copy(root: Path) -> Path:
    """The app's entry points under ``root``, with an empty checkpoint folder (returned)."""
    shutil.copy(REPO / "app.py", root / "app.py")
    shutil.copytree(REPO / "aeexplorer/ui/pages", root / "aeexplorer/ui/pages")
    (root / "ckpts").mkdir()
    return root / "ckpts"


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """The app without the shipped checkpoints: only the tiny ones below are listed."""
    root = tmp_path_factory.mktemp("app")
    folder = app_copy(root)
    make_checkpoint(folder / "mnist-vae-tiny.safetensors", kind="vae", seed=0)
    make_checkpoint(folder / "mnist-ae-tiny.safetensors", kind="ae", seed=1, n_atlas=150)
    make_checkpoint(folder / "fashion-ae-tiny.safetensors", kind="ae", dataset="fashion")
    (folder / "zz-broken.safetensors").write_bytes(b"not a checkpoint")
    return root


def _app(root: Path, monkeypatch, data: Path) -> AppTest:
    return open_app(monkeypatch, root / "ckpts", data, PAGE, app=root / "app.py", timeout=60)


@pytest.fixture
def app(root, tmp_path, monkeypatch) -> AppTest:
    return _app(root, monkeypatch, tmp_path / "no-data")  # originals: absent


@pytest.fixture
def app_with_data(root, data_root, monkeypatch) -> AppTest:
    return _app(root, monkeypatch, data_root)


def click(at: AppTest, side: str, x: float, y: float, index: int | None = None) -> None:
    map_click(at, x, y, index, key=f"cmp_map_{side}")
    assert not at.exception


def images(at: AppTest) -> dict[str, str]:
    """Captions of the inline images shown, each to its markdown."""
    found = {}
    for m in at.markdown:  # a block holds a row of images: each its own figure
        for figure in re.findall(r'<figure.*?</figure>', m.value):
            found[html.unescape(re.search(r'alt="([^"]*)"', figure).group(1))] = figure
    return found


def pixels(markdown: str) -> np.ndarray:
    """An inline image back at 28x28 in [0, 1]."""
    data = re.search(r'src="data:image/png;base64,([^"]+)"', markdown).group(1)
    arr = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))
    return arr[:: arr.shape[0] // 28, :: arr.shape[1] // 28] / 255.0


def marker(at: AppTest, n: int) -> list[float] | None:
    """Where map n (0 = A, 1 = B, 2 = C) marks the selection."""
    spec = json.loads(at.get("plotly_chart")[n].proto.spec)
    marks = [t for t in spec["data"] if t.get("name") == "selected z"]
    return [marks[0]["x"][0], marks[0]["y"][0]] if marks else None


def atlas_xy(root: Path, name: str, index: int) -> list[float]:
    from aeexplorer.core.checkpoints.header import read_atlas

    return read_atlas(root / "ckpts" / f"{name}.safetensors")[0][index].tolist()


def test_table_of_every_readable_checkpoint(app):
    p = app.dataframe[0].proto
    shown = pa.ipc.open_stream(p.arrow_data.styler.display_values).read_all().to_pandas()
    assert shown["name"].tolist() == ["fashion-ae-tiny", "mnist-ae-tiny", "mnist-vae-tiny"]
    assert shown["dataset"].tolist() == ["Fashion-MNIST", "MNIST digits", "MNIST digits"]
    assert shown["family"].tolist() == ["AE", "AE", "VAE"]
    assert shown["neg_elbo"].tolist() == ["–", "–", "203.0"]  # none for an autoencoder
    assert shown["recon_mse"].tolist() == ["0.0600"] * 3
    assert shown["knn5_accuracy"].tolist() == ["50.0%"] * 3
    assert shown["parameters"].tolist() == ["–"] * 3  # the test files do not store these
    assert shown["train_seconds"].tolist() == ["–"] * 3
    values = app.dataframe[0].value
    assert np.isnan(values["neg_elbo"][0]) and values["neg_elbo"][2] == 203.0  # still numbers
    labels = {k: v.get("label") for k, v in json.loads(p.columns).items()}
    assert labels["recon_mse"] == "Recon MSE" and labels["neg_elbo"] == "−ELBO"
    note = app.sidebar.expander[0]  # listed with why, left out of the table and pickers
    assert note.label == "1 checkpoint file cannot be used"
    assert "zz-broken.safetensors is not a safetensors file" in plain(note.markdown[0].value)


def test_model_b_is_picked_from_model_a_dataset(app):
    a, b = app.selectbox(key="cmp_a"), app.selectbox(key="cmp_b:mnist")
    assert a.value == 2 and "mnist-vae-tiny" in a.options[a.value]  # preferred: an MNIST VAE
    assert [o.split(" · ")[0] for o in b.options] == ["mnist-ae-tiny", "mnist-vae-tiny"]
    assert "mnist-ae-tiny" in b.options[b.value]  # another model than A
    c = app.selectbox(key="cmp_c:mnist")  # optional: no third model of MNIST here, so none
    assert c.value == 0 and c.options[0] == "none: two maps"
    assert len(app.get("plotly_chart")) == 2
    assert any("Click a test point on any map" in cap.value for cap in app.caption)
    app.selectbox(key="cmp_a").set_value(0).run()  # fashion-ae-tiny
    assert not app.exception
    b = app.selectbox(key="cmp_b:fashion")
    assert [o.split(" · ")[0] for o in b.options] == ["fashion-ae-tiny"]
    assert any("same model" in c.value and "only one" in c.value for c in app.caption)


def test_a_point_clicked_on_a_is_selected_on_both_maps(app, root):
    assert marker(app, 0) is None and marker(app, 1) is None
    click(app, "a", *atlas_xy(root, "mnist-vae-tiny", 7), index=7)
    assert app.session_state["cmp_sel"].index == 7
    # A keeps the clicked point (the browser shows it picked); B marks image 7 at its code
    assert marker(app, 0) is None
    assert marker(app, 1) == pytest.approx(atlas_xy(root, "mnist-ae-tiny", 7))
    shown = images(app)
    assert list(shown) == ["decoded"]  # A's and B's: no originals here, so no MSE either
    text = plain("\n".join(m.value for m in app.markdown))
    assert "**A** · VAE" in text and "**B** · AE" in text
    assert any("Test image #7" in c.value and "not on this machine" in c.value
               for c in app.caption)
    assert sum("decoded" in m.value for m in app.markdown) == 2
    assert not any("MSE" in caption for caption in shown)
    click(app, "b", *atlas_xy(root, "mnist-ae-tiny", 12), index=12)
    assert app.session_state["cmp_sel"].index == 12
    assert marker(app, 0) == pytest.approx(atlas_xy(root, "mnist-vae-tiny", 12))


def test_empty_space_decodes_and_selects_the_nearest_test_image(app, root):
    from aeexplorer.core.checkpoints.file import load_checkpoint

    click(app, "b", 2.5, -2.5)
    b = load_checkpoint(root / "ckpts" / "mnist-ae-tiny.safetensors")
    want = np.argmin(((b.atlas.mu.numpy() - [2.5, -2.5]) ** 2).sum(1))
    sel = app.session_state["cmp_sel"]
    assert (sel.index, sel.side, sel.z) == (want, "b", (2.5, -2.5))
    assert "clicked z" in images(app)
    assert any("empty space on map B" in c.value and f"#{sel.index}" in c.value
               for c in app.caption)
    assert marker(app, 0) == pytest.approx(atlas_xy(root, "mnist-vae-tiny", sel.index))
    np.testing.assert_allclose(pixels(images(app)["clicked z"]),
                               b.ops.decode([2.5, -2.5])[0], atol=1 / 255)


def test_an_index_beyond_one_atlas_says_so(app):
    click(app, "a", 0.0, 0.0, index=180)  # A's atlas has 200 codes, B's only 150
    assert not app.exception
    assert any("no test image #180" in c.value for c in app.caption)


def test_a_new_dataset_clears_the_selection(app):
    click(app, "a", 0.1, 0.1, index=3)
    app.selectbox(key="cmp_a").set_value(0).run()  # fashion
    assert not app.exception
    assert app.session_state["cmp_sel"] is None
    assert any("Click a test point on any map" in c.value for c in app.caption)


def test_with_the_test_images_each_decoded_code_has_its_mse(app_with_data, root):
    from aeexplorer.app.anomaly import mse as image_mse
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.datasets.loading import load_split

    click(app_with_data, "a", 0.2, 0.3, index=5)
    original = load_split("mnist", False).images[5, 0].numpy()
    shown = images(app_with_data)
    assert f"test image #5 · {5 % 10}" in shown  # the synthetic atlas: label = index % 10
    for name in ("mnist-vae-tiny", "mnist-ae-tiny"):
        ckpt = load_checkpoint(root / "ckpts" / f"{name}.safetensors")
        err = image_mse(original, ckpt.ops.decode(ckpt.atlas.mu[5].numpy())[0])
        assert f"decoded · MSE {err:.4f}" in shown


def test_empty_space_on_a_deeper_latent_selects_the_nearest_on_the_map(tmp_path, monkeypatch):
    """A latent-3 model: the map shows (z1, z2), so the image selected is the one nearest to
    the click there, not the one nearest to the click padded with z3 = 0."""
    from aeexplorer.core.checkpoints.header import read_atlas

    deep = tmp_path / "app"
    deep.mkdir()
    path = make_deep_checkpoint(app_copy(deep) / "mnist-deep.safetensors", (1.5, -0.5))
    at = _app(deep, monkeypatch, tmp_path / "no-data")
    click(at, "a", 1.5, -0.5)
    mu = read_atlas(path)[0]
    want = int(np.argmin(((mu[:, :2] - [1.5, -0.5]) ** 2).sum(1)))
    assert mu[want, 2] == 4.0  # far from the padded click in the full code
    sel = at.session_state["cmp_sel"]
    assert (sel.index, sel.side, sel.z) == (want, "a", (1.5, -0.5))
    assert marker(at, 1) == pytest.approx(mu[want, :2].tolist())


def select_points(at: AppTest, side: str, points: list[dict]) -> None:
    """A click whose selection holds several points, as Plotly reports one that lands where
    points overlap (curve 0 is the invisible click grid; the classes' dots carry their test
    index in customdata)."""
    from streamlit.elements.plotly_chart import PlotlySelectionState
    from streamlit.typing import PlotlyState

    points = [{"curve_number": 0, "point_number": i, "point_index": i, **p}
              for i, p in enumerate(points)]
    selection = PlotlySelectionState({"points": points, "point_indices": list(range(len(points))),
                                      "box": [], "lasso": []})
    at.session_state[f"cmp_map_{side}"] = PlotlyState({"selection": selection})
    at.run()
    assert not at.exception


@pytest.mark.parametrize("grid_first", [True, False])
def test_a_click_on_a_dot_over_the_click_grid_selects_the_dot(app, root, grid_first):
    x, y = atlas_xy(root, "mnist-vae-tiny", 7)
    dot = {"x": x, "y": y, "customdata": 7, "curve_number": 3}
    cell = {"x": x + 0.004, "y": y - 0.003}  # the grid cell under the pointer
    select_points(app, "a", [cell, dot] if grid_first else [dot, cell])
    sel = app.session_state["cmp_sel"]
    assert (sel.index, sel.side, sel.z) == (7, None, None)  # a test point, not empty space
    assert any("Test image #7" in c.value for c in app.caption)
    assert not any("empty space" in c.value for c in app.caption)


def test_among_crowded_dots_the_one_under_the_pointer_wins(app, root):
    far, near = atlas_xy(root, "mnist-vae-tiny", 3), atlas_xy(root, "mnist-vae-tiny", 9)
    cell = {"x": near[0] + 0.001, "y": near[1]}
    select_points(app, "a", [{"x": far[0], "y": far[1], "customdata": [3]},
                             {"x": near[0], "y": near[1], "customdata": [9]}, cell])
    assert app.session_state["cmp_sel"].index == 9


def test_grid_cells_alone_are_still_empty_space(app):
    select_points(app, "b", [{"x": 2.5, "y": -2.5}, {"x": 2.5, "y": -2.5}])
    sel = app.session_state["cmp_sel"]
    assert sel.side == "b" and sel.z == (2.5, -2.5)


def test_a_third_map_joins_the_selection_and_the_url(app, root):
    """Model C picked (here A's own model again: the tiny set has two MNIST models): three
    maps, a click on C selected on A and B, C kept in the URL; "none" gives two maps again."""
    box = app.selectbox(key="cmp_c:mnist")
    box.set_value(next(i for i, o in enumerate(box.options) if o == "mnist-ae-tiny")).run()
    assert not app.exception
    assert len(app.get("plotly_chart")) == 3
    assert app.query_params["vs2"] == "mnist-ae-tiny.safetensors"
    click(app, "c", *atlas_xy(root, "mnist-ae-tiny", 9), index=9)
    assert app.session_state["cmp_sel"].index == 9
    assert marker(app, 0) == pytest.approx(atlas_xy(root, "mnist-vae-tiny", 9))
    assert marker(app, 1) == pytest.approx(atlas_xy(root, "mnist-ae-tiny", 9))
    text = "\n".join(m.value for m in app.markdown)
    assert [f"**{k}**" in text for k in "ABC"] == [True] * 3
    assert sum("figcaption>decoded" in m.value for m in app.markdown) == 3
    app.selectbox(key="cmp_c:mnist").set_value(0).run()
    assert not app.exception
    assert len(app.get("plotly_chart")) == 2 and app.query_params["vs2"] == "none"


def test_b_and_c_are_still_picked_after_another_page(app):
    """Picked B and C, the Explorer, then Compare again (Streamlit drops the page's widget
    state and a browser's URL on the way): the same three maps, not the defaults."""
    app.selectbox(key="cmp_b:mnist").set_value(1).run()  # mnist-vae-tiny, A's own model
    box = app.selectbox(key="cmp_c:mnist")
    box.set_value(box.options.index("mnist-ae-tiny")).run()
    app.switch_page("aeexplorer/ui/pages/explorer.py").run()
    assert not app.exception
    for param in ("vs", "vs2"):  # as a browser's URL is on the Explorer
        app.query_params.pop(param, None)
    app.switch_page(PAGE).run()
    assert not app.exception
    b, c = app.selectbox(key="cmp_b:mnist"), app.selectbox(key="cmp_c:mnist")
    assert "mnist-vae-tiny" in b.options[b.value] and c.options[c.value] == "mnist-ae-tiny"
    assert len(app.get("plotly_chart")) == 3
    assert app.query_params["vs"] == "mnist-vae-tiny.safetensors"


def test_a_model_with_no_page_decoder_is_worded_for_a_linked_map():
    from aeexplorer.ui.inpage.decoder_files import NO_PAGE_DECODER, too_big
    from aeexplorer.ui.inpage.linked import NOT_HERE, why_not

    for why in (NO_PAGE_DECODER, too_big(40 * 2**20)):
        said = why_not(why)
        assert said.endswith(NOT_HERE) and "server decodes" not in said
        assert said.startswith(why.split(":")[0])
    assert why_not("") == ""


@pytest.fixture(scope="module")
def ref_root(tmp_path_factory) -> Path:
    """Two MNIST models and the reference maps beside them: a good t-SNE map and a crafted
    'UMAP' file."""
    from aeexplorer.core.latent.reference import ReferenceMap, save_reference

    root = tmp_path_factory.mktemp("refapp")
    folder = app_copy(root)
    make_checkpoint(folder / "mnist-vae-tiny.safetensors", kind="vae", seed=0)
    make_checkpoint(folder / "mnist-ae-tiny.safetensors", kind="ae", seed=1)
    refs = root / "checkpoints" / "references"
    rng = np.random.default_rng(0)
    save_reference(refs / "mnist-tsne.safetensors", ReferenceMap(
        "tsne", "mnist", rng.normal(size=(200, 2)).astype(np.float32), np.arange(200) % 10))
    (refs / "mnist-umap.safetensors").write_bytes(b"\x10" + b"\x00" * 7 + b"{<script>")
    return root


def test_a_reference_map_is_c_with_no_decoder_and_shares_the_selection(ref_root, tmp_path,
                                                                        monkeypatch):
    """With no third model, C is the t-SNE reference: a map of the same test images, named as
    having no decoder (in its block and in the linked cell), whose click selects a test image
    on A and B too; its block shows no decoding."""
    from aeexplorer.core.latent.reference import load_reference
    from aeexplorer.ui.compare_maps import NO_DECODER

    app = _app(ref_root, monkeypatch, tmp_path / "no-data")
    assert len(app.get("plotly_chart")) == 3
    assert app.query_params["vs2"] == "ref:mnist-tsne"
    box = app.selectbox(key="cmp_c:mnist")
    assert box.format_func(box.value) == "t-SNE map (reference)"
    text = "\n".join(m.value for m in app.markdown)
    assert r"**C** · t\-SNE of the test set \(no decoder\)" in text
    linked = [c for c in _linked_cells(app) if c["key"] == "cmp_map_c"]
    assert linked[0]["net"] is None and linked[0]["why"] == NO_DECODER and linked[0]["apart"]
    assert not any(c["apart"] for c in _linked_cells(app) if c["key"] != "cmp_map_c")
    xy = load_reference(ref_root / "checkpoints/references/mnist-tsne.safetensors").codes[7]
    click(app, "c", float(xy[0]), float(xy[1]), index=7)
    assert app.session_state["cmp_sel"].index == 7
    assert marker(app, 0) == pytest.approx(atlas_xy(ref_root, "mnist-vae-tiny", 7))
    assert marker(app, 1) == pytest.approx(atlas_xy(ref_root, "mnist-ae-tiny", 7))
    decoded = sum("figcaption>decoded" in m.value for m in app.markdown)
    assert decoded == 2  # A's and B's; the reference decodes nothing
    assert any("No decoder: this map only places the test images" in c.value
               for c in app.caption)


def test_a_crafted_reference_file_is_one_message(ref_root, tmp_path, monkeypatch):
    app = _app(ref_root, monkeypatch, tmp_path / "no-data")
    box = app.selectbox(key="cmp_c:mnist")
    box.set_value(next(i for i, o in enumerate(box.options) if o == "UMAP map (reference)"))
    app.run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and r"mnist\-umap\.safetensors is not a safetensors" in errors[0]
    assert "<script>" not in errors[0]


def _linked_cells(app: AppTest) -> list[dict]:
    """The cells sent to the linked maps' component (its data, as the page receives it)."""
    found = [e.proto for e in app.get("bidi_component")
             if e.proto.component_name == "aeinpage.linked_maps"]
    assert len(found) == 1
    return json.loads(found[0].json)["cells"]
