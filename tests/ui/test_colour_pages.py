"""Anomalies, Denoise and Compare driven headless by AppTest on colour models (dense and conv,
16x16 RGB) and a model of unlabelled data, over synthetic colour test images served as the
pages read the test set: no exception, the images in colour (an upload's too: prepared in
colour for a colour model), and no class named where the data has none."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.helpers.apptest import click, open_app, plain
from tests.helpers.checkpoints import NO_LABELS_NOTE, make_colour_page_checkpoint
from tests.helpers.colour_pages import colour_split, serve_test_split
from tests.helpers.images import to_bytes

PAGES = "aeexplorer/ui/pages/"
DENSE, CONV, UNLABELLED = "apptest-col-dense", "apptest-col-conv", "apptest-col-unl"
DAE = "apptest-col-dae"
IMG = re.compile(r'<img src="data:image/png;base64,([^"]+)"[^>]*alt="([^"]*)"')


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("colour-ckpts")
    make_colour_page_checkpoint(folder / f"{DENSE}.safetensors", arch="dense")
    make_colour_page_checkpoint(folder / f"{CONV}.safetensors", arch="conv", seed=1)
    make_colour_page_checkpoint(folder / f"{DAE}.safetensors", arch="dense", seed=2,
                                train={"noise": "gaussian", "noise_level": 0.3})
    make_colour_page_checkpoint(folder / f"{UNLABELLED}.safetensors", labelled=False,
                                dataset="colour-unl", seed=3)
    return folder


def open_page(monkeypatch, ckpt_dir, tmp_path, page: str) -> AppTest:
    serve_test_split(monkeypatch, {"colour-test": colour_split(200, 16, True),
                                   "colour-unl": colour_split(200, 16, False, seed=1)})
    return open_app(monkeypatch, ckpt_dir, tmp_path / "no-files", PAGES + page)


def pick(at: AppTest, key: str, prefix: str) -> None:
    box = at.selectbox(key=key)
    box.select_index(next(i for i, o in enumerate(box.options) if o.startswith(prefix))).run()
    assert not at.exception


def shown(at: AppTest) -> dict[str, np.ndarray]:
    """Every inline image, by its caption (alt text), decoded."""
    found = {}
    for m in at.markdown:
        for data, alt in IMG.findall(m.value):
            found[alt] = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))
    return found


def in_colour(image: np.ndarray) -> bool:
    """RGB, and not grey: some pixel's channels differ."""
    return image.ndim == 3 and image.shape[2] == 3 and bool(
        (np.ptp(image.astype(int), axis=2) > 8).any())


def text(at: AppTest) -> str:
    return plain("\n".join(m.value for m in at.markdown))


# ------------------------------------------------------------------------------- Anomalies

@pytest.mark.parametrize("name", [DENSE, CONV, UNLABELLED])
def test_anomalies_shows_colour_pairs_and_a_clicked_image(monkeypatch, ckpt_dir, tmp_path, name):
    at = open_page(monkeypatch, ckpt_dir, tmp_path, "anomalies.py")
    pick(at, "anom_ckpt", name)
    assert not at.warning, [w.value for w in at.warning]
    assert len(at.get("plotly_chart")) == 2  # the histogram and the error map
    pairs = {alt: img for alt, img in shown(at).items() if alt.startswith("#")}
    assert len(pairs) == 16
    for alt, img in pairs.items():
        assert img.shape[1] > img.shape[0] and in_colour(img), alt  # original | reconstruction
        parts = alt.split(" · ")
        if name == UNLABELLED:  # no class to name: index and error only
            assert len(parts) == 2, alt
        else:
            assert len(parts) == 3 and parts[1] in ("red", "green", "blue"), alt
    caption = " ".join(c.value for c in at.caption)
    assert ("class, error" in caption) == (name != UNLABELLED)
    click(at, 0.0, 0.0, 7, key="anom_map")
    assert not at.exception
    images = shown(at)
    assert in_colour(images["original"]) and in_colour(images["reconstruction"])
    line = next(t for t in text(at).splitlines() if t.startswith("**Test image #7**"))
    assert ("class" in line) == (name != UNLABELLED)
    if name != UNLABELLED:
        assert "class **green**" in line  # label 7 % 3 = 1


def square_photo(colour: tuple[int, int, int]) -> bytes:
    """A wide photo-like picture: a square of ``colour`` in its middle, on dark grey."""
    im = np.full((90, 150, 3), 20, np.uint8)
    im[25:65, 55:95] = colour
    return to_bytes(Image.fromarray(im))


def dominant(image: np.ndarray) -> int:
    """The channel (0 red, 1 green, 2 blue) that is highest over the image's bright pixels."""
    flat = np.asarray(image, dtype=np.float32).reshape(-1, 3)
    return int(np.argmax(flat[flat.max(1) > flat.max() / 2].mean(0)))


def pad_colour(at: AppTest) -> bool:
    """Whether the page's drawing pad offers a pen colour."""
    pads = [e.proto for e in at.get("bidi_component")
            if e.proto.component_name == "aeexplorer.draw_pad"]
    assert len(pads) == 1
    return json.loads(pads[0].json)["colour"]


def test_anomalies_scores_a_colour_upload_in_colour(monkeypatch, ckpt_dir, tmp_path):
    from aeexplorer.app import anomaly
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.images.photo import prepare_bytes

    at = open_page(monkeypatch, ckpt_dir, tmp_path, "anomalies.py")
    pick(at, "anom_ckpt", DENSE)
    assert pad_colour(at) is True  # the pad beside the uploader has a pen colour
    assert any("resized to the model's 16×16 colour input" in c.value for c in at.caption)
    data = square_photo((220, 30, 30))
    at.file_uploader(key="anom_upload_file").upload("red.png", data, "image/png")
    at.run()
    assert not at.exception and not at.error
    images = shown(at)
    given = images["16×16 input"]
    assert in_colour(given) and dominant(given) == 0  # a red square stays red
    assert in_colour(images["your image, centre boxed"])
    ckpt = load_checkpoint(ckpt_dir / f"{DENSE}.safetensors")
    want = prepare_bytes(data, ckpt.config, ckpt.dataset).image
    assert want.shape == (16, 16, 3) and dominant(want) == 0
    step = given.shape[0] // 16
    np.testing.assert_allclose(given[::step, ::step] / 255.0, want, atol=1 / 255 + 1e-6)
    error, _ = anomaly.image_error(ckpt, want)  # scored as that colour input
    assert any(m.value.startswith(f"Reconstruction error **{error:.4f}**")
               for m in at.markdown)


def test_anomalies_says_when_the_test_images_do_not_fit_the_model(monkeypatch, ckpt_dir,
                                                                  tmp_path):
    serve_test_split(monkeypatch, {"colour-test": colour_split(50, 8, True)})
    at = open_app(monkeypatch, ckpt_dir, tmp_path / "no-files", PAGES + "anomalies.py")
    pick(at, "anom_ckpt", DENSE)
    assert [w.value for w in at.warning] == [
        "The test images on this machine cannot be scored by this model: the images are 8×8 "
        "colour and the model takes 16×16 colour images."]
    assert not at.get("plotly_chart")


# --------------------------------------------------------------------------------- Denoise

@pytest.fixture
def denoise_page(monkeypatch, ckpt_dir, tmp_path) -> AppTest:
    at = open_page(monkeypatch, ckpt_dir, tmp_path, "denoise.py")
    at.selectbox(key="dn_dataset").set_value("colour-test").run()
    assert not at.exception
    pick(at, "dn_dae", DAE)
    pick(at, "dn_plain", CONV)
    return at


@pytest.mark.parametrize("kind", ["gaussian", "mask"])
def test_denoise_shows_colour_images_before_and_after(denoise_page, kind):
    at = denoise_page
    at.radio(key="dn_kind").set_value(kind).run()
    pick(at, "dn_dae", DAE)  # the one colour denoiser, whichever noise it was trained with
    at.number_input(key="dn_index").set_value(4).run()
    assert not at.exception
    images = shown(at)
    for caption in ("clean original", "noisy input", "denoising AE output", "plain AE output"):
        assert in_colour(images[caption]), caption
    clean = colour_split(200, 16, True)[0][4]
    # the clean image, enlarged, is the test image
    big = images["clean original"]
    step = big.shape[0] // 16
    np.testing.assert_allclose(big[::step, ::step] / 255.0, clean, atol=1 / 255 + 1e-6)
    assert len([m for m in at.markdown if m.value.startswith("MSE")]) == 3
    assert not at.warning or kind == "mask"  # the denoiser was trained with Gaussian noise


def test_denoise_corrupts_and_denoises_a_colour_upload_in_colour(denoise_page, ckpt_dir):
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.images.photo import prepare_bytes

    at = denoise_page
    at.radio(key="dn_source").set_value("Your own image").run()
    assert not at.exception
    assert pad_colour(at) is True
    assert "Upload an image" in at.info[-1].value
    data = square_photo((30, 40, 220))
    at.file_uploader(key="dn_upload_file").upload("blue.png", data, "image/png")
    at.run()
    assert not at.exception and not at.error
    images = shown(at)
    ckpt = load_checkpoint(ckpt_dir / f"{DAE}.safetensors")
    want = prepare_bytes(data, ckpt.config, ckpt.dataset).image
    clean = images["clean original"]
    assert in_colour(clean) and dominant(clean) == 2 and dominant(want) == 2  # blue stays blue
    step = clean.shape[0] // 16
    np.testing.assert_allclose(clean[::step, ::step] / 255.0, want, atol=1 / 255 + 1e-6)
    for caption in ("noisy input", "denoising AE output", "plain AE output"):
        assert images[caption].shape[2] == 3, caption
    assert len([m for m in at.markdown if m.value.startswith("MSE")]) == 3


def test_denoise_of_unlabelled_data(monkeypatch, ckpt_dir, tmp_path):
    at = open_page(monkeypatch, ckpt_dir, tmp_path, "denoise.py")
    at.selectbox(key="dn_dataset").set_value("colour-unl").run()
    assert not at.exception
    assert "There is no denoising autoencoder for colour\\-unl" in at.info[0].value
    assert in_colour(shown(at)["plain AE output"])


# --------------------------------------------------------------------------------- Compare

def test_compare_decodes_in_colour_side_by_side(monkeypatch, ckpt_dir, tmp_path):
    at = open_page(monkeypatch, ckpt_dir, tmp_path, "compare.py")
    pick(at, "cmp_a", DENSE)
    pick(at, "cmp_b:colour-test", CONV)
    click(at, 0.0, 0.0, 5, key="cmp_map_a")
    assert not at.exception
    images = shown(at)
    assert in_colour(images["test image #5 · blue"])  # label 5 % 3 = 2
    decoded = [alt for alt in images if alt.startswith("decoded · MSE")]
    assert decoded and all(in_colour(images[alt]) for alt in decoded)
    maps = len(at.get("plotly_chart"))  # A's, B's and C's (a third colour model) decoded
    assert maps == 3 and sum(m.value.count('alt="decoded · MSE') for m in at.markdown) == maps


def test_compare_of_unlabelled_data_names_no_class_and_says_why_5nn_is_missing(
        monkeypatch, ckpt_dir, tmp_path):
    at = open_page(monkeypatch, ckpt_dir, tmp_path, "compare.py")
    pick(at, "cmp_a", UNLABELLED)
    # B is offered from A's data set only: the one unlabelled model
    assert [o.split(" · ")[0] for o in at.selectbox(key="cmp_b:colour-unl").options] == [
        UNLABELLED]
    captions = [plain(c.value) for c in at.caption]
    assert f"5-NN accuracy of {UNLABELLED}: {NO_LABELS_NOTE}." in captions
    click(at, 0.0, 0.0, 9, key="cmp_map_a")
    assert not at.exception
    images = shown(at)
    assert "test image #9" in images and in_colour(images["test image #9"])
    assert not any(alt.startswith("test image #9 ·") for alt in images)  # no class named


# ----------------------------------------------------------------------------------- Train

def test_the_train_page_says_why_the_5nn_accuracy_of_unlabelled_data_is_missing():
    from aeexplorer.ui.train import _figures_note

    labelled = _figures_note({"n_test": 10_000, "knn5_accuracy": 0.9})
    assert labelled.startswith("Test-set figures (10,000 images)")
    assert labelled.endswith("5-NN accuracy of the classes from the 2-D codes.")
    unlabelled = plain(_figures_note({"n_test": 500, "knn5_accuracy": None,
                                      "knn5_note": NO_LABELS_NOTE}))
    assert unlabelled.startswith("Test-set figures (500 images)")
    assert unlabelled.endswith(f"5-NN accuracy {NO_LABELS_NOTE}.")
