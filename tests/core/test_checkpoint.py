"""Checkpoints: a bitwise round trip, metadata kept, atomic writes, and every kind of bad file
(text, foreign safetensors, truncated, wrong version, wrong config types, wrong tensors,
unknown data set, crafted headers) refused with a ``CheckpointError`` that says why."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
import safetensors.torch
import torch
from safetensors import safe_open

from aeexplorer.core.checkpoints.file import (Atlas, list_checkpoints, load_checkpoint,
                                              save_checkpoint)
from aeexplorer.core.checkpoints.header import FORMAT_VERSION, read_card, read_header
from aeexplorer.core.errors import AeError, CheckpointError
from aeexplorer.core.models import ModelConfig, build_model
from tests.helpers.checkpoints import make_checkpoint
from tests.helpers.images import read_raw, rewrite, write_raw

FAMILIES = [(kind, arch) for kind in ("ae", "vae") for arch in ("dense", "conv")]


def trained_looking_model(cfg: ModelConfig, seed: int = 0):
    """A model whose BatchNorm statistics moved away from their initial values."""
    torch.manual_seed(seed)
    model = build_model(cfg)
    if cfg.batchnorm:
        model.train()
        with torch.no_grad():
            model(torch.rand(16, 1, 28, 28))
    return model.eval()


def atlas_for(cfg: ModelConfig, n: int = 50, seed: int = 0) -> Atlas:
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(n, cfg.latent_dim, generator=g)
    logvar = torch.randn(n, cfg.latent_dim, generator=g) if cfg.variational else None
    return Atlas(mu, logvar, torch.randint(0, 10, (n,), generator=g))


@pytest.mark.parametrize("kind,arch", FAMILIES)
@pytest.mark.parametrize("latent_dim,batchnorm", [(2, False), (5, True)])
def test_round_trip_is_bitwise(tmp_path, kind, arch, latent_dim, batchnorm):
    cfg = ModelConfig(kind=kind, arch=arch, latent_dim=latent_dim, hidden=(32, 16),
                      channels=(4, 8), batchnorm=batchnorm)
    model = trained_looking_model(cfg)
    atlas = atlas_for(cfg)
    train = {"config": {"epochs": 3, "lr": 0.001}, "history": {"seconds": 1.5, "epochs": []}}
    metrics = {"recon_bce": 123.25, "kl": None if kind == "ae" else 4.5, "knn5_accuracy": 0.75}
    path = save_checkpoint(tmp_path / "sub" / "m.safetensors", model, "fashion", atlas,
                           train=train, metrics=metrics)
    assert path == tmp_path / "sub" / "m.safetensors" and path.is_file()

    ckpt = load_checkpoint(path)
    assert ckpt.config == cfg
    assert ckpt.dataset == "fashion"
    assert ckpt.class_names[0] == "T-shirt/top" and len(ckpt.class_names) == 10
    assert ckpt.train == train
    assert ckpt.metrics == metrics
    assert ckpt.path == path
    assert not ckpt.model.training
    assert torch.equal(ckpt.atlas.mu, atlas.mu)
    assert torch.equal(ckpt.atlas.labels, atlas.labels)
    assert ckpt.atlas.labels.dtype == torch.int64
    if kind == "vae":
        assert torch.equal(ckpt.atlas.logvar, atlas.logvar)
    else:
        assert ckpt.atlas.logvar is None

    before, after = model.state_dict(), ckpt.model.state_dict()
    assert before.keys() == after.keys()
    for key in before:
        assert torch.equal(before[key], after[key]), key
        assert before[key].dtype == after[key].dtype, key
    x = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    z = torch.randn(8, latent_dim, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        mu_a, lv_a = model.encode(x)
        mu_b, lv_b = ckpt.model.encode(x)
        assert torch.equal(mu_a, mu_b)
        assert (lv_a is None and lv_b is None) or torch.equal(lv_a, lv_b)
        assert torch.equal(model.decode(z), ckpt.model.decode(z))


def test_read_card_needs_no_weights(tmp_path):
    path = make_checkpoint(tmp_path / "c.safetensors", kind="ae", arch="conv")
    card = read_card(path)
    assert card["config"] == ModelConfig(kind="ae", arch="conv", hidden=(32, 16), channels=(4, 8))
    assert card["dataset"] == "mnist"
    assert card["metrics"]["knn5_accuracy"] == 0.5 and card["metrics"]["kl"] is None
    assert card["train"] == {"config": {"epochs": 1}}
    header = read_header(path)
    assert header["meta"]["format"] == "aeexplorer"
    assert header["meta"]["format_version"] == str(FORMAT_VERSION)
    assert "atlas.mu" in header["tensors"] and "atlas.logvar" not in header["tensors"]


def test_header_is_plain_safetensors_metadata(tmp_path, tiny_checkpoint):
    """Other tools can read the file: plain safetensors with string metadata, no pickle."""
    with safe_open(str(tiny_checkpoint), framework="pt") as f:
        meta = f.metadata()
        keys = set(f.keys())
    assert set(meta) == {"format", "format_version", "config", "dataset", "classes", "train",
                         "metrics"}
    assert json.loads(meta["config"])["kind"] == "vae"
    assert {"atlas.mu", "atlas.logvar", "atlas.labels"} <= keys
    assert all(k.startswith(("model.", "atlas.")) for k in keys)


def test_save_replaces_an_existing_file(tmp_path):
    path = make_checkpoint(tmp_path / "m.safetensors", kind="vae", seed=0)
    make_checkpoint(path, kind="ae", seed=1)
    assert load_checkpoint(path).config.kind == "ae"
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_saved_file_is_readable_by_others(tmp_path):
    """The atomic write goes through mkstemp, whose file is private; a checkpoint is not."""
    path = make_checkpoint(tmp_path / "m.safetensors")
    assert path.stat().st_mode & 0o777 == 0o644


def _failing_save_file(tensors, filename, metadata=None):
    with open(filename, "wb") as fh:  # half a file, then the crash
        fh.write(b"\x10\x00\x00\x00\x00\x00\x00\x00{\"partial")
    raise OSError("disk full")


def test_failed_save_leaves_the_existing_file_intact(tmp_path, monkeypatch):
    path = make_checkpoint(tmp_path / "m.safetensors")
    original = path.read_bytes()
    monkeypatch.setattr(safetensors.torch, "save_file", _failing_save_file)
    cfg = ModelConfig(kind="ae", hidden=(8,))
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, build_model(cfg), "mnist", atlas_for(cfg))
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]  # no temp file
    monkeypatch.undo()
    assert load_checkpoint(path).config.kind == "vae"


def test_failed_save_of_a_new_file_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(safetensors.torch, "save_file", _failing_save_file)
    cfg = ModelConfig(kind="ae", hidden=(8,))
    with pytest.raises(OSError):
        save_checkpoint(tmp_path / "new.safetensors", build_model(cfg), "mnist", atlas_for(cfg))
    assert list(tmp_path.iterdir()) == []


def test_interrupted_save_leaves_no_temp_file(tmp_path, monkeypatch):
    path = make_checkpoint(tmp_path / "m.safetensors")
    original = path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    cfg = ModelConfig(kind="ae", hidden=(8,))
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, build_model(cfg), "mnist", atlas_for(cfg))
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


def test_list_checkpoints(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    make_checkpoint(a / "z.safetensors")
    make_checkpoint(a / "y.safetensors")
    make_checkpoint(b / "x.safetensors")
    (a / "notes.txt").write_text("hi")
    (a / "dir.safetensors").mkdir()
    found = list_checkpoints(a, b, tmp_path / "missing")
    assert [p.name for p in found] == ["y.safetensors", "z.safetensors", "x.safetensors"]


# ---------------------------------------------------------------- bad files


def _raw(src: Path, dst: Path, change) -> Path:
    """A copy of ``src`` with its JSON header edited by ``change(header)`` (data unchanged)."""
    header, body = read_raw(src)
    header = copy.deepcopy(header)
    change(header)
    return write_raw(dst, header, body)


def _config(src: Path, **changes) -> str:
    with safe_open(str(src), framework="pt") as f:
        cfg = json.loads(f.metadata()["config"])
    cfg.update(changes)
    return json.dumps(cfg)


def _first_weight(src: Path) -> str:
    return next(k for k in read_raw(src)[0] if k.startswith("model.") and k.endswith("weight"))


def _bad_text(src, dst):
    dst.write_text("this is not a checkpoint\n" * 20)


def _bad_empty(src, dst):
    dst.write_bytes(b"")


def _bad_short(src, dst):
    dst.write_bytes(b"\x01\x02\x03")


def _bad_foreign(src, dst):
    safetensors.torch.save_file({"w": torch.zeros(3)}, str(dst))


def _bad_foreign_meta(src, dst):
    safetensors.torch.save_file({"w": torch.zeros(3)}, str(dst), metadata={"format": "pt"})


def _bad_truncated(src, dst):
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) - 1000])


def _bad_truncated_header(src, dst):
    dst.write_bytes(src.read_bytes()[:100])


def _bad_huge_header_length(src, dst):
    dst.write_bytes((2**62).to_bytes(8, "little") + b"{}" * 10)


def _bad_header_not_json(src, dst):
    junk = b"\xff\xfe not json at all"
    dst.write_bytes(len(junk).to_bytes(8, "little") + junk)


def _bad_version(src, dst):
    rewrite(src, dst, meta={"format_version": "2"})


def _bad_no_version(src, dst):
    rewrite(src, dst, drop=["format_version"])


def _bad_config_type(src, dst):
    rewrite(src, dst, meta={"config": _config(src, latent_dim="2")})


def _bad_config_list_type(src, dst):
    rewrite(src, dst, meta={"config": _config(src, hidden="32,16")})


def _bad_config_value(src, dst):
    rewrite(src, dst, meta={"config": _config(src, kind="gan")})


def _bad_config_unknown_field(src, dst):
    rewrite(src, dst, meta={"config": _config(src, dropout=0.5)})


def _bad_config_not_json(src, dst):
    rewrite(src, dst, meta={"config": "{kind: vae"})


def _bad_config_mismatch(src, dst):  # a valid config that does not fit the weights
    rewrite(src, dst, meta={"config": _config(src, hidden=[64, 16])})


def _bad_config_missing(src, dst):
    rewrite(src, dst, drop=["config"])


def _bad_dataset(src, dst):  # a name no data set has, in a file that does not list classes
    rewrite(src, dst, meta={"dataset": "imagenet-x"}, drop=["classes"])


def _bad_dataset_name(src, dst):  # a name that cannot be shown on one line
    rewrite(src, dst, meta={"dataset": "mnist\n<b>"})


def _bad_classes(src, dst):
    rewrite(src, dst, meta={"classes": '["a", 3]'})


def _bad_classes_count(src, dst):  # the atlas labels 0..9 and the file names 2 classes
    rewrite(src, dst, meta={"classes": '["a", "b"]'})


def _bad_unlabelled_with_labels(src, dst):  # no classes, yet the atlas has labels
    rewrite(src, dst, meta={"classes": "[]"})


def _bad_metrics(src, dst):
    rewrite(src, dst, meta={"metrics": "[1, 2]"})


def _bad_train(src, dst):
    rewrite(src, dst, meta={"train": "not json"})


def _bad_shape(src, dst):
    key = _first_weight(src)
    rewrite(src, dst, tensors={key: torch.zeros(3, 3)})


def _bad_dtype(src, dst):
    key = _first_weight(src)
    w = safetensors.torch.load_file(str(src))[key]
    rewrite(src, dst, tensors={key: w.double()})


def _bad_half_weights(src, dst):
    key = _first_weight(src)
    w = safetensors.torch.load_file(str(src))[key]
    rewrite(src, dst, tensors={key: w.half()})


def _bad_missing_tensor(src, dst):
    rewrite(src, dst, drop=[_first_weight(src)])


def _bad_extra_tensor(src, dst):
    rewrite(src, dst, tensors={"model.extra.weight": torch.zeros(2)})


def _bad_no_atlas(src, dst):
    rewrite(src, dst, drop=["atlas.labels"])


def _bad_atlas_shape(src, dst):
    rewrite(src, dst, tensors={"atlas.mu": torch.zeros(200, 3)})


def _bad_atlas_labels_dtype(src, dst):
    rewrite(src, dst, tensors={"atlas.labels": torch.zeros(200, dtype=torch.int32)})


def _bad_atlas_labels_range(src, dst):
    rewrite(src, dst, tensors={"atlas.labels": torch.full((200,), 10, dtype=torch.int64)})


def _bad_atlas_negative_label(src, dst):
    rewrite(src, dst, tensors={"atlas.labels": torch.full((200,), -1, dtype=torch.int64)})


def _bad_logvar_on_ae(src, dst):  # an AE config over VAE tensors
    rewrite(src, dst, meta={"config": _config(src, kind="ae")})


def _bad_raw_offsets_strings(src, dst):
    key = _first_weight(src)
    _raw(src, dst, lambda h: h[key].__setitem__("data_offsets", ["0", "4"]))


def _bad_raw_offsets_int(src, dst):
    key = _first_weight(src)
    _raw(src, dst, lambda h: h[key].__setitem__("data_offsets", 4))


def _bad_raw_offsets_swapped(src, dst):
    key = _first_weight(src)
    _raw(src, dst, lambda h: h[key].__setitem__("data_offsets", h[key]["data_offsets"][::-1]))


def _bad_raw_entry(src, dst):
    key = _first_weight(src)
    _raw(src, dst, lambda h: h.__setitem__(key, [1, 2, 3]))


def _bad_raw_metadata_list(src, dst):
    _raw(src, dst, lambda h: h["__metadata__"].__setitem__("dataset", ["mnist"]))


def _bad_raw_metadata_number(src, dst):
    _raw(src, dst, lambda h: h["__metadata__"].__setitem__("train", 5))


def _bad_raw_metadata_object(src, dst):
    _raw(src, dst, lambda h: h["__metadata__"].__setitem__("config", {"kind": "vae"}))


def _bad_raw_metadata_not_object(src, dst):
    _raw(src, dst, lambda h: h.__setitem__("__metadata__", "aeexplorer"))


def _bad_raw_header_list(src, dst):
    write_raw(dst, [1, 2, 3], b"")  # type: ignore[arg-type]


BAD_FILES = {
    "text": (_bad_text, "not a safetensors file"),
    "empty": (_bad_empty, "not a safetensors file"),
    "short": (_bad_short, "not a safetensors file"),
    "foreign": (_bad_foreign, "no aeexplorer metadata"),
    "foreign-meta": (_bad_foreign_meta, "not an aeexplorer checkpoint"),
    "truncated": (_bad_truncated, "truncated"),
    "truncated-header": (_bad_truncated_header, "not a safetensors file"),
    "huge-header-length": (_bad_huge_header_length, "bad header length"),
    "header-not-json": (_bad_header_not_json, "header is not JSON"),
    "version": (_bad_version, "format version '2'"),
    "no-version": (_bad_no_version, "format version None"),
    "config-type": (_bad_config_type, "invalid model config"),
    "config-list-type": (_bad_config_list_type, "invalid model config"),
    "config-value": (_bad_config_value, "invalid model config"),
    "config-unknown-field": (_bad_config_unknown_field, "invalid model config"),
    "config-not-json": (_bad_config_not_json, "invalid model config"),
    "config-missing": (_bad_config_missing, "invalid model config"),
    "config-mismatch": (_bad_config_mismatch, "expected"),
    "dataset": (_bad_dataset, "unknown dataset 'imagenet-x' and no class names"),
    "dataset-name": (_bad_dataset_name, "is not a short printable name"),
    "classes": (_bad_classes, "'classes' must list"),
    "classes-count": (_bad_classes_count, "labels outside 0..1"),
    "unlabelled-with-labels": (_bad_unlabelled_with_labels, "labels outside -1 (no classes)"),
    "metrics": (_bad_metrics, "'metrics' is not a JSON object"),
    "train": (_bad_train, "'train' is not a JSON object"),
    "shape": (_bad_shape, "expected F32"),
    "dtype": (_bad_dtype, "is F64"),
    "half": (_bad_half_weights, "is F16"),
    "missing-tensor": (_bad_missing_tensor, "missing"),
    "extra-tensor": (_bad_extra_tensor, "unexpected ['model.extra.weight']"),
    "no-atlas": (_bad_no_atlas, "atlas"),
    "atlas-shape": (_bad_atlas_shape, "atlas.mu"),
    "atlas-labels-dtype": (_bad_atlas_labels_dtype, "atlas.labels"),
    "atlas-labels-range": (_bad_atlas_labels_range, "labels outside 0..9"),
    "atlas-negative-label": (_bad_atlas_negative_label, "labels outside 0..9"),
    "ae-config-vae-tensors": (_bad_logvar_on_ae, "atlas.logvar"),
    "raw-offsets-strings": (_bad_raw_offsets_strings, "malformed"),
    "raw-offsets-int": (_bad_raw_offsets_int, "malformed"),
    "raw-offsets-swapped": (_bad_raw_offsets_swapped, "malformed"),
    "raw-entry": (_bad_raw_entry, "malformed"),
    "raw-metadata-list": (_bad_raw_metadata_list, "metadata"),
    "raw-metadata-number": (_bad_raw_metadata_number, "metadata"),
    "raw-metadata-object": (_bad_raw_metadata_object, ""),
    "raw-metadata-not-object": (_bad_raw_metadata_not_object, "no aeexplorer metadata"),
    "raw-header-list": (_bad_raw_header_list, "no aeexplorer metadata"),
}


@pytest.fixture(scope="module")
def good_vae(tmp_path_factory) -> Path:
    return make_checkpoint(tmp_path_factory.mktemp("good") / "good.safetensors")


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_raise_checkpoint_error(tmp_path, good_vae, name):
    make, expected = BAD_FILES[name]
    bad = tmp_path / "bad.safetensors"
    make(good_vae, bad)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(bad)
    message = str(info.value)
    assert expected in message
    assert "bad.safetensors" in message  # says which file
    assert "\n" not in message and len(message) < 400  # one line for the CLI and the UI
    assert isinstance(info.value, AeError)


def test_bad_metadata_is_caught_by_read_card_too(tmp_path, good_vae):
    """The app lists checkpoints by their card alone: a bad card is a CheckpointError too."""
    for name in ("dataset", "dataset-name", "classes", "config-type", "metrics",
                 "raw-metadata-list", "version", "text"):
        bad = tmp_path / f"{name}.safetensors"
        BAD_FILES[name][0](good_vae, bad)
        with pytest.raises(CheckpointError):
            read_card(bad)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint file"):
        load_checkpoint(tmp_path / "nope.safetensors")
    with pytest.raises(CheckpointError, match="no checkpoint file"):
        load_checkpoint(tmp_path)


def test_good_copy_still_loads(tmp_path, good_vae):
    """The helpers that make bad files do not break good ones by themselves."""
    copy_a = rewrite(good_vae, tmp_path / "a.safetensors")
    copy_b = _raw(good_vae, tmp_path / "b.safetensors", lambda h: None)
    for p in (copy_a, copy_b):
        ckpt = load_checkpoint(p)
        assert ckpt.config.kind == "vae" and ckpt.atlas.mu.shape == (200, 2)
