"""A kept map (``train --keep-map``): a new image goes where its nearest training image lies,
a training image onto its own place, the keys the same for the same images, the map written
into the file and read back with it, and the settings that cannot go with it refused."""

from __future__ import annotations

import pytest
import torch

from aeexplorer.core.checkpoints.card import layers, placing, train_command
from aeexplorer.core.checkpoints.file import Atlas, load_checkpoint, save_checkpoint
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.latent.refine import model_codes
from aeexplorer.core.models import ModelConfig, build_model
from aeexplorer.core.models.build import keeping
from aeexplorer.core.models.kept import KEY_DIMS, KeptMap
from aeexplorer.core.training import first_map
from aeexplorer.core.training.config import TrainConfig, check_compatible
from aeexplorer.core.training.loop import train
from aeexplorer.core.training.options import configs
from tests.helpers.images import synthetic_images

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _filled(n: int = 300, seed: int = 0) -> tuple[KeptMap, torch.Tensor, torch.Tensor]:
    images, _ = synthetic_images(n, seed=seed)
    places = torch.randn(n, 2, generator=torch.Generator().manual_seed(seed))
    kept = KeptMap(n, 784, 2)
    kept.fill(images, places)
    return kept, images, places


def _own(images: torch.Tensor, places: torch.Tensor) -> torch.Tensor:
    """Each image's own place, or that of the first image identical to it (whose key is the
    same: its place is given)."""
    group = torch.unique(images.flatten(1), dim=0, return_inverse=True)[1]
    first = {int(g): i for i, g in reversed(list(enumerate(group)))}
    return places[[first[int(g)] for g in group]]


def test_each_training_image_is_placed_on_its_own_place() -> None:
    kept, images, places = _filled()
    assert kept.keys.shape == (300, KEY_DIMS) and kept.keys.dtype == torch.float16
    assert torch.equal(kept.place(images), _own(images, places))


def test_a_new_image_goes_where_its_nearest_training_image_lies() -> None:
    kept, images, places = _filled()
    g = torch.Generator().manual_seed(1)
    near = (images + 0.02 * torch.randn(images.shape, generator=g)).clamp(0, 1)
    flat = images.flatten(1)
    nearest = torch.cdist(near.flatten(1), flat).argmin(1)  # in all the pixels
    placed = kept.place(near)
    # the keys are 20 principal components, so an image's nearest may rarely differ from the
    # one of all 784 pixels; here it never does
    assert torch.equal(placed, places[nearest])
    assert kept.place(images[:0]).shape == (0, 2)


def test_the_same_images_make_the_same_keys() -> None:
    a, images, places = _filled(seed=3)
    b = KeptMap(300, 784, 2)
    b.fill(images.flip(0).flip(0), places)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                   b.state_dict().values()))
    # each axis has unit length and its largest entry positive: a sign fixed by the data
    assert torch.allclose(a.basis.norm(dim=0), torch.ones(KEY_DIMS), atol=1e-5)
    assert (a.basis.gather(0, a.basis.abs().argmax(0, keepdim=True)) > 0).all()


def test_settings_that_cannot_keep_a_map_are_refused_with_what_to_change() -> None:
    with pytest.raises(ValueError, match="kept"):
        ModelConfig(kind="vae", kept=10)
    with pytest.raises(ValueError, match="kept"):
        ModelConfig(kind="ae", refine=30, kept=10)
    with pytest.raises(ValueError, match="integer"):
        ModelConfig.from_dict({"kind": "ae", "kept": "10"})
    assert ModelConfig.from_dict({"kind": "ae"}).kept == 0  # files from before it: none
    with pytest.raises(ValueError, match="map-first AE"):
        TrainConfig(keep_map=True)
    with pytest.raises(ValueError, match="drop --refine"):
        check_compatible(ModelConfig(kind="ae", refine=30),
                         TrainConfig(penalty="map", penalty_weight=100.0, keep_map=True))
    model_cfg, cfg = configs({"kind": "ae", "penalty": "map", "penalty_weight": 100.0,
                              "keep_map": True})
    assert cfg.keep_map and model_cfg.kept == 0  # the count is set once the map is made


@pytest.mark.skipif(first_map.missing("umap") is not None,
                    reason="umap-learn (requirements-references.txt)")
def test_a_training_that_keeps_its_map_places_by_it_and_the_file_keeps_it(tmp_path) -> None:
    images, labels = synthetic_images(300, seed=0)
    cfg = TrainConfig(penalty="map", penalty_weight=100.0, keep_map=True, epochs=3,
                      batch_size=64, lr=3e-3, precision="fp32", device="cpu", seed=0)
    model, history = train(ModelConfig(kind="ae", hidden=(64,)), cfg,
                           Split(images=images, labels=labels))
    assert history.finished and model.config.kept == 300
    wanted = first_map.make_map(images, "umap", 0)
    codes, logvar = model_codes(model, images)
    assert logvar is None and torch.equal(codes, _own(images, wanted))
    path = save_checkpoint(tmp_path / "kept.safetensors", model, "mnist",
                           Atlas(codes[:50], None, labels[:50]),
                           train={"config": {"penalty": "map", "penalty_weight": 100.0,
                                             "keep_map": True, "epochs": 3}})
    loaded = load_checkpoint(path)
    assert loaded.config.kept == 300
    assert torch.equal(model_codes(loaded.model, images[:20])[0], codes[:20])
    # what a person reads of it, and the command that makes it again
    assert "map kept (300 images)" in layers(loaded.config)
    assert "--keep-map" in train_command(loaded.config, {"penalty": "map", "keep_map": True,
                                                         "penalty_weight": 100.0}, "k.st")


def test_keeping_a_map_keeps_the_weights_and_says_so() -> None:
    model = build_model(ModelConfig(kind="ae", hidden=(16,)))
    images, _ = synthetic_images(40, seed=5)
    kept = keeping(model, images, torch.randn(40, 2))
    assert kept.config.kept == 40 and placing(kept.config) == "map kept (40 images)"
    with torch.no_grad():
        assert torch.equal(kept.decode(torch.ones(1, 2)), model.eval().decode(torch.ones(1, 2)))
    assert placing(ModelConfig(kind="ae", refine=30)) == "codes polished (30 steps)"
    assert placing(ModelConfig(kind="ae")) == ""


def test_a_file_whose_kept_places_are_off_any_map_is_refused_in_a_line(tmp_path) -> None:
    from aeexplorer.core.checkpoints.file import CheckpointError

    images, labels = synthetic_images(30, seed=6)
    model = keeping(build_model(ModelConfig(kind="ae", hidden=(8,))), images,
                    torch.full((30, 2), 1e9))  # finite, and far off any map
    path = save_checkpoint(tmp_path / "far.safetensors", model, "mnist",
                           Atlas(torch.zeros(10, 2), None, labels[:10]))
    with pytest.raises(CheckpointError, match="far.safetensors: the kept map's places"):
        load_checkpoint(path)


def test_images_too_big_to_key_are_refused_before_training(tmp_path) -> None:
    """The data decides the image size, so the training checks it once the data is in, and
    says what to change in a line (a covariance of 64x64 colour images would be 1.2 GB)."""
    from aeexplorer.core.errors import AeError
    from aeexplorer.core.pipeline import train_and_save

    model_cfg, cfg = configs({"kind": "ae", "penalty": "map", "penalty_weight": 100.0,
                              "keep_map": True, "dataset": "shapes", "epochs": 1})
    with pytest.raises(AeError, match="up to 4,096 values, not 12,288: use a smaller"):
        train_and_save(model_cfg, cfg, tmp_path / "big.safetensors", tmp_path, image_size=64)
    assert not (tmp_path / "big.safetensors").exists()
    with pytest.raises(ValueError, match="kept"):  # nor can a file say it has such a map
        ModelConfig(kind="ae", image_size=64, image_channels=3, kept=10)
