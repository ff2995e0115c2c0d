"""Encoder and decoder networks for the two architectures. The decoders end in logits: the
sigmoid is applied by ``Autoencoder.decode`` and folded into the BCE loss for stability."""

from __future__ import annotations

from torch import nn

from .config import ModelConfig


_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}


def _dense_block(n_in: int, n_out: int, batchnorm: bool, activation: str) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Linear(n_in, n_out)]
    if batchnorm:
        layers.append(nn.BatchNorm1d(n_out))
    layers.append(_ACTIVATIONS[activation]())
    return layers


def _mlp(sizes: list[int], batchnorm: bool, activation: str = "relu") -> nn.Sequential:
    """Hidden layers with activations, then a plain linear output layer. The last element is
    always that output layer: ``Autoencoder.encode_hidden`` relies on it."""
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers += _dense_block(n_in, n_out, batchnorm, activation)
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


def _conv_block(c_in: int, c_out: int, batchnorm: bool, transpose: bool) -> list[nn.Module]:
    conv = (
        nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1)
        if transpose
        else nn.Conv2d(c_in, c_out, 4, stride=2, padding=1)
    )
    layers: list[nn.Module] = [conv]
    if batchnorm:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(nn.ReLU())
    return layers


def build_encoder(cfg: ModelConfig) -> nn.Module:
    """(B, C, S, S) -> (B, out) with out = latent_dim, or 2 * latent_dim (mean, log-var)."""
    n_out = cfg.latent_dim * (2 if cfg.variational else 1)
    if cfg.arch == "dense":
        return nn.Sequential(nn.Flatten(),
                             _mlp([cfg.pixels, *cfg.hidden, n_out], cfg.batchnorm,
                                  cfg.activation))
    c1, c2 = cfg.channels
    side = cfg.image_size // 4  # two stride-2 convolutions: 28 -> 14 -> 7
    return nn.Sequential(
        *_conv_block(cfg.image_channels, c1, cfg.batchnorm, transpose=False),
        *_conv_block(c1, c2, cfg.batchnorm, transpose=False),
        nn.Flatten(),
        _mlp([c2 * side * side, *cfg.hidden, n_out], cfg.batchnorm, cfg.activation),
    )


def build_decoder(cfg: ModelConfig) -> nn.Module:
    """(B, latent_dim) -> (B, C, S, S) logits."""
    hidden = list(reversed(cfg.hidden))
    if cfg.arch == "dense":
        return nn.Sequential(
            _mlp([cfg.latent_dim, *hidden, cfg.pixels], cfg.batchnorm, cfg.activation),
            nn.Unflatten(1, (cfg.image_channels, cfg.image_size, cfg.image_size)),
        )
    c1, c2 = cfg.channels
    side = cfg.image_size // 4
    return nn.Sequential(
        _mlp([cfg.latent_dim, *hidden, c2 * side * side], cfg.batchnorm, cfg.activation),
        nn.BatchNorm1d(c2 * side * side) if cfg.batchnorm else nn.Identity(),
        nn.ReLU(),
        nn.Unflatten(1, (c2, side, side)),
        *_conv_block(c2, c1, cfg.batchnorm, transpose=True),
        nn.ConvTranspose2d(c1, cfg.image_channels, 4, stride=2, padding=1),
    )
