"""The training loop on a tiny synthetic set: the loss falls, the NaN guard, cancelling, seeds,
the KL warm-up, and the train -> evaluate -> save pipeline (with synthetic splits)."""

from __future__ import annotations

import math

import pytest
import torch

import aeexplorer.core.pipeline as pipeline
import aeexplorer.core.training.step as step
from aeexplorer.core.checkpoints.file import load_checkpoint
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.errors import TrainingDiverged
from aeexplorer.core.models import ModelConfig
from aeexplorer.core.training.config import TrainConfig
from aeexplorer.core.training.loop import beta_at, train
from aeexplorer.core.training.losses import LossParts
from tests.helpers.images import synthetic_images


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def bars() -> Split:
    images, labels = synthetic_images(256, seed=0)
    return Split(images=images, labels=labels)


def tiny(kind="vae", arch="dense") -> ModelConfig:
    return ModelConfig(kind=kind, arch=arch, hidden=(64,), channels=(4, 8))


def cfg(**kw) -> TrainConfig:
    """A small run in float32 (``precision="auto"`` where a test is about that choice)."""
    base = dict(epochs=4, batch_size=32, lr=3e-3, seed=0, device="cpu", precision="fp32")
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.parametrize("kind,arch", [("ae", "dense"), ("vae", "dense"), ("vae", "conv")])
def test_loss_falls_on_a_tiny_synthetic_set(bars, kind, arch):
    model, history = train(tiny(kind, arch), cfg(epochs=5), bars)
    losses = [e.loss for e in history.epochs]
    assert len(losses) == 5
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.8 * losses[0], losses
    assert not model.training  # returned in eval mode
    first, last = history.epochs[0], history.epochs[-1]
    assert [e.epoch for e in history.epochs] == [1, 2, 3, 4, 5]
    if kind == "ae":
        assert all(e.kl == 0.0 for e in history.epochs)
        assert last.loss == pytest.approx(last.recon)
    else:
        assert first.kl > 0
        # beta = 1 without warm-up: the loss is recon + kl, batch by batch and so on average
        assert last.loss == pytest.approx(last.recon + last.kl, rel=1e-5)
    assert history.seconds > 0 and all(e.seconds > 0 for e in history.epochs)
    assert history.to_dict()["epochs"][0]["epoch"] == 1


def test_trained_model_reconstructs_better_than_an_untrained_one(bars):
    from aeexplorer.core.models import build_model
    from aeexplorer.core.training.losses import bce_per_image

    torch.manual_seed(0)
    fresh = build_model(tiny("ae")).eval()
    model, _ = train(tiny("ae"), cfg(epochs=5), bars)
    with torch.no_grad():
        before = bce_per_image(fresh(bars.images).logits, bars.images).mean()
        after = bce_per_image(model(bars.images).logits, bars.images).mean()
    assert after < 0.8 * before


def test_cosine_schedule_ends_at_lr_min(bars):
    _, history = train(tiny("ae"), cfg(epochs=3, lr=1e-2, lr_min=1e-4), bars)
    lrs = [e.lr for e in history.epochs]
    assert lrs[0] < 1e-2 and lrs == sorted(lrs, reverse=True)
    assert lrs[-1] == pytest.approx(1e-4, rel=1e-6)


def test_huge_learning_rate_diverges(bars):
    with pytest.raises(TrainingDiverged, match="nothing was written"):
        train(tiny("vae"), cfg(epochs=3, lr=1e12), bars)


def test_nan_loss_raises_training_diverged(bars, monkeypatch):
    calls = []
    real = step.loss_parts

    def nan_on_third(out, x, beta=1.0):
        calls.append(1)
        parts = real(out, x, beta)
        if len(calls) == 3:
            nan = parts.total * float("nan")
            return LossParts(total=nan, recon=parts.recon, kl=parts.kl)
        return parts

    monkeypatch.setattr(step, "loss_parts", nan_on_third)
    with pytest.raises(TrainingDiverged) as info:
        train(tiny("vae"), cfg(epochs=2), bars)
    assert "nan" in str(info.value) and "epoch 1, batch 3" in str(info.value)


def test_infinite_loss_raises_training_diverged(bars, monkeypatch):
    real = step.loss_parts

    def inf(out, x, beta=1.0):
        parts = real(out, x, beta)
        return LossParts(total=parts.total + float("inf"), recon=parts.recon, kl=parts.kl)

    monkeypatch.setattr(step, "loss_parts", inf)
    with pytest.raises(TrainingDiverged, match="inf"):
        train(tiny("ae"), cfg(epochs=1), bars)


def test_should_stop_cancels(bars):
    polls = []

    def stop_after_ten():
        polls.append(1)
        return len(polls) > 10

    model, history = train(tiny("vae"), cfg(epochs=4), bars, should_stop=stop_after_ten)
    assert len(history.epochs) == 1  # 8 batches per epoch: stopped during the second
    assert len(polls) == 11
    assert model is not None


def test_should_stop_at_once_trains_nothing(bars):
    _, history = train(tiny("ae"), cfg(epochs=2), bars, should_stop=lambda: True)
    assert history.epochs == []


def test_progress_is_reported_for_every_batch(bars):
    seen = []
    train(tiny("vae"), cfg(epochs=2, batch_size=100), bars,
          progress=lambda e, b, n, parts: seen.append((e, b, n, dict(parts))))
    assert [(e, b, n) for e, b, n, _ in seen] == [(e, b, 3) for e in range(2) for b in range(3)]
    assert all(set(p) == {"loss", "recon", "kl", "penalty"} for *_, p in seen)


@pytest.mark.parametrize("arch", ["dense", "conv"])
def test_same_seed_gives_identical_weights(bars, arch):
    a, ha = train(tiny("vae", arch), cfg(epochs=2, seed=7), bars)
    b, hb = train(tiny("vae", arch), cfg(epochs=2, seed=7), bars)
    c, _ = train(tiny("vae", arch), cfg(epochs=2, seed=8), bars)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert [e.loss for e in ha.epochs] == [e.loss for e in hb.epochs]
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_beta_warmup_schedule():
    flat = TrainConfig(beta=2.0, kl_warmup_epochs=0)
    assert [beta_at(flat, t) for t in (0, 0.5, 3, 100)] == [2.0] * 4
    warm = TrainConfig(beta=2.0, kl_warmup_epochs=4)
    assert beta_at(warm, 0) == 0.0
    assert beta_at(warm, 1) == pytest.approx(0.5)
    assert beta_at(warm, 2) == pytest.approx(1.0)
    assert beta_at(warm, 4) == pytest.approx(2.0)
    assert beta_at(warm, 9) == pytest.approx(2.0)
    values = [beta_at(warm, t / 10) for t in range(60)]
    assert values == sorted(values) and max(values) == 2.0


def test_training_uses_the_warmup_schedule(bars, monkeypatch):
    betas = []
    real = step.loss_parts

    def spy(out, x, beta=1.0):
        betas.append(beta)
        return real(out, x, beta)

    monkeypatch.setattr(step, "loss_parts", spy)
    c = cfg(epochs=3, batch_size=64, beta=0.5, kl_warmup_epochs=2)
    _, history = train(tiny("vae"), c, bars)
    n = 4  # batches per epoch
    want = [0.5 * min(1.0, (e + b / n) / 2) for e in range(3) for b in range(n)]
    assert betas == pytest.approx(want)
    assert [e.beta for e in history.epochs] == pytest.approx([0.25, 0.5, 0.5])


@pytest.mark.parametrize("kw", [
    {"epochs": 0}, {"batch_size": 0}, {"lr": 0.0}, {"lr": -1e-3}, {"lr": float("nan")},
    {"lr": float("inf")}, {"weight_decay": -0.1}, {"weight_decay": float("nan")},
    {"beta": -1.0}, {"beta": float("inf")}, {"beta": float("nan")}, {"seed": 2**64},
])
def test_invalid_train_configs_are_rejected(kw):
    with pytest.raises(ValueError):
        TrainConfig(**kw)


# ------------------------------------------------------------------ pipeline


@pytest.fixture
def synthetic_splits(monkeypatch, bars):
    """``load_split`` replaced by the synthetic set (train) and a slice of it (test)."""
    calls = []

    def fake_load_split(name, train, data_dir=None, download=False, **shape):
        calls.append((name, train))
        if train:
            return bars
        return Split(images=bars.images[:64], labels=bars.labels[:64])

    monkeypatch.setattr(pipeline, "load_split", fake_load_split)
    return calls


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_train_and_save_writes_a_checkpoint_with_metrics(tmp_path, synthetic_splits, bars, kind):
    out = tmp_path / "m.safetensors"
    result = pipeline.train_and_save(tiny(kind), cfg(epochs=2), out)
    assert result is not None
    path, metrics = result
    assert path == out and out.is_file()
    assert synthetic_splits == [("mnist", True), ("mnist", False)]
    ckpt = load_checkpoint(out)
    assert ckpt.config == tiny(kind)
    assert ckpt.metrics == metrics
    assert ckpt.atlas.mu.shape == (64, 2)
    assert torch.equal(ckpt.atlas.labels, bars.labels[:64])  # the test split's labels
    assert ckpt.train["config"]["epochs"] == 2
    assert len(ckpt.train["history"]["epochs"]) == 2
    assert 0.0 <= metrics["knn5_accuracy"] <= 1.0
    assert metrics["n_test"] == 64
    if kind == "vae":
        assert metrics["neg_elbo"] == pytest.approx(metrics["recon_bce"] + metrics["kl"])
        assert ckpt.atlas.logvar.shape == (64, 2)
    else:
        assert metrics["kl"] is None and metrics["neg_elbo"] is None


def test_cancelled_pipeline_writes_nothing(tmp_path, synthetic_splits):
    out = tmp_path / "m.safetensors"
    assert pipeline.train_and_save(tiny("ae"), cfg(epochs=3), out,
                                   should_stop=lambda: True) is None
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_diverged_pipeline_leaves_the_old_checkpoint(tmp_path, synthetic_splits):
    from tests.helpers.checkpoints import make_checkpoint

    out = make_checkpoint(tmp_path / "m.safetensors")
    before = out.read_bytes()
    with pytest.raises(TrainingDiverged):
        pipeline.train_and_save(tiny("vae"), cfg(epochs=2, lr=1e12), out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_bf16_autocast_trains_float32_weights_to_a_similar_loss(bars):
    fp32_model, fp32 = train(tiny("vae"), cfg(epochs=3), bars)
    bf16_model, bf16 = train(tiny("vae"), cfg(epochs=3, precision="bf16"), bars)
    assert all(p.dtype == torch.float32 for p in bf16_model.parameters())
    assert bf16.epochs[-1].loss < 0.9 * bf16.epochs[0].loss
    # the same start and batches: bfloat16 rounding moves the result only a little
    assert bf16.epochs[-1].loss == pytest.approx(fp32.epochs[-1].loss, rel=0.05)


@pytest.fixture
def timings(monkeypatch, tmp_path):
    """``aeexplorer.core.training.precision``'s step timing mocked: set ``timings[:] = [fp32_ms,
    bf16_ms]``; its calls are counted in ``timings.calls``; the cache lives in ``tmp_path``."""
    from aeexplorer.core.training import precision

    monkeypatch.setenv("AEEXPLORER_CACHE", str(tmp_path / "cache"))

    class Timings(list):
        calls = 0

    result = Timings([10.0, 5.0])

    def fake(model_cfg, cfg, device):
        result.calls += 1
        return tuple(result)

    monkeypatch.setattr(precision, "time_steps", fake)
    return result


@pytest.mark.parametrize("fp32_ms,bf16_ms,wanted", [(10.0, 5.0, "bf16"), (10.0, 9.5, "fp32"),
                                                    (5.0, 10.0, "fp32")])
def test_auto_takes_bf16_only_when_it_measured_faster_by_the_margin(timings, fp32_ms, bf16_ms,
                                                                     wanted):
    from aeexplorer.core.training.precision import settle_precision
    from aeexplorer.core.training.precision import choose

    timings[:] = [fp32_ms, bf16_ms]
    choice = choose(tiny("vae"), cfg(precision="auto"))
    assert choice.precision == wanted
    assert settle_precision(cfg(precision="auto"), tiny("vae")).precision == wanted
    assert (choice.fp32_ms, choice.bf16_ms) == (fp32_ms, bf16_ms)
    assert ("faster" if wanted == "bf16" else "bf16 measured") in choice.reason


def test_auto_is_measured_once_per_model_shape_and_cached(timings):
    from aeexplorer.core.training.precision import choose

    first = choose(tiny("vae"), cfg(precision="auto"))
    again = choose(tiny("vae"), cfg(precision="auto"))
    assert timings.calls == 1 and again.cached and again.precision == first.precision
    choose(tiny("vae"), cfg(batch_size=64, precision="auto"))  # another shape: measured again
    assert timings.calls == 2


def test_what_is_not_timed_keeps_float32_or_what_was_asked(timings):
    from aeexplorer.core.training.precision import choose

    assert choose(tiny("vae"), cfg(penalty="contractive", penalty_weight=1.0,
                                       precision="auto")).precision == "fp32"
    assert choose(tiny("pca"), cfg(precision="auto")).precision == "fp32"
    for chosen in ("fp32", "bf16"):  # a precision asked for is kept
        assert choose(tiny("vae"), cfg(precision=chosen)).precision == chosen
    assert timings.calls == 0


def test_the_real_timing_is_short_and_leaves_the_random_state_alone():
    import time

    from aeexplorer.core.training.precision import time_steps

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    start = time.perf_counter()
    fp32_ms, bf16_ms = time_steps(tiny("vae"), cfg(batch_size=32), torch.device("cpu"))
    assert time.perf_counter() - start < 5 and fp32_ms > 0 and bf16_ms > 0
    assert torch.equal(torch.rand(3), expected)


def test_a_checkpoint_records_the_precision_and_both_timings(tmp_path, timings,
                                                            synthetic_splits):
    from aeexplorer.core.checkpoints.card import train_config
    from aeexplorer.core.checkpoints.header import read_card

    timings[:] = [8.0, 4.0]
    path, _ = pipeline.train_and_save(tiny("ae"), cfg(epochs=1, precision="auto"),
                                      tmp_path / "m.safetensors")
    card = read_card(path)
    assert train_config(card)["precision"] == "bf16"  # "auto", as it was settled
    recorded = card["train"]["precision"]
    assert recorded["precision"] == "bf16" and recorded["fp32_ms"] == 8.0
    assert recorded["bf16_ms"] == 4.0 and "2.00x faster" in recorded["reason"]


def test_an_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="precision"):
        TrainConfig(precision="fp8")


def test_bf16_runs_the_layers_in_bfloat16_and_the_losses_in_float32(bars):
    from aeexplorer.core.models import build_model
    from aeexplorer.core.training.step import batch_loss

    model = build_model(tiny("vae")).train()
    dtypes = []
    model.encoder[1][0].register_forward_hook(lambda m, i, out: dtypes.append(out.dtype))
    parts = batch_loss(model, bars.images[:8], cfg(precision="bf16"), beta=1.0)
    assert dtypes == [torch.bfloat16]
    assert parts.total.dtype == parts.recon.dtype == torch.float32
    batch_loss(model, bars.images[:8], cfg(precision="fp32"), beta=1.0)
    assert dtypes[-1] == torch.float32


@pytest.mark.parametrize("damage", ["[]", "null", "not json", {"precision": "fp16"}, [1]])
def test_a_damaged_precision_cache_costs_a_new_timing(timings, tmp_path, damage):
    import json

    from aeexplorer.core.training.precision import choose

    choose(tiny("vae"), cfg(precision="auto"))  # measured and cached
    cache = tmp_path / "cache" / "precision.json"
    if isinstance(damage, str):
        cache.write_text(damage)
    else:
        cache.write_text(json.dumps({k: damage for k in json.loads(cache.read_text())}))
    assert choose(tiny("vae"), cfg(precision="auto")).precision == "bf16"
    assert timings.calls == 2  # measured again, not a crash
