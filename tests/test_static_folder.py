"""A fresh checkout holds static/ (Streamlit serves it; without it the first start prints
"Static file serving is enabled, but no static folder found")."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.helpers import REPO


def test_static_folder_is_in_the_checkout():
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files", "static"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.split()
    assert tracked, "static/ has no tracked file: a fresh checkout lacks the folder"
    assert "enableStaticServing = true" in (REPO / ".streamlit" / "config.toml").read_text()
