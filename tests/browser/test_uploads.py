"""The upload corpus (tests/upload_corpus.py) in a real Chromium: each odd file lands, each bad
one gets exactly one clear message, a file over the size cap is refused by the uploader with
the reason and the limits in view, and the page keeps working for this person and another."""

from __future__ import annotations

import pytest

from aeexplorer.ui.uploads import LIMITS
from tests.browser.helpers import (
    click_z,
    decoded_src,
    empty_spots,
    open_app,
    wait_decoded_change,
    wait_idle,
)
from tests.browser.server import ARTIFACTS
from tests.helpers.upload_corpus import BY_NAME, CASES

pytestmark = pytest.mark.browser
QUERY = "?ckpt=mnist-vae.safetensors"
REFUSED = "Could not use this image."
NO_UPLOAD = """() => !document.querySelector('.st-key-landing') && !Array.from(document
  .querySelectorAll('[data-testid="stAlert"]')).some(a => a.innerText.includes(
  'Could not use this image.'))"""


def _send(page, case) -> None:
    page.locator("input[type=file]").set_input_files(
        files=[{"name": case.name, "mimeType": case.mime, "buffer": case.data()}])


def _clear(page) -> None:
    """Remove the files shown in the uploader: the page goes back to no upload at all."""
    delete = page.locator('[data-testid="stFileChipDeleteBtn"]')
    while delete.count():
        delete.first.click()
        page.wait_for_timeout(200)
    page.wait_for_function(NO_UPLOAD)  # neither a landing nor a message is left
    wait_idle(page)


def _refusals(page) -> list[str]:
    alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
    return [a for a in alerts if REFUSED in a]


def _check_a_click_decodes(page, i: int) -> None:
    spots = empty_spots(page)
    before = decoded_src(page)
    click_z(page, *spots[i % len(spots)])
    wait_decoded_change(page, before)
    wait_idle(page)


def test_every_corpus_file_in_the_browser(page, app_url, browser):
    open_app(page, app_url, QUERY)
    page.get_by_role("tab", name="Your own image").click()
    assert page.get_by_text(LIMITS).is_visible()  # the limits are stated before any upload
    for i, case in enumerate(c for c in CASES if c.name != "over-the-cap.png"):
        _clear(page)
        _send(page, case)
        if case.error is None:
            page.wait_for_selector(".st-key-landing")
        else:
            page.get_by_text(f"{REFUSED} {case.name}: ").wait_for()
        wait_idle(page)
        refusals = _refusals(page)
        if case.error is None:
            assert refusals == [], (case.name, refusals)
            assert "Lands at z =" in page.locator(".st-key-landing").inner_text(), case.name
        else:
            assert len(refusals) == 1, (case.name, refusals)  # exactly one message
            assert case.name in refusals[0] and case.error in refusals[0], refusals
            assert page.locator(".st-key-landing").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0, case.name
        if case.error is not None:
            _check_a_click_decodes(page, i)
    # another person on the same server is untouched and works
    other = browser.new_context(viewport={"width": 1440, "height": 1400}).new_page()
    try:
        open_app(other, app_url, QUERY)
        other.get_by_role("tab", name="Your own image").click()
        assert other.locator(".st-key-landing").count() == 0 and _refusals(other) == []
        _check_a_click_decodes(other, 0)
    finally:
        other.context.close()


def test_a_file_over_the_cap_is_refused_with_the_reason(page, app_url):
    open_app(page, app_url, QUERY)
    page.get_by_role("tab", name="Your own image").click()
    _send(page, BY_NAME["plain.png"])
    page.wait_for_selector(".st-key-landing")
    wait_idle(page)
    _send(page, BY_NAME["over-the-cap.png"])
    error = page.locator('[data-testid="stFileUploader"]').get_by_text(
        "File must be 10.0MB or smaller")
    error.wait_for(state="attached")
    page.locator('[data-testid="stFileChip"]', has_text="over-the-cap.png").hover()
    page.get_by_role("tooltip").filter(has_text="File must be 10.0MB or smaller").wait_for()
    assert page.get_by_text(LIMITS).is_visible()  # the limits and "marked in red" in view
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator('[data-testid="stFileUploader"]').screenshot(
        path=str(ARTIFACTS / "upload-over-the-cap.png"))
    wait_idle(page)
    assert _refusals(page) == []  # the app never received it: the uploader said why
    assert page.locator('[data-testid="stException"]').count() == 0
    _check_a_click_decodes(page, 1)  # and the page still works
    _send(page, BY_NAME["animated.gif"])
    page.wait_for_function("() => !!document.querySelector('.st-key-landing')")
    wait_idle(page)
    assert "Lands at z =" in page.locator(".st-key-landing").inner_text()
