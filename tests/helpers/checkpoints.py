"""Small checkpoints built in seconds without any data set."""

from __future__ import annotations

from pathlib import Path


def make_checkpoint(path: Path, kind: str = "vae", arch: str = "dense", dataset: str = "mnist",
                    n_atlas: int = 200, seed: int = 0, train: dict | None = None,
                    hidden: tuple[int, ...] = (32, 16), refine: int = 0) -> Path:
    """A small untrained model with a synthetic atlas, saved as a real checkpoint; ``train``
    adds to the stored train config (e.g. ``{"noise": "gaussian", "noise_level": 0.5}``)."""
    import torch

    from aeexplorer.core.checkpoints.file import Atlas, save_checkpoint
    from aeexplorer.core.models import ModelConfig, build_model

    torch.manual_seed(seed)
    cfg = ModelConfig(kind=kind, arch=arch, hidden=hidden, channels=(4, 8), refine=refine)
    model = build_model(cfg).eval()
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(n_atlas, 2, generator=g)
    logvar = torch.full((n_atlas, 2), -2.0) if kind == "vae" else None
    labels = torch.arange(n_atlas) % 10
    metrics = {"recon_bce": 200.0, "recon_mse": 0.06, "kl": 3.0 if kind == "vae" else None,
               "neg_elbo": 203.0 if kind == "vae" else None, "knn5_accuracy": 0.5,
               "n_test": n_atlas}
    return save_checkpoint(path, model, dataset, Atlas(mu, logvar, labels),
                           train={"config": {"epochs": 1, **(train or {})}}, metrics=metrics)


def make_deep_checkpoint(path: Path, click: tuple[float, float], n: int = 200) -> Path:
    """A latent-3 autoencoder whose atlas hides the 5 codes nearest to ``click`` on the map
    (z1, z2) at z3 = 4, all of class 3; every other code lies at z3 = 0, of class 7. On the
    map those 5 are nearest to the click; by the full code (the click padded with z3 = 0),
    none of them is."""
    import torch

    from aeexplorer.core.checkpoints.file import Atlas, save_checkpoint
    from aeexplorer.core.models import ModelConfig, build_model

    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="ae", latent_dim=3, hidden=(32, 16))).eval()
    xy = torch.randn(n, 2, generator=torch.Generator().manual_seed(3))
    near = torch.argsort(((xy - torch.tensor(click)) ** 2).sum(1))[:5]
    z3, labels = torch.zeros(n, 1), torch.full((n,), 7)
    z3[near], labels[near] = 4.0, 3
    return save_checkpoint(path, model, "mnist", Atlas(torch.cat([xy, z3], 1), None, labels),
                           train={"config": {"epochs": 1}})


COLOUR_CLASSES = ("red", "green", "blue")  # each class a shape in its own colour


def colour_images(n: int, side: int = 16, seed: int = 0):
    """(n, side, side, 3) float32 images in [0, 1] at the numpy edge: on a dark ground, a red
    disc, a green square or a blue bar, of random place and size; and their (n,) labels (0, 1,
    2: the colour). A model trained on them decodes each class in its own colour, so a
    channel swapped or dropped anywhere shows."""
    import numpy as np

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    yy, xx = np.mgrid[0:side, 0:side] / side
    images = np.full((n, side, side, 3), 0.08, np.float32)
    for i, label in enumerate(labels):
        cy, cx = rng.uniform(0.3, 0.7, 2)
        r = rng.uniform(0.15, 0.3)
        if label == 0:
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
        elif label == 1:
            mask = (abs(yy - cy) < r * 0.8) & (abs(xx - cx) < r * 0.8)
        else:
            mask = (abs(yy - cy) < 0.1) & (abs(xx - cx) < r * 1.3)
        images[i][mask] = np.eye(3, dtype=np.float32)[label] * 0.85 + 0.1
    return images, labels


def make_colour_checkpoint(path: Path, arch: str = "dense", side: int = 16,
                           labelled: bool = True, kind: str = "vae", n_atlas: int = 300,
                           steps: int = 150, seed: int = 0, dataset: str = "shapes") -> Path:
    """A small colour model (``image_channels`` 3, ``side`` pixels a side) trained for a few
    ``steps`` on ``colour_images``, with an atlas of the codes of ``n_atlas`` more of them
    (``colour_images(n_atlas, side, seed + 1)``: the "test set"). Unlabelled: labels all -1 and
    no class names, as for an image folder."""
    import torch

    from aeexplorer.core.checkpoints.file import Atlas, save_checkpoint
    from aeexplorer.core.latent.ops import ModelOps
    from aeexplorer.core.models import ModelConfig, build_model
    from aeexplorer.core.training.losses import bce_per_image, kl_per_image

    torch.manual_seed(seed)
    cfg = ModelConfig(kind=kind, arch=arch, hidden=(64,), channels=(8, 16), image_size=side,
                      image_channels=3)
    model = build_model(cfg)
    train = ModelOps(model).batches(colour_images(512, side, seed)[0]).__next__().cpu()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for step in range(steps):
        x = train[torch.randint(0, len(train), (64,))]
        out = model(x)
        loss = bce_per_image(out.logits, x)
        if out.logvar is not None:
            loss = loss + kl_per_image(out.mu, out.logvar)
        opt.zero_grad()
        loss.mean().backward()
        opt.step()
    model.eval()
    test, labels = colour_images(n_atlas, side, seed + 1)
    codes = ModelOps(model).encode(test)
    labels = torch.as_tensor(labels if labelled else [-1] * n_atlas, dtype=torch.int64)
    atlas = Atlas(torch.from_numpy(codes.mu), None if codes.logvar is None
                  else torch.from_numpy(codes.logvar), labels)
    return save_checkpoint(path, model, dataset, atlas, train={"config": {"epochs": 1}},
                           classes=COLOUR_CLASSES if labelled else ())


NO_LABELS_NOTE = "left out: the data set has no labels to classify by"  # as core.metrics says


def make_colour_page_checkpoint(path: Path, arch: str = "dense", side: int = 16,
                                labelled: bool = True, kind: str = "ae",
                                dataset: str = "colour-test", n_atlas: int = 200, seed: int = 0,
                                train: dict | None = None) -> Path:
    """A small untrained colour model (side x side RGB images) with a synthetic atlas, saved
    with its classes: three colour names (labels cycling through them), or none for unlabelled
    data (every label -1, and the 5-NN accuracy left out with the metrics' reason)."""
    import torch

    from aeexplorer.core.checkpoints.file import Atlas, save_checkpoint
    from aeexplorer.core.models import ModelConfig, build_model

    torch.manual_seed(seed)
    cfg = ModelConfig(kind=kind, arch=arch, hidden=(32, 16), channels=(4, 8), image_size=side,
                      image_channels=3)
    model = build_model(cfg).eval()
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(n_atlas, 2, generator=g)
    logvar = torch.full((n_atlas, 2), -2.0) if kind == "vae" else None
    labels = torch.arange(n_atlas) % 3 if labelled else torch.full((n_atlas,), -1)
    knn = {"knn5_accuracy": 0.5} if labelled else {"knn5_accuracy": None,
                                                   "knn5_note": NO_LABELS_NOTE}
    metrics = {"recon_bce": 400.0, "recon_mse": 0.05, "n_test": n_atlas, **knn}
    return save_checkpoint(path, model, dataset, Atlas(mu, logvar, labels),
                           train={"config": {"epochs": 1, **(train or {})}}, metrics=metrics,
                           classes=COLOUR_CLASSES if labelled else ())


def make_snapshot_checkpoint(path: Path, n_snaps: int = 6, n_atlas: int = 200) -> Path:
    """``make_checkpoint``'s model with snapshots: a sample of half its atlas whose codes grow
    from near zero (step 0) to the atlas's own, as a training's would."""
    import numpy as np
    from safetensors.numpy import load_file

    from aeexplorer.core.checkpoints.file import Atlas, load_checkpoint, save_checkpoint
    from aeexplorer.core.checkpoints.snapshots import Snapshots

    make_checkpoint(path, n_atlas=n_atlas)
    ckpt = load_checkpoint(path)
    rows = np.arange(0, n_atlas, 2)
    final = load_file(str(path))["atlas.mu"][rows]
    codes = np.stack([final * (0.05 + 0.95 * i / (n_snaps - 1)) for i in range(n_snaps)])
    moments = tuple({"epoch": i / 2, "step": i * 50, "seconds": i * 2.0} for i in range(n_snaps))
    snaps = Snapshots(rows, ckpt.atlas.labels.numpy()[rows], codes.astype(np.float16), moments)
    return save_checkpoint(path, ckpt.model, ckpt.dataset,
                           Atlas(ckpt.atlas.mu, ckpt.atlas.logvar, ckpt.atlas.labels),
                           train=ckpt.train, metrics=ckpt.metrics, snapshots=snaps)
