"""Where the app looks for checkpoints, and how it names them."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from aeexplorer.ui.resources import checkpoint_folders, list_files
from aeexplorer.ui.sidebar import display_names
from tests.helpers.checkpoints import make_checkpoint


def test_folders_shipped_runs_then_env(tmp_path, monkeypatch):
    monkeypatch.setenv("AEEXPLORER_CHECKPOINT_DIRS", os.pathsep.join(["/a", "", "~/b"]))
    folders = checkpoint_folders(tmp_path)
    assert folders[:2] == [tmp_path / "checkpoints", tmp_path / "runs"]
    assert folders[2] == Path("/a") and folders[3] == Path("~/b").expanduser()
    assert len(folders) == 4


def test_list_files_dedupes_and_names_clashes_by_folder(tmp_path, monkeypatch):
    make_checkpoint(tmp_path / "checkpoints" / "m.safetensors")
    make_checkpoint(tmp_path / "runs" / "m.safetensors")
    (tmp_path / "runs" / ".m.safetensors.x.tmp").write_bytes(b"half-written")
    monkeypatch.setenv("AEEXPLORER_CHECKPOINT_DIRS", str(tmp_path / "checkpoints"))
    files = list_files(tmp_path)
    assert len(files) == 2
    assert display_names(files) == ["checkpoints/m.safetensors", "runs/m.safetensors"]
    assert display_names(files[:1]) == ["m.safetensors"]


def test_the_checkpoint_a_link_names_wins():
    from aeexplorer.ui.sidebar import wanted_index

    names = ["fashion-ae.safetensors", "runs/mnist-vae.safetensors", "dev/mnist-vae.safetensors"]
    assert wanted_index(names, "dev/mnist-vae.safetensors") == 2
    assert wanted_index(names, "mnist-vae.safetensors") == 1
    assert wanted_index(names, "gone.safetensors") == 1
    assert wanted_index(["a.safetensors"], None) == 0


def test_the_test_set_is_read_once_for_images_labels_and_the_pixel_index(data_root,
                                                                        monkeypatch):
    from aeexplorer.ui import resources
    from aeexplorer.ui.explorer.similar import pixel_index

    real, calls = resources.load_split, []
    monkeypatch.setattr(resources, "load_split",
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    resources.test_split.clear()
    pixel_index.clear()
    root, shape = str(data_root), (28, 1)  # as a model of 28x28 grey images takes them
    images, labels = resources.test_split("mnist", root, shape)
    assert images.shape == (10_000, 28, 28) and labels.shape == (10_000,)
    assert resources.test_images("mnist", root, shape) is images
    index = pixel_index("mnist", root, shape)
    np.testing.assert_array_equal(index.labels, labels)
    assert len(calls) == 1
    missing = resources.test_split("mnist", str(data_root / "nowhere"))
    assert isinstance(missing, str) and "nowhere" in missing


_FIRST_VISIT = """
import sys
from streamlit.testing.v1 import AppTest

at = AppTest.from_file("app.py", default_timeout=180)
at.query_params["ckpt"] = "mnist-vae.safetensors"
at.run()
assert not at.exception, at.exception
waiting = [c.value for c in at.caption if c.value.startswith("Loading the model")]
# the map is drawn in this run, and torch was not imported by its end: so not before the map
maps = [c for c in at.get("plotly_chart") if c.proto.id.endswith("-map")]  # (and the replay)
print("FIRST", len(maps), "torch" in sys.modules, len(at.tabs), waiting)
import torch  # what the browser's warm-up run does; then the page draws the tools
at.run()
print("THEN", len(at.tabs), [c.value for c in at.caption if c.value.startswith("Loading")])
"""


@pytest.mark.slow
def test_a_first_visit_draws_the_map_before_torch_is_imported():
    """In a fresh process the map is drawn from the atlas alone, and the tools under it (which
    need torch: seconds to import) wait for a second run that the browser asks for once it
    has drawn the page (the fragment's warm-up)."""
    import subprocess
    import sys

    from tests.helpers import REPO

    out = subprocess.run([sys.executable, "-c", _FIRST_VISIT], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert ("FIRST 1 False 0 ['Loading the model for the tools below…']"
            in out.stdout), out.stdout
    assert "THEN 4 []" in out.stdout, out.stdout  # the four tool tabs


def test_the_model_and_the_test_images_are_frozen_out_of_garbage_collection(tmp_path,
                                                                            data_root):
    """Loading them imports torch and torchvision: objects that live as long as the server.
    Left in the collector, every full collection walked them (100-300 ms pauses mid-click)."""
    import gc

    from aeexplorer.ui import resources

    path = make_checkpoint(tmp_path / "m.safetensors")
    for load in (lambda: resources.checkpoint(str(path), path.stat().st_mtime),
                 lambda: resources.test_split("mnist", str(data_root))):
        gc.unfreeze()
        resources.checkpoint.clear()
        resources.test_split.clear()
        load()
        assert gc.get_freeze_count() > 0
    gc.unfreeze()


def test_a_big_atlas_is_shared_as_a_bounded_map_and_one_grid_index(tmp_path):
    """Every session draws the map from one cached figure (a density and a sample for a big
    atlas) and searches it with one index, built on the first search."""
    from aeexplorer.app import density, figures
    from aeexplorer.core.latent.spatial import GridIndex
    from aeexplorer.ui import resources

    path = make_checkpoint(tmp_path / "big.safetensors", n_atlas=60_000)
    mtime = path.stat().st_mtime
    atlas = resources.atlas(str(path), mtime)
    assert resources.atlas(str(path), mtime) is atlas
    assert isinstance(atlas.index, GridIndex) and atlas.index is atlas.index
    near = atlas.index.nearest([0.1, -0.2], 3)
    d = np.hypot(atlas.xy[:, 0] - 0.1, atlas.xy[:, 1] + 0.2)
    assert near.indices.tolist() == np.argsort(d, kind="stable")[:3].tolist()
    spec = resources.base_map(str(path), mtime, False, atlas.bounds)
    fig = figures.from_dict(spec)
    assert [i.name for i in fig.layout.images] == [figures.DENSITY]
    drawn = [t for t in figures.latent_map(atlas.xy, atlas.labels, [str(i) for i in range(10)],
                                           atlas.bounds).data if t.customdata is not None]
    assert sum(len(t.customdata) for t in drawn) == density.SAMPLE_POINTS
