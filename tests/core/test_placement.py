"""Placing one's own image: the search never fits the image worse than the encoder's code, the
weighted vote, and the placement that ``encode`` uses by default is the app's (its flags pick
the others)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from tests.helpers import REPO
from tests.helpers.images import draw_digit, to_bytes
from tests.helpers.digit_cases import Look, jpeg, pen_drawing, photo

VAE = REPO / "checkpoints" / "mnist-vae.safetensors"
AE = REPO / "checkpoints" / "mnist-ae.safetensors"
UMAP = REPO / "checkpoints" / "mnist-umap-ae.safetensors"
MAP_FIRST = REPO / "checkpoints" / "mnist-map-ae.safetensors"


@pytest.fixture(scope="module")
def inputs(data_root) -> torch.Tensor:
    from tests.helpers.images import mnist_test_images

    from aeexplorer.core.images.preprocess import preprocess_array, preprocess_bytes

    digits = mnist_test_images(data_root, 8)
    images = [preprocess_bytes(jpeg(photo(d, Look(pen=6, rotate=8), i))).image
              for i, d in enumerate(digits)]
    images += [preprocess_array(pen_drawing(d)).image for d in digits]
    return torch.as_tensor(np.stack(images))


@pytest.mark.parametrize("path", [VAE, AE], ids=["vae", "ae"])
def test_the_search_fits_the_image_at_least_as_well_as_the_encoder(path, inputs):
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.latent.placement import Method, codes
    from aeexplorer.core.latent.refine import fit

    ckpt = load_checkpoint(path)
    x = inputs.reshape(-1, 1, 28, 28)
    fits = {}
    for how in ("encoder", "refined", "searched"):
        z = codes(ckpt.model, inputs, ckpt.atlas.mu, Method(how=how))
        assert z.shape == (len(inputs), 2) and torch.isfinite(z).all()
        with torch.no_grad():
            fits[how] = fit(ckpt.model, x, z)
    assert (fits["searched"] <= fits["encoder"] + 1e-3).all()
    assert fits["searched"].mean() < fits["encoder"].mean()  # it does find better codes
    assert all(p.requires_grad for p in ckpt.model.parameters())  # the weights are left as found


def test_encoder_placement_is_the_encoders_code():
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.images.preprocess import preprocess_bytes
    from aeexplorer.core.latent.placement import Method, place_bytes

    ckpt = load_checkpoint(VAE)
    data = to_bytes(draw_digit("7"))
    encoded = ckpt.ops.encode(preprocess_bytes(data).image[None]).mu[0]
    assert place_bytes(ckpt, data, Method(how="encoder")).z == pytest.approx(
        encoded.tolist(), abs=1e-6)


def test_weighted_vote_counts_nearer_neighbours_more():
    from aeexplorer.core.latent.neighbours import Neighbours, weighted_votes

    labels = np.array([[3, 8, 8, 3, 8]])
    assert weighted_votes(labels, np.array([[0.1, 1.0, 1.0, 0.2, 1.0]]), 10)[0] == 3
    assert weighted_votes(labels, np.array([[1.0, 1.0, 1.0, 1.0, 1.0]]), 10)[0] == 8
    near = Neighbours(np.arange(5), np.array([0.1, 1.0, 1.0, 0.2, 1.0]), labels[0])
    assert near.vote(weighted=True) == 3 and near.vote() == 8  # the majority differs


def test_unknown_methods_are_refused():
    from aeexplorer.core.latent.placement import Method

    with pytest.raises(ValueError, match="placement"):
        Method(how="psychic")
    with pytest.raises(ValueError, match="vote"):
        Method(vote="loudest")


def test_encode_places_as_the_app_does_and_its_flags_pick_the_others(tmp_path, capsys):
    """``encode``'s default is the placement the app uses for uploads and drawings
    (``placement.place_bytes`` with the default method); ``--placement encoder`` gives the
    encoder's code."""
    from aeexplorer.cli import main
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.latent.placement import DEFAULT_HOW, place_bytes

    image = tmp_path / "drawn.png"
    image.write_bytes(to_bytes(draw_digit("8", width=20)))
    ckpt = load_checkpoint(AE)
    results = {}
    for flags in ([], ["--placement", "encoder"], ["--placement", DEFAULT_HOW]):
        assert main(["encode", str(AE), str(image), "--json", *flags]) == 0
        results[tuple(flags)] = json.loads(capsys.readouterr().out)[0]["z"]
    assert results[()] == pytest.approx(place_bytes(ckpt, image.read_bytes()).z, abs=1e-5)
    assert results[()] == pytest.approx(results[("--placement", DEFAULT_HOW)], abs=1e-6)
    assert results[()] != pytest.approx(results[("--placement", "encoder")], abs=1e-3)


@pytest.mark.parametrize("path,same_as", [(VAE, "encoder"), (AE, "searched"), (UMAP, "encoder"),
                                          (MAP_FIRST, "encoder")],
                         ids=["vae", "ae", "umap-ae", "map-ae"])
def test_auto_is_what_measured_best_for_the_family(path, same_as):
    """The default: a VAE's encoder (a test image stays on its dot), an autoencoder's search,
    and the encoder for a map trained to keep neighbours (the UMAP AE, the map-first AE),
    whose map is the encoder's own."""
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.latent.placement import DEFAULT_HOW, Method, place_bytes

    ckpt = load_checkpoint(path)
    data = to_bytes(draw_digit("8", width=20))
    assert DEFAULT_HOW == "auto"
    auto = place_bytes(ckpt, data).z
    assert auto == pytest.approx(place_bytes(ckpt, data, Method(how=same_as)).z, abs=1e-6)


def test_a_neighbour_map_is_known_by_its_training_record(tmp_path):
    """An autoencoder trained with the UMAP penalty is placed by its encoder by default; the
    same network without that record is searched, and a record of any shape is no error."""
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.latent.placement import Method, keeps_neighbours, place_bytes
    from tests.helpers.checkpoints import make_checkpoint

    data = to_bytes(draw_digit("8", width=20))
    umap = load_checkpoint(make_checkpoint(tmp_path / "u.safetensors", kind="ae",
                                           train={"penalty": "umap"}))
    plain = load_checkpoint(make_checkpoint(tmp_path / "p.safetensors", kind="ae"))
    assert keeps_neighbours(umap) and not keeps_neighbours(plain)
    assert place_bytes(umap, data).z == pytest.approx(
        place_bytes(umap, data, Method(how="encoder")).z, abs=1e-6)
    assert place_bytes(plain, data).z == pytest.approx(
        place_bytes(plain, data, Method(how="searched")).z, abs=1e-6)
    for odd in ({}, {"config": "umap"}, {"config": {"penalty": 3}}, None):
        plain.train = odd
        assert not keeps_neighbours(plain)
