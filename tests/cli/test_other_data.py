"""The command line on other data sets: ``train --dataset folder:PATH`` end to end (a real
process) writes a checkpoint whose card has the folder's classes and its name, not its path;
``evaluate`` finds it again under the data root's images/; a bad folder or size is one
``error:`` line; ``data`` lists and fetches the other sets (torchvision stood in for)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torchvision

from aeexplorer import cli
from aeexplorer.core.checkpoints.card import train_command
from aeexplorer.core.checkpoints.header import read_card
from tests.helpers import REPO
from tests.helpers.datasets import class_folder

FAST = ["--model", "ae", "--hidden", "16", "--epochs", "1", "--batch-size", "16",
        "--device", "cpu", "--precision", "fp32"]


def run(capfd, argv) -> tuple[int, str, str]:
    rc = cli.main(argv)
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    return rc, out, err


def test_train_on_an_image_folder_end_to_end(tmp_path):
    pics = tmp_path / "my pics"
    class_folder(pics, {"circle": 25, "square": 25})
    (pics / "square" / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "folder.safetensors"
    done = subprocess.run(
        [sys.executable, "-m", "aeexplorer", "train", "--dataset", f"folder:{pics}",
         "--image-size", "16", *FAST, "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "2 classes" in done.stderr and "1 file left out" in done.stderr
    card = read_card(out)
    assert card["dataset"] == "folder:my pics"  # its name: the server's path stays there
    assert str(tmp_path) not in str(card["train"]) and card["classes"] == ("circle", "square")
    assert card["config"].image_size == 16 and card["config"].image_channels == 1
    assert card["metrics"]["skipped_files"] == 1 and card["metrics"]["n_test"] >= 1
    # its card's command trains it again from <data root>/images/my pics
    line = train_command(card["config"], card["train"]["config"], "x")
    assert "--dataset 'folder:my pics' --image-size 16 --image-channels 1" in line


def test_evaluate_finds_a_folder_model_under_the_data_root(tmp_path, capfd):
    root = tmp_path / "root"
    class_folder(root / "images" / "shapes", {"a": 20, "b": 20})
    out = tmp_path / "m.safetensors"
    rc, _, err = run(capfd, ["train", "--dataset", "folder:shapes", "--data-dir", str(root),
                             *FAST, "--out", str(out)])
    assert rc == 0, err
    rc, report, err = run(capfd, ["evaluate", str(out), "--data-dir", str(root), "--json"])
    assert rc == 0, err
    assert '"dataset": "folder:shapes"' in report


@pytest.mark.parametrize("argv, said", [
    (["--dataset", "folder:{tmp}/nowhere"], "error: no folder"),
    (["--dataset", "folder:{tmp}/one"], "too few to split"),
    (["--dataset", "folder:{tmp}/one", "--image-size", "500"], "image_size must be between"),
    (["--dataset", "folder:{tmp}/one", "--arch", "conv", "--image-size", "30"], "multiple of 4"),
])
def test_a_bad_folder_or_size_is_one_error_line(tmp_path, capfd, argv, said):
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "a.png").write_bytes(b"")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    rc, out, err = run(capfd, ["train", *argv, *FAST, "--out", str(tmp_path / "x.safetensors")])
    assert rc == cli.EXIT_ERROR and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and said in err


def test_a_bad_dataset_name_or_channels_is_refused_by_the_parser(capfd):
    for argv in (["--dataset", "cifar"], ["--image-channels", "2"]):
        with pytest.raises(SystemExit) as info:
            cli.main(["train", *argv, "--out", "x"])
        assert info.value.code == 2
        assert "Traceback" not in capfd.readouterr()[1]


def test_data_fetches_another_set_when_asked_and_lists_image_folders(tmp_path, capfd,
                                                                      monkeypatch):
    calls = []

    class FakeKMNIST:
        def __init__(self, root, train=True, download=False):
            calls.append(download)
            raw = Path(root) / "KMNIST" / "raw"
            raw.mkdir(parents=True, exist_ok=True)
            for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
                (raw / name).write_bytes(b"")

    monkeypatch.setattr(torchvision.datasets, "KMNIST", FakeKMNIST)
    class_folder(tmp_path / "images" / "shapes", {"a": 10, "b": 10})
    rc, out, err = run(capfd, ["data", "--data-dir", str(tmp_path), "--dataset", "kmnist"])
    assert rc == 0 and calls == [True]
    assert f"KMNIST: downloaded into {tmp_path / 'KMNIST' / 'raw'}" in out
    rc, out, err = run(capfd, ["data", "--data-dir", str(tmp_path), "--check"])
    assert rc == cli.EXIT_ERROR  # MNIST and Fashion-MNIST are missing
    assert f"KMNIST: present in {tmp_path / 'KMNIST' / 'raw'}" in out
    assert "CIFAR-10: not here; `python -m aeexplorer data --dataset cifar10` fetches it" in out
    assert "folder:shapes: an image folder" in out
    assert calls == [True]  # --check fetches nothing
