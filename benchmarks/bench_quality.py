"""Time to quality: the fast recipe (``--recipe fast``, the Train page's default for a VAE)
trained on MNIST in this process, the test set's -ELBO measured after every epoch; the figure
is the training seconds (the epochs' own time, not the measuring) to the first epoch at or
under the threshold. Plain timing: nothing here passes or fails."""

from __future__ import annotations

from pathlib import Path


def time_to_elbo(data_root: Path, threshold: float = 140.0) -> dict:
    from aeexplorer.cli import parse
    from aeexplorer.cli.commands import configs
    from aeexplorer.core.datasets.loading import load_split
    from aeexplorer.core.latent.metrics import reconstruction_metrics
    from aeexplorer.core.training.loop import train
    from aeexplorer.core.training.precision import settle_precision

    model_cfg, cfg = configs(parse(["train", "--recipe", "fast", "--device", "cpu",
                                     "--out", "unused.safetensors"]))
    cfg = settle_precision(cfg, model_cfg)
    train_split = load_split("mnist", True, data_root)
    test_split = load_split("mnist", False, data_root)
    curve: list[tuple[int, float, float]] = []  # (epoch, training seconds so far, -ELBO)
    elapsed = [0.0]

    def measure(model, record) -> None:
        elapsed[0] += record.seconds
        elbo = reconstruction_metrics(model, test_split)["neg_elbo"]
        curve.append((record.epoch, round(elapsed[0], 2), round(elbo, 2)))

    train(model_cfg, cfg, train_split, on_epoch=measure,
          should_stop=lambda: bool(curve) and curve[-1][2] <= threshold)
    reached = next(((e, s) for e, s, v in curve if v <= threshold), None)
    return {"train_seconds_to_elbo_140": reached[1] if reached else None,
            "train_epochs_to_elbo_140": reached[0] if reached else None,
            "fast_recipe_precision": cfg.precision, "fast_recipe_curve": curve}


def threads_and_data(data_root: Path, n_images: int = 10_240) -> dict:
    """The fast recipe's training speed (images/s, one epoch of ``n_images``) with 1 and 2
    torch threads, and with the trainer's in-memory batcher against a DataLoader over the same
    in-memory tensors: each checked on the machine at hand, interleaved, best of two."""
    import time

    import torch

    from aeexplorer.cli import parse
    from aeexplorer.cli.commands import configs
    from aeexplorer.core.datasets.loading import load_split
    from aeexplorer.core.datasets.split import Split
    from aeexplorer.core.training.loop import train
    from aeexplorer.core.training.precision import settle_precision

    model_cfg, cfg = configs(parse(["train", "--recipe", "fast", "--device", "cpu",
                                     "--epochs", "1", "--out", "unused.safetensors"]))
    cfg = settle_precision(cfg, model_cfg)
    full = load_split("mnist", True, data_root)
    data = Split(full.images[:n_images], full.labels[:n_images])
    before = torch.get_num_threads()
    runs = {"threads_1": lambda: _ours(model_cfg, cfg, data, 1, train),
            "threads_2": lambda: _ours(model_cfg, cfg, data, 2, train),
            "dataloader_threads_2": lambda: _loader(model_cfg, cfg, data, 2)}
    best: dict[str, float] = {}
    try:
        for _ in range(2):
            for name, run in runs.items():
                t0 = time.perf_counter()
                run()
                best[name] = min(best.get(name, float("inf")), time.perf_counter() - t0)
    finally:
        torch.set_num_threads(before)
    return {f"fast_images_per_s_{name}": n_images / s for name, s in best.items()}


def _ours(model_cfg, cfg, data, threads: int, train) -> None:
    import torch

    torch.set_num_threads(threads)
    train(model_cfg, cfg, data)


def _loader(model_cfg, cfg, data, threads: int) -> None:
    """The same steps fed by ``torch.utils.data.DataLoader`` (shuffled, in-memory tensors)."""
    import torch

    from aeexplorer.core.models import build_model
    from aeexplorer.core.training.step import adam, batch_loss

    torch.set_num_threads(threads)
    torch.manual_seed(cfg.seed)
    model = build_model(model_cfg).train()
    opt = adam(model, cfg)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data.images),
                                         batch_size=cfg.batch_size, shuffle=True)
    for (x,) in loader:
        parts = batch_loss(model, x, cfg, cfg.beta)
        opt.zero_grad(set_to_none=True)
        parts.total.backward()
        opt.step()
