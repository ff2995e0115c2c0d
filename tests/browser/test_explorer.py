"""The explorer in a real Chromium: click to decode, paths, prior samples, uploads, URLs."""

from __future__ import annotations

import io
import json
import re
import statistics

import numpy as np
import pytest
from PIL import Image

from tests.browser.helpers import (
    click_z,
    decoded_src,
    empty_spots,
    lonely_point,
    open_app,
    text_of,
    traces,
    wait_decoded_change,
    wait_idle,
)
from tests.browser.server import ARTIFACTS

pytestmark = pytest.mark.browser
QUERY = "?ckpt=mnist-vae.safetensors"


def test_click_empty_space_and_a_point_decode(page, app_url):
    open_app(page, app_url, QUERY)
    spots = empty_spots(page)
    assert len(spots) >= 3, "the map should have empty corners"
    span = max(np.ptp(page.evaluate(f"() => document.querySelector('.js-plotly-plot')"
                                    f"._fullLayout.{a}axis.range")) for a in "xy")
    times = []
    for x, y in spots[:4]:
        before = decoded_src(page)
        click_z(page, x, y)
        times.append(wait_decoded_change(page, before))
        wait_idle(page)  # the image arrives first; the line with z follows it in the rerun
        shown = text_of(page, "decoded")
        assert "empty space" in shown
        zx, zy = map(float, re.search(r"z = \((\S+), (\S+)\)", shown).groups())
        assert abs(zx - x) < 0.02 * span and abs(zy - y) < 0.02 * span  # the click grid's snap
    # a data point: test image #i shows its original and its decoded code
    x, y, index = lonely_point(page, "1")
    before = decoded_src(page)
    click_z(page, x, y)
    times.append(wait_decoded_change(page, before))
    page.wait_for_function("() => document.querySelector('.st-key-decoded').innerText"
                           ".includes('Test image #')")
    shown = text_of(page, "decoded")
    assert "original" in shown and "decoded code" in shown and "class 1" in shown
    assert f"Test image #{index}" in shown
    ARTIFACTS.mkdir(exist_ok=True)
    report = {"click_to_decoded_s": [round(t, 3) for t in times],
              "p50_s": round(statistics.median(times), 3)}
    (ARTIFACTS / "click-timing.json").write_text(json.dumps(report))
    print("click -> decoded image:", report)
    assert statistics.median(times) < 10
    assert page.external_requests == []


def test_zoom_survives_a_click(page, app_url):
    open_app(page, app_url, QUERY)
    page.evaluate("() => Plotly.relayout(document.querySelector('.js-plotly-plot'),"
                  " {'xaxis.range': [-1, 1], 'yaxis.range': [-1, 1]})")
    before = decoded_src(page)
    click_z(page, 0.37, -0.41)
    wait_decoded_change(page, before)
    wait_idle(page)
    rng = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.xaxis.range")
    assert rng == pytest.approx([-1, 1], abs=0.05)


def test_interpolation_by_clicks_and_by_class(page, app_url):
    open_app(page, app_url, QUERY)
    page.get_by_role("radio", name="Add a path stop").click()
    wait_idle(page)
    spots = empty_spots(page)[:3]
    for x, y in spots:
        before = decoded_src(page)
        click_z(page, x, y)
        wait_decoded_change(page, before)
        wait_idle(page)
    page.wait_for_selector(".st-key-strip img")
    assert len(traces(page)["path"]) == 19  # two legs of 10 frames sharing B
    assert "19 decoded frames, 2 leg(s)" in text_of(page, "strip")
    with page.expect_download() as download:
        page.get_by_role("button", name="Walk as GIF").click()
    gif = Image.open(download.value.path())
    assert gif.format == "GIF" and gif.n_frames == 2 * 19 - 2
    strip = page.locator(".st-key-strip img").get_attribute("src")
    page.get_by_role("button", name="Random pair").click()
    page.wait_for_function("(s) => { const i = document.querySelector('.st-key-strip img');"
                           " return i && i.src !== s; }", arg=strip)
    wait_idle(page)
    assert len(traces(page)["path"]) == 10
    assert "class 3" in text_of(page, "decoded")  # A is a random 3, and is selected


def test_the_similar_tab_follows_clicks_on_the_map(page, app_url):
    """A click reruns only the map view; with the Similar images tab open it redraws the tabs
    too, so the neighbours are those of the point just clicked."""
    open_app(page, app_url, QUERY)
    page.get_by_role("tab", name="Similar images").click()
    wait_idle(page)
    x, y, index = lonely_point(page, "1")
    _click_and_wait_for_similar(page, x, y, f"Neighbours of test image #{index} · class: 1")
    x, y = empty_spots(page)[0]
    _click_and_wait_for_similar(page, x, y, "Neighbours of the decoded point z = ")


def _click_and_wait_for_similar(page, x: float, y: float, heading: str) -> None:
    before = decoded_src(page)
    click_z(page, x, y)
    wait_decoded_change(page, before)
    page.wait_for_function("(t) => { const s = document.querySelector('.st-key-similar');"
                           " return s && s.innerText.includes(t); }", arg=heading)
    wait_idle(page)


def test_prior_samples_on_the_map(page, app_url):
    open_app(page, app_url, QUERY)
    page.get_by_role("tab", name="Samples from the prior").click()
    page.get_by_text("Mark the samples on the map").click()
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')._fullData"
                           ".some(t => t.name === 'prior samples')")
    first = traces(page)["prior samples"]
    assert len(first) == 16
    grid = page.locator(".st-key-samples img").get_attribute("src")
    page.get_by_role("button", name="New seed").click()
    page.wait_for_function("(s) => document.querySelector('.st-key-samples img').src !== s",
                           arg=grid)
    wait_idle(page)
    assert traces(page)["prior samples"] != first
    assert "seed=1" in page.url and "ps=1" in page.url
    page.get_by_text("Decoded manifold behind the points").click()  # sidebar: a full rerun
    page.wait_for_function("() => (document.querySelector('.js-plotly-plot')._fullLayout"
                           ".images || []).length === 1")
    wait_idle(page)
    assert "prior samples" in traces(page)  # the samples are still marked


def _photo_of(digit: np.ndarray) -> bytes:
    """A test digit made to look like a phone photo: dark ink on uneven paper, noise, JPEG."""
    big = np.asarray(Image.fromarray((digit * 255).astype(np.uint8)).resize((300, 300),
                     Image.Resampling.BICUBIC), dtype=np.float32) / 255
    canvas = np.full((480, 400), 1.0, np.float32)
    canvas[90:390, 50:350] -= 0.75 * big
    yy, xx = np.mgrid[0:480, 0:400]
    canvas *= 0.75 + 0.2 * (xx / 400) + 0.05 * (yy / 480)  # shading across the sheet
    canvas += np.random.default_rng(0).normal(0, 0.03, canvas.shape)
    rgb = np.stack([canvas * 0.95, canvas * 0.92, canvas * 0.85], -1)
    buf = io.BytesIO()
    Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _png(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray((image * 255).astype(np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _upload(page, name: str, mime: str, data: bytes, previous: str | None) -> str:
    page.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.wait_for_function("(p) => { const e = document.querySelector('.st-key-landing');"
                           " return e && e.innerText !== p; }", arg=previous)
    wait_idle(page)
    return text_of(page, "landing")


def test_uploads_land_where_they_belong_and_bad_files_are_refused(page, app_url, data_root):
    from aeexplorer.core.datasets.loading import load_split

    test = load_split("mnist", False, data_root)
    index = int(np.flatnonzero(test.labels.numpy() == 1)[0])
    open_app(page, app_url, QUERY)
    page.get_by_role("tab", name="Your own image").click()
    # a test image as a PNG lands on its own code in the atlas
    landing = _upload(page, "test-image.png", "image/png", _png(test.images[index, 0].numpy()),
                      None)
    assert "vote 1" in landing, landing
    zx, zy = map(float, re.search(r"z = \((\S+), (\S+)\)", landing).groups())
    ax, ay = page.evaluate("(i) => { const t = document.querySelector('.js-plotly-plot')"
                           "._fullData.find(t => t.name === '1'); const k = Array.from("
                           "t.customdata).indexOf(i); return [t.x[k], t.y[k]]; }", index)
    span = np.ptp(page.evaluate("() => document.querySelector('.js-plotly-plot')"
                                "._fullLayout.xaxis.range"))
    assert abs(zx - ax) < 0.03 * span and abs(zy - ay) < 0.03 * span
    assert traces(page)["your image"] == [pytest.approx(zx, abs=1e-3)]
    assert page.get_by_text("28×28 input").is_visible()
    # the same digit photographed on paper lands among the ones too
    landing = _upload(page, "photo-of-a-one.jpg", "image/jpeg",
                      _photo_of(test.images[index, 0].numpy()), landing)
    assert "vote 1" in landing, landing
    # a broken file: a clear message, and the page keeps working
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "broken.png", "mimeType": "image/png", "buffer": b"\x89PNG not really"}])
    page.get_by_text("Could not use this image").wait_for()
    spot = empty_spots(page)[0]
    before = decoded_src(page)
    click_z(page, *spot)
    wait_decoded_change(page, before)


def test_url_restores_the_scene_in_talk_mode(page, app_url):
    query = QUERY + "&z=0.5,0.5&a=-1,0&b=1,0&wp=0,1.5&seed=7&talk=1&n=8&m=slerp"
    open_app(page, app_url, query)
    assert "z = (0.500, 0.500)" in text_of(page, "decoded")
    page.wait_for_selector(".st-key-strip img")
    assert len(traces(page)["path"]) == 15
    size = page.evaluate("() => getComputedStyle(document.documentElement).fontSize")
    assert size == "22px"
    assert page.get_by_role("radio", name="spherical").is_checked()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "talk-mode.png"))
    assert page.external_requests == []
