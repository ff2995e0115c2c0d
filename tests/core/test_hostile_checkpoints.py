"""Crafted checkpoints (deep JSON, hostile atlases, random headers) against every reader the
pickers, the pages and the CLI use: each gives one short ``CheckpointError`` line that names
the file, never another exception, and the CLI prints that line and no traceback."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aeexplorer import cli
from aeexplorer.core.checkpoints.file import load_checkpoint
from aeexplorer.core.checkpoints.header import check_file, read_atlas, read_card
from aeexplorer.core.errors import CheckpointError
from tests.helpers.checkpoints import make_checkpoint
from tests.helpers.images import read_raw, rewrite, with_meta, write_raw

READERS = {"card": read_card, "atlas": read_atlas, "picker": check_file, "load": load_checkpoint}
DEEP = "[" * 1000 + "]" * 1000


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return make_checkpoint(tmp_path_factory.mktemp("good") / "good.safetensors", n_atlas=40)


def _with_atlas(src: Path, dst: Path, mu=None, labels=None, logvar=None) -> Path:
    changed = {f"atlas.{name}": value for name, value in
               (("mu", mu), ("labels", labels), ("logvar", logvar)) if value is not None}
    return rewrite(src, dst, tensors=changed)


def _assert_one_line(message: str, name: str) -> None:
    assert name in message
    assert "\n" not in message and len(message) < 400
    assert "[" * 50 not in message  # a crafted value is clipped, not echoed back in full


class TestDeepJson:
    @pytest.mark.parametrize("field", ["config", "train", "metrics"])
    @pytest.mark.parametrize("reader", sorted(READERS))
    def test_deep_metadata_field_is_one_line(self, tmp_path, good, field, reader):
        bad = with_meta(good, tmp_path / "deep.safetensors", **{field: DEEP})
        with pytest.raises(CheckpointError) as info:
            READERS[reader](bad)
        _assert_one_line(str(info.value), "deep.safetensors")

    @pytest.mark.parametrize("field", ["dataset", "format_version"])
    def test_brackets_in_a_plain_field_are_clipped(self, tmp_path, good, field):
        bad = with_meta(good, tmp_path / "brackets.safetensors", **{field: DEEP})
        with pytest.raises(CheckpointError) as info:
            read_card(bad)
        _assert_one_line(str(info.value), "brackets.safetensors")

    def test_deep_value_in_the_header_itself(self, tmp_path, good):
        header, body = read_raw(good)
        header["atlas.mu"]["extra"] = json.loads("[" * 500 + "]" * 500)
        text = json.dumps(header).encode()
        assert text.count(b"[") > 500
        bad = write_raw(tmp_path / "deep-header.safetensors", header, body)
        with pytest.raises(CheckpointError) as info:
            check_file(bad)
        _assert_one_line(str(info.value), "deep-header.safetensors")

    def test_ordinary_nesting_still_reads(self, tmp_path, good):
        nested = json.dumps({"config": {"epochs": 1}, "history": {"epochs": [{"a": [1, [2]]}]}})
        ok = with_meta(good, tmp_path / "ok.safetensors", train=nested)
        assert read_card(ok)["train"]["history"]["epochs"][0]["a"] == [1, [2]]


class TestHostileAtlas:
    CASES = {
        "labels-scalar": dict(labels=torch.tensor(3)),
        "codes-huge": dict(mu=torch.full((40, 2), 3e38)),
        "codes-nan": dict(mu=torch.full((40, 2), math.nan)),
        "logvar-inf": dict(logvar=torch.full((40, 2), math.inf)),
        "zero-rows": dict(mu=torch.zeros(0, 2), labels=torch.zeros(0, dtype=torch.long),
                          logvar=torch.zeros(0, 2)),
        "labels-out-of-range": dict(labels=torch.full((40,), 10)),
    }

    SHAPES = ("labels-scalar", "zero-rows")  # seen in the header: even the card refuses them

    @pytest.mark.parametrize("case", sorted(CASES))
    @pytest.mark.parametrize("reader", sorted(READERS))
    def test_refused_with_one_line(self, tmp_path, good, case, reader):
        bad = _with_atlas(good, tmp_path / f"{case}.safetensors", **self.CASES[case])
        if reader == "card" and case not in self.SHAPES:  # values: read by every other reader
            assert read_card(bad)["dataset"] == "mnist"
            return
        with pytest.raises(CheckpointError) as info:
            READERS[reader](bad)
        _assert_one_line(str(info.value), f"{case}.safetensors")

    def test_large_but_finite_codes_read(self, tmp_path, good):
        ok = _with_atlas(good, tmp_path / "wide.safetensors", mu=torch.full((40, 2), 250.0))
        assert read_atlas(ok)[0].max() == 250.0

    def test_nan_weights_are_refused_on_load(self, tmp_path, good):
        tensors = safetensors.torch.load_file(str(good))
        key = next(k for k in tensors if k.startswith("model.") and k.endswith("weight"))
        bad = rewrite(good, tmp_path / "nan.safetensors",
                      tensors={key: torch.full_like(tensors[key], math.nan)})
        with pytest.raises(CheckpointError, match="NaN"):
            load_checkpoint(bad)


class TestCommandLine:
    @pytest.mark.parametrize("command", ["evaluate", "encode"])
    def test_deep_json_gives_one_error_line(self, tmp_path, good, capsys, command):
        bad = with_meta(good, tmp_path / "deep.safetensors", metrics=DEEP)
        image = tmp_path / "digit.png"
        image.write_bytes(b"not read: the checkpoint fails first")
        argv = [command, str(bad)] + ([str(image)] if command == "encode" else [])
        assert cli.main(argv) != 0
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0]
        assert "deep.safetensors" in err[0]


# --- fuzzing: random JSON spliced into a real header, and random header bytes -------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20)
HEADER_PATHS = st.sampled_from([
    ("atlas.mu", "shape"), ("atlas.mu", "dtype"), ("atlas.mu", "data_offsets"),
    ("atlas.labels", "shape"), ("atlas.labels", "dtype"), ("atlas.labels",),
    ("atlas.logvar", "shape"), ("__metadata__", "config"), ("__metadata__", "train"),
    ("__metadata__", "metrics"), ("__metadata__", "dataset"), ("__metadata__",),
    ("model.encoder.0.0.weight", "shape"), ("new.tensor",)])
FUZZ = settings(max_examples=100, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _only_checkpoint_errors(path: Path) -> None:
    for reader in READERS.values():
        try:
            reader(path)
        except CheckpointError as exc:
            assert "\n" not in str(exc) and len(str(exc)) < 400
            assert path.name in str(exc) or "no checkpoint" in str(exc)


@FUZZ
@given(where=HEADER_PATHS, value=JSON_VALUES, as_text=st.booleans())
def test_fuzzed_header_values(tmp_path, good, where, value, as_text):
    header, body = read_raw(good)
    header = copy.deepcopy(header)
    target = header
    for key in where[:-1]:
        target = target.setdefault(key, {}) if isinstance(target, dict) else {}
    if where[0] == "__metadata__" and (as_text or len(where) > 1):
        value = json.dumps(value)  # metadata values are JSON in a string
    target[where[-1]] = value
    _only_checkpoint_errors(write_raw(tmp_path / "fuzz.safetensors", header, body))


@FUZZ
@given(depth=st.integers(0, 3000), field=st.sampled_from(["config", "train", "metrics"]),
       opener=st.sampled_from(["[", '{"a":']))
def test_fuzzed_nesting(tmp_path, good, depth, field, opener):
    closer = "]" if opener == "[" else "}"
    bad = with_meta(good, tmp_path / "nest.safetensors",
                     **{field: opener * depth + "1" + closer * depth})
    _only_checkpoint_errors(bad)


@FUZZ
@given(raw=st.binary(max_size=200), declared=st.integers(0, 2**64 - 1))
def test_fuzzed_header_bytes(tmp_path, raw, declared):
    path = tmp_path / "bytes.safetensors"
    path.write_bytes(declared.to_bytes(8, "little") + raw)
    _only_checkpoint_errors(path)


ATLAS_VALUES = st.floats(allow_nan=True, allow_infinity=True, width=32)


@FUZZ
@given(n=st.integers(0, 30), dim=st.integers(1, 3),
       codes_dtype=st.sampled_from([torch.float32, torch.float64, torch.float16]),
       labels_dtype=st.sampled_from([torch.int64, torch.int32, torch.float32]),
       fill=ATLAS_VALUES, label=st.integers(-3, 12), logvar=st.booleans(), data=st.data())
def test_fuzzed_atlases(tmp_path, good, n, dim, codes_dtype, labels_dtype, fill, label, logvar,
                        data):
    """Any atlas tensors in a real file: read, the codes are finite and bounded; else one
    CheckpointError line."""
    mu = torch.full((n, dim), fill)
    if n and data.draw(st.booleans()):
        mu[data.draw(st.integers(0, n - 1))] = data.draw(ATLAS_VALUES)
    mu = mu.to(codes_dtype)  # a float16 file: out of range values become infinite
    labels = torch.full((n,), label).to(labels_dtype)
    path = _with_atlas(good, tmp_path / "atlas.safetensors", mu=mu, labels=labels,
                       logvar=torch.full((n, dim), fill) if logvar else None)
    _only_checkpoint_errors(path)
    try:
        codes, classes = read_atlas(path)
    except CheckpointError:
        return
    assert codes.dtype == np.float32 and np.isfinite(codes).all() and np.abs(codes).max() <= 1e5
    assert len(codes) == len(classes) >= 1 and classes.min() >= 0 and classes.max() <= 9


def test_an_unterminated_string_header_is_refused_quickly(tmp_path):
    import time

    text = ('"' + '\\"' * 200_000).encode()  # 400 kB, no closing quote: one long string
    path = tmp_path / "quotes.safetensors"
    path.write_bytes(len(text).to_bytes(8, "little") + text)
    start = time.perf_counter()
    with pytest.raises(CheckpointError):
        read_card(path)
    assert time.perf_counter() - start < 2.0


def test_huge_numbers_in_the_metadata_read_as_missing_metrics(tmp_path, good):
    from aeexplorer.app.compare import row
    from aeexplorer.core.checkpoints.card import family, number, train_config

    huge = "1" * 400
    path = with_meta(good, tmp_path / "huge.safetensors",
                      train='{"config": {"epochs": 1, "beta": %s, "penalty": "l1", '
                            '"penalty_weight": %s}}' % (huge, huge),
                      metrics='{"recon_bce": %s, "parameters": -%s}' % (huge, huge))
    card = check_file(path)
    assert number(card["metrics"], "recon_bce") is None  # not a finite number: "–" on pages
    assert family(card["config"], train_config(card)).startswith("sparse")
    assert all(v is None for k, v in row("huge", card).items() if k not in ("name", "family",
                                                                         "dataset"))


def test_an_atlas_too_large_to_check_is_refused_from_its_header(tmp_path, good):
    header, body = read_raw(good)
    header = copy.deepcopy(header)
    header["atlas.labels"]["shape"] = [1_500_000]
    header["atlas.mu"]["shape"] = [1_500_000, 2]
    with pytest.raises(CheckpointError, match="atlas"):
        read_card(write_raw(tmp_path / "big.safetensors", header, body))
