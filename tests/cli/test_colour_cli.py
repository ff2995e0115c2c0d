"""``encode`` and ``evaluate`` with colour models, one labelled and one of unlabelled data, over
colour image folders (red, green and blue shapes, ``colour_images``) under a data root: an
upload keeps its colours (a red picture is voted red, a green one green, as placed in-process),
the test images are read and reconstructed in colour, and a model of unlabelled data gives no
vote or label (null in JSON, said in words in text), without a traceback."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aeexplorer import cli
from aeexplorer.core.checkpoints.file import load_checkpoint
from tests.helpers.checkpoints import (
    COLOUR_CLASSES,
    NO_LABELS_NOTE,
    colour_images,
    make_colour_checkpoint,
)

RED, GREEN = (220, 30, 30), (30, 200, 40)


def run(capfd, argv: list[str]) -> tuple[int, str, str]:
    rc = cli.main(argv)
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    return rc, out, err


def _png(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()


def square_photo(colour: tuple[int, int, int]) -> bytes:
    """A wide photo-like picture: a square of ``colour`` in its middle, on dark grey."""
    im = np.full((90, 150, 3), 20, np.uint8)
    im[25:65, 55:95] = colour
    return _png(im)


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict[str, Path]:
    """A data root with two folders of the same 16x16 colour shapes (``labelled``: a subfolder
    per colour; ``bare``: no subfolders, unlabelled), a colour model of each, and two
    pictures: a red square and a green one."""
    tmp = tmp_path_factory.mktemp("colour-cli")
    images, labels = colour_images(210, 16, seed=5)
    for k, (image, label) in enumerate(zip(images, labels)):
        data = _png((image * 255).round().astype(np.uint8))
        for sub in (f"labelled/{COLOUR_CLASSES[label]}", "bare"):
            path = tmp / "root" / "images" / sub / f"img{k:03d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    files = {"root": tmp / "root", "red": tmp / "red.png", "green": tmp / "green.png"}
    files["red"].write_bytes(square_photo(RED))
    files["green"].write_bytes(square_photo(GREEN))
    # trained enough that the three colours lie apart on the map (every seed tried: 40 steps)
    files["labelled"] = make_colour_checkpoint(tmp / "labelled.safetensors", steps=60,
                                               dataset="folder:labelled")
    files["bare"] = make_colour_checkpoint(tmp / "bare.safetensors", dataset="folder:bare",
                                           labelled=False, kind="ae", steps=0, seed=1)
    return files


def test_encode_keeps_an_uploads_colours(setup, capfd):
    from aeexplorer.core.images.photo import prepare_bytes
    from aeexplorer.core.latent.placement import place_bytes

    ckpt = load_checkpoint(setup["labelled"])
    for name, channel in (("red", 0), ("green", 1)):
        image = prepare_bytes(setup[name].read_bytes(), ckpt.config, ckpt.dataset).image
        assert image.shape == (16, 16, 3)
        assert int(np.argmax(image[6:10, 6:10].mean((0, 1)))) == channel  # its own colour
    rc, out, _ = run(capfd, ["encode", str(setup["labelled"]), str(setup["red"]),
                             str(setup["green"]), "--json"])
    assert rc == 0
    red, green = json.loads(out)
    assert (red["label_name"], green["label_name"]) == ("red", "green")
    assert (red["label"], green["label"]) == (0, 1)
    assert all(n["label"] in (0, 1, 2) for n in red["nearest"] + green["nearest"])
    assert red["z"] == pytest.approx(place_bytes(ckpt, setup["red"].read_bytes()).z, abs=1e-6)
    rc, out, _ = run(capfd, ["encode", str(setup["labelled"]), str(setup["red"]),
                             str(setup["green"])])
    assert rc == 0
    lines = out.splitlines()
    assert len(lines) == 2 and " label=red " in lines[0] and " label=green " in lines[1]


def test_encode_with_unlabelled_data_gives_no_label(setup, capfd):
    rc, out, err = run(capfd, ["encode", str(setup["bare"]), str(setup["red"]), "--json"])
    assert rc == 0 and err == ""
    [entry] = json.loads(out)
    assert entry["label"] is None and entry["label_name"] is None
    assert len(entry["nearest"]) == 5 and all(n["label"] is None for n in entry["nearest"])
    assert len(entry["z"]) == 2
    rc, out, err = run(capfd, ["encode", str(setup["bare"]), str(setup["red"])])
    assert rc == 0 and err == ""
    assert out.startswith(f"{setup['red']}: z=(")
    assert "label=– (the data set has no labels) nearest=[" in out
    said = out.removeprefix(f"{setup['red']}: ")  # the file's path may hold "-1" (pytest-1)
    assert "None" not in said and "-1" not in said


def _reconstruction_mse(ckpt, root: Path) -> float:
    """The test split's mean squared error per pixel value, computed here in colour."""
    from aeexplorer.core.datasets.loading import load_split

    split = load_split(ckpt.dataset, False, root, image_size=16, channels=3)
    images = split.images.permute(0, 2, 3, 1).numpy()  # (N, 16, 16, 3)
    assert len(images) > 10 and np.ptp(images, axis=3).max() > 0.5  # in colour
    recon = ckpt.ops.reconstruct(images).images
    return float(np.mean((recon - images) ** 2))


@pytest.mark.parametrize("which", ["labelled", "bare"])
def test_evaluate_reads_and_reconstructs_in_colour(setup, capfd, which):
    ckpt = load_checkpoint(setup[which])
    rc, out, _ = run(capfd, ["evaluate", str(setup[which]), "--data-dir", str(setup["root"]),
                             "--json"])
    assert rc == 0
    report = json.loads(out)
    assert report["dataset"] == f"folder:{which}"
    assert report["recon_mse"] == pytest.approx(_reconstruction_mse(ckpt, setup["root"]),
                                                rel=1e-3)
    if which == "labelled":
        assert 0.0 <= report["knn5_accuracy"] <= 1.0 and "knn5_note" not in report
    else:
        assert report["knn5_accuracy"] is None and report["knn5_note"] == NO_LABELS_NOTE
    rc, out, _ = run(capfd, ["evaluate", str(setup[which]), "--data-dir", str(setup["root"])])
    assert rc == 0
    lines = dict(line.strip().split(": ", 1) for line in out.splitlines())
    assert float(lines["recon_mse"]) == pytest.approx(report["recon_mse"], abs=1e-4)
    if which == "bare":
        assert lines["knn5_accuracy"] == f"– ({NO_LABELS_NOTE})"
