"""The preparation of an image of one's own for a model that is not of MNIST-format digits:
its centred square, resized to the model's side, in colour (channels in order, alpha on
white) or in luma for a grey model; the digit preparation kept for MNIST-format data sets
(fitted to the model's size and channels); the placement of a colour picture, and of any
image on an unlabelled map (no vote)."""

from __future__ import annotations


import numpy as np
import pytest
from PIL import Image

from aeexplorer.core.images.photo import Photo, as_rgb, digit_like, prepare_bytes, prepare_photo
from aeexplorer.core.images.preprocess import Preprocessed, preprocess_bytes
from aeexplorer.core.models import ModelConfig
from tests.helpers.images import draw_digit, to_bytes


def _picture(h: int = 60, w: int = 100) -> np.ndarray:
    """A wide uint8 picture: its centre square's left half red, right half blue; the strips
    outside the centre square green."""
    im = np.zeros((h, w, 3), np.uint8)
    im[:, :] = (0, 255, 0)
    left = (w - h) // 2
    im[:, left:left + h // 2] = (255, 0, 0)
    im[:, left + h // 2:left + h] = (0, 0, 255)
    return im


def test_the_centred_square_keeps_its_colours_in_order():
    photo = prepare_photo(_picture(), 16, 3)
    assert photo.box == (0, 20, 60, 80)
    assert photo.image.shape == (16, 16, 3) and photo.image.dtype == np.float32
    np.testing.assert_allclose(photo.image[:, :7], np.broadcast_to([1, 0, 0], (16, 7, 3)),
                               atol=1e-6)
    np.testing.assert_allclose(photo.image[:, 9:], np.broadcast_to([0, 0, 1], (16, 7, 3)),
                               atol=1e-6)
    assert photo.picture.shape == (60, 100, 3)  # shown with the square boxed


def test_a_grey_model_gets_the_luma_and_a_small_picture_is_enlarged():
    photo = prepare_photo(_picture(), 32, 1)
    assert photo.image.shape == (32, 32) and photo.picture.shape == (60, 100)
    assert photo.image[16, 2] == pytest.approx(0.299, abs=1e-3)  # red's luma (BT.601)
    assert photo.image[16, 30] == pytest.approx(0.114, abs=1e-3)
    tiny = prepare_photo(np.full((4, 6, 3), 128, np.uint8), 20, 3)
    assert tiny.image.shape == (20, 20, 3) and np.allclose(tiny.image, 128 / 255, atol=1e-6)


def test_what_as_rgb_takes():
    grey = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_allclose(as_rgb(grey), np.repeat(grey[..., None], 3, 2))
    first = np.zeros((3, 5, 7), np.uint8)
    first[2] = 255  # channels first: blue
    assert as_rgb(first)[0, 0].tolist() == [0, 0, 1]
    clear = np.zeros((5, 5, 4), np.uint8)
    clear[..., 0] = 255  # red, fully transparent: white
    assert as_rgb(clear)[0, 0].tolist() == [1, 1, 1]
    assert as_rgb(np.zeros((900, 450, 3), np.uint8)).shape == (400, 200, 3)  # WORK_SIDE
    with pytest.raises(Exception, match="numbers"):
        as_rgb(np.array([["a"]]))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_files_decode_in_colour(fmt):
    config = ModelConfig(kind="ae", image_size=16, image_channels=3)
    data = to_bytes(Image.fromarray(_picture(120, 200)), fmt, **({"quality": 95}
                                                                 if fmt != "PNG" else {}))
    photo = prepare_bytes(data, config, "cifar10")
    assert isinstance(photo, Photo)
    red, blue = photo.image[8, 2], photo.image[8, 13]
    assert red[0] > 0.85 and red[2] < 0.15 and blue[2] > 0.85 and blue[0] < 0.15


def test_a_16_bit_grey_file_is_grey_in_colour():
    im = Image.fromarray(np.full((30, 30), 30000, np.uint16))
    photo = prepare_bytes(to_bytes(im), ModelConfig(kind="ae", image_size=8, image_channels=3),
                          "folder:x")
    assert photo.image.shape == (8, 8, 3)
    assert np.ptp(photo.image, axis=2).max() == 0


def test_digit_sets_keep_the_mnist_preparation():
    assert digit_like("mnist") and digit_like("fashion") and digit_like("emnist-letters")
    assert not digit_like("cifar10") and not digit_like("folder:/x") and not digit_like("mnistx")
    data = to_bytes(draw_digit("7", ink=0, paper=255))
    grey = prepare_bytes(data, ModelConfig(), "mnist")
    assert isinstance(grey, Preprocessed)
    np.testing.assert_array_equal(grey.image, preprocess_bytes(data).image)  # as before
    big = prepare_bytes(data, ModelConfig(image_size=32, image_channels=3), "mnist")
    assert big.image.shape == (32, 32, 3) and np.ptp(big.image, axis=2).max() == 0
    assert big.image.max() > 0.9 and big.image[0, 0, 0] == 0  # a white digit on black
    wide = prepare_bytes(data, ModelConfig(image_size=32), "mnist").image  # a grey model
    assert wide.shape == (32, 32) and 0.9 < wide.max() <= 1.0 and wide[0, 0] == 0


def test_a_colour_picture_is_placed_and_an_unlabelled_map_has_no_vote(tmp_path):
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.latent.placement import place_bytes
    from tests.helpers.checkpoints import make_colour_checkpoint

    ckpt = load_checkpoint(make_colour_checkpoint(tmp_path / "bare.safetensors", steps=0,
                                                  labelled=False, side=12, kind="ae"))
    data = to_bytes(Image.fromarray(_picture()))
    placed = place_bytes(ckpt, data)
    assert isinstance(placed.steps, Photo) and placed.steps.image.shape == (12, 12, 3)
    assert placed.recon.shape == (12, 12, 3)
    assert placed.vote == -1 and placed.neighbours.vote() == -1
    assert placed.to_dict()["label_name"] is None and len(placed.to_dict()["nearest"]) == 5
