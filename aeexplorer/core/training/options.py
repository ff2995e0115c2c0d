"""The ``train`` command line in one place: one row per flag, naming the config field it sets
(``ModelConfig``, ``TrainConfig``), whose default and type are the field's; the configs a
command line's values make; and the one builder of a command line from settings (the Train
page's trainings, a model card's "reproduce it", the Denoise page's hint). No torch here:
``python -m aeexplorer train --help`` reads this table."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from aeexplorer.core.datasets.registry import DATASETS, check_dataset_name, own_shape
from aeexplorer.core.errors import DataNotFound
from aeexplorer.core.models import ModelConfig
from aeexplorer.core.models.config import ACTIVATIONS, ARCHS, KINDS
from aeexplorer.core.training.config import (MAP_METHODS, PENALTIES, PRECISIONS, TrainConfig,
                                             check_compatible)
from aeexplorer.core.training.noise import NOISES

_FIELDS = {f.name: f for cls in (ModelConfig, TrainConfig) for f in dataclasses.fields(cls)}


@dataclass(frozen=True)
class Option:
    field: str  # the config field this flag sets, and its name on a parsed command line
    help: str | None = None
    choices: tuple[str, ...] | None = None
    flag: str = ""  # "--" and the field's name with dashes, unless given
    setting: bool = True  # False: where a model trains, not what it is (left out of commands)
    parse: Callable[[str], Any] | None = None  # reads the flag's text, in place of its type
    # None (the flag not given) leaves it to the data: the data set's own size or channels
    optional: bool = False

    def __post_init__(self) -> None:
        if not self.flag:
            object.__setattr__(self, "flag", "--" + self.field.replace("_", "-"))

    @property
    def default(self) -> Any:
        return None if self.optional else _FIELDS[self.field].default

    @property
    def type(self) -> type:
        """bool, int, float, str, or tuple (of ints): the type of the field's default."""
        return type(_FIELDS[self.field].default)

    def words(self, value: Any) -> list[str]:
        """This flag set to ``value``, as command-line words."""
        if isinstance(value, bool):
            return [self.flag if value else f"--no-{self.flag[2:]}"]
        if isinstance(value, (tuple, list)):  # no widths at all: "none" (a shallow model)
            return [self.flag, ",".join(str(v) for v in value) or "none"]
        return [self.flag, str(value)]


def dataset_arg(text: str) -> str:
    """A ``--dataset`` value: a built-in data set's name, or folder:PATH."""
    try:
        return check_dataset_name(text)
    except DataNotFound as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def channels_arg(text: str) -> int:
    if text.strip() not in ("1", "3"):
        raise argparse.ArgumentTypeError(f"1 (grey) or 3 (colour), not {text!r}")
    return int(text)


# In the order of ``train --help``: the data, the model (what is built), then how it is trained.
OPTIONS = (
    Option("dataset", f"{', '.join(DATASETS)}, or folder:PATH, a folder of images (class "
                      "subfolders, or none: unlabelled); folder:NAME is <data root>/images/NAME",
           parse=dataset_arg),
    Option("image_size", "square images of this many pixels a side (default: the data set's "
                         "own: 28, CIFAR-10 32; an image folder's 28)", optional=True),
    Option("image_channels", "1 (grey) or 3 (colour) (default: the data set's own; an image "
                             "folder's: 3 when any of its images is in colour)",
           parse=channels_arg, optional=True),
    Option("kind", "pca: the top principal components, fitted in closed form", KINDS,
           flag="--model"),
    Option("arch", choices=ARCHS),
    Option("latent_dim"),
    Option("hidden", "layer widths, e.g. 512,256; none: a shallow model (no hidden layer)"),
    Option("channels", "conv layer channels, e.g. 32,64 (the image's: --image-channels)"),
    Option("batchnorm", "batch norm after each hidden layer (--no-batchnorm: none, e.g. to "
                        "override a recipe)"),
    Option("activation", choices=ACTIVATIONS),
    Option("refine", "after training, polish every code the model gives (its map, its "
                     "figures, each placement) by this many gradient steps on the decoder's "
                     "fit, from the encoder's code; 0: the encoder's code (the map-first AE: "
                     "30)"),
    Option("epochs"),
    Option("batch_size"),
    Option("lr"),
    Option("weight_decay"),
    Option("beta", "KL weight (VAE)"),
    Option("kl_warmup_epochs", "epochs of linear KL warm-up", flag="--kl-warmup"),
    Option("penalty", "l1 / kl: sparse AE (on the last hidden layer); contractive: Jacobian; "
           "umap: the UMAP AE (a map that keeps each image's 15 nearest); map: the map-first AE "
           "(a map of the training images made first, see --map)", PENALTIES),
    Option("penalty_weight", "lambda for l1 and contractive, the weight of the KL sparsity term, "
                             "of the map-first AE's stray beyond its leash (100)"),
    Option("sparsity_target", "rho, the wanted mean activation (kl)"),
    Option("map_method", "the map a map-first AE (--penalty map) is taught: umap (umap-learn) "
                         "or tsne (openTSNE), both in requirements-references.txt", MAP_METHODS,
           flag="--map"),
    Option("map_leash", "how far a map-first AE's code may stray from its place on the map "
                        "at no cost, in the map's standard deviations"),
    Option("keep_map", "a map-first AE keeps its map in the file: a new image goes where its "
                       "nearest training image lies, and the decoder learns to draw from "
                       "those places (adds about 48 bytes per training image)"),
    Option("noise", "denoising AE: corrupt the inputs while training", NOISES),
    Option("noise_level", "gaussian: sigma; mask: the probability that a pixel is dropped"),
    Option("precision", "bf16: bfloat16 autocast in the forward pass (faster on CPUs with "
                        "AVX-512 BF16 or AMX and on GPUs); auto (default): bf16 where the "
                        "hardware has it, else fp32", PRECISIONS),
    Option("seed"),
    Option("device", "auto, cpu or cuda", setting=False),
)
# named last in a command: how the model trained, then for how long
_LAST = ("precision", "epochs")


def configs(values: Mapping[str, Any]) -> tuple[ModelConfig, TrainConfig]:
    """The model and train configs of a command line's ``values`` (config fields; other keys,
    such as ``out``, are ignored). ValueError, saying what to change, for a bad value or
    settings that do not go together."""
    model_cfg = _make(ModelConfig, values)
    if not model_cfg.learned:  # PCA is one closed-form fit, whatever epochs were asked for
        values = {**values, "epochs": 1}
    cfg = _make(TrainConfig, values)
    check_compatible(model_cfg, cfg)
    return model_cfg, cfg


def _make(cls: type, values: Mapping[str, Any]) -> Any:
    """``cls`` of the ``values`` of its fields; None leaves a field at its default (the image
    size and channels then come from the data)."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names and v is not None})


def _own(dataset: str, field: str) -> int | None:
    """The data set's own image size or channels (None: an image folder's, found from its
    files): a command leaves them out."""
    size, channels = own_shape(dataset)
    return size if field == "image_size" else channels


def command(values: Mapping[str, Any], keep: Collection[str] = ()) -> list[str]:
    """``train`` and the flags that set ``values`` (config fields), in the order of the help
    with the precision and the epochs last. A value at its default is left out unless its
    field is in ``keep``; so is a field not in ``values``, and the device."""
    words = ["train"]
    for option in sorted(OPTIONS, key=lambda o: _LAST.index(o.field) + 1
                         if o.field in _LAST else 0):
        if not option.setting or option.field not in values or values[option.field] is None:
            continue
        value = values[option.field]
        value = tuple(value) if isinstance(value, list) else value
        if option.optional and value == _own(values.get("dataset", ""), option.field):
            continue
        if option.field in keep or value != option.default:
            words += option.words(value)
    return words


def shell(args: list[str]) -> str:
    """``args`` as a line to type: ``python -m aeexplorer`` and the words, quoted where a
    shell needs it."""
    return shlex.join(["python", "-m", "aeexplorer", *args])
