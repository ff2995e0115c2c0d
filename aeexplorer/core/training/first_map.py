"""The map-first AE's map: a 2-D map of the training images made before any network is
trained, by UMAP (McInnes et al. 2018, umap-learn) or t-SNE (van der Maaten & Hinton 2008,
openTSNE), which the encoder is then taught to reproduce (``step``).

Why a map first (docs/results.md, "A map first"): on MNIST an autoencoder taught a UMAP of the
60,000 training images places the test images with a 5-NN accuracy of 0.954 (0.957 with its
codes held exactly to the map), where a UMAP-type loss trained with the network reached 0.927
in four times the time; the libraries optimise each point's place directly, which a network's
loss on batches does not match.

The map is centred and scaled to a standard deviation of 1 (one scale for both axes, so its
shape is kept): the codes of every family are of that size. Seeded: the libraries run on one
thread with the training's seed, so a training is repeatable. The images are held in memory as
one (n, pixels) float32 array; the libraries' memory grows as n x their 15 to 90 neighbours.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import TYPE_CHECKING

from aeexplorer.core.errors import AeError
from aeexplorer.core.latent import reference

if TYPE_CHECKING:  # torch is imported where a map is made, not by the Train page's check
    import torch

# fewer images make no map: UMAP's spectral start fails on two, and a map of a handful is
# nothing to teach
MIN_IMAGES = 10


def missing(method: str) -> str | None:
    """Why a map by ``method`` (a key of ``reference.METHODS``) cannot be made here, worded
    for a page; None when it can. Looks the library up without importing it (numba compiles
    on import)."""
    m = reference.METHODS[method]
    if find_spec(m.module) is not None:
        return None
    return (f"A {m.name} map needs {m.library}, which this server does not have (whoever "
            "runs it can add it with pip install -r requirements-references.txt).")


def make_map(images: torch.Tensor, method: str, seed: int) -> torch.Tensor:
    """The (n, 2) float32 map of ``images`` (n, ...) in [0, 1] by ``method`` ("umap" or
    "tsne"), centred and scaled to unit standard deviation. AeError, with the install line,
    when the method's library is missing."""
    import torch

    name = reference.METHODS[method].name
    if len(images) < MIN_IMAGES:
        raise AeError(f"the map-first AE needs at least {MIN_IMAGES} training images to make "
                      f"a {name} map of, and these are {len(images)}")
    flat = images.detach().cpu().reshape(len(images), -1).float().numpy()
    try:
        # umap-learn's random state takes 32 bits; a training's seed may be 64
        codes, _ = reference.compute(method, flat, seed % 2**32)
    except ImportError as exc:
        raise AeError(f"the map-first AE makes its map first, and {exc}") from None
    except (ValueError, RuntimeError, FloatingPointError, ZeroDivisionError) as exc:
        raise AeError(f"the {name} map of these images failed ({str(exc)[:120]})") from None
    codes = torch.from_numpy(codes).float()
    if not torch.isfinite(codes).all() or codes.std() == 0:
        raise AeError(f"the {name} map of these images is no map (are they all alike?): "
                      "train another family on them")
    codes = codes - codes.mean(dim=0)
    return codes / codes.std().clamp_min(1e-12)
