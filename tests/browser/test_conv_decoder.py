"""Transposed convolutions in the page (decoder.js) against torch: conv decoders with and
without batch norm, grey and colour, 28, 32 and 12 pixels a side, and a hand-built decoder of
other kernel sizes, strides and paddings; and a hostile spec or blob refused in one line before
any buffer is allocated. The shipped conv VAE is covered with every shipped model by
test_live.py::test_page_decoder_matches_torch."""

from __future__ import annotations

import base64
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from aeexplorer.app.export import export_decoder
from aeexplorer.core.models import ModelConfig
from tests.app.test_export import _trained_looking
from tests.browser.test_live import DECODER_JS, IMPORT, decode_in_page

pytestmark = pytest.mark.browser

CONV = {
    "batchnorm-grey-28": ModelConfig(kind="vae", arch="conv", hidden=(32,), channels=(8, 16),
                                     batchnorm=True),
    "plain-grey-28": ModelConfig(kind="ae", arch="conv", hidden=(24,), channels=(6, 12)),
    "batchnorm-colour-32": ModelConfig(kind="vae", arch="conv", hidden=(32,), channels=(8, 16),
                                       batchnorm=True, image_size=32, image_channels=3),
    "plain-colour-32-shallow": ModelConfig(kind="ae", arch="conv", hidden=(), channels=(4, 8),
                                           image_size=32, image_channels=3),
    "batchnorm-grey-12-latent-3": ModelConfig(kind="vae", arch="conv", latent_dim=3,
                                              hidden=(16,), channels=(4, 8), batchnorm=True,
                                              image_size=12),
}


def _torch_planes(model, z: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return torch.sigmoid(model.decoder(torch.from_numpy(z))).numpy().reshape(len(z), -1)


@pytest.mark.parametrize("name", sorted(CONV))
def test_conv_decoders_match_torch_in_the_page(browser, name):
    model = _trained_looking(CONV[name])
    z = (np.random.default_rng(1).normal(0, 2, (300, model.config.latent_dim))
         .astype(np.float32))
    got = decode_in_page(browser, export_decoder(model), z)
    want = _torch_planes(model, z)
    assert got.shape == want.shape and np.abs(got - want).max() <= 1e-3
    assert want.std() > 0.01  # the images differ: a test that can fail


def test_other_kernels_strides_and_paddings_match_torch(browser):
    """5x5 -> 15x15 (kernel 3, stride 3, no padding), batch norm, -> 17x17 (kernel 5, stride 1,
    padding 1): decoder.js is written for any of them, not only the project's 4 / 2 / 1."""
    torch.manual_seed(0)
    decoder = nn.Sequential(nn.Linear(2, 75), nn.ReLU(), nn.Unflatten(1, (3, 5, 5)),
                            nn.ConvTranspose2d(3, 4, 3, stride=3, padding=0), nn.BatchNorm2d(4),
                            nn.ReLU(), nn.ConvTranspose2d(4, 3, 5, stride=1, padding=1))
    decoder.train()
    with torch.no_grad():  # batch statistics away from their start
        decoder(torch.randn(64, 2) * 2)
    decoder.eval()
    model = SimpleNamespace(config=ModelConfig(kind="ae", image_size=17, image_channels=3),
                            decoder=decoder)
    exported = export_decoder(model)
    assert [(ly["k"], ly["stride"], ly["pad"], ly["out_side"]) for ly in exported.spec["layers"][1:]
            ] == [(3, 3, 0, 15), (5, 1, 1, 17)]
    z = np.random.default_rng(2).normal(0, 2, (200, 2)).astype(np.float32)
    got = decode_in_page(browser, exported, z)
    assert np.abs(got - _torch_planes(model, z)).max() <= 1e-3


PARSE = """([spec, b64]) => { const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  try { window.__live.parseNet(spec, bytes.buffer); return 'parsed'; }
  catch (e) { return e.message; } }"""


def _hostile_cases(spec: dict, blob: bytes) -> dict[str, tuple[dict, bytes]]:
    conv = 1 + next(i for i, ly in enumerate(spec["layers"][1:]) if ly["type"] == "convT")

    def changed(i: int, **edit) -> dict:
        layers = [dict(ly) for ly in spec["layers"]]
        layers[i].update(edit)
        return {**spec, "layers": layers}

    return {
        "a blob one float short": (spec, blob[:-4]),
        "a blob one float long": (spec, blob + b"\0" * 4),
        "an out_side that is not the transposed convolution's": (
            changed(conv, out_side=spec["layers"][conv]["out_side"] + 1), blob),
        "a huge output for few weights": (changed(conv, stride=64, out_side=(7 - 1) * 64 - 2 + 4),
                                          blob),
        "a kernel no larger than its padding": (changed(conv, pad=4), blob),
        "an unknown layer type": (changed(conv, type="conv3d"), blob),
        "an unknown activation": (changed(0, act="<img src=x>"), blob),
        "a negative size": (changed(0, out=-5), blob),
        "a fractional size": (changed(0, out=16.5), blob),
        "a size as text": (changed(0, out="16"), blob),
        "a side that is not the image's": ({**spec, "side": 27}, blob),
        "no layers": ({**spec, "layers": []}, b""),
        "an unknown output": ({**spec, "output": "tanh"}, blob),
        "no spec": (None, blob),
    }


def test_a_hostile_spec_or_blob_is_refused_in_one_line(browser):
    exported = export_decoder(_trained_looking(CONV["batchnorm-grey-28"]))
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    try:
        page.evaluate(IMPORT, DECODER_JS.read_text())
        ok = page.evaluate(PARSE, [exported.spec, base64.b64encode(exported.blob).decode()])
        assert ok == "parsed"
        for case, (spec, blob) in _hostile_cases(exported.spec, exported.blob).items():
            said = page.evaluate(PARSE, [spec, base64.b64encode(blob).decode()])
            assert said in ("the decoder's layers are malformed",
                            "the decoder's weights do not match its layers"), (case, said)
    finally:
        page.close()
    assert errors == []
