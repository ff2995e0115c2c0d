"""Every file of the upload corpus (tests/upload_corpus.py) through preprocessing and through
the app (AppTest uploads): a digit, or exactly one clear message; the app keeps working for
that person and for a new one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from aeexplorer.core.errors import ImageError
from aeexplorer.core.images.preprocess import preprocess_array, preprocess_bytes
from aeexplorer.core.images.upload import read_image_bytes
from tests.helpers import REPO
from tests.helpers.apptest import click, plain
from tests.helpers.checkpoints import make_checkpoint
from tests.helpers.images import correlation
from tests.helpers.upload_corpus import BY_NAME, CASES, REFERENCE, write_corpus

NAME = "corpus-vae.safetensors"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_preprocessing_gives_a_digit_or_one_clear_message(case):
    if case.error is None:
        image = preprocess_bytes(case.data()).image
        assert image.shape == (28, 28) and image.dtype == np.float32
        assert 0.0 <= image.min() and image.max() == pytest.approx(1.0)
        if case.name in REFERENCE:
            want = preprocess_array(np.asarray(REFERENCE[case.name]())).image
            assert correlation(image, want) > 0.95, case.name
        return
    with pytest.raises(ImageError) as info:
        preprocess_bytes(case.data())
    message = str(info.value)
    assert case.error in message
    assert "\n" not in message and len(message) < 200


def test_the_corpus_on_disk_reads_back_the_same(tmp_path):
    paths = write_corpus(tmp_path / "corpus")
    assert sorted(p.name for p in paths) == sorted(BY_NAME)
    for path in paths:
        case = BY_NAME[path.name]
        if case.name == "over-the-cap.png":  # refused by size before it is read
            with pytest.raises(ImageError, match="10 MB limit"):
                read_image_bytes(path)
        else:
            assert read_image_bytes(path) == case.data()


# ------------------------------------------------------------------ through the app


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus-ckpts")
    make_checkpoint(folder / NAME, kind="vae")
    return folder


def new_session(ckpt_dir: Path, tmp_path: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("AEEXPLORER_CHECKPOINT_DIRS", str(ckpt_dir))
    monkeypatch.setenv("AEEXPLORER_DATA", str(tmp_path / "no-data"))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.query_params["ckpt"] = NAME
    at.run()
    assert not at.exception
    return at


def upload(at: AppTest, name: str, data: bytes, mime: str) -> None:
    at.file_uploader(key="upload_file").set_value((name, data, mime)).run()


def landing(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown if "Lands at" in m.value)


def test_every_corpus_file_through_the_app(ckpt_dir, tmp_path, monkeypatch):
    at = new_session(ckpt_dir, tmp_path, monkeypatch)
    errors_before = len(at.error)
    for i, case in enumerate(CASES):
        upload(at, case.name, case.data(), case.mime)
        assert not at.exception, (case.name, at.exception)
        shown = [plain(e.value) for e in at.error]
        if case.error is None:
            assert len(shown) == errors_before, (case.name, shown)
            assert "Lands at **z =" in landing(at), case.name
            assert not isinstance(at.session_state["upload"][1], str)  # a placement
        else:
            assert len(shown) == errors_before + 1, (case.name, shown)  # exactly one message
            assert shown[-1].startswith("Could not use this image.")
            assert case.name in shown[-1] and case.error in shown[-1], shown[-1]
            assert landing(at) == ""  # no stale landing from the previous file
        # the page keeps working: a click on the map still decodes
        z = (0.1 * i - 0.5, 0.25)
        click(at, *z)
        assert not at.exception, case.name
        assert at.session_state["scene"].z == z
        assert f"z = ({z[0]:.3f}, {z[1]:.3f})" in "\n".join(m.value for m in at.markdown)


def test_a_bad_upload_does_not_reach_another_session(ckpt_dir, tmp_path, monkeypatch):
    first = new_session(ckpt_dir, tmp_path, monkeypatch)
    upload(first, "bomb.png", BY_NAME["bomb-50000x50000.png"].data(), "image/png")
    assert "too" in first.error[-1].value
    other = new_session(ckpt_dir, tmp_path, monkeypatch)  # the same server process
    assert not other.error and "upload" not in other.session_state
    upload(other, "plain.png", BY_NAME["plain.png"].data(), "image/png")
    assert not other.exception and not other.error
    assert "Lands at" in landing(other)
    first.run()  # and the first session still shows its own message, not the other's file
    assert "bomb.png" in plain(first.error[-1].value) and landing(first) == ""
