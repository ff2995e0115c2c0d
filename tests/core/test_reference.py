"""Reference maps (t-SNE and UMAP of the test set): computed seeded, measured, stored, and read
back only after a crafted file's header and values are checked."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from aeexplorer import cli
from aeexplorer.core.checkpoints.header import FORMAT, FORMAT_VERSION
from aeexplorer.core.errors import CheckpointError
from aeexplorer.core.latent import reference
from aeexplorer.core.latent.reference import ReferenceMap, load_reference, save_reference
from tests.helpers import find_data_root


def blobs(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three classes of 64-pixel images around three corners of the cube: a map that keeps
    neighbours keeps the classes apart."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    centres = np.eye(3, 64) * 0.8
    return np.clip(centres[labels] + rng.normal(0, 0.05, (n, 64)), 0, 1), labels


def a_map(n: int = 50) -> ReferenceMap:
    rng = np.random.default_rng(1)
    return ReferenceMap("tsne", "mnist", rng.normal(size=(n, 2)).astype(np.float32),
                        np.arange(n) % 10, {"seed": 0, "knn5_accuracy": 0.5})


def test_a_saved_map_reads_back_as_it_was(tmp_path):
    ref = a_map()
    loaded = load_reference(save_reference(tmp_path / "mnist-tsne.safetensors", ref))
    assert (loaded.method, loaded.dataset, loaded.info) == ("tsne", "mnist", ref.info)
    assert np.array_equal(loaded.codes, ref.codes) and np.array_equal(loaded.labels, ref.labels)
    assert loaded.title == "t-SNE of the test set"
    assert reference.references_for("mnist", tmp_path) == [tmp_path / "mnist-tsne.safetensors"]
    assert reference.references_for("fashion", tmp_path) == []


def write(path, codes, labels, meta) -> None:
    save_file({"codes": codes, "labels": labels}, str(path),
              metadata={"format": FORMAT, "format_version": str(FORMAT_VERSION), **meta})


GOOD = {"reference": json.dumps({"method": "umap", "dataset": "mnist"})}


@pytest.mark.parametrize("codes, labels, meta, words", [
    (np.zeros((4, 2), np.float32), np.zeros(4, np.int64), {}, "not a reference map"),
    (np.zeros((4, 2), np.float32), np.zeros(4, np.int64),
     {"reference": json.dumps({"method": "<b>pca</b>", "dataset": "mnist"})}, "method"),
    (np.zeros((4, 2), np.float32), np.zeros(4, np.int64),
     {"reference": "[" * 10_000}, "nested"),
    (np.zeros((4, 3), np.float32), np.zeros(4, np.int64), GOOD, "2-D"),
    (np.zeros((4, 2), np.float64), np.zeros(4, np.int64), GOOD, "float32 codes"),
    (np.zeros((4, 2), np.float32), np.zeros(5, np.int64), GOOD, "2-D"),
    (np.full((4, 2), np.nan, np.float32), np.zeros(4, np.int64), GOOD, "finite"),
    (np.full((4, 2), 1e30, np.float32), np.zeros(4, np.int64), GOOD, "finite"),
    (np.zeros((4, 2), np.float32), np.full(4, 10**6, np.int64), GOOD, "labels"),
    (np.zeros((4, 2), np.float32), np.zeros(4, np.int64),
     {"reference": json.dumps({"method": "umap", "dataset": 7})}, "data set"),
])
def test_a_crafted_file_is_one_message_naming_it(tmp_path, codes, labels, meta, words):
    path = tmp_path / "odd.safetensors"
    write(path, codes, labels, meta)
    with pytest.raises(CheckpointError, match=words) as caught:
        load_reference(path)
    assert str(caught.value).startswith("odd.safetensors") and "\n" not in str(caught.value)


def test_leave_one_out_counts_each_point_by_the_others_only():
    # two tight pairs of classes 0 and 1, far apart: by its one neighbour each point is right
    codes = np.array([[0, 0], [0, 0.1], [5, 5], [5, 5.1]], np.float32)
    assert reference.leave_one_out_accuracy(codes, np.array([0, 0, 1, 1]), k=1) == 1.0
    # a point whose only neighbour is of another class is wrong (itself is not its vote)
    assert reference.leave_one_out_accuracy(codes, np.array([0, 1, 1, 1]), k=1) == 0.5
    # two points on the same spot: each is the other's neighbour, not its own
    same = np.array([[1, 1], [1, 1], [9, 9], [9, 9.1]], np.float32)
    assert reference.leave_one_out_accuracy(same, np.array([0, 1, 2, 2]), k=1) == 0.5


@pytest.mark.parametrize("method", ["tsne", "umap"])
def test_a_computed_map_keeps_the_classes_apart_and_is_seeded(method):
    pytest.importorskip({"tsne": "openTSNE", "umap": "umap"}[method])
    images, labels = blobs()
    codes, library = reference.compute(method, images, seed=3)
    again, _ = reference.compute(method, images, seed=3)
    assert codes.shape == (300, 2) and codes.dtype == np.float32
    assert np.allclose(codes, again, atol=1e-4)
    assert library.startswith({"tsne": "openTSNE", "umap": "umap-learn"}[method])
    assert reference.leave_one_out_accuracy(codes, labels) > 0.98


def test_the_command_writes_a_map_the_page_can_read(tmp_path, monkeypatch, capsys):
    """The CLI end to end on a stand-in data set (the method's library is stubbed by a
    projection: what is tested here is the command, not t-SNE)."""
    from aeexplorer.cli import reference as command
    from aeexplorer.core.datasets.split import Split

    images, labels = blobs(60)
    import torch

    split = Split(torch.tensor(images, dtype=torch.float32).reshape(60, 1, 8, 8),
                  torch.tensor(labels), ("a", "b", "c"))
    monkeypatch.setattr(command, "_test_split", lambda dataset, data_dir: split)
    monkeypatch.setattr(reference, "compute",
                        lambda method, x, seed: (x[:, :2].astype(np.float32), "stub 1.0"))
    out = tmp_path / "refs" / "mnist-umap.safetensors"
    assert cli.main(["reference", "--method", "umap", "--dataset", "mnist", "--out",
                     str(out)]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said["knn5_accuracy"] == 1.0 and 0 < said["trustworthiness"] <= 1
    assert load_reference(out).info["library"] == "stub 1.0"


def test_the_command_without_its_library_says_how_to_install_it(monkeypatch, capsys, tmp_path):
    from aeexplorer.cli import reference as command
    from aeexplorer.core.datasets.split import Split

    import torch

    split = Split(torch.zeros(20, 1, 4, 4), torch.zeros(20, dtype=torch.long), ("a",))
    monkeypatch.setattr(command, "_test_split", lambda dataset, data_dir: split)
    monkeypatch.setitem(__import__("sys").modules, "openTSNE", None)  # import fails
    code = cli.main(["reference", "--method", "tsne", "--dataset", "mnist", "--out",
                     str(tmp_path / "x.safetensors")])
    err = capsys.readouterr().err
    assert code != 0 and "requirements-references.txt" in err and "Traceback" not in err
    assert not (tmp_path / "x.safetensors").exists()


SHIPPED = sorted(reference.FOLDER.glob("*.safetensors"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_each_shipped_reference_holds_the_figures_it_states(path):
    """The stored 5-NN is the map's own (recomputed here); the name says its data set and
    method, which is how Compare finds it."""
    ref = load_reference(path)
    assert path.stem == f"{ref.dataset}-{ref.method}" and len(ref.codes) == 10_000
    assert ref.info["seed"] == 0 and ref.info["library"].split()[0] in ("openTSNE", "umap-learn")
    assert reference.leave_one_out_accuracy(ref.codes, ref.labels) == pytest.approx(
        ref.info["knn5_accuracy"], abs=1e-9)
    assert len(SHIPPED) == 4  # MNIST and Fashion, t-SNE and UMAP
    root = find_data_root()
    if root is not None:  # row i is test image i: its labels are the test set's, in order
        from aeexplorer.core.datasets.loading import load_split

        test = load_split(ref.dataset, train=False, data_dir=root)
        assert np.array_equal(ref.labels, test.labels.numpy())
