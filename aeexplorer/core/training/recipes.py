"""Named training recipes: settings found by measurement, given by name (``--recipe``, and the
Train page's "a good map in a minute"). A recipe fills the settings a command line leaves at
their defaults; a flag given explicitly wins."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Recipe:
    name: str
    summary: str  # for people, one line
    # config fields (a parsed command line's names, see ``aeexplorer.core.training.options``) and
    # values
    settings: dict = field(default_factory=dict)

    def fill(self, args, given: set[str]) -> None:
        """Set each of this recipe's settings on ``args`` (an argparse namespace) but those
        the command line ``given`` named."""
        for key, value in self.settings.items():
            if key not in given:
                setattr(args, key, value)


# The MNIST dense VAE that gives a map worth showing within a minute of training on a 2-core
# CPU (README, "A good map in a minute": the runs behind each setting). Batch 256 with twice
# the learning rate halves the steps of an epoch at the same quality; a short KL warm-up lets
# the classes separate before the prior pulls the codes together.
FAST = Recipe(
    name="fast",
    summary="a good map in a minute: dense VAE 512-512-256 with batch norm, 25 epochs of "
            "batch 256, learning rate 0.002 (cosine-decayed), 3 epochs of KL warm-up",
    settings={"kind": "vae", "arch": "dense", "hidden": (512, 512, 256), "batchnorm": True,
              "epochs": 25, "batch_size": 256, "lr": 2e-3, "kl_warmup_epochs": 3},
)
# The same, longer: the shipped model's -ELBO (<= 135) within five minutes.
FAST_5MIN = Recipe(
    name="fast-5min",
    summary="the fast recipe for 120 epochs with 10 epochs of KL warm-up: the shipped "
            "model's figures in under five minutes",
    settings={**FAST.settings, "epochs": 120, "kl_warmup_epochs": 10},
)
RECIPES = {r.name: r for r in (FAST, FAST_5MIN)}
