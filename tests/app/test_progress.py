"""A training's progress in words, as the Train page shows it under its bar."""

from __future__ import annotations

from pathlib import Path

from aeexplorer.app.progress import Progress


def test_the_progress_text_names_each_stage():
    def at(**values) -> str:
        return Progress("m", values.pop("family", "vae"), Path("m"), **values).stage

    assert at() == "Loading the data set…" and at(family="pca") == "Fitting the components…"
    # the map-first AE makes its map once the data is in (the precision is said then)
    assert at(family="map-first") == "Loading the data set…"
    assert at(family="map-first", precision="bf16").startswith("Making the map of the training")
    assert at(family="vae", precision="bf16") == "Loading the data set…"
    assert at(epoch=1, epochs=3, batch=10, batches=100) == "Epoch 1 of 3 · batch 10 of 100"
    history = [{"epoch": 1.0}]
    assert at(epoch=1, epochs=3, batch=90, batches=100, history=history) == (
        "Epoch 2 of 3 · batch 0 of 100")  # epoch 1 ended, no batch of epoch 2 yet
    assert at(epoch=1, epochs=1, history=history).startswith("Trained: computing the test-set")
    # the map-first AE then places every image (its decoder polishes every code, a while)
    assert at(family="map-first", epoch=1, epochs=1, history=history).startswith(
        "Trained: every image placed as the model will place it")
