"""The Train page's settings: the fields of each model family, and the training fields they
share, as ``TrainRequest`` values (``aeexplorer.ui.train`` draws the rest of the page; the
families themselves are ``aeexplorer.core.training.families``)."""

from __future__ import annotations

import streamlit as st

from aeexplorer.core.training.families import MAP_WORDS
from aeexplorer.core.training.recipes import Recipe

# the form keeps its values while other pages are shown (Streamlit drops them otherwise)
KEEP = {"persist_state": "session"}


def family_fields(family: str, params: tuple[str, ...]) -> dict:
    """The settings only this family has, as TrainRequest fields."""
    values: dict = {}
    if "beta" in params:
        values["beta"] = st.number_input("β (KL weight)", 0.0, 100.0, 4.0, step=0.5,
                                         key="train_beta", **KEEP)
    if "sparsity_target" in params:
        values["sparsity_target"] = st.slider("ρ (target mean activation)", 0.01, 0.5, 0.05,
                                              step=0.01, key="train_rho", **KEEP)
    if "penalty_weight" in params:
        # the shipped MNIST models' weights (see the README's model card)
        label, default = {"sparse-l1": ("λ (L1 weight)", 0.05),
                          "sparse-kl": ("β (sparsity weight)", 3.0),
                          "contractive": ("λ (contractive weight)", 1.0)}[family]
        values["penalty_weight"] = st.number_input(label, 1e-5, 100.0, default, step=0.01,
                                                   format="%.4g", key=f"train_{family}", **KEEP)
    if "map_method" in params:
        values["map_method"] = st.radio("The map made first", list(MAP_WORDS), key="train_map",
                                        horizontal=True, format_func=MAP_WORDS.get, **KEEP,
                                        help="On MNIST, UMAP's map measured the better 5-NN "
                                             "and is made in half the time (README).")
    if "keep_map" in params:
        values["keep_map"] = st.checkbox(
            "Keep the map in the file", False, key="train_keep_map", **KEEP,
            help="A new image then goes where its nearest training image lies, and the "
                 "decoder learns to draw from those places. On Fashion-MNIST: 5-NN 0.82 "
                 "against 0.75 with polished codes; on MNIST polishing measured better "
                 "(README). Adds about 2.9 MB to the file for 60,000 images.")
    if "noise" in params:
        values["noise"] = st.radio("Noise", ["gaussian", "mask"], key="train_noise",
                                   horizontal=True, **KEEP, format_func={
                                       "gaussian": "Gaussian (level = σ)",
                                       "mask": "masking (level = drop probability)"}.get)
        values["noise_level"] = st.slider("Noise level", 0.05, 1.0, 0.5, step=0.05,
                                          key="train_noise_level", **KEEP)
    if "hidden" in params:
        values["hidden"] = st.text_input("Hidden layer widths", "512,256", key="train_hidden",
                                         help="Encoder order, comma-separated; the decoder "
                                              "mirrors it. The code is 2-D.", **KEEP)
    if "batchnorm" in params:
        values["batchnorm"] = st.checkbox("Batch norm after each hidden layer", True,
                                          key="train_batchnorm", **KEEP)
    return values


def fast_fields(recipe: Recipe) -> dict:
    """The fast recipe's network and schedule as TrainRequest fields, and a seed to pick."""
    st.caption(f"The fast recipe: {recipe.summary}. Turn it off to set each of these.")
    seed = _seed_field()
    keys = ("hidden", "batchnorm", "epochs", "batch_size", "lr")
    values = {k: recipe.settings[k] for k in keys}
    values["hidden"] = ",".join(map(str, values["hidden"]))  # as the text field gives it
    return {**values, "seed": seed, "recipe": recipe.name}


def train_fields(params: tuple[str, ...]) -> dict:
    epochs_col, seed_col = st.columns(2)
    epochs = epochs_col.number_input("Epochs", 1, 200, 10, step=1, key="train_epochs", **KEEP)
    with seed_col:
        seed = _seed_field()
    lr = st.select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], 1e-3, key="train_lr",
                          format_func=lambda v: f"{v:g}", **KEEP)
    batch = st.select_slider("Batch size", [32, 64, 128, 256, 512], 128,
                             key="train_batch_size", **KEEP)
    return {"epochs": int(epochs), "seed": seed, "lr": float(lr), "batch_size": int(batch)}


def _seed_field() -> int:
    """The seed, one widget whichever form shows it (its value is kept between them)."""
    return int(st.number_input("Seed", 0, 2**31 - 1, 0, step=1, key="train_seed", **KEEP))
