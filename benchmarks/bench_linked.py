"""Linked maps, measured in Chromium: Compare with three models (talk mode, 1280x720), the
pointer moved over map A. Each move is decoded by all three models in the page
(``aeexplorer/ui/inpage/linked.js``) and rings are placed on the other maps;
``window.__aeLive.linkTimes`` holds, per move, the ms from the pointer event's ``timeStamp``
to the first animation frame after all three were painted. Also the websocket frames the page
sent during the moves (expected none), and the same on Anomalies' one map.

``python benchmarks/bench_linked.py [--moves N]`` starts its own server and prints JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from report import percentiles

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser import server  # noqa: E402
from tests.browser.helpers import wait_idle  # noqa: E402

PAGES = {  # page path and query, the map moved over, the linked row's key, the maps
    "compare": ("compare?talk=1&ckpt=mnist-vae.safetensors&vs=mnist-ae.safetensors"
                "&vs2=mnist-pca.safetensors", "cmp_map_a", "cmp_linked", 3),
    "anomalies": ("anomalies?talk=1&ckpt=mnist-vae.safetensors", "anom_map", "anom_linked", 1),
}
READY = """(key) => { const d = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
  return !!(d && d._fullLayout && d._fullLayout.xaxis && d._fullLayout.xaxis._length > 0)
    && !!window.__aeNets && window.__aeNets.size > 0; }"""
AREA = """(key) => { const d = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
  const L = d._fullLayout, r = d.getBoundingClientRect();
  return [r.left + L.xaxis._offset, r.top + L.yaxis._offset, L.xaxis._length,
          L.yaxis._length]; }"""
NETS = "() => Promise.all([...window.__aeNets.values()]).then(() => true)"
PAUSE_S = 0.02  # between moves: each move is its own pointer event


def measure(page, url: str, name: str, moves: int) -> dict:
    query, chart, key, maps = PAGES[name]
    sent: list = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(f)))
    page.goto(f"{url}/{query}")
    page.wait_for_function(READY, arg=chart, timeout=120_000)
    wait_idle(page, 120)
    page.wait_for_function(NETS, timeout=60_000)
    time.sleep(1.0)
    left, top, width, height = page.evaluate(AREA, chart)
    page.evaluate("() => { window.__aeLive.linkTimes = []; }")
    before = len(sent)
    for i in range(moves):  # a diagonal sweep, there and back
        t = (i % 100) / 99 if (i // 100) % 2 == 0 else 1 - (i % 100) / 99
        page.mouse.move(left + (0.1 + 0.8 * t) * width, top + (0.2 + 0.6 * t) * height)
        time.sleep(PAUSE_S)
    time.sleep(0.3)
    times = page.evaluate("() => window.__aeLive.linkTimes.slice()")
    p50, p95 = percentiles(times) if times else (None, None)
    probe = page.evaluate(f"() => window.__aeLive.linked('linked:{key}')")
    return {"page": name, "maps": maps, "moves": moves, "timed": len(times),
            "move_to_all_painted_ms_p50": p50, "move_to_all_painted_ms_p95": p95,
            "decoded_in_page": sum(c["decoder"] == "page" for c in probe["cells"]),
            "frames_sent_during_moves": len(sent) - before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=300)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    env = {"AEEXPLORER_DATA": os.environ.get("AEEXPLORER_DATA", str(ROOT / "data"))}
    results = []
    with server.running(env, server.ARTIFACTS / "bench-linked-server.log") as url, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(server.CHROMIUM), args=server.ARGS)
        for name in PAGES:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            results.append(measure(page, url, name, args.moves))
            page.close()
        browser.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
