"""Browser tests: `streamlit run app.py` on a free port, driven by Debian's Chromium through
Playwright. Without Chromium they skip with the reason, unless AEEXPLORER_REQUIRE_BROWSER=1
(CI), where that is a failure. A failing test leaves a screenshot in test-artifacts/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import server
from tests.browser.server import ARGS, ARTIFACTS, CHROMIUM, unavailable
from tests.helpers import REPO

SHIPPED = ("mnist-vae.safetensors",)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def checkpoint_env(tmp_path_factory, data_root) -> dict[str, str]:
    """The shipped checkpoints when present; else the folders already named in
    AEEXPLORER_CHECKPOINT_DIRS if one holds an MNIST VAE; else one trained here for an epoch."""
    if all((REPO / "checkpoints" / name).is_file() for name in SHIPPED):
        return {}
    given = [Path(p) for p in os.environ.get("AEEXPLORER_CHECKPOINT_DIRS", "").split(os.pathsep)
             if p.strip()]
    if any((p / SHIPPED[0]).is_file() for p in given):
        return {}
    folder = tmp_path_factory.mktemp("dev-checkpoints")
    cmd = [sys.executable, "-m", "aeexplorer", "train", "--dataset", "mnist", "--model", "vae",
           "--epochs", "1", "--out", str(folder / "mnist-vae.safetensors")]
    env = {**os.environ, "AEEXPLORER_DATA": str(data_root)}
    subprocess.run(cmd, cwd=REPO, env=env, check=True, capture_output=True, timeout=600)
    return {"AEEXPLORER_CHECKPOINT_DIRS": str(folder)}


@pytest.fixture(scope="session")
def app_url(browser, checkpoint_env, data_root):
    env = {**checkpoint_env, "AEEXPLORER_DATA": str(data_root)}
    with server.running(env, ARTIFACTS / "streamlit-server.log") as url:
        yield url


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1440, "height": 1400})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.external_requests = []  # the app must need no network: nothing may leave localhost
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else page.external_requests.append(r.url))
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
