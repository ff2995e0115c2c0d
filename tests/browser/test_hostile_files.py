"""A server whose checkpoint folder holds crafted files, seen in Chromium: the page draws the
good model, lists each bad file with why, and the crafted text shows as typed (no live link,
no image fetched from another host, no server path)."""

from __future__ import annotations


import pytest

from tests.browser import server
from tests.browser.helpers import PLOT_READY, wait_idle
from tests.browser.server import ARTIFACTS
from tests.helpers.checkpoints import make_checkpoint
from tests.helpers.images import with_meta

pytestmark = pytest.mark.browser
HOSTILE = "[download the fix](https://evil.example/x) ![](http://evil.example/beacon.gif)"


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory, checkpoint_env, browser):
    folder = tmp_path_factory.mktemp("hostile")
    good = make_checkpoint(folder / "good-vae.safetensors")
    # a data set name nobody knows, without the class names that would make it usable
    with_meta(good, folder / "markdown.safetensors", drop=["classes"], dataset=HOSTILE)
    # the same name with its classes: a usable file whose name is shown
    with_meta(good, folder / "named.safetensors", dataset=HOSTILE)
    with_meta(good, folder / "deep.safetensors", metrics="[" * 1000 + "]" * 1000)
    with_meta(good, folder / "tick`name.safetensors", format_version=HOSTILE)
    env = {**checkpoint_env, "AEEXPLORER_CHECKPOINT_DIRS": str(folder)}
    with server.running(env, ARTIFACTS / "streamlit-hostile.log") as url:
        yield url, folder


def test_crafted_files_are_listed_as_text_and_the_map_still_draws(page, hostile_url):
    url, folder = hostile_url
    page.goto(f"{url}/?ckpt=markdown.safetensors")
    page.wait_for_function(PLOT_READY, timeout=120_000)
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("3 checkpoint files cannot be used").click()
    listing = sidebar.locator('[data-testid="stExpander"]').inner_text()
    listing = listing.replace("\u2060", "")  # the invisible joiners that break autolinks
    assert "markdown.safetensors: unknown dataset '[download the fix](https://evil" in listing
    assert "deep.safetensors" in listing and "tick`name.safetensors" in listing
    warning = page.locator('[data-testid="stAlert"]').first.inner_text().replace("\u2060", "")
    assert "markdown.safetensors cannot be used" in warning
    page.screenshot(path=str(ARTIFACTS / "hostile-files.png"), full_page=True)
    assert page.locator('a[href*="evil"]').count() == 0  # no link, whole or clipped
    assert page.locator('img[src*="evil"]').count() == 0
    assert page.external_requests == []
    assert str(folder) not in page.locator("body").inner_text()


def test_a_usable_files_data_set_name_is_shown_as_text(page, hostile_url):
    url, _ = hostile_url
    page.goto(f"{url}/?ckpt=named.safetensors")
    page.wait_for_function(PLOT_READY, timeout=120_000)
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text().replace("\u2060", "")
    assert "[download the fix](https://evil.example/x)" in sidebar
    assert page.locator('a[href*="evil"]').count() == 0
    assert page.locator('img[src*="evil"]').count() == 0
    assert page.external_requests == []
