"""The Denoise page driven headless by AppTest: tiny denoising and plain autoencoders, the real
test images (skipped without them), uploads, and the messages when a model or the data is
missing."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from aeexplorer.app import denoise
from tests.helpers.apptest import open_app, plain
from tests.helpers.apptest import shown_image as image
from tests.helpers.checkpoints import make_checkpoint
from tests.helpers.images import draw_digit, to_bytes

PAGE = "aeexplorer/ui/pages/denoise.py"
DAE, PLAIN = "apptest-dn-dae", "apptest-dn-ae"


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dn-ckpts")
    make_checkpoint(folder / f"{DAE}.safetensors", kind="ae",
                    train={"noise": "gaussian", "noise_level": 0.5})
    make_checkpoint(folder / f"{PLAIN}.safetensors", kind="ae", seed=1)
    make_checkpoint(folder / "apptest-dn-vae.safetensors", kind="vae")
    make_checkpoint(folder / "apptest-dn-sparse.safetensors", kind="ae",
                    train={"penalty": "l1", "penalty_weight": 0.001})
    make_checkpoint(folder / "apptest-dn-fashion-ae.safetensors", kind="ae", dataset="fashion")
    return folder


def open_page(monkeypatch, ckpt_dir, data) -> AppTest:
    return open_app(monkeypatch, ckpt_dir, data, PAGE)


def select(at: AppTest, key: str, prefix: str) -> None:
    box = at.selectbox(key=key)
    box.select_index(next(i for i, o in enumerate(box.options) if o.startswith(prefix))).run()


@pytest.fixture
def page(monkeypatch, ckpt_dir, data_root) -> AppTest:
    at = open_page(monkeypatch, ckpt_dir, data_root)
    select(at, "dn_dae", DAE)  # the tiny test models, not the shipped ones
    select(at, "dn_plain", PLAIN)
    return at


def mses(at: AppTest) -> list[float]:
    return [float(m.value.split("**")[1]) for m in at.markdown if m.value.startswith("MSE")]


def expected(ckpt_dir, clean: np.ndarray, kind: str, level: float, seed: int):
    from aeexplorer.core.checkpoints.file import load_checkpoint

    models = [load_checkpoint(ckpt_dir / f"{n}.safetensors") for n in (DAE, PLAIN)]
    return denoise.denoise(clean, models, kind, level, seed)


def test_only_denoising_and_plain_autoencoders_are_offered(page):
    daes = page.selectbox(key="dn_dae").options
    plains = page.selectbox(key="dn_plain").options
    assert DAE in [o.split(" · ")[0] for o in daes]  # beside the shipped ones
    assert all("· denoising AE (" in o for o in daes)
    assert "denoising AE (Gaussian σ=0.5)" in next(o for o in daes if o.startswith(DAE))
    assert PLAIN in [o.split(" · ")[0] for o in plains]
    assert not any(n in o for o in plains for n in ("vae", "sparse", "dae", "fashion"))


def test_a_test_image_through_both_models(page, ckpt_dir, data_root):
    from aeexplorer.core.datasets.loading import load_split

    clean = load_split("mnist", False, data_root).images[0, 0].numpy()
    want = expected(ckpt_dir, clean, "gaussian", 0.5, 0)
    np.testing.assert_allclose(image(page, "clean original"), clean, atol=1 / 255)
    np.testing.assert_allclose(image(page, "noisy input"), want.noisy, atol=1 / 255)
    np.testing.assert_allclose(image(page, "denoising AE output"),
                               want.outputs[0].image, atol=1 / 255)
    assert mses(page) == pytest.approx(
        [round(want.noisy_mse, 4)] + [round(o.mse, 4) for o in want.outputs], abs=1e-4)


def test_noise_kind_level_and_seed(page, ckpt_dir, data_root):
    from aeexplorer.core.datasets.loading import load_split

    page.number_input(key="dn_index").set_value(5).run()
    clean = load_split("mnist", False, data_root).images[5, 0].numpy()
    page.radio(key="dn_kind").set_value("mask").run()
    page.slider(key="dn_level").set_value(0.3).run()
    first = image(page, "noisy input")
    np.testing.assert_allclose(first, expected(ckpt_dir, clean, "mask", 0.3, 0).noisy,
                               atol=1 / 255)
    page.run()
    np.testing.assert_array_equal(image(page, "noisy input"), first)  # same seed, same noise
    page.button[[b.label for b in page.button].index("New noise")].click().run()
    assert page.session_state["dn_seed"] == 1
    assert not np.array_equal(image(page, "noisy input"), first)
    page.slider(key="dn_level").set_value(0.0).run()
    assert mses(page)[0] == 0.0
    np.testing.assert_allclose(image(page, "noisy input"), clean, atol=1 / 255)


def test_random_image_button_picks_another_index(page):
    page.button[[b.label for b in page.button].index("Random image")].click().run()
    page.button[[b.label for b in page.button].index("Random image")].click().run()
    assert not page.exception
    assert page.session_state["dn_index"] != 0  # two draws of 10,000 both 0: never


def test_an_upload_is_denoised_and_a_bad_one_explained(page):
    page.radio(key="dn_source").set_value("Your own image").run()
    assert "Upload an image" in page.info[0].value
    uploader = page.get("file_uploader")[0]
    uploader.upload("eight.png", to_bytes(draw_digit("8", ink=0, paper=255)), "image/png")
    page.run()
    assert not page.exception
    assert image(page, "clean original").max() > 0.9 and len(mses(page)) == 3
    page.get("file_uploader")[0].set_value(("empty.png", b"", "image/png"))
    page.run()
    assert not page.exception
    assert "Could not use this image. empty.png" in plain(page.error[0].value)
    assert mses(page) == []


def test_no_denoising_model_for_the_data_set_shows_the_command(page):
    page.selectbox(key="dn_dataset").set_value("fashion").run()
    assert not page.exception
    info = "\n".join(i.value for i in page.info)
    assert "no denoising autoencoder for Fashion-MNIST" in info
    assert ("python -m aeexplorer train --dataset fashion --model ae --noise gaussian "
            "--noise-level 0.5 --out runs/fashion-dae.safetensors") in info


def test_without_the_test_images_an_upload_still_works(monkeypatch, ckpt_dir, tmp_path):
    at = open_page(monkeypatch, ckpt_dir, tmp_path / "no-data")
    assert "Upload an image instead: the test images are missing" in at.warning[0].value
    assert "not on this server" in at.warning[0].value
    at.radio(key="dn_source").set_value("Your own image").run()
    at.get("file_uploader")[0].upload("seven.png", to_bytes(draw_digit("7")), "image/png")
    at.run()
    assert not at.exception and len(mses(at)) == 3


def picked(at: AppTest) -> str:
    box = at.selectbox(key="dn_dae")
    return box.options[box.index].split(" · ")[0]


def warnings_about_pairing(at: AppTest) -> list[str]:
    return [plain(w.value) for w in at.warning if "not the model for this noise" in w.value]


def test_the_denoiser_follows_the_noise(monkeypatch, tmp_path, data_root):
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.datasets.loading import load_split
    from tests.helpers import REPO

    at = open_page(monkeypatch, tmp_path, data_root)  # the shipped models only
    assert picked(at) == "mnist-dae-gaussian"
    at.radio(key="dn_kind").set_value("mask").run()
    assert not at.exception
    assert picked(at) == "mnist-dae-mask"
    assert any("mnist-dae-mask, was trained with this noise (masking noise, p = 0.5)"
               in plain(c.value) for c in at.caption)
    assert warnings_about_pairing(at) == []
    # the output shown is the masking denoiser's
    clean = load_split("mnist", False, data_root).images[0, 0].numpy()
    mask_dae = load_checkpoint(REPO / "checkpoints" / "mnist-dae-mask.safetensors")
    want = denoise.denoise(clean, [mask_dae], "mask", 0.5, 0)
    np.testing.assert_allclose(image(at, "denoising AE output"), want.outputs[0].image,
                               atol=1 / 255)
    at.radio(key="dn_kind").set_value("gaussian").run()
    assert picked(at) == "mnist-dae-gaussian"


def test_a_denoiser_picked_by_hand_for_other_noise_is_kept_and_flagged(monkeypatch, tmp_path,
                                                                       data_root):
    at = open_page(monkeypatch, tmp_path, data_root)
    at.radio(key="dn_kind").set_value("mask").run()
    select(at, "dn_dae", "mnist-dae-gaussian")
    assert picked(at) == "mnist-dae-gaussian"  # the person's choice stands
    said = warnings_about_pairing(at)
    assert len(said) == 1
    assert "mnist-dae-gaussian, was trained with Gaussian noise, σ = 0.5, not masking" in said[0]
    assert "Pick one trained with masking noise in the sidebar" in said[0]
    at.slider(key="dn_level").set_value(0.3).run()  # the same noise: the choice still stands
    assert picked(at) == "mnist-dae-gaussian"


def test_without_a_denoiser_for_the_noise_the_page_gives_the_command(monkeypatch, tmp_path,
                                                                     data_root):
    make_checkpoint(tmp_path / "fashion-dae.safetensors", kind="ae", dataset="fashion",
                    train={"noise": "gaussian", "noise_level": 0.5})
    at = open_page(monkeypatch, tmp_path, data_root)
    at.selectbox(key="dn_dataset").set_value("fashion").run()
    assert picked(at) == "fashion-dae" and warnings_about_pairing(at) == []
    at.radio(key="dn_kind").set_value("mask").run()
    assert picked(at) == "fashion-dae"
    said = warnings_about_pairing(at)
    assert len(said) == 1 and "None here was; train one with python -m aeexplorer train " \
        "--dataset fashion --model ae --noise mask --noise-level 0.5 --out " \
        "runs/fashion-dae-mask.safetensors" in said[0].replace("`", "")


def test_new_noise_logs_no_streamlit_warning(page, monkeypatch):
    import logging

    from streamlit.elements.lib import policies

    # Streamlit logs this warning once a process, and only under a server's runtime (which
    # AppTest has not): let it be logged here if it is due
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    monkeypatch.setattr(policies.runtime, "exists", lambda: True)
    logged: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = logged.append
    # Streamlit's loggers do not propagate: listen to each of them
    loggers = [log for name, log in logging.root.manager.loggerDict.items()
               if name.startswith("streamlit") and isinstance(log, logging.Logger)]
    for log in loggers:
        log.addHandler(handler)
    try:
        for _ in range(2):
            page.button[[b.label for b in page.button].index("New noise")].click().run()
    finally:
        for log in loggers:
            log.removeHandler(handler)
    assert page.session_state["dn_seed"] == 2 and not page.exception
    assert [r.getMessage() for r in logged] == []
