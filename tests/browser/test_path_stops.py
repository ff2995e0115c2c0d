"""The path's stops edited in the browser as a person does it, each bug seen once as a sequence
of actions: the first stop of an empty path added by a click on the map, then "Remove it"
(seen by the sequence benchmark: the stop picker still held its empty path's "–" in the
browser, so the click removed nothing, before that a TypeError on the server)."""

from __future__ import annotations

import pytest

from tests.browser.helpers import click_z, empty_spots, open_app, wait_idle

pytestmark = pytest.mark.browser
STOPS = "() => new URLSearchParams(location.search).getAll('a').length"
# the stops the URL holds: a, b and the waypoints
N_STOPS = """() => { const q = new URLSearchParams(location.search);
  return (q.has('a') ? 1 : 0) + (q.has('b') ? 1 : 0) +
         (q.get('wp') ? q.get('wp').split(';').filter(Boolean).length : 0); }"""


def _stops_become(page, n: int) -> None:
    page.wait_for_function(f"() => ({N_STOPS})() === {n}", timeout=30_000)
    wait_idle(page)


def _pick_shows(page) -> str:
    """What the "Stop" picker beside "Remove it" shows, once it can be used."""
    box = page.get_by_role("combobox", name="Stop", exact=True)
    box.wait_for(state="attached")
    page.wait_for_function("(el) => !el.disabled", arg=box.element_handle(), timeout=30_000)
    return box.input_value()


def test_the_first_stop_of_an_empty_path_is_removed_by_remove_it(page, app_url):
    open_app(page, app_url, "?ckpt=mnist-vae.safetensors")
    assert page.evaluate(N_STOPS) == 0
    page.get_by_role("radio", name="Add a path stop").click()
    wait_idle(page)
    spots = empty_spots(page)
    click_z(page, *spots[0])
    _stops_become(page, 1)
    assert _pick_shows(page) == "A"
    page.get_by_role("button", name="Remove it", exact=True).click()
    _stops_become(page, 0)
    # and again, with a second stop on the way: each click on "Remove it" removes one
    for n, spot in enumerate(spots[1:3], 1):
        click_z(page, *spot)
        _stops_become(page, n)
    assert _pick_shows(page) == "A"  # as it was: a new stop does not move the pick
    page.get_by_role("button", name="Remove it", exact=True).click()
    _stops_become(page, 1)
    page.get_by_role("button", name="Remove it", exact=True).click()
    _stops_become(page, 0)
    assert page.locator("[data-testid=stException]").count() == 0
