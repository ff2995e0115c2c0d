"""The command line. The real CLI runs in subprocesses (started together, since each one pays
for importing torch) for the JSON of ``evaluate`` and ``encode``, the latter with an
unreadable image among good ones (an error path end to end); the other cases call
``cli.main`` in-process, with stderr captured at the file descriptor. A person's mistake is
one ``error:`` line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import aeexplorer.core.pipeline as pipeline
from aeexplorer import cli
from aeexplorer.core.checkpoints.file import load_checkpoint
from aeexplorer.core.checkpoints.metric_table import METRICS
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.latent.placement import place_bytes
from tests.helpers import REPO, find_data_root
from tests.helpers.checkpoints import make_checkpoint
from tests.helpers.images import draw_digit, synthetic_images, to_bytes

EVALUATE_KEYS = {"dataset", "model", "latent_dim", "n_test", "recon_bce", "recon_mse", "kl",
                 "neg_elbo", "knn5_accuracy"}
DESCRIBED = {"checkpoint", "dataset", "model", "family", "arch", "latent_dim"}  # not metrics
# the train flags a person knows, and their defaults (derived from the configs: a config's new
# default would change the command line, which this catches)
TRAIN_DEFAULTS = {
    "--dataset": "mnist", "--image-size": None, "--image-channels": None,  # None: the data's
    "--model": "vae", "--arch": "dense", "--latent-dim": 2,
    "--hidden": (512, 256), "--channels": (32, 64), "--batchnorm": False, "--activation": "relu",
    "--refine": 0,
    "--epochs": 30, "--batch-size": 128, "--lr": 1e-3, "--weight-decay": 0.0, "--beta": 1.0,
    "--kl-warmup": 0, "--penalty": "none", "--penalty-weight": 0.0, "--sparsity-target": 0.05,
    "--map": "umap", "--map-leash": 0.05, "--keep-map": False, "--noise": "none",
    "--noise-level": 0.0,
    "--precision": "auto", "--recipe": None,
    "--seed": 0, "--device": "auto", "--out": None, "--snapshots": 0, "--progress-json": False,
    "--snapshot-decoders": None, "--data-dir": None, "--download": False}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    (d / "empty-data").mkdir()
    (d / "digit.png").write_bytes(to_bytes(draw_digit("7", ink=0, paper=255)))
    (d / "eight.png").write_bytes(to_bytes(draw_digit("8")))
    (d / "bad.png").write_bytes(b"this is not a picture\n")
    (d / "notes.safetensors").write_text("a text file, not a checkpoint\n")
    return {
        "dir": d,
        "vae": make_checkpoint(d / "vae.safetensors", kind="vae"),
        "ae": make_checkpoint(d / "ae.safetensors", kind="ae", arch="conv"),
        "digit": d / "digit.png",
        "eight": d / "eight.png",
        "bad": d / "bad.png",
        "text": d / "notes.safetensors",
        "missing": d / "missing.safetensors",
        "empty": d / "empty-data",
    }


@pytest.fixture(scope="module")
def runs(files) -> dict[str, subprocess.CompletedProcess]:
    """Every subprocess this module checks, run at the same time."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    root = find_data_root()
    if root is not None:
        env["AEEXPLORER_DATA"] = str(root)
    f = {k: str(v) for k, v in files.items()}
    commands = {
        "encode-json": ["encode", f["vae"], f["digit"], f["bad"], f["eight"], "--json"],
    }
    if root is not None:
        commands["evaluate-json"] = ["evaluate", f["vae"], "--json"]
    procs = {
        name: subprocess.Popen([sys.executable, "-m", "aeexplorer", *args], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, args in commands.items()
    }
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        results[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return results


def check_one_error_line(result: subprocess.CompletedProcess | tuple, *needles: str) -> str:
    rc, err = (result.returncode, result.stderr) if hasattr(result, "returncode") else result
    assert rc != 0
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# ----------------------------------------------------------------- evaluate


@pytest.mark.slow
def test_evaluate_json_schema_for_a_vae(runs, data_root):
    result = runs["evaluate-json"]
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warnings or progress noise around the JSON
    assert len(result.stdout.strip().splitlines()) == 1  # one JSON object, nothing else
    report = json.loads(result.stdout)
    assert EVALUATE_KEYS <= set(report)
    assert report["dataset"] == "mnist" and report["model"] == "vae"
    assert report["family"] == "VAE"
    assert report["arch"] == "dense" and report["latent_dim"] == 2
    assert report["n_test"] == 10_000
    for key in ("recon_bce", "recon_mse", "kl", "neg_elbo", "knn5_accuracy", "trustworthiness",
                "continuity"):
        assert isinstance(report[key], float) and math.isfinite(report[key]), key
    # an untrained decoder says about 0.5 everywhere: close to 784 ln 2 nats per image
    assert 200 < report["recon_bce"] < 1500
    assert 0 <= report["recon_mse"] <= 1
    assert report["kl"] >= 0
    assert report["neg_elbo"] == pytest.approx(report["recon_bce"] + report["kl"], rel=1e-9)
    assert 0.0 <= report["knn5_accuracy"] <= 1.0
    assert report["checkpoint"].endswith("vae.safetensors")


def test_evaluate_json_for_an_autoencoder_has_no_elbo(files, capfd, monkeypatch):
    """The same command on an AE, with small synthetic splits in place of MNIST."""
    from aeexplorer.cli import commands

    images, labels = synthetic_images(300, seed=2)
    calls = []

    def fake_load_split(name, train, data_dir=None, download=False, **shape):
        calls.append((name, train, data_dir, shape))
        n = 200 if train else 100
        part = slice(0, n) if train else slice(200, 300)
        return Split(images=images[part], labels=labels[part])

    monkeypatch.setattr(commands, "load_split", fake_load_split)
    rc = cli.main(["evaluate", str(files["ae"]), "--json", "--data-dir", "somewhere"])
    out, err = capfd.readouterr()
    assert rc == 0, err
    # both splits as the model takes its images (its size and channels), streamed if big
    shape = {"image_size": 28, "channels": 1, "stream": True}
    assert calls == [("mnist", True, "somewhere", shape), ("mnist", False, "somewhere", shape)]
    report = json.loads(out)
    assert EVALUATE_KEYS <= set(report)
    assert report["model"] == "ae" and report["arch"] == "conv"
    assert report["kl"] is None and report["neg_elbo"] is None
    assert report["recon_bce"] > 0 and 0.0 <= report["recon_mse"] <= 1
    assert 0.0 <= report["knn5_accuracy"] <= 1.0
    assert report["n_test"] == 100
    # the map metrics: the test codes against the test pixels, as the faithfulness module has it
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.latent.faithfulness import trustworthiness_continuity

    with torch.no_grad():
        codes = load_checkpoint(files["ae"]).model.encode(images[200:300])[0]
    want = trustworthiness_continuity(images[200:300], codes)
    assert (report["trustworthiness"], report["continuity"]) == pytest.approx(want, abs=1e-6)
    # every metric the evaluation gives has a row in the metric table, and every row but the
    # training time (measured by the training) is evaluated
    assert set(report) - DESCRIBED == set(METRICS) - {"train_seconds"}


def test_evaluate_text_output(files, capfd, monkeypatch):
    from aeexplorer.cli import commands

    images, labels = synthetic_images(60, seed=3)
    monkeypatch.setattr(commands, "load_split",
                        lambda name, train, *a, **k: Split(images=images, labels=labels))
    assert cli.main(["evaluate", str(files["vae"])]) == 0
    out, err = capfd.readouterr()
    lines = dict(line.strip().split(": ", 1) for line in out.splitlines())
    assert lines["dataset"] == "mnist" and lines["model"] == "vae"
    assert float(lines["neg_elbo"]) == pytest.approx(
        float(lines["recon_bce"]) + float(lines["kl"]), abs=2e-4)


def test_evaluate_says_why_the_5nn_accuracy_of_unlabelled_data_is_left_out(files, capfd,
                                                                           monkeypatch):
    from aeexplorer.cli import commands

    images, _ = synthetic_images(60, seed=3)
    unlabelled = Split(images=images, labels=torch.full((60,), -1), class_names=())
    monkeypatch.setattr(commands, "load_split", lambda *a, **k: unlabelled)
    assert cli.main(["evaluate", str(files["vae"])]) == 0
    lines = dict(line.strip().split(": ", 1) for line in capfd.readouterr().out.splitlines())
    assert lines["knn5_accuracy"] == "– (left out: the data set has no labels to classify by)"
    assert "knn5_note" not in lines and float(lines["recon_mse"]) >= 0
    assert cli.main(["evaluate", str(files["vae"]), "--json"]) == 0
    report = json.loads(capfd.readouterr().out)
    assert report["knn5_accuracy"] is None
    assert report["knn5_note"] == "left out: the data set has no labels to classify by"


# ------------------------------------------------------------------ encode


def test_encode_json_schema(runs, files):
    result = runs["encode-json"]
    assert result.returncode != 0  # one of the three images is unreadable
    entries = json.loads(result.stdout)
    assert [Path(e["file"]).name for e in entries] == ["digit.png", "bad.png", "eight.png"]
    good, bad, eight = entries
    ckpt = load_checkpoint(files["vae"])
    for entry, path in ((good, files["digit"]), (eight, files["eight"])):
        assert set(entry) >= {"file", "z", "nearest", "label", "label_name"}
        assert "error" not in entry
        assert isinstance(entry["z"], list) and len(entry["z"]) == ckpt.config.latent_dim
        assert all(isinstance(v, float) for v in entry["z"])
        assert len(entry["nearest"]) == 5
        for n in entry["nearest"]:
            assert isinstance(n["index"], int) and 0 <= n["index"] < 200
            assert isinstance(n["label"], int) and 0 <= n["label"] <= 9
            assert n["label"] == int(ckpt.atlas.labels[n["index"]])
        distances = [n["distance"] for n in entry["nearest"]]
        assert distances == sorted(distances)
        assert isinstance(entry["label"], int) and 0 <= entry["label"] <= 9
        assert entry["label_name"] == str(entry["label"])
        # the same as the library computes in-process, and the true nearest atlas codes
        placed = place_bytes(ckpt, path.read_bytes()).to_dict()
        assert entry["z"] == pytest.approx(placed["z"], abs=1e-6)
        assert entry["label"] == placed["label"]
        d = (ckpt.atlas.mu - torch.tensor(entry["z"])).norm(dim=1)
        assert [n["index"] for n in entry["nearest"]] == d.argsort()[:5].tolist()
    assert good["z"] != eight["z"]
    assert set(bad) == {"file", "error"}
    assert bad["error"]  # says why
    check_one_error_line(result, "bad.png")


def test_encode_text_output_and_exit_code(files, capfd):
    rc = cli.main(["encode", str(files["vae"]), str(files["digit"]), str(files["eight"])])
    out, err = capfd.readouterr()
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{files['digit']}: z=(") and "label=" in lines[0]
    assert "nearest=[" in lines[1]


def test_encode_json_all_good_exits_zero(files, capfd):
    rc = cli.main(["encode", str(files["ae"]), str(files["digit"]), "--json"])
    out, err = capfd.readouterr()
    assert rc == 0 and err == ""
    (entry,) = json.loads(out)
    assert len(entry["z"]) == 2 and len(entry["nearest"]) == 5


# ------------------------------------------------------------- error paths


def _main_error(capfd, argv) -> str:
    rc = cli.main(argv)
    out, err = capfd.readouterr()
    assert out == ""
    return check_one_error_line((rc, err))


def test_train_without_data_is_one_error_line(files, capfd):
    out = files["dir"] / "never.safetensors"
    line = _main_error(capfd, ["train", "--data-dir", str(files["empty"]), "--epochs", "1",
                               "--out", str(out)])
    assert "MNIST not found" in line and str(files["empty"]) in line and "--data-dir" in line
    assert not out.exists()


def test_evaluate_without_data_is_one_error_line(files, capfd):
    _main_error(capfd, ["evaluate", str(files["vae"]), "--data-dir", str(files["empty"])])


def test_text_file_as_checkpoint_is_one_error_line(files, capfd):
    line = _main_error(capfd, ["evaluate", str(files["text"]), "--json"])
    assert "notes.safetensors" in line and "not a safetensors file" in line


def test_missing_checkpoint_is_one_error_line(files, capfd):
    line = _main_error(capfd, ["encode", str(files["missing"]), str(files["digit"])])
    assert "no checkpoint file" in line and str(files["missing"]) in line


@pytest.mark.parametrize("image", ["bad", "missing-image", "folder"])
def test_unreadable_image_is_one_error_line(files, capfd, image):
    path = {"bad": files["bad"], "missing-image": files["dir"] / "nope.png",
            "folder": files["dir"]}[image]
    line = _main_error(capfd, ["encode", str(files["vae"]), str(path)])
    assert str(path) in line
    if image == "bad":
        assert "not an image" in line




@pytest.mark.parametrize("extra,needle", [
    (["--latent-dim", "0"], "latent_dim"),
    (["--epochs", "0"], "epochs"),
    (["--lr", "0"], "learning rate"),
    (["--device", "tpu"], "unknown device"),
    (["--hidden", "0"], "hidden"),
    (["--weight-decay", "-1"], "weight decay"),
    (["--beta", "nan"], "beta"),
    (["--seed", str(2**64)], "seed"),
    (["--penalty", "l1"], "penalty weight > 0"),
    (["--penalty", "kl", "--penalty-weight", "1"], "--activation sigmoid"),
    (["--penalty", "contractive", "--penalty-weight", "1", "--batchnorm"], "--batchnorm"),
    (["--penalty", "l1", "--penalty-weight", "1", "--hidden", "none"], "--hidden"),
    (["--model", "pca", "--noise", "mask", "--noise-level", "0.2"], "closed form"),
    (["--noise", "mask", "--noise-level", "2"], "probability"),
    (["--sparsity-target", "1"], "rho"),
])
def test_train_rejects_bad_settings_before_loading_data(files, capfd, extra, needle):
    line = _main_error(capfd, ["train", "--out", str(files["dir"] / "x.safetensors"),
                                "--data-dir", str(files["empty"]), *extra])
    assert needle in line


def test_train_rejects_a_folder_as_out(files, capfd):
    line = _main_error(capfd, ["train", "--out", str(files["dir"]), "--data-dir",
                                str(files["empty"])])
    assert "is a folder" in line


@pytest.fixture
def synthetic_data(monkeypatch):
    images, labels = synthetic_images(128, seed=1)
    split = Split(images=images, labels=labels % 10)
    monkeypatch.setattr(pipeline, "load_split", lambda name, train, *a, **k: split)
    return split


def test_train_command_writes_a_checkpoint(tmp_path, capfd, synthetic_data):
    out = tmp_path / "m.safetensors"
    rc = cli.main(["train", "--model", "ae", "--hidden", "32", "--epochs", "2",
                   "--batch-size", "64", "--device", "cpu", "--out", str(out)])
    stdout, _ = capfd.readouterr()
    assert rc == 0
    assert stdout.startswith(f"wrote {out}: recon_bce=")
    ckpt = load_checkpoint(out)
    assert ckpt.config.kind == "ae" and ckpt.config.hidden == (32,)
    assert ckpt.train["config"]["epochs"] == 2 and ckpt.metrics["n_test"] == 128
    assert set(ckpt.metrics) == set(METRICS)  # each stored metric has its row, and vice versa


def test_train_command_write_failure_ends_with_one_error_line(tmp_path, capfd,
                                                             synthetic_data, monkeypatch):
    def fail(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(pipeline, "save_checkpoint", fail)
    rc = cli.main(["train", "--model", "ae", "--hidden", "16", "--epochs", "1",
                   "--device", "cpu", "--out", str(tmp_path / "m.safetensors")])
    out, err = capfd.readouterr()
    assert rc != 0 and out == "" and "Traceback" not in err
    last = err.splitlines()[-1]  # after the progress bar of the finished training
    assert last.startswith("error: could not write") and "read-only" in last


def test_the_train_flags_and_defaults_are_those_a_person_knows():
    from aeexplorer.cli.commands import configs
    from aeexplorer.core.models import ModelConfig
    from aeexplorer.core.training.config import TrainConfig

    train = cli.build_parser().train
    actions = [a for a in train._actions if a.dest != "help"]  # noqa: SLF001
    assert {a.option_strings[0]: a.default for a in actions} == TRAIN_DEFAULTS
    assert "--no-batchnorm" in train._option_string_actions  # noqa: SLF001
    # and a command line without flags trains the configs' defaults
    assert configs(cli.parse(["train", "--out", "x"])) == (ModelConfig(), TrainConfig())


def test_train_help_explains_the_settings(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for words in ("--model {ae,vae,pca} pca: the top principal components",
                  "--kl-warmup KL_WARMUP epochs of linear KL warm-up",
                  "--hidden HIDDEN layer widths", "--batchnorm, --no-batchnorm",
                  "--penalty {none,l1,kl,contractive,umap,map}", "--map {umap,tsne}",
                  "--recipe {fast,fast-5min}",
                  "--device DEVICE auto, cpu or cuda"):
        assert words in shown, words


def test_help_needs_no_torch():
    result = subprocess.run([sys.executable, "-c",
                             "import sys; from aeexplorer import cli\n"
                             "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
                             "print('torch' in sys.modules)"],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "train" in result.stdout and result.stdout.strip().endswith("False")


def test_progress_json_gives_batch_epoch_and_done_lines(tmp_path, capfd, synthetic_data):
    out = tmp_path / "sparse.safetensors"
    rc = cli.main(["train", "--model", "ae", "--hidden", "32", "--activation", "sigmoid",
                   "--penalty", "kl", "--penalty-weight", "0.5", "--epochs", "2",
                   "--batch-size", "16", "--device", "cpu", "--progress-json", "--out", str(out)])
    stdout, stderr = capfd.readouterr()
    assert rc == 0 and stderr == ""  # no bar: only JSON, on stdout
    events = [json.loads(line) for line in stdout.splitlines()]
    epochs = [e for e in events if e["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2] and all(e["epochs"] == 2 for e in epochs)
    assert all(e["batches"] == 8 for e in epochs)
    assert all(e["penalty"] > 0 and e["loss"] > e["recon"] for e in epochs)
    for e in events:
        if e["event"] == "batch":
            assert 1 <= e["batch"] < e["batches"] == 8 and set(e["parts"]) >= {"loss", "penalty"}
    assert events[-1]["event"] == "done" and events[-1]["path"] == str(out)
    card = load_checkpoint(out).train["config"]
    assert card["penalty"] == "kl" and card["penalty_weight"] == 0.5


def test_snapshot_lines_name_the_decoder_written_beside_each(tmp_path, capfd, synthetic_data,
                                                              monkeypatch):
    """For the Train page: each snapshot line names its decoder file, there when the line is
    sent; the training removes its files when it ends."""
    from aeexplorer.cli import progress

    folder, present = tmp_path / "decoders", []
    sent = progress.emit

    def emit(obj):  # what the page could fetch at the moment each line is sent
        if obj.get("event") == "snapshot" and "decoder" in obj:
            present.append((folder / obj["decoder"]["file"]).is_file())
        sent(obj)

    monkeypatch.setattr(progress, "emit", emit)
    monkeypatch.setattr("aeexplorer.app.snapshot_decoders.MIN_GAP_S", 0.0)
    rc = cli.main(["train", "--model", "vae", "--hidden", "16", "--epochs", "3",
                   "--batch-size", "32", "--device", "cpu", "--progress-json", "--snapshots",
                   "4", "--snapshot-decoders", str(folder), "--out", str(tmp_path / "m.st")])
    stdout, _ = capfd.readouterr()
    assert rc == 0
    snaps = [json.loads(x) for x in stdout.splitlines() if '"snapshot"' in x]
    named = [s["decoder"] for s in snaps if "decoder" in s]
    assert len(snaps) >= 4 and len(named) == len(snaps) == len(present) and all(present)
    assert len({d["file"] for d in named}) == len(named)  # a new decoder each time
    assert named[0]["spec"]["latent_dim"] == 2 and named[0]["spec"]["side"] == 28
    assert not list(folder.iterdir())  # gone with the training


def test_train_pca_is_one_fit_and_a_shallow_net_has_no_hidden_layer(tmp_path, capfd,
                                                                    synthetic_data):
    pca, shallow = tmp_path / "pca.safetensors", tmp_path / "shallow.safetensors"
    assert cli.main(["train", "--model", "pca", "--epochs", "9", "--out", str(pca)]) == 0
    assert cli.main(["train", "--model", "ae", "--hidden", "none", "--epochs", "1",
                     "--device", "cpu", "--out", str(shallow)]) == 0
    capfd.readouterr()
    ckpt = load_checkpoint(pca)
    assert ckpt.config.kind == "pca" and ckpt.train["config"]["epochs"] == 1
    assert ckpt.metrics["neg_elbo"] is None and ckpt.metrics["parameters"] == 3 * 784
    assert load_checkpoint(shallow).config.hidden == ()


def test_progress_json_of_one_batch_epochs(tmp_path, capfd, synthetic_data):
    out = tmp_path / "one.safetensors"
    assert cli.main(["train", "--model", "ae", "--hidden", "16", "--epochs", "2",
                     "--batch-size", "512", "--device", "cpu", "--progress-json",
                     "--out", str(out)]) == 0
    events = [json.loads(line) for line in capfd.readouterr()[0].splitlines()]
    assert events[0] == {"event": "data", "dataset": "mnist", "train": 128, "test": 128,
                         "classes": len(synthetic_data.class_names), "skipped": 0,
                         "streamed": False}
    assert events[1]["event"] == "precision" and events[1]["precision"] in ("fp32", "bf16")
    assert [(e["event"], e.get("batches")) for e in events[2:-1]] == [("epoch", 1), ("epoch", 1)]


def test_an_interrupt_after_the_write_says_the_file_was_written(tmp_path, capfd,
                                                               synthetic_data, monkeypatch):
    out = tmp_path / "late.safetensors"
    real = pipeline.save_checkpoint

    def save_then_interrupt(*args, **kwargs):
        real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "save_checkpoint", save_then_interrupt)
    rc = cli.main(["train", "--model", "ae", "--hidden", "16", "--epochs", "1",
                   "--device", "cpu", "--out", str(out)])
    _, err = capfd.readouterr()
    assert rc == 130 and out.exists()
    assert err.strip().splitlines()[-1] == f"interrupted: {out} had already been written"


def test_train_says_which_precision_it_took_and_why(tmp_path, capfd, synthetic_data,
                                                    monkeypatch):
    from aeexplorer.core.training import precision

    monkeypatch.setattr(precision, "time_steps", lambda *a: (9.0, 3.0))
    monkeypatch.setenv("AEEXPLORER_CACHE", str(tmp_path / "cache"))  # measured, not recalled
    assert cli.main(["train", "--model", "ae", "--hidden", "16", "--epochs", "1",
                     "--device", "cpu", "--out", str(tmp_path / "p.safetensors")]) == 0
    err = capfd.readouterr()[1]
    assert "precision: bf16: bf16 measured 3.00x faster (3.0 ms a step against 9.0 ms" in err


def test_the_fast_recipe_reaches_the_trainer_and_explicit_flags_win():
    from aeexplorer.cli.commands import configs
    from aeexplorer.core.training.recipes import FAST

    model_cfg, cfg = configs(cli.parse(["train", "--recipe", "fast", "--out", "x"]))
    wanted = FAST.settings
    assert (model_cfg.kind, model_cfg.hidden, model_cfg.batchnorm) == (
        "vae", wanted["hidden"], True)
    assert (cfg.epochs, cfg.batch_size, cfg.lr, cfg.kl_warmup_epochs) == (
        wanted["epochs"], wanted["batch_size"], wanted["lr"], wanted["kl_warmup_epochs"])
    _, cfg = configs(cli.parse(["train", "--recipe", "fast", "--lr", "0.001", "--epochs", "3",
                                 "--out", "x"]))
    assert (cfg.lr, cfg.epochs, cfg.batch_size) == (0.001, 3, wanted["batch_size"])


def test_a_recipe_s_batch_norm_can_be_turned_off_for_the_contractive_penalty():
    from aeexplorer.cli.commands import configs

    model_cfg, cfg = configs(cli.parse(["train", "--recipe", "fast", "--model", "ae",
                                         "--penalty", "contractive", "--penalty-weight", "1",
                                         "--no-batchnorm", "--out", "x"]))
    assert not model_cfg.batchnorm and cfg.penalty == "contractive"
