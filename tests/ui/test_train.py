"""The Train page driven headless by AppTest: the form per model family, a training followed
live and cancelled, errors, the server's cap, and the trained model listed in its own
session's pickers only. Trainings are run by tests/helpers/fake_trainer.py (the CLI's progress
protocol, no torch), put in place of the real command; the app runs from a copy in tmp_path,
so its session folders are written there."""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from aeexplorer.app import jobs
from aeexplorer.ui.inpage import decoder_files
from tests.helpers import REPO
from tests.helpers.apptest import mounted, plain
from tests.helpers.checkpoints import make_checkpoint
from tests.helpers.jobs import FAKE
from tests.helpers.mnist_root import write_mnist

TRAIN, EXPLORER = "aeexplorer/ui/pages/train.py", "aeexplorer/ui/pages/explorer.py"
ANOMALIES = "aeexplorer/ui/pages/anomalies.py"


@pytest.fixture(autouse=True)
def root(tmp_path, monkeypatch) -> Path:
    """The app's root is a copy in ``tmp_path`` (the page scripts compute it from where they
    are), so its runs/sessions/ is there and nothing is written into the checkout; the shipped
    models are listed through AEEXPLORER_CHECKPOINT_DIRS, as on a server. The data root is a
    small MNIST of its own: the page offers Start only when the files are there, and the fake
    trainer reads none of them, so the tests run the same with or without the real data."""
    app = tmp_path / "app"
    app.mkdir()
    shutil.copy(REPO / "app.py", app / "app.py")
    shutil.copytree(REPO / "aeexplorer/ui/pages", app / "aeexplorer/ui/pages")
    monkeypatch.setenv("AEEXPLORER_CHECKPOINT_DIRS", str(REPO / "checkpoints"))
    rng = np.random.default_rng(0)
    split = (rng.integers(0, 256, (20, 28, 28)), np.arange(20) % 10)
    monkeypatch.setenv("AEEXPLORER_DATA", str(write_mnist(tmp_path / "data", split, split)))
    return app


@pytest.fixture
def fake_trainer(monkeypatch, tmp_path):
    """Trainings run the fake trainer in the mode set in ``mode[0]``; its model is a tiny
    real checkpoint."""
    mode = ["ok"]
    monkeypatch.setattr(jobs, "command", lambda args: [sys.executable, FAKE, mode[0], *args])
    monkeypatch.setenv("FAKE_CHECKPOINT", str(make_checkpoint(tmp_path / "fake.safetensors")))
    return mode


def open_train(root: Path, fast: bool = False) -> AppTest:
    """The Train page; ``fast``: the VAE's fast recipe as the page offers it, else each
    setting in its own field (the recipe's toggle off)."""
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(TRAIN)
    at.run()
    if not fast and any(t.key == "train_fast" for t in at.toggle):
        at.toggle(key="train_fast").set_value(False).run()
    assert not at.exception
    return at


def labels(at: AppTest) -> set[str]:
    kinds = ("number_input", "text_input", "radio", "slider", "select_slider", "checkbox")
    return {w.label for kind in kinds for w in at.get(kind)}


COMMON = {"Data set", "Name"}
TRAINING = {"Epochs", "Seed", "Learning rate", "Batch size"}
NET = {"Hidden layer widths", "Batch norm after each hidden layer"} | TRAINING


@pytest.mark.parametrize("family, wanted", [
    ("vae", NET), ("beta-vae", NET | {"β (KL weight)"}), ("ae", NET),
    ("sparse-l1", NET | {"λ (L1 weight)"}),
    ("sparse-kl", NET | {"ρ (target mean activation)", "β (sparsity weight)"}),
    ("denoising", NET | {"Noise", "Noise level"}),
    ("contractive", TRAINING | {"Hidden layer widths", "λ (contractive weight)"}),
    ("shallow", TRAINING), ("pca", set()), ("umap", NET),
    ("map-first", NET | {"The map made first", "Keep the map in the file"}),
])
def test_the_form_shows_the_family_settings_only(family, wanted, root):
    at = open_train(root)
    at.selectbox(key="train_family").set_value(family).run()
    assert not at.exception
    assert labels(at) == COMMON | wanted
    assert at.text_input(key="train_name").placeholder == f"my-mnist-{family}"


def test_the_form_survives_a_visit_to_another_page(root):
    at = open_train(root)
    at.selectbox(key="train_family").set_value("beta-vae").run()
    at.number_input(key="train_beta").set_value(8.0).run()
    at.switch_page(EXPLORER).run()
    at.switch_page(TRAIN).run()
    assert at.selectbox(key="train_family").value == "beta-vae"
    assert at.number_input(key="train_beta").value == 8.0


def wait_for(at: AppTest, ready, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ready(at.session_state["train_job"]):
        assert time.monotonic() < deadline, "the training did not get there"
        time.sleep(0.05)
    at.run()
    assert not at.exception


def test_a_started_training_shows_progress_and_can_be_cancelled(fake_trainer, root):
    fake_trainer[0] = "slow"
    at = open_train(root)
    at.number_input(key="train_epochs").set_value(50).run()
    at.text_input(key="train_name").input("live").run()
    at.button(key="train_start").click().run()
    assert not at.exception
    assert at.button(key="train_start").disabled  # one training per session at a time
    wait_for(at, lambda job: len(job.view().trace) >= 2)
    bar = at.get("progress")[0]
    assert "Epoch 1 of 50 · batch" in bar.proto.text and bar.proto.value < 10  # percent
    assert 0 < at.session_state["train_job"].view().fraction < 0.1
    captions = [plain(c.value) for c in at.caption]
    assert any("Running means this epoch: recon 200.00 · kl" in c for c in captions)
    # the precision the CLI took, and why
    assert "Precision bf16: bf16 measured 2.00x faster (3.0 ms a step against 6.0 ms in fp32)." \
        in captions
    # the map forming, reconstruction, and KL for a VAE
    assert [c.key for c in at.get("plotly_chart")] == ["train_forming", "train_curve_recon",
                                                       "train_curve_kl"]
    at.button(key="train_cancel").click().run()
    wait_for(at, lambda job: job.status != jobs.RUNNING, timeout=10)
    assert at.session_state["train_job"].status == jobs.CANCELLED
    assert "Cancelled: nothing was written" in at.info[0].value
    assert not at.button(key="train_start").disabled
    assert not list(at.session_state["train_job"].out.parent.glob("*.safetensors"))


def test_errors_are_shown_with_the_cli_message(fake_trainer, root):
    fake_trainer[0] = "fail"
    at = open_train(root)
    at.text_input(key="train_name").input("../escape").run()
    at.button(key="train_start").click().run()
    assert "cannot be a model name" in at.error[0].value and "train_job" not in at.session_state
    at.text_input(key="train_name").input("ok-name").run()
    at.button(key="train_start").click().run()
    wait_for(at, lambda job: job.status != jobs.RUNNING)
    assert plain(at.error[0].value) == "The training failed: MNIST not found in …/MNIST/raw"


def test_a_full_server_says_so(fake_trainer, monkeypatch, root):
    from aeexplorer.ui.train import registry

    monkeypatch.setattr(registry(), "cap", 0)
    at = open_train(root)
    at.button(key="train_start").click().run()
    assert not at.exception and "train_job" not in at.session_state
    assert "training slots of this server are in use" in at.warning[0].value


def options(at: AppTest, key: str) -> list[str]:
    return list(at.selectbox(key=key).options)


def _forming_title(at: AppTest) -> str | None:
    for chart in at.get("plotly_chart"):
        title = json.loads(chart.proto.spec)["layout"].get("title", {}).get("text", "")
        if title.startswith("The map forming"):
            return title
    return None


def test_the_map_forms_beside_the_curves_while_it_trains(fake_trainer, root):
    fake_trainer[0] = "slow"
    at = open_train(root)
    at.number_input(key="train_epochs").set_value(50).run()
    at.button(key="train_start").click().run()
    seen = set()
    for want in (2, 3, 4):  # the page redraws the latest snapshot as each arrives
        wait_for(at, lambda job, want=want: job.view().snapshots_seen >= want)
        seen.add(_forming_title(at))
    assert None not in seen and len(seen) >= 2, seen
    assert len(at.get("plotly_chart")) == 3  # the forming map, reconstruction and KL
    # beside it the pointer's image, decoded in the page by the latest snapshot's decoder: a
    # file the training wrote to the folder the page fetches decoders from
    urls = []
    for _ in range(2):  # each time a snapshot with a decoder other than the last one shown
        wait_for(at, lambda job: job.view().decoder.get("file") and not any(
            u.endswith(job.view().decoder["file"]) for u in urls))
        net = mounted(at, "aeexplorer.forming_hover")["net"]
        assert net["spec"]["side"] == 28 and net["url"].startswith("app/static/decoders/")
        assert (decoder_files.DECODERS / net["url"].rsplit("/", 1)[1]).is_file()
        assert net["url"] not in urls  # each snapshot's own
        urls.append(net["url"])
    assert any("20 test images, each placed where the model puts it now" in plain(c.value)
               for c in at.caption)
    at.button(key="train_cancel").click().run()
    wait_for(at, lambda job: job.status != jobs.RUNNING, timeout=10)


def test_a_trained_model_is_listed_in_its_own_session_only(fake_trainer, root):
    at = open_train(root)
    at.text_input(key="train_name").input("apptest-mine").run()
    at.button(key="train_start").click().run()
    wait_for(at, lambda job: job.status != jobs.RUNNING)
    job = at.session_state["train_job"]
    assert job.status == jobs.DONE and job.out.is_file(), job.view().error
    assert job.out.parent.parent == root / "runs" / "sessions"
    assert "apptest\\-mine** is trained and saved" in at.success[0].value  # the name escaped
    assert [m.label for m in at.metric] == ["Recon MSE", "5-NN accuracy"]
    other = open_train(root)  # another person's session on the same server
    for session, listed in ((at, True), (other, False)):
        session.switch_page(ANOMALIES).run()
        assert any(o.startswith("apptest-mine · MNIST digits") for o in
                   options(session, "anom_ckpt")) is listed
        session.switch_page(EXPLORER).run()
        mine = [o for o in options(session, "ckpt_pick") if o.startswith("apptest-mine")]
        assert mine == (["apptest-mine · MNIST digits · VAE · trained here"] if listed else [])


def test_explore_it_opens_the_explorer_on_the_new_model(fake_trainer, root):
    at = open_train(root)
    at.text_input(key="train_name").input("apptest-explore").run()
    at.button(key="train_start").click().run()
    wait_for(at, lambda job: job.status != jobs.RUNNING)
    at.button(key="train_explore").click().run()
    assert not at.exception
    assert at.selectbox(key="ckpt_pick").value == "apptest-explore.safetensors"
    assert at.title[0].value == "The latent space, decoded"
    # the model card names the file, not the session's folder (its long id)
    captions = [c.value for c in at.sidebar.caption]
    assert any(c.startswith("Trained in this session: apptest") for c in captions), captions
    assert not any(at.session_state["session_id"] in c for c in captions)


def test_the_default_name_is_free_and_a_taken_name_is_flagged(fake_trainer, root):
    at = open_train(root)
    at.button(key="train_start").click().run()
    wait_for(at, lambda job: job.status != jobs.RUNNING)
    assert at.session_state["train_job"].out.name == "my-mnist-vae.safetensors"
    assert at.text_input(key="train_name").placeholder == "my-mnist-vae-2"
    for taken in ("my-mnist-vae", " my-mnist-vae.safetensors "):  # as Start reads the name
        at.text_input(key="train_name").input(taken).run()
        assert any("a finished training replaces it" in c.value for c in at.caption), taken
    for free in ("my-mnist-vae-2", "../my-mnist-vae"):
        at.text_input(key="train_name").input(free).run()
        assert not any("a finished training replaces it" in c.value for c in at.caption), free


def test_an_epoch_of_one_batch_shows_its_batch_count(fake_trainer, root):
    """The epoch line stands for an epoch's only batch: never "batch 0 of 0"."""
    fake_trainer[0] = "single"
    at = open_train(root)
    at.number_input(key="train_epochs").set_value(50).run()
    at.button(key="train_start").click().run()
    wait_for(at, lambda job: len(job.view().history) >= 1)
    text = at.get("progress")[0].proto.text
    assert " · batch 0 of 1 · " in text and "of 0" not in text, text
    at.button(key="train_cancel").click().run()
    wait_for(at, lambda job: job.status != jobs.RUNNING, timeout=10)


def test_the_registry_outlives_a_cleared_cache(fake_trainer, tmp_path):
    """One registry per server process: clearing Streamlit's caches neither forgets the
    running trainings (the cap holds) nor adds another exit hook."""
    import streamlit as st

    from aeexplorer.ui.train import registry

    shared = registry()
    out = tmp_path / "m.safetensors"
    job = shared.start([sys.executable, FAKE, "slow", "train", "--epochs", "50", "--out",
                        str(out)], out, "m")
    try:
        st.cache_resource.clear()
        assert registry() is shared is jobs.shared() and job in registry().running()
    finally:
        shared.cancel_all(grace=1.0)  # its slot is free for the next test


def test_recent_batches_undo_the_running_means():
    from aeexplorer.app.curves import recent

    # running means over an epoch of 10 batches: batches 1-2 average 4, batches 3-5 average 1
    trace = [(0.2, {"recon": 4.0}), (0.5, {"recon": (4.0 * 2 + 1.0 * 3) / 5}),
             (1.3, {"recon": 7.0}), (1.6, {"kl": 1.0})]
    shown = recent(trace, "recon", 10)
    assert [x for x, _ in shown] == [0.2, 0.5, 1.3]
    assert [y for _, y in shown] == pytest.approx([4.0, 1.0, 7.0])


def test_training_turned_off_shows_no_form(monkeypatch, root):
    from aeexplorer.ui.train import registry

    monkeypatch.setattr(registry(), "limits", replace(registry().limits, training=False))
    at = open_train(root)
    assert "Training is turned off on this server" in at.info[0].value
    assert not labels(at) and not any(b.key == "train_start" for b in at.button)


def test_a_model_too_big_is_refused_with_what_to_reduce(fake_trainer, root):
    at = open_train(root)
    assert "This server allows models of up to 10 M parameters" in " ".join(
        c.value for c in at.caption)
    at.text_input(key="train_hidden").input(",".join(["4096"] * 8)).run()
    at.number_input(key="train_epochs").set_value(200).run()
    at.button(key="train_start").click().run()
    assert not at.exception and "train_job" not in at.session_state
    assert "M parameters" in at.warning[0].value and "narrower" in at.warning[0].value


def test_a_training_stopped_by_the_server_says_why(fake_trainer, monkeypatch, root):
    from aeexplorer.ui.train import registry

    fake_trainer[0] = "slow"
    monkeypatch.setattr(registry(), "limits", replace(registry().limits, max_seconds=1.0))
    at = open_train(root)
    at.number_input(key="train_epochs").set_value(50).run()
    at.button(key="train_start").click().run()
    job = at.session_state["train_job"]
    assert job.owner == at.session_state["session_id"]  # its session, beating on each run
    assert job.owner in registry().recent(5.0)
    wait_for(at, lambda job: job.status != jobs.RUNNING, timeout=15)
    assert at.warning[0].value.startswith("Stopped: it ran for more than 1 second, the most")
    assert not at.button(key="train_start").disabled


def test_a_name_written_as_markdown_is_refused_and_shown_as_typed(fake_trainer, root):
    at = open_train(root)
    typed = "[get the fix](https://evil.example) ![](http://evil.example/b.gif)"
    at.text_input(key="train_name").input(typed).run()
    at.button(key="train_start").click().run()
    shown = at.error[0].value
    assert "cannot be a model name" in shown and "train_job" not in at.session_state
    assert "](" not in shown and "![" not in shown and "https:" not in shown  # no link syntax
    assert typed in plain(shown)  # the reader sees what was typed


def test_the_fast_recipe_is_the_vae_default_and_reaches_the_trainer(fake_trainer, root,
                                                                   monkeypatch):
    from aeexplorer.cli import parse
    from aeexplorer.cli.commands import configs
    from aeexplorer.core.training.recipes import FAST

    started = []
    monkeypatch.setattr(jobs, "command", lambda args: started.append(args) or
                        [sys.executable, FAKE, "ok", *args])
    at = open_train(root, fast=True)
    assert at.toggle(key="train_fast").value is True
    assert labels(at) == COMMON | {"Seed"}  # the recipe sets the rest
    assert any("25 epochs of batch 256" in c.value for c in at.caption)
    at.button(key="train_start").click().run()
    wait_for(at, lambda job: job.status != jobs.RUNNING)
    args = started[-1]
    assert args[args.index("--recipe") + 1] == "fast"
    model_cfg, cfg = configs(parse(args))  # what the CLI makes of the page's command line
    assert model_cfg.hidden == FAST.settings["hidden"] and model_cfg.batchnorm
    assert (cfg.epochs, cfg.batch_size, cfg.lr, cfg.kl_warmup_epochs) == (
        25, 256, 2e-3, FAST.settings["kl_warmup_epochs"])


def test_the_map_first_ae_takes_its_map_or_says_the_server_cannot_make_it(fake_trainer, root,
                                                                        monkeypatch):
    """The map's library is optional: where it is missing the page says so before Start (which
    stays off), and where it is there the chosen map reaches the command line."""
    from aeexplorer.core.training import first_map

    started = []
    monkeypatch.setattr(jobs, "command", lambda args: started.append(args) or
                        [sys.executable, FAKE, "ok", *args])
    monkeypatch.setattr(first_map, "find_spec", lambda name: None)
    at = open_train(root)
    at.selectbox(key="train_family").set_value("map-first").run()
    at.radio(key="train_map").set_value("tsne").run()
    assert any("openTSNE" in w.value and "requirements-references.txt" in w.value
               for w in at.warning)
    assert at.button(key="train_start").disabled
    monkeypatch.setattr(first_map, "find_spec", lambda name: object())  # installed
    at.run()
    assert not at.warning and not at.button(key="train_start").disabled
    at.button(key="train_start").click().run()
    wait_for(at, lambda job: job.status != jobs.RUNNING)
    args = started[-1]
    assert args[args.index("--penalty") + 1] == "map" and args[args.index("--map") + 1] == "tsne"
    assert args[args.index("--refine") + 1] == "30"  # its codes polished, as the shipped one's
    assert "--no-keep-map" in args
    # kept, its map places each image by its nearest training image: nothing is polished
    at.checkbox(key="train_keep_map").check().run()
    at.button(key="train_start").click().run()
    wait_for(at, lambda job: job.status != jobs.RUNNING)
    args = started[-1]
    assert "--keep-map" in args and args[args.index("--refine") + 1] == "0"


def test_the_picker_offers_the_image_folders_of_the_data_root_by_name(fake_trainer, root,
                                                                       monkeypatch, tmp_path):
    """The folders of <data root>/images, as folder:NAME: a link out of it is not offered, and
    the training runs on the folder by its name, never a path."""
    from tests.helpers.datasets import class_folder

    data = tmp_path / "data"
    class_folder(data / "images" / "shapes", {"a": 40, "b": 40})
    class_folder(tmp_path / "elsewhere", {"a": 40, "b": 40})
    (data / "images" / "linked").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setenv("AEEXPLORER_DATA", str(data))
    started = []
    monkeypatch.setattr(jobs, "command", lambda args: started.append(args) or
                        [sys.executable, FAKE, "ok", *args])
    at = open_train(root)
    picker = at.radio(key="train_dataset")
    assert picker.options == ["MNIST digits", "Fashion-MNIST", "Coloured shapes",
                              "shapes (image folder)"]
    picker.set_value("folder:shapes").run()
    assert not [w for w in at.warning if "not on this server" in w.value]
    at.button(key="train_start").click().run()
    wait_for(at, lambda job: job.status != jobs.RUNNING)
    args = started[-1]
    assert args[args.index("--dataset") + 1] == "folder:shapes"
    assert args[args.index("--data-dir") + 1] == str(data.resolve())
    assert any(Path(a).name == "my-shapes-vae.safetensors" for a in args)
