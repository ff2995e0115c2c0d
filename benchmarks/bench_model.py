"""Model-side benchmarks: training throughput (our trainer against the common tutorial loop),
single-point decode latency, whole-test-set encode throughput. Plain timing, no assertions.

Fairness of the training comparison: both loops train the same model (same config, same seed,
so the same initial weights), with Adam at lr 1e-3, batch 128 and the same loss, over the same
first ``n`` training images, shuffled, once each; both get an untimed warm-up run of a few
batches first, and both run under the same ``torch.set_num_threads`` (set by the caller). Only
the epoch loop is timed: loading MNIST from disk is left out of both. The difference that is
measured is the data path: our trainer holds the split as one float tensor and indexes a
shuffled batch out of it, the tutorial loop goes through a torchvision dataset that makes a PIL
image of each sample and runs ``ToTensor`` on it, collated by a ``DataLoader``; and the
arithmetic: our trainer's default precision (``auto``) runs the forward pass in bfloat16 on
hardware with native bfloat16, the tutorial loop in float32. Both of ours are reported.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from aeexplorer.core.datasets.loading import load_split
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.models import ModelConfig, build_model
from aeexplorer.core.training.config import TrainConfig
from aeexplorer.core.training.loop import train
from aeexplorer.core.training.losses import loss_parts
from aeexplorer.core.training.precision import settle_precision
from report import percentiles

if TYPE_CHECKING:
    from aeexplorer.core.checkpoints.file import Checkpoint

BATCH = 128
EPOCH_IMAGES = 60_000  # one MNIST training epoch
WARMUP_BATCHES = 4


def ours_seconds(model_cfg: ModelConfig, data: Split, n_images: int,
                 precision: str = "auto") -> float:
    """Seconds of one epoch of ``aeexplorer.core.training.loop.train`` over the first
    ``n_images``."""
    subset = Split(data.images[:n_images], data.labels[:n_images])
    cfg = TrainConfig(epochs=1, batch_size=BATCH, device="cpu", seed=0, precision=precision)
    _, history = train(model_cfg, cfg, subset)
    return history.epochs[0].seconds


def reference_seconds(model_cfg: ModelConfig, data_root: Path, n_images: int) -> float:
    """Seconds of one epoch of the tutorial loop over the first ``n_images`` training images:
    ``datasets.MNIST(transform=ToTensor())`` -> ``DataLoader(batch_size=128, shuffle=True)``."""
    from torchvision import datasets, transforms

    ds = datasets.MNIST(str(data_root), train=True, download=False,
                        transform=transforms.ToTensor())
    loader = torch.utils.data.DataLoader(torch.utils.data.Subset(ds, range(n_images)),
                                         batch_size=BATCH, shuffle=True)
    torch.manual_seed(0)
    model = build_model(model_cfg).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    running = 0.0
    start = time.perf_counter()
    for x, _ in loader:
        loss = loss_parts(model(x), x).total
        opt.zero_grad()
        loss.backward()
        opt.step()
        running += loss.item()
    return time.perf_counter() - start


def compare_training(arch: str, data: Split, data_root: Path, n_images: int,
                     repeats: int = 1) -> dict:
    """Ours (``--precision fp32`` and ``bf16``) and the reference, interleaved ``repeats``
    times after a warm-up of each; the best time of each counts (the machine may be busy: the
    minimum is the least disturbed run). The headline ``speedup`` is our default precision's
    (``auto``, as it resolves on this machine)."""
    cfg = ModelConfig(kind="vae", arch=arch)
    n = max(BATCH, n_images // BATCH * BATCH)  # whole batches: both see exactly n images
    runs = {"fp32": lambda k: ours_seconds(cfg, data, k, "fp32"),
            "bf16": lambda k: ours_seconds(cfg, data, k, "bf16"),
            "reference": lambda k: reference_seconds(cfg, data_root, k)}
    for run in runs.values():
        run(WARMUP_BATCHES * BATCH)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            times[name].append(run(n))
    ips = {name: n / min(t) for name, t in times.items()}
    default = settle_precision(TrainConfig(device="cpu", batch_size=BATCH), cfg).precision
    out = {"arch": arch, "images": n, "repeats": repeats, "default_precision": default,
           "reference_images_per_s": ips["reference"],
           "reference_s_per_epoch": EPOCH_IMAGES / ips["reference"],
           "speedup": ips[default] / ips["reference"]}
    for precision in ("fp32", "bf16"):
        out[f"ours_{precision}_images_per_s"] = ips[precision]
        out[f"ours_{precision}_s_per_epoch"] = EPOCH_IMAGES / ips[precision]
        out[f"speedup_{precision}"] = ips[precision] / ips["reference"]
    return out


def decode_ms(ckpt: Checkpoint, repeats: int = 200) -> tuple[float, float]:
    """p50 and p95 (ms) of decoding one map position the way a click does
    (``ckpt.ops.decode``: a list in, a (28, 28) numpy image out)."""
    from aeexplorer.app import views

    for i in range(10):
        ckpt.ops.decode(views.full_z(ckpt, [0.01 * i, 0.0]))
    times = []
    for i in range(repeats):
        z = views.full_z(ckpt, [i / repeats - 0.5, 0.5 - i / repeats])
        t = time.perf_counter()
        ckpt.ops.decode(z)[0]
        times.append((time.perf_counter() - t) * 1000)
    return percentiles(times)


def png_ms(ckpt: Checkpoint, repeats: int = 100) -> float:
    """Median ms to turn one decoded image into the PNG the page shows (5x enlarged)."""
    from aeexplorer.app import imaging, views

    image = ckpt.ops.decode(views.full_z(ckpt, [0.0, 0.0]))[0]
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        imaging.to_png(image, 5)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def encode_images_per_s(ckpt: Checkpoint, data_root: Path, repeats: int = 3) -> tuple[float, int]:
    """Images per second of ``ops.encode`` over the whole test set (best of ``repeats``)."""
    images = load_split(ckpt.dataset, False, data_root).images.numpy()
    ckpt.ops.encode(images[:2048])  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        ckpt.ops.encode(images)
        best = min(best, time.perf_counter() - start)
    return images.shape[0] / best, int(images.shape[0])


def run_model(data_root: Path, ckpt_path: Path, n_dense: int, n_conv: int,
              repeats: int) -> dict:
    """All model-side figures as one flat dict."""
    from aeexplorer.core.checkpoints.file import load_checkpoint

    data = load_split("mnist", True, data_root)
    out: dict = {}
    for arch, n in (("dense", n_dense), ("conv", n_conv)):
        res = compare_training(arch, data, data_root, n, repeats)
        out[f"train_{arch}_vae"] = res
        out[f"train_speedup_{arch}_vae"] = res["speedup"]
        for precision in ("fp32", "bf16"):
            out[f"train_speedup_{arch}_vae_{precision}"] = res[f"speedup_{precision}"]
    ckpt = load_checkpoint(ckpt_path)
    for p in ckpt.model.parameters():
        p.requires_grad_(False)
    out["decode_ms"], out["decode_p95_ms"] = decode_ms(ckpt)
    out["png_ms"] = png_ms(ckpt)
    out["encode_images_per_s"], out["encode_images"] = encode_images_per_s(ckpt, data_root)
    return out
