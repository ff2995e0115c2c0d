"""The load script (benchmarks/load.py) at a small size: real Chromium sessions against one
server, clicking, building paths and uploading; no errors, and no session sees another's
selection or upload."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.browser.server import ARTIFACTS, CHROMIUM, unavailable
from tests.helpers import REPO

pytestmark = pytest.mark.browser


def test_three_sessions_for_twenty_seconds(checkpoint_env, data_root, tmp_path):
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM}")
    out = tmp_path / "load.json"
    env = {**os.environ, **checkpoint_env, "AEEXPLORER_DATA": str(data_root)}
    cmd = [sys.executable, "benchmarks/load.py", "--sessions", "3", "--seconds", "20",
           "--query", "?ckpt=mnist-vae.safetensors", "--json", str(out)]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=500)
    assert out.is_file(), done.stderr[-3000:]
    result = json.loads(out.read_text())
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    assert result["errors"] == 0, result["error_messages"]
    assert result["isolation_ok"], result["isolation_problems"]
    assert all(result["actions"][a] >= 3 for a in ("click", "path", "upload")), result
    assert result["click_to_image_ms"]["p50"] is not None
    assert result["server_rss_mb"]["after"] > result["server_rss_mb"]["before"] > 0
    assert done.returncode == 0
