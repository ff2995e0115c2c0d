"""The path's stops edited in the browser as a person does it, each bug seen once as a sequence
of actions: the first stop of an empty path added by a click on the map, then "Remove it"
(seen by the sequence benchmark: the stop picker still held its empty path's "–" in the
browser, so the click removed nothing, before that a TypeError on the server); a stop added
and the pointer moved on over the map while the page reruns."""

from __future__ import annotations

import pytest

from tests.browser.helpers import TO_PIXELS, click_z, empty_spots, open_app, wait_idle

pytestmark = pytest.mark.browser
PROBE = "() => window.__aeLive.probe()"
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


# where the panel reads the pointer: its state and z, and the z Plotly's axes put under (x, y)
UNDER = """([x, y]) => { const p = window.__aeLive.probe();
  const d = document.querySelector('.st-key-map .js-plotly-plot'), L = d._fullLayout;
  const r = d.getBoundingClientRect();
  return {state: p.state, z: p.z, want: [L.xaxis.p2l(x - r.left - L.xaxis._offset),
                                         L.yaxis.p2l(y - r.top - L.yaxis._offset)]}; }"""


@pytest.mark.parametrize("talk", [False, True], ids=["1400x1000", "1600x900-talk"])
def test_a_pointer_moved_onto_the_map_while_a_new_stop_reruns_it_is_read(browser, app_url,
                                                                          talk):
    """A click adds a stop and the pointer moves on at once, while the page reruns: once it is
    idle, the panel says "Under the pointer" with the z under it. Before, it kept "Selected
    point" (sequence benchmark, seeds 104 and 107), or, at 1400x1000, the z of where the map
    had been: the second stop brings the "next stop goes…" control above the map, which moves
    the map down under the resting pointer with no event the panel heard (0.11 off in z2)."""
    size = (1600, 900) if talk else (1400, 1000)
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        open_app(page, app_url, "?ckpt=mnist-bvae-beta4.safetensors&c=stop"
                 + ("&talk=1" if talk else ""))
        page.wait_for_function("() => window.__aeNets && window.__aeNets.size > 0")
        spots = empty_spots(page)
        for k, (spot, rest) in enumerate(zip(spots[:4], spots[4:8], strict=False), 1):
            click_z(page, *spot)  # a new stop, and at once the pointer somewhere else
            px, py = page.evaluate("([x, y]) => { const d = document.querySelector("
                                   "'.st-key-map .js-plotly-plot'), L = d._fullLayout, "
                                   "r = d.getBoundingClientRect(); return [r.left + "
                                   "L.xaxis._offset + L.xaxis.l2p(x), r.top + L.yaxis._offset"
                                   " + L.yaxis.l2p(y)]; }", list(rest))
            page.mouse.move(px, py, steps=2)
            _stops_become(page, k)
            page.wait_for_timeout(1500)  # the page's own re-read has had its chance
            shown = page.evaluate(UNDER, [px, py])
            assert shown["state"] == "hover", (k, shown)
            assert max(abs(a - b) for a, b in zip(shown["z"], shown["want"])) < 2e-3, (k, shown)
    finally:
        context.close()


# Plotly's own click event on the map, as Plotly sends it, at a place the pointer has left
LATE_CLICK = """([x, y, cx, cy]) => document.querySelector('.st-key-map .js-plotly-plot')
  .emit('plotly_click', {points: [{x, y}], event: {clientX: cx, clientY: cy}})"""


def test_a_click_reported_after_the_pointer_moved_on_leaves_the_resting_pointer_read(page,
                                                                                     app_url):
    """On a loaded machine Plotly's click can reach the panel after the pointer has moved on to
    rest elsewhere on the map (seen in CI at the fourth stop). The panel then kept "Selected
    point" for good: nothing on the map changed to make it look again. It reads the resting
    pointer once the page is idle, and a pointer still where it clicked keeps the selection."""
    open_app(page, app_url, "?ckpt=mnist-bvae-beta4.safetensors")
    page.wait_for_function("() => window.__aeNets && window.__aeNets.size > 0")
    spots = empty_spots(page)
    (cx, cy), (px, py) = (page.evaluate(TO_PIXELS, list(s)) for s in spots[:2])
    page.mouse.move(px, py, steps=2)
    page.wait_for_function(f"() => {PROBE}().state === 'hover'")
    page.evaluate(LATE_CLICK, [*spots[0], cx, cy])
    page.wait_for_timeout(1500)  # the panel's own look at the resting pointer has had its chance
    wait_idle(page)
    shown = page.evaluate(UNDER, [px, py])
    assert shown["state"] == "hover", shown
    assert max(abs(a - b) for a, b in zip(shown["z"], shown["want"])) < 2e-3, shown
    # the pointer where it clicks: the click's selection stays until it moves away
    page.evaluate(LATE_CLICK, [*spots[1], px, py])
    page.wait_for_timeout(1500)
    wait_idle(page)
    assert page.evaluate(PROBE)["state"] == "selected"


PLOT_AND_HEADER = """() => { const d = document.querySelector('.st-key-map .js-plotly-plot');
  const L = d._fullLayout, r = d.getBoundingClientRect();
  const h = document.querySelector('[data-testid=stHeader]').getBoundingClientRect();
  return {left: r.left + L.xaxis._offset, top: r.top + L.yaxis._offset, width: L.xaxis._length,
          height: L.yaxis._length, header: h.bottom}; }"""


# in the header's band over the map: the first x whose element is not the map's, or null
COVERED = """([left, width, y]) => {
  const d = document.querySelector('.st-key-map .js-plotly-plot');
  for (let x = left + 2; x < left + width - 2; x += 4) {
    const e = document.elementFromPoint(x, y); if (e && !d.contains(e)) return x; }
  return null; }"""


def test_a_pointer_on_the_header_over_the_map_is_not_on_the_map(browser, app_url):
    """The sidebar folded and the page scrolled so that the map's top lies under Streamlit's
    header: the pointer on the header's own element there is not on the map, so the panel
    does not decode "under the pointer" (it did: seen in the sequence benchmark, seed 206), and
    on the map just below the header it does."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        open_app(page, app_url, "?ckpt=mnist-vae.safetensors")
        page.wait_for_function("() => window.__aeNets && window.__aeNets.size > 0")
        page.get_by_role("tab", name="Interpolation path").wait_for()  # the page at its height
        wait_idle(page)
        page.mouse.move(100, 300)  # the fold button shows while the pointer is on the sidebar
        page.wait_for_timeout(300)
        page.locator('[data-testid="stSidebarCollapseButton"] button').click()
        page.wait_for_timeout(800)
        box = page.evaluate(PLOT_AND_HEADER)
        page.mouse.move(1400 - 12, 600)  # the wheel over the page's right edge scrolls it
        page.mouse.wheel(0, box["top"] - box["header"] + 120)
        page.wait_for_timeout(800)
        box = page.evaluate(PLOT_AND_HEADER)
        assert box["top"] < box["header"] - 20 < box["top"] + box["height"], box
        y = box["header"] - 15
        x = page.evaluate(COVERED, [box["left"], box["width"], y])
        assert x is not None, "the header lets every point of the map through"
        page.mouse.move(x, y, steps=3)
        page.wait_for_timeout(800)
        assert page.evaluate(PROBE)["state"] != "hover"
        page.mouse.move(box["left"] + box["width"] / 2, box["header"] + 30, steps=3)
        page.wait_for_function(f"() => ({PROBE})().state === 'hover'", timeout=10_000)
    finally:
        context.close()


MARKER_ON_WALK = """() => { const p = window.__aeLive.probe(), m = p.marker, w = p.walk;
  const maps = Array.from(document.querySelectorAll('.st-key-map .js-plotly-plot'));
  const d = maps.find((g) => g.getClientRects().length > 0);
  if (!m || !m.visible || !w || !d) return {maps: maps.length, marker: m, walk: !!w};
  const L = d._fullLayout, r = d.getBoundingClientRect(), k = Math.floor(w.p), t = w.p - k;
  const a = w.stops[k], b = w.stops[Math.min(k + 1, w.stops.length - 1)];
  const x = (1 - t) * a[0] + t * b[0], y = (1 - t) * a[1] + t * b[1];
  const px = r.left + L.xaxis._offset + L.xaxis.l2p(x), py = r.top + L.yaxis._offset +
    L.yaxis.l2p(y);
  return {maps: maps.length, off: Math.hypot(px - m.client[0], py - m.client[1])}; }"""


def test_the_walk_marker_is_on_the_shown_map_after_talk_mode_is_turned_on(browser, app_url):
    """Talk mode turned on, then the walk played: its marker is shown on the map the page
    shows, on the walk's point. (In the sequence benchmark, seed 209 in talk mode, it was placed
    on an old map that Streamlit kept hidden in the page beside the shown one; this sequence
    does not bring that about, so it guards the marker's map in talk mode, not that case.)"""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        open_app(page, app_url, "?ckpt=mnist-vae.safetensors&a=-1.2,-0.4&b=1,0.8")
        page.wait_for_function("() => window.__aeNets && window.__aeNets.size > 0")
        page.locator("[data-testid=stSidebar]").get_by_text("Talk mode").click()
        page.wait_for_function("() => location.search.includes('talk=1')")
        wait_idle(page)
        page.locator(".ae-play button").first.click()
        page.wait_for_timeout(1200)
        seen = page.evaluate(MARKER_ON_WALK)
        assert seen.get("off", 99) <= 3, seen
    finally:
        context.close()
