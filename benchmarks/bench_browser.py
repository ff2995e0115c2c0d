"""Browser-side benchmarks in Debian's Chromium through Playwright: cold start (``Popen`` of
``streamlit run app.py`` to a painted latent map), click -> decoded image latency, for
clicks on test points and on empty space, and the decoding in the page under the pointer
(bench_live.py: pointer move -> painted image, server messages, page decode, the weights
payload, load -> first live decode, the walk player's frame rate). The page is driven with the
helpers of the browser tests (tests/browser/helpers.py) and started as they start it
(tests/browser/server.py)."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_live
from report import percentiles

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser import helpers as h  # noqa: E402
from tests.browser.server import ARGS, CHROMIUM, start, stop, wait_healthy  # noqa: E402

VIEWPORT = {"width": 1440, "height": 1400}  # as in the browser tests


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    return context.new_page()


def cold_start(browser: Any, env: dict[str, str], query: str, log: Path) -> tuple:
    """Seconds from ``Popen`` to health and to the painted map (PLOT_READY) in a page opened
    as soon as health answers. Returns (map_s, health_s, proc, url, page, frames): the server
    runs on; ``frames`` counts the websocket frames the page sends."""
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        proc, url = start(env, fh)
    try:
        wait_healthy(url, proc)
        health = time.perf_counter() - t0
        page = new_page(browser)
        frames = bench_live.SentFrames(page)
        page.goto(f"{url}/{query}")
        page.wait_for_function(h.PLOT_READY, timeout=120_000)
        painted = time.perf_counter() - t0
    except Exception:
        stop(proc)
        raise
    return painted, health, proc, url, page, frames


def timed_click(page: Any, x: float, y: float) -> float:
    """ms from the mouse click on map position (x, y) to a new decoded image, loaded."""
    before = h.decoded_src(page)
    px, py = page.evaluate(h.TO_PIXELS, [x, y])
    page.mouse.move(px, py)
    time.sleep(0.15)  # let Plotly register the hover that a click selects (as click_z does)
    t0 = time.perf_counter()
    page.mouse.click(px, py)
    h.wait_decoded_change(page, before)
    elapsed = (time.perf_counter() - t0) * 1000
    h.wait_idle(page)  # the rerun is over before the next click
    return elapsed


def point_targets(page: Any) -> list[tuple[float, float]]:
    """One lonely test point per class: consecutive clicks show different test images."""
    names = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData"
                          ".filter(t => t.customdata).map(t => t.name)")
    return [h.lonely_point(page, name)[:2] for name in names]


def empty_targets(page: Any, n: int) -> list[tuple[float, float]]:
    """``n`` positions in empty space: the empty spots in turn, each round shifted by about
    1.5 click-grid steps, so every click decodes a new z and consecutive ones differ."""
    spots = h.empty_spots(page, min_px=20.0) or h.empty_spots(page)
    if len(spots) < 2:
        raise RuntimeError("fewer than two empty spots on the map")
    xr = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.xaxis.range")
    step = 0.012 * abs(xr[1] - xr[0])
    shifts = [(0, 0), (1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1)]
    out = []
    for i in range(n):
        (x, y), (sx, sy) = spots[i % len(spots)], shifts[(i // len(spots)) % len(shifts)]
        out.append((x + sx * step, y + sy * step))
    return out


def click_series(page: Any, targets: list[tuple[float, float]], n: int) -> list[float]:
    return [timed_click(page, *targets[i % len(targets)]) for i in range(n)]


def _launch(pw):
    if not CHROMIUM.exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}")
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)


def run_browser(env: dict[str, str], query: str, clicks: int = 30, cold_runs: int = 1,
                moves: int = 200) -> dict:
    """Cold starts (the browser launched beforehand), then, on the last server, clicks, then
    ``moves`` pointer moves (twice: timed in the page, end to end) in the same page, a second
    page (warm load, first live decode) and a third with a two-stop path (the walk player)."""
    from playwright.sync_api import sync_playwright

    out: dict = {}
    logdir = Path(tempfile.mkdtemp(prefix="aeexplorer-bench-"))
    with sync_playwright() as pw:
        browser = _launch(pw)
        colds, healths = [], []
        for i in range(cold_runs):
            painted, health, proc, url, page, frames = cold_start(
                browser, env, query, logdir / f"server-{i}.log")
            colds.append(painted)
            healths.append(health)
            if i < cold_runs - 1:
                page.context.close()
                stop(proc)
        try:
            out.update(_clicks(page, clicks))
            out.update(bench_live.hover_series(page, frames, moves))
            out.update(bench_live.page_decode(page))
            out.update(_warm_load(browser, url, query))
            out.update(_playback(browser, url, query))
        finally:
            stop(proc)
            browser.close()
    out.update(cold_start_s=min(colds), cold_start_runs_s=colds, health_s=min(healths),
               server_log=str(logdir))
    return out


def _clicks(page, clicks: int) -> dict:
    page.wait_for_selector(".st-key-decoded", timeout=60_000)
    h.wait_idle(page)
    points, empties = point_targets(page), empty_targets(page, clicks + 1)
    first_empty = timed_click(page, *empties[-1])  # first clicks: imports, first decode
    first_point = timed_click(page, *points[0])
    out = {"first_click_ms_empty": first_empty, "first_click_ms_point": first_point,
           "clicks": clicks}
    bench_live.reset_clicks(page)  # the page's own painting of the clicks below
    for kind, targets in (("point", points[1:] + points[:1]), ("empty", empties[:-1])):
        times = click_series(page, targets, clicks)
        out[f"click_p50_ms_{kind}"], out[f"click_p95_ms_{kind}"] = percentiles(times)
    out.update(bench_live.click_page(page, 2 * clicks))
    return out


def _warm_load(browser, url: str, query: str) -> dict:
    """Seconds to a painted map in a second page (a fresh context: nothing cached in the
    browser), the server warm (models cached), and to the first move the page decodes."""
    page = new_page(browser)
    t0 = time.perf_counter()
    page.goto(f"{url}/{query}")
    page.wait_for_function(h.PLOT_READY, timeout=120_000)
    elapsed = time.perf_counter() - t0
    live = bench_live.first_live_decode(page, t0)
    page.context.close()
    return {"warm_load_s": elapsed, "first_live_decode_s": live}


def _playback(browser, url: str, query: str, stops: str = "&a=-1,0&b=1,1") -> dict:
    """The walk player's frame rate, in a page opened with a two-stop path."""
    page = new_page(browser)
    try:
        page.goto(f"{url}/{query}{stops}")
        page.wait_for_function(h.PLOT_READY, timeout=120_000)
        return bench_live.playback(page)
    finally:
        page.context.close()
