"""Issue 28's probes against a real `streamlit run app.py`, each with the raw client a hostile
visitor would use (tests/helpers/raw_client.py; no browser): uploads under ids the server never
issued, a widget value over the limit, a clear_cache from one visitor while another works, many
sessions from one address pressing Start training; and the figures, from
benchmarks/room_probes.py at the issue's sizes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from tests.browser import server
from tests.browser.server import ARTIFACTS
from tests.helpers import REPO
from tests.helpers.raw_client import RawSession, pressed, texts, widget_ids

pytestmark = pytest.mark.browser
MB = 1_000_000


@pytest.fixture(scope="module")
def url(checkpoint_env, data_root):
    env = {**checkpoint_env, "AEEXPLORER_DATA": str(data_root)}
    with server.running(env, ARTIFACTS / "streamlit-room.log") as found:
        yield found


def test_uploads_are_kept_only_under_issued_ids_and_within_the_budget(url):
    s, other = RawSession.open(url), RawSession.open(url)
    assert s.put(str(uuid.uuid4()), b"0" * MB) == 403  # an id never issued
    ids = s.file_urls(["a.png", "b.png", "c.png", "d.png"])
    assert other.put(ids[0], b"0" * MB) == 403  # issued, but to another session
    assert [s.put(i, b"0" * 10 * MB) for i in ids] == [204, 204, 204, 413]  # 32 MiB a session
    assert s.put(ids[0], b"0" * 10 * MB) == 204  # an uploader's file replaced: same bytes held
    s.close()
    other.close()


def test_a_widget_value_over_the_limit_closes_only_its_own_connection(url):
    bystander = RawSession.open(url)
    for size in (5 * MB, 20 * MB):  # over maxWidgetStateSize; over maxMessageSize
        s = RawSession.open(url)
        s.widget("probe", "x" * size)
        assert s.closed(30), size
    assert any(m.WhichOneof("type") == "delta" for m in bystander.rerun())  # served as before
    bystander.close()


def test_one_visitors_clear_cache_does_not_make_another_reload(url):
    worker, attacker = RawSession.open(url), RawSession.open(url)
    worker.rerun("anomalies")  # the model, map and test images loaded and shared
    assert "spinner" not in texts(worker.rerun("anomalies"))
    for _ in range(3):
        attacker.clear_cache()
    attacker.rerun()  # its messages handled in turn: the clear_cache ones came first
    # with Streamlit's own handler every cache is empty now, and this rerun shows
    # "Loading the test images…" while it reloads them
    assert "spinner" not in texts(worker.rerun("anomalies"))
    worker.close()
    attacker.close()


def test_many_sessions_from_one_address_get_one_training_slot(url):
    sessions = [RawSession.open(url) for _ in range(3)]
    start = pressed(widget_ids(sessions[0].rerun("train"))["train_start"])
    for s in sessions[1:]:
        s.rerun("train")
    first = texts(sessions[0].rerun("train", [start]))
    assert "from your network address" not in first and "slots" not in first
    for s in sessions[1:]:  # the server has two slots: the second is refused all the same
        shown = texts(s.rerun("train", [start]))
        assert "1 training from your network address already run" in shown, shown[-2000:]
    for s in sessions:
        s.close()


@pytest.mark.slow
def test_the_figures_at_the_issues_sizes(checkpoint_env, data_root, tmp_path):
    out = tmp_path / "room.json"
    env = {**os.environ, **checkpoint_env, "AEEXPLORER_DATA": str(data_root)}
    cmd = [sys.executable, "benchmarks/room_probes.py", "--puts", "40", "--rounds", "2",
           "--widget-sessions", "4", "--reruns", "15", "--json", str(out)]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=580)
    assert out.is_file(), done.stderr[-3000:]
    result = json.loads(out.read_text())
    (ARTIFACTS / "room-probes.json").write_text(json.dumps(result, indent=2))
    assert result["puts"]["statuses"] == {"403": 80}
    assert result["puts"]["growth_mb"] <= 150, result["puts"]
    assert result["widgets"]["closed_by_server"] == 4
    assert result["widgets"]["growth_mb"] <= 100, result["widgets"]
    assert result["clear_cache"]["clear_cache_sent"] >= 15
    assert result["clear_cache"]["ratio"] <= 1.5, result["clear_cache"]
