"""``train --dataset shapes``: the generated data set trains from the command line with no data
root, into a colour checkpoint that knows its classes (the splits made smaller here)."""

from __future__ import annotations

from aeexplorer import cli
from aeexplorer.core.checkpoints.file import load_checkpoint
from aeexplorer.core.datasets import shapes


def test_train_on_the_shapes_writes_a_colour_checkpoint(tmp_path, capfd, monkeypatch):
    monkeypatch.setattr(shapes, "SIZES", {True: 512, False: 256})
    monkeypatch.setenv("AEEXPLORER_DATA", str(tmp_path / "no-data-here"))
    out = tmp_path / "shapes.safetensors"
    rc = cli.main(["train", "--dataset", "shapes", "--model", "vae", "--hidden", "16",
                   "--epochs", "1", "--batch-size", "128", "--device", "cpu",
                   "--precision", "fp32", "--out", str(out)])
    stdout, stderr = capfd.readouterr()
    assert rc == 0, stderr
    ckpt = load_checkpoint(out)
    assert ckpt.dataset == "shapes" and ckpt.class_names == shapes.CLASS_NAMES
    assert ckpt.config.image_channels == 3 and ckpt.config.image_size == 32
    assert ckpt.atlas.mu.shape == (256, 2) and ckpt.metrics["n_test"] == 256
    assert ckpt.ops.decode([[0.0, 0.0]]).shape == (1, 32, 32, 3)
    assert not (tmp_path / "no-data-here").exists()
