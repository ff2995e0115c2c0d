"""Starting the app and Chromium the one way the browser tests, the benchmarks and the load
script all use: `streamlit run app.py` on a free port of 127.0.0.1, Debian's Chromium with the
flags this offline machine needs. Standard library only."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"  # screenshots of failed tests, the server's log
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(env: dict[str, str] | None = None, log: IO | None = None,
          port: int = 0) -> tuple[subprocess.Popen, str]:
    """The server process and its URL; it may not answer yet (see ``wait_healthy``)."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    out = log if log is not None else subprocess.DEVNULL
    # the server writes its decoders where Streamlit serves them (static/ beside app.py), not
    # to the test run's temp folder (tests/conftest.py)
    environ = {k: v for k, v in os.environ.items() if k != "AEEXPLORER_STATIC"}
    proc = subprocess.Popen(cmd, cwd=REPO, env={**environ, **(env or {})}, stdout=out,
                            stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("streamlit did not become healthy")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def running(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """A server with ``env`` for the ``with`` block, its output in ``log_path``: its URL."""
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "w") as log:
        proc, url = start(env, log)
        try:
            wait_healthy(url, proc)
            yield url
        finally:
            stop(proc)


def unavailable(reason: str) -> None:
    """Skip a browser test that cannot run here, with the reason; where browser tests are
    required (AEEXPLORER_REQUIRE_BROWSER=1, as in CI) fail instead."""
    import pytest

    if os.environ.get("AEEXPLORER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here but cannot run: {reason}")
    pytest.skip(reason)
