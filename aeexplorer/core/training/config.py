"""The settings of one training: a frozen dataclass saved in the checkpoint beside the model's
config (``aeexplorer.core.models.config``), and the check that a model and its objective go
together. No torch here: the command line derives its flags from these fields."""

from __future__ import annotations

import math
from dataclasses import dataclass

from aeexplorer.core.models import ModelConfig
from aeexplorer.core.models.config import MAX_KEY_PIXELS
from aeexplorer.core.training.noise import check_noise

PENALTIES = ("none", "l1", "kl", "contractive", "umap", "map")
# the maps a map-first AE can be taught (``first_map``): the libraries of
# requirements-references.txt make them
MAP_METHODS = ("umap", "tsne")
PRECISIONS = ("auto", "fp32", "bf16")


@dataclass(frozen=True)
class TrainConfig:
    dataset: str = "mnist"
    epochs: int = 30
    batch_size: int = 128
    lr: float = 1e-3
    lr_min: float = 1e-5  # cosine schedule from lr down to lr_min over all epochs
    weight_decay: float = 0.0
    beta: float = 1.0  # weight of the KL term at the end of the warm-up
    kl_warmup_epochs: int = 0  # linear ramp of beta from 0 (Bowman et al. 2016)
    seed: int = 0
    device: str = "auto"
    # "l1" / "kl": sparse AE on the encoder's last hidden layer; "contractive": Rifai et al.;
    # "umap": the UMAP AE, a map that keeps the images' neighbours (``neighbour_graph``);
    # "map": the map-first AE, its encoder taught a map made first (``first_map``)
    penalty: str = "none"
    penalty_weight: float = 0.0  # lambda (l1, contractive) or the KL sparsity weight
    sparsity_target: float = 0.05  # rho: the wanted mean activation (kl)
    map_method: str = "umap"  # the map-first AE's map: "umap" (umap-learn) or "tsne" (openTSNE)
    # how far a map-first AE's code may stray from its place on the map at no cost, in the
    # map's standard deviations: within it the reconstruction arranges the codes
    map_leash: float = 0.05
    # the map-first AE keeps its map: its decoder draws each training image from its place,
    # and a new image is placed where its nearest training image lies (``models.kept``)
    keep_map: bool = False
    noise: str = "none"  # denoising AE: "gaussian" (sigma) or "mask" (drop probability)
    noise_level: float = 0.0
    # "bf16": the forward pass under bfloat16 autocast (weights, optimiser and losses stay
    # float32), faster on some hardware and slower on other. "auto": whichever measured
    # faster here (see ``aeexplorer.core.training.precision``)
    precision: str = "auto"

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch size must be at least 1")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError("the learning rate must be a positive number")
        if not (self.weight_decay >= 0 and math.isfinite(self.weight_decay)):
            raise ValueError("the weight decay must be a number >= 0")
        if not (self.beta >= 0 and math.isfinite(self.beta)):
            raise ValueError("beta (the KL weight) must be a number >= 0")
        if not -(2**63) <= self.seed < 2**63:
            raise ValueError("the seed must fit in 64 bits")
        if self.penalty not in PENALTIES:
            raise ValueError(f"penalty must be one of {PENALTIES}, not {self.penalty!r}")
        if self.penalty != "none" and not (self.penalty_weight > 0
                                           and math.isfinite(self.penalty_weight)):
            raise ValueError(f"the {self.penalty} penalty needs a penalty weight > 0")
        if not 0 < self.sparsity_target < 1:
            raise ValueError("the sparsity target rho must lie strictly between 0 and 1")
        if not (0 <= self.map_leash <= 10 and math.isfinite(self.map_leash)):
            raise ValueError("the map's leash must be a number from 0 to 10")
        if self.map_method not in MAP_METHODS:
            raise ValueError(f"the map must be one of {MAP_METHODS}, not {self.map_method!r}")
        if self.keep_map and self.penalty != "map":
            raise ValueError("only a map-first AE (--penalty map) has a map to keep")
        check_noise(self.noise, self.noise_level)
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {self.precision!r}")


def check_compatible(model_cfg: ModelConfig, cfg: TrainConfig) -> None:
    """Raise ValueError, with what to change, for a model and objective that do not go together."""
    if not model_cfg.learned and (cfg.penalty != "none" or cfg.noise != "none"):
        raise ValueError("PCA is fitted in closed form: penalties and noise do not apply")
    if cfg.penalty in ("l1", "kl") and not model_cfg.hidden:
        raise ValueError("a sparsity penalty acts on hidden activations: give --hidden layers")
    if cfg.penalty == "kl" and model_cfg.activation != "sigmoid":
        raise ValueError("the KL sparsity penalty needs activations in (0, 1): "
                         "use --activation sigmoid")
    if cfg.penalty in ("umap", "map") and model_cfg.kind != "ae":
        raise ValueError(f"the {cfg.penalty} penalty shapes a deterministic code: use --model ae")
    if cfg.keep_map and model_cfg.refine:
        raise ValueError("a kept map places each image where its nearest training image "
                         "lies, and polishing would move it away: drop --refine")
    if cfg.keep_map and model_cfg.pixels > MAX_KEY_PIXELS:
        raise ValueError(f"a kept map keys each image by its principal components, found for "
                         f"images of up to {MAX_KEY_PIXELS:,} values, not {model_cfg.pixels:,}: "
                         f"use a smaller --image-size (32 in colour, 64 in grey)")
    if cfg.penalty == "contractive" and model_cfg.batchnorm:
        raise ValueError("the contractive penalty needs each image's own Jacobian, and batch "
                         "norm mixes the images of a batch: drop --batchnorm")
