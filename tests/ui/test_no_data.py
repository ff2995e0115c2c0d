"""Without the data set, the pages that need it say so in words a person in a browser can act
on: the folder the server reads, that the server is pointed at it with AEEXPLORER_DATA, and
the command that fetches it; never a flag of the command line or torchvision's advice to
Python. The Train page says it when it opens, and its Start button waits for the data."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers.apptest import open_app, plain

PAGES = "aeexplorer/ui/pages"
KINDS = ("markdown", "caption", "info", "warning", "error", "success", "title", "subheader")


def page_text(at: AppTest) -> str:
    return "\n".join(plain(e.value) for kind in KINDS for e in at.get(kind)
                     if isinstance(e.value, str))


def no_data_warning(at: AppTest) -> str:
    shown = [plain(w.value) for w in at.warning if "not on this server" in w.value]
    assert len(shown) == 1, [w.value for w in at.warning]
    return shown[0]


def assert_for_a_browser(at: AppTest, empty, folder: str = "MNIST") -> None:
    said = no_data_warning(at)
    assert f"…/{empty.parent.name}/{empty.name}" in said  # the data root, as visitors see it
    assert f"…/{folder}/raw" in said  # the folder it reads
    assert "AEEXPLORER_DATA" in said and "python -m aeexplorer data" in said
    assert "streamlit run app.py" in said
    assert str(empty) not in said  # the server's whole path is its owner's business
    text = page_text(at)
    assert "--data-dir" not in text and "download=True" not in text and "--download" not in text


@pytest.fixture
def empty(tmp_path):
    folder = tmp_path / "no-data-here"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("page", ["anomalies", "denoise"])
def test_pages_that_read_the_test_images_say_where_they_are_looked_for(page, monkeypatch,
                                                                         empty):
    at = open_app(monkeypatch, None, empty, f"{PAGES}/{page}.py")
    assert_for_a_browser(at, empty)


def test_the_train_page_says_it_when_it_opens_and_waits_for_the_data(monkeypatch, empty):
    at = open_app(monkeypatch, None, empty, f"{PAGES}/train.py")
    assert_for_a_browser(at, empty)  # before anything is pressed
    start = at.button(key="train_start")
    assert start.disabled and "not on this server" in start.help
    at.radio(key="train_dataset").set_value("fashion").run()
    assert_for_a_browser(at, empty, "FashionMNIST")


def test_the_train_page_with_the_data_says_nothing_of_it(monkeypatch, data_root):
    at = open_app(monkeypatch, None, data_root, f"{PAGES}/train.py")
    assert not [w for w in at.warning if "not on this server" in w.value]
    assert not at.button(key="train_start").disabled


def test_the_server_owner_sees_the_path_and_a_command_to_copy(monkeypatch, empty):
    monkeypatch.setenv("AEEXPLORER_SHOW_PATHS", "1")
    at = open_app(monkeypatch, None, empty, f"{PAGES}/anomalies.py")
    said = no_data_warning(at)
    assert str(empty / "MNIST" / "raw") in said
    assert f"AEEXPLORER_DATA={empty} python -m aeexplorer data" in said
    assert f"AEEXPLORER_DATA={empty} streamlit run app.py" in said


def test_data_that_is_there_but_unreadable_gives_the_reason(monkeypatch, empty):
    raw = empty / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (raw / name).write_bytes(b"not an idx file")
    at = open_app(monkeypatch, None, empty, f"{PAGES}/anomalies.py")
    said = plain(at.warning[0].value)
    assert "files in **…/MNIST/raw** could not be read" in said
