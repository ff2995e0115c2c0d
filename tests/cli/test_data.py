"""``python -m aeexplorer data``: the report of a data root that holds the data sets, of one
that does not, and the download (torchvision stood in for: there is no network here), which
fails as one ``error:`` line, never a traceback."""

from __future__ import annotations

from pathlib import Path
from urllib.error import URLError

import pytest
import torchvision

from aeexplorer import cli
from aeexplorer.core.datasets.loading import missing_files
from aeexplorer.core.datasets.registry import raw_folder

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte")


def fill(root: Path, folder: str) -> None:
    (root / folder / "raw").mkdir(parents=True, exist_ok=True)
    for name in FILES:
        (root / folder / "raw" / name).write_bytes(b"")


def run(capfd, argv) -> tuple[int, str, str]:
    rc = cli.main(argv)
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    return rc, out, err


def test_a_full_data_root_is_reported_with_the_line_that_starts_the_app(tmp_path, capfd):
    fill(tmp_path, "MNIST")
    fill(tmp_path, "FashionMNIST")
    rc, out, err = run(capfd, ["data", "--data-dir", str(tmp_path), "--check"])
    assert rc == 0 and err == ""
    assert f"MNIST: present in {tmp_path / 'MNIST' / 'raw'}" in out
    assert f"FashionMNIST: present in {tmp_path / 'FashionMNIST' / 'raw'}" in out
    assert f"AEEXPLORER_DATA={tmp_path} streamlit run app.py" in out


def test_a_missing_data_set_is_named_with_its_files_and_the_command(tmp_path, capfd):
    fill(tmp_path, "MNIST")
    (tmp_path / "FashionMNIST" / "raw" / FILES[0]).parent.mkdir(parents=True)
    (tmp_path / "FashionMNIST" / "raw" / FILES[0]).write_bytes(b"")
    rc, out, err = run(capfd, ["data", "--data-dir", str(tmp_path), "--check"])
    assert rc == cli.EXIT_ERROR
    assert "MNIST: present" in out
    assert (f"FashionMNIST: missing in {tmp_path / 'FashionMNIST' / 'raw'} "
            f"({', '.join(FILES[1:])})") in out
    assert err.count("\n") == 1 and err.startswith("error: FashionMNIST not in")
    assert f"python -m aeexplorer data --data-dir {tmp_path} --dataset fashion" in err
    assert "streamlit run" not in out


def test_only_the_data_set_asked_for_is_looked_at(tmp_path, capfd):
    fill(tmp_path, "MNIST")
    rc, out, _ = run(capfd, ["data", "--data-dir", str(tmp_path), "--dataset", "mnist",
                             "--check"])
    assert rc == 0 and "FashionMNIST" not in out


def test_the_generated_shapes_need_no_files(tmp_path, capfd):
    rc, out, err = run(capfd, ["data", "--data-dir", str(tmp_path), "--dataset", "shapes",
                               "--check"])
    assert rc == 0 and err == ""
    assert "shapes: made when loaded, from a seed: no files, nothing to download" in out
    assert not any(tmp_path.iterdir())
    fill(tmp_path, "MNIST")
    fill(tmp_path, "FashionMNIST")
    rc, out, _ = run(capfd, ["data", "--data-dir", str(tmp_path), "--check"])  # all of them
    assert rc == 0 and "shapes: made when loaded" in out


def test_the_environment_names_the_data_root(tmp_path, capfd, monkeypatch):
    monkeypatch.setenv("AEEXPLORER_DATA", str(tmp_path))
    rc, out, _ = run(capfd, ["data", "--check"])
    assert rc == cli.EXIT_ERROR and f"MNIST: missing in {tmp_path / 'MNIST' / 'raw'}" in out


class FakeSet:
    """torchvision's data set class as ``fetch`` uses it: with download=True it writes the
    raw files (a mirror answered), or raises as torchvision does when every mirror failed."""
    online = True
    calls: list = []

    def __init__(self, root, train=True, download=False):
        FakeSet.calls.append((type(self).__name__, download))
        if not download:
            raise RuntimeError("Dataset not found. You can use download=True to download it")
        if not FakeSet.online:
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried "
                               "https://mirror/, got:\n<urlopen error [Errno -3] Temporary "
                               "failure in name resolution>\n")
        print("Downloading https://mirror/train-images-idx3-ubyte.gz")  # torchvision's chatter
        fill(Path(root), self.folder)


class FakeMNIST(FakeSet):
    folder = "MNIST"


class FakeFashion(FakeSet):
    folder = "FashionMNIST"


@pytest.fixture
def fake_torchvision(monkeypatch):
    monkeypatch.setattr(torchvision.datasets, "MNIST", FakeMNIST)
    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", FakeFashion)
    monkeypatch.setattr(FakeSet, "online", True)
    monkeypatch.setattr(FakeSet, "calls", [])
    return FakeSet


def test_what_is_missing_is_downloaded_and_what_is_there_is_not(tmp_path, capfd,
                                                                  fake_torchvision):
    fill(tmp_path, "MNIST")
    rc, out, err = run(capfd, ["data", "--data-dir", str(tmp_path)])
    assert rc == 0 and err == ""
    assert fake_torchvision.calls == [("FakeFashion", True)]  # MNIST was there
    assert f"FashionMNIST: downloaded into {tmp_path / 'FashionMNIST' / 'raw'}" in out
    assert "Downloading https://" not in out  # torchvision's own lines are not repeated
    assert missing_files("fashion", tmp_path) == []
    assert f"AEEXPLORER_DATA={tmp_path} streamlit run app.py" in out


def test_no_network_is_one_error_line(tmp_path, capfd, fake_torchvision):
    fake_torchvision.online = False
    rc, out, err = run(capfd, ["data", "--data-dir", str(tmp_path), "--dataset", "mnist"])
    assert rc == cli.EXIT_ERROR
    assert err == (f"error: could not download MNIST into {raw_folder('mnist', tmp_path)}: "
                   "<urlopen error [Errno -3] Temporary failure in name resolution>\n")
    assert "streamlit run" not in out


def test_missing_files_checks_every_file(tmp_path):
    assert missing_files("mnist", tmp_path) == list(FILES)
    fill(tmp_path, "MNIST")
    assert missing_files("mnist", tmp_path) == []
    (tmp_path / "MNIST" / "raw" / FILES[2]).unlink()
    assert missing_files("mnist", tmp_path) == [FILES[2]]
    assert missing_files("fashion", tmp_path) == list(FILES)


def test_a_url_error_is_one_line_too(tmp_path, capfd, monkeypatch):
    def offline(root, train=True, download=False):
        raise URLError("no route to host")

    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", offline)
    rc, _, err = run(capfd, ["data", "--data-dir", str(tmp_path), "--dataset", "fashion"])
    assert rc == cli.EXIT_ERROR and err.count("\n") == 1
    assert err.endswith("FashionMNIST/raw: <urlopen error no route to host>\n")
