"""Which precision trains fastest here, measured rather than guessed.

A capability flag does not predict speed: on one 2-core CPU that reports AVX-512 BF16, bfloat16
autocast trained the dense VAE 1.35x faster than float32; on another, 1.7x slower. So ``auto``
times a few real training steps of the actual model, batch size and threads in both
precisions, interleaved, and takes bf16 only when it is faster by a margin. The answer is
cached per machine, threads and model shape (a few seconds of work saved on every later run).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from aeexplorer.core.training import distributed

if TYPE_CHECKING:
    from aeexplorer.core.models import ModelConfig
    from aeexplorer.core.training.config import TrainConfig

MARGIN = 1.10  # bf16 must take at most 1/1.1 of fp32's time a step to be chosen
BUDGET_S = 1.5  # the timing's wall-clock budget (at least two rounds are always run)
CACHE_ENV = "AEEXPLORER_CACHE"  # the cache folder; default ~/.cache/aeexplorer
MAX_CACHED = 256


@dataclass(frozen=True)
class Choice:
    precision: str  # "fp32" or "bf16"
    reason: str  # for people: why this one
    fp32_ms: float | None = None  # median ms a training step, when timed
    bf16_ms: float | None = None
    cached: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def settle_precision(cfg: TrainConfig, model_cfg: ModelConfig) -> TrainConfig:
    """``cfg`` with its precision settled: "auto" becomes what measured fastest for this model
    on this machine (``choose``); a precision asked for is kept. Under torchrun, rank 0 times a
    process's share of the batch and every process takes its answer."""
    choice = distributed.from_main(lambda: choose(model_cfg, distributed.per_process(cfg)))
    return replace(cfg, precision=choice.precision)


def choose(model_cfg: ModelConfig, cfg: TrainConfig) -> Choice:
    """The precision ``auto`` means for this model and training config on this machine."""
    # torch here and below, not at the top: ``Choice`` is read without it (a stand-in trainer
    # in the tests speaks the CLI's progress protocol and starts in a fraction of a second)
    import torch

    from aeexplorer.core.runtime import pick_device

    if cfg.precision != "auto":
        return Choice(cfg.precision, f"--precision {cfg.precision} was asked for")
    if not model_cfg.learned:
        return Choice("fp32", "PCA is fitted in closed form, in float32")
    if cfg.penalty == "contractive":
        return Choice("fp32", "the contractive penalty differentiates the Jacobian again, "
                              "which bfloat16 would make too coarse")
    device = pick_device(cfg.device)
    if device.type == "cpu" and not torch.backends.mkldnn.is_available():
        return Choice("fp32", "this torch build has no bfloat16 CPU kernels")
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        return Choice("fp32", "this GPU has no bfloat16 arithmetic")
    key = _cache_key(model_cfg, cfg, device)
    hit = _cache_get(key)
    if hit is not None:
        return replace(hit, cached=True)
    fp32_ms, bf16_ms = time_steps(model_cfg, cfg, device)
    choice = decide(fp32_ms, bf16_ms)
    _cache_put(key, choice)
    return choice


def decide(fp32_ms: float, bf16_ms: float) -> Choice:
    """bf16 when it is faster than fp32 by MARGIN, else fp32: the rule, from two timings."""
    if bf16_ms * MARGIN <= fp32_ms:
        why = f"bf16 measured {fp32_ms / bf16_ms:.2f}x faster ({bf16_ms:.1f} ms a step " \
              f"against {fp32_ms:.1f} ms in fp32)"
        return Choice("bf16", why, fp32_ms, bf16_ms)
    why = (f"bf16 measured slower ({bf16_ms:.1f} ms a step against {fp32_ms:.1f} ms in fp32)"
           if bf16_ms >= fp32_ms else
           f"bf16 measured only {fp32_ms / bf16_ms:.2f}x faster ({bf16_ms:.1f} against "
           f"{fp32_ms:.1f} ms a step), under the {MARGIN:.2f}x it must gain")
    return Choice("fp32", why, fp32_ms, bf16_ms)


def time_steps(model_cfg: ModelConfig, cfg: TrainConfig, device) -> tuple[float, float]:
    """Median ms of one training step (forward, loss, backward, Adam) in fp32 and in bf16,
    interleaved so that a change in the machine's load hits both, on a copy of a fresh model:
    the real training's random state is left untouched."""
    import torch  # and the networks: see ``choose``

    from aeexplorer.core.models import build_model
    from aeexplorer.core.training.step import adam, batch_loss

    with torch.random.fork_rng(devices=[] if device.type == "cpu" else [device]):
        torch.manual_seed(0)
        base = build_model(model_cfg).to(device)
        x = torch.rand(cfg.batch_size, model_cfg.image_channels, model_cfg.image_size,
                       model_cfg.image_size, device=device)
        runs = {}
        for precision in ("fp32", "bf16"):
            model = copy.deepcopy(base).train()
            run_cfg = replace(cfg, precision=precision)
            runs[precision] = (model, adam(model, run_cfg), run_cfg, [])
        start = time.perf_counter()
        for round_ in range(12):
            for model, opt, run_cfg, times in runs.values():
                t0 = time.perf_counter()
                # the UMAP penalty's neighbours, the map's places: any do for a timing
                near = x.flip(0) if cfg.penalty == "umap" else None
                place = x.new_zeros(len(x), 2) if cfg.penalty == "map" else None
                parts = batch_loss(model, x, run_cfg, cfg.beta, near=near, place=place)
                opt.zero_grad(set_to_none=True)
                parts.total.backward()
                opt.step()
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                if round_ > 0:  # the first step of each warms its kernels up
                    times.append((time.perf_counter() - t0) * 1000)
            if round_ >= 2 and time.perf_counter() - start > BUDGET_S:
                break
    return (statistics.median(runs["fp32"][3]), statistics.median(runs["bf16"][3]))


# --- the cache ------------------------------------------------------------------------------

def _cache_file() -> Path:
    root = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "aeexplorer"
    return Path(root) / "precision.json"


def _cache_key(model_cfg: ModelConfig, cfg: TrainConfig, device) -> str:
    import torch

    machine = (platform.machine(), platform.processor(), _cpu_model(), os.cpu_count(),
               torch.__version__, torch.get_num_threads(), str(device))
    shape = (model_cfg.to_json(), cfg.batch_size, cfg.penalty, cfg.noise)
    return hashlib.sha256(repr((machine, shape)).encode()).hexdigest()[:32]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _cache_get(key: str) -> Choice | None:
    """The cached choice, or None for anything else in the file (it is ours, but a damaged or
    hand-edited cache must only cost a new timing)."""
    try:
        data = json.loads(_cache_file().read_text())
        entry = data.get(key) if isinstance(data, dict) else None
        choice = Choice(**entry) if isinstance(entry, dict) else None
    except (OSError, ValueError, TypeError):
        return None
    return choice if choice is not None and choice.precision in ("fp32", "bf16") else None


def _cache_put(key: str, choice: Choice) -> None:
    """Best effort: a cache that cannot be written only costs the timing next time."""
    path = _cache_file()
    try:
        data = json.loads(path.read_text()) if path.is_file() else {}
        data = data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        data = {}
    data[key] = {k: v for k, v in choice.to_dict().items() if k != "cached"}
    data = dict(list(data.items())[-MAX_CACHED:])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)
    except OSError:
        pass
