"""The model families, in one registry: per family its name and description on the Train page,
the settings it fixes on the command line and those the form asks for, the loss part charted
beside the reconstruction, and how a checkpoint is recognised as one of it (its model card's
name, the Denoise page's pickers). A Train form's values and their command line are
``aeexplorer.core.training.request``. No Streamlit, no torch here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

TRAIN_PARAMS = ("epochs", "lr", "batch_size", "seed")
NET_PARAMS = ("hidden", "batchnorm", *TRAIN_PARAMS)
# A checkpoint's settings as config fields (``aeexplorer.core.checkpoints.card.settings`` reads them
# from its header, with every field there and of its type).
Settings = Mapping[str, Any]


@dataclass(frozen=True)
class Family:
    label: str  # the Train page's name for it
    about: str  # what it is, for the Train page
    settings: dict[str, Any]  # the config fields it fixes: its --model, --penalty, ...
    params: tuple[str, ...]  # the TrainRequest fields it takes from the form
    curve: str | None  # the loss part charted beside the reconstruction: "kl", "penalty"
    matches: Callable[[Settings], bool]  # whether a checkpoint's settings are of this family
    word: str  # its word in a checkpoint's name: "sparse", or a noun such as "VAE"
    detail: Callable[[Settings], str] | None = None  # its settings in that name: "λ=0.05"


# the map-first AE's maps (``TrainConfig.map_method``), in words
MAP_WORDS = {"umap": "UMAP", "tsne": "t-SNE"}


def _noisy(s: Settings) -> bool:
    return s["kind"] != "pca" and s["noise"] not in ("none", None) and s["noise_level"] > 0


def _penalty(name: str) -> Callable[[Settings], bool]:
    return lambda s: s["kind"] != "pca" and s["penalty"] == name


FAMILIES: dict[str, Family] = {  # in the Train page's order
    "vae": Family(
        "VAE", "A Gaussian code q(z|x); the loss is reconstruction + KL to the prior N(0, I).",
        {"kind": "vae"}, NET_PARAMS, "kl", lambda s: s["kind"] == "vae" and s["beta"] == 1,
        "VAE"),
    "beta-vae": Family(
        "β-VAE", "A VAE whose KL term is weighted by β: β > 1 pulls the codes towards the "
                 "prior (a smoother map, blurrier images), β < 1 the other way.",
        {"kind": "vae"}, (*NET_PARAMS, "beta"), "kl",
        lambda s: s["kind"] == "vae" and s["beta"] != 1, "β-VAE", lambda s: f"β={s['beta']:g}"),
    # the plain AE: clean inputs and no penalty (what the Denoise page compares against)
    "ae": Family(
        "AE", "A deterministic code; the loss is the reconstruction alone.",
        {"kind": "ae"}, NET_PARAMS, None,
        lambda s: s["kind"] == "ae" and s["penalty"] == "none" and not _noisy(s), "AE"),
    "sparse-l1": Family(
        "sparse AE (L1)", "An AE with λ·Σ|h| on the last hidden layer: few units active per "
                          "image.",
        {"kind": "ae", "penalty": "l1"}, (*NET_PARAMS, "penalty_weight"), "penalty",
        _penalty("l1"), "sparse", lambda s: f"L1, λ={s['penalty_weight']:g}"),
    "sparse-kl": Family(
        "sparse AE (KL)", "An AE whose last hidden layer (sigmoid units) is pushed to a mean "
                          "activation ρ by a KL term of weight β.",
        # KL sparsity needs units in (0, 1)
        {"kind": "ae", "penalty": "kl", "activation": "sigmoid"},
        (*NET_PARAMS, "sparsity_target", "penalty_weight"), "penalty", _penalty("kl"),
        "sparse", lambda s: f"KL, ρ={s['sparsity_target']:g}, β={s['penalty_weight']:g}"),
    "denoising": Family(
        "denoising AE", "An AE that sees corrupted images and learns to give back the clean "
                        "ones.",
        {"kind": "ae"}, (*NET_PARAMS, "noise", "noise_level"), None, _noisy, "denoising",
        lambda s: (f"Gaussian σ={s['noise_level']:g}" if s["noise"] == "gaussian"
                   else f"masking p={s['noise_level']:g}")),
    # the contractive penalty is exact only without batch norm (the CLI refuses it)
    "contractive": Family(
        "contractive AE", "An AE with λ·‖∂z/∂x‖²: codes that move little when the image "
                          "changes (no batch norm).",
        {"kind": "ae", "penalty": "contractive"}, ("hidden", *TRAIN_PARAMS, "penalty_weight"),
        "penalty", _penalty("contractive"), "contractive",
        lambda s: f"λ={s['penalty_weight']:g}"),
    "shallow": Family(
        "shallow AE", "An AE with no hidden layer: 784 → 2 → 784.",
        {"kind": "ae", "hidden": ()}, TRAIN_PARAMS, None,
        lambda s: s["kind"] != "pca" and s["arch"] == "dense" and not s["hidden"], "shallow"),
    # the UMAP penalty's weight only scales the encoder's gradients (its decoder sees the codes
    # detached): fixed at 1, nothing to tune
    "umap": Family(
        "UMAP AE", "An AE whose map keeps each image's neighbours: the encoder learns a UMAP "
                   "map of the training images (each pulled towards one of its 15 nearest, "
                   "pushed from the rest) and the decoder learns to draw from it.",
        {"kind": "ae", "penalty": "umap", "penalty_weight": 1.0}, NET_PARAMS, "penalty",
        _penalty("umap"), "UMAP AE"),
    # the map is made first, by a library (``first_map``); the weight holds each code on the
    # leash to its place (100: the codes keep to the map while the reconstruction, ~130 nats
    # an image, arranges them within it; docs/results.md, "A map first"); 30 steps of the
    # decoder polish each code after training (docs/results.md, "Polished codes")
    "map-first": Family(
        "map-first AE", "An AE taught a map made first: a UMAP (or t-SNE) of the training "
                        "images, then an encoder that learns to put each image where the map "
                        "put it (give or take a little, where the reconstruction arranges "
                        "them) and a decoder that learns to draw from it; the decoder then "
                        "polishes each code the encoder gives (or, with the map kept, a new "
                        "image goes where its nearest training image lies). The maps that "
                        "keep the neighbours best (README, How faithful the maps are).",
        {"kind": "ae", "penalty": "map", "penalty_weight": 100.0, "refine": 30},
        (*NET_PARAMS, "map_method", "keep_map"),
        "penalty", _penalty("map"), "map-first AE",
        lambda s: MAP_WORDS.get(s["map_method"], "an unknown map")),
    "pca": Family(  # closed form: nothing to tune
        "PCA", "The top 2 principal components, fitted in closed form: no epochs, no settings.",
        {"kind": "pca"}, (), None, lambda s: s["kind"] == "pca", "PCA"),
}
# The families that qualify a model, in the order of their words in its name ("sparse
# denoising shallow AE"); the others name the model itself.
QUALIFIERS = ("sparse-l1", "sparse-kl", "contractive", "denoising", "shallow")


def families_of(settings: Settings) -> list[str]:
    """The families a checkpoint's settings are of (a shallow denoising AE is both)."""
    return [key for key, fam in FAMILIES.items() if fam.matches(settings)]


def name_of(settings: Settings) -> str:
    """What kind of model a checkpoint holds, in words: "VAE", "β-VAE (β=4)", "sparse AE (L1,
    λ=0.001)", "denoising AE (Gaussian σ=0.5)", "conv AE", "shallow AE", "PCA"."""
    found = families_of(settings)
    # an AE with a penalty or noise is no plain AE: the noun is then its kind's
    noun = next((FAMILIES[k] for k in found if k not in QUALIFIERS), None) or next(
        f for f in FAMILIES.values() if f.settings["kind"] == settings["kind"])
    qualifiers = [FAMILIES[k] for k in QUALIFIERS if k in found]
    words = [f.word for f in qualifiers] + (["conv"] if settings["arch"] == "conv" else [])
    details = [f.detail(settings) for f in (noun, *qualifiers) if f.detail is not None]
    text = " ".join([*words, noun.word])
    return f"{text} ({', '.join(details)})" if details else text
