"""Load test: N real Chromium sessions (one browser, N contexts) against one explorer server,
each clicking the map, building interpolation paths and uploading images for a bounded time.

    python benchmarks/load.py --sessions 10 --seconds 60 [--url http://127.0.0.1:8501 --pid PID]

Without --url it starts `streamlit run app.py` itself on a free port (checkpoints and data
from the environment, as the app reads them). Reports the errors (must be 0), p50 / p95 of
click -> image time, the server's resident memory before and after, and whether every
session still shows only its own selection and upload at the end (isolation).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from report import percentiles  # noqa: E402  (beside this script)
from tests.browser import server  # noqa: E402
from tests.browser.helpers import DECODED_SRC, EMPTY_SPOT, PLOT_READY, TO_PIXELS  # noqa: E402

Z_TEXT = re.compile(r"z = \([^)]*\)|Test image #\d+")
STATUS = '[data-testid="stStatusWidget"]'
EXCEPTION = '[data-testid="stException"]'
ACTIONS = ("click", "click", "path", "upload")


@dataclass
class Session:
    k: int
    times: dict[str, list[float]] = field(default_factory=lambda: {a: [] for a in ACTIONS})
    errors: list[str] = field(default_factory=list)
    selected: str | None = None  # what this session last saw in "Selected point"
    landing: str | None = None  # where this session's last upload landed
    file: str | None = None  # the name of this session's last upload
    final: dict = field(default_factory=dict)


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of a process (and its children) in MB, from /proc."""
    if pid is None:
        return None
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            text = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        total += int(re.search(r"VmRSS:\s+(\d+)", text).group(1))
    return round(total / 1024, 1)


def _children(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(c) for c in kids] + [g for c in kids for g in _children(int(c))]


def digit_png(k: int, i: int) -> bytes:
    """A '7' drawn for session k's i-th upload: its own foot, so sessions' uploads land apart."""
    from PIL import Image, ImageDraw

    im = Image.new("L", (200, 200), 255)
    d = ImageDraw.Draw(im)
    d.line([(50, 50), (150, 50), (60 + 9 * (k % 11), 160)], fill=0, width=14, joint="curve")
    buf = io.BytesIO()
    im.rotate(3 * (i % 10) - 15, fillcolor=255).save(buf, "PNG")
    return buf.getvalue()


async def idle(page, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    await asyncio.sleep(0.3)
    while time.time() < deadline and await page.locator(STATUS).count():
        await asyncio.sleep(0.2)


async def selected_text(page) -> str | None:
    text = await page.locator(".st-key-decoded").inner_text()
    found = Z_TEXT.findall(text)
    return found[0] if found else None


async def click_map(page, s: Session, i: int) -> float:
    fx = (0.05 + 0.11 * s.k + 0.29 * i) % 0.9 + 0.05  # each session its own spots
    fy = (0.07 + 0.17 * s.k + 0.41 * i) % 0.9 + 0.05
    x, y, _gap = await page.evaluate(EMPTY_SPOT, [fx, fy])
    px, py = await page.evaluate(TO_PIXELS, [x, y])
    before = await page.evaluate(DECODED_SRC)
    await page.mouse.move(px, py)
    await asyncio.sleep(0.15)
    start = time.perf_counter()
    await page.mouse.click(px, py)
    await page.wait_for_function(
        f"(b) => {{ const s = ({DECODED_SRC})(); return s && s !== b && Array.from(document"
        ".querySelectorAll('.st-key-decoded img')).every(i => i.complete && i.naturalWidth); }",
        arg=before)
    took = time.perf_counter() - start
    await idle(page)
    s.selected = await selected_text(page)
    return took


async def build_path(page, s: Session, i: int) -> float:
    await page.get_by_role("tab", name="Interpolation path").click()
    strip = page.locator(".st-key-strip img")
    before = await strip.get_attribute("src") if await strip.count() else ""
    start = time.perf_counter()
    await page.get_by_role("button", name="Random pair").click()
    await page.wait_for_function(
        "(b) => { const i = document.querySelector('.st-key-strip img');"
        " return i && i.src !== b && i.complete && i.naturalWidth > 0; }", arg=before)
    took = time.perf_counter() - start
    await idle(page)
    s.selected = await selected_text(page)  # a random pair also selects its first image
    return took


async def upload(page, s: Session, i: int) -> float:
    await page.get_by_role("tab", name="Your own image").click()
    landing = page.locator(".st-key-landing")
    before = await landing.inner_text() if await landing.count() else None
    name = f"s{s.k}-u{i}.png"  # short: the uploader shows long names cut
    start = time.perf_counter()
    await page.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "image/png", "buffer": digit_png(s.k, i)}])
    await page.wait_for_function(
        "(b) => { const e = document.querySelector('.st-key-landing');"
        " return e && e.innerText !== b; }", arg=before)
    took = time.perf_counter() - start
    await idle(page)
    s.landing = re.search(r"z = \([^)]*\)", await landing.inner_text()).group(0)
    s.file = name
    return took


async def run_session(browser, url: str, s: Session, deadline: float, done: asyncio.Barrier):
    context = await browser.new_context(viewport={"width": 1440, "height": 1400})
    context.set_default_timeout(90_000)
    page = await context.new_page()
    page.on("pageerror", lambda exc: s.errors.append(f"page error: {exc}"))
    try:
        await page.goto(url)
        await page.wait_for_function(PLOT_READY, timeout=180_000)
        await idle(page)
        steps = {"click": click_map, "path": build_path, "upload": upload}
        i = 0
        while time.time() < deadline or i < len(ACTIONS):  # every action at least once
            action = ACTIONS[(i + s.k) % len(ACTIONS)]
            try:
                s.times[action].append(await steps[action](page, s, i))
            except Exception as exc:  # a timeout or a missing element: the page failed
                s.errors.append(f"{action} #{i}: {type(exc).__name__}: {str(exc)[:200]}")
            if await page.locator(EXCEPTION).count():
                s.errors.append(f"{action} #{i}: an exception is shown in the page")
            i += 1
    except Exception as exc:
        s.errors.append(f"session {s.k}: {type(exc).__name__}: {str(exc)[:200]}")
    await done.wait()  # everyone has finished: any leak between sessions has happened by now
    await final_state(page, s)
    await context.close()


async def final_state(page, s: Session) -> None:
    """A rerun of this session (a new prior seed), then what its page shows."""
    try:
        await page.get_by_role("tab", name="Samples from the prior").click()
        await page.get_by_role("button", name="New seed").click()
        await idle(page)
        landing = page.locator(".st-key-landing")
        text = await landing.inner_text() if await landing.count() else ""
        found = re.search(r"z = \([^)]*\)", text)
        names = page.locator('[data-testid="stFileChipName"]')
        s.final = {"selected": await selected_text(page),
                   "landing": found.group(0) if found else None,
                   "file": await names.first.inner_text() if await names.count() else None}
    except Exception as exc:
        s.errors.append(f"final state: {type(exc).__name__}: {str(exc)[:200]}")


def isolation(sessions: list[Session]) -> list[str]:
    """Each session shows its own last selection and upload, and nobody else's."""
    problems = []
    for s in sessions:
        if s.final.get("selected") != s.selected:
            problems.append(f"session {s.k} shows {s.final.get('selected')}, set {s.selected}")
        if s.final.get("landing") != s.landing:
            problems.append(f"session {s.k} shows upload {s.final.get('landing')}, "
                            f"uploaded {s.landing}")
        if s.final.get("file") != s.file:
            problems.append(f"session {s.k} shows file {s.final.get('file')}, sent {s.file}")
    return problems


def start_server(port: int) -> tuple[subprocess.Popen, str]:
    proc, url = server.start(port=port)
    try:
        server.wait_healthy(url, proc)
    except RuntimeError:
        server.stop(proc)
        raise SystemExit("the streamlit server did not start")
    return proc, url


def _ms(seconds: list[float]) -> dict[str, float | None]:
    """p50 and p95 in milliseconds (None without any measurement)."""
    if not seconds:
        return {"p50": None, "p95": None}
    p50, p95 = percentiles(seconds)
    return {"p50": round(1000 * p50, 1), "p95": round(1000 * p95, 1)}


def report(sessions: list[Session], rss: tuple, seconds: float) -> dict:
    clicks = [t for s in sessions for t in s.times["click"]]
    every = [t for s in sessions for a in ACTIONS for t in s.times[a]]
    problems = isolation(sessions)
    return {
        "sessions": len(sessions), "seconds": round(seconds, 1),
        "errors": sum(len(s.errors) for s in sessions),
        "error_messages": [e for s in sessions for e in s.errors][:20],
        "actions": {a: sum(len(s.times[a]) for s in sessions) for a in set(ACTIONS)},
        "click_to_image_ms": _ms(clicks), "any_action_ms": _ms(every),
        "server_rss_mb": {"before": rss[0], "after": rss[1]},
        "isolation_ok": not problems, "isolation_problems": problems,
    }


async def load(url: str, pid: int | None, n: int, seconds: float, query: str) -> dict:
    from playwright.async_api import async_playwright

    before = rss_mb(pid)
    sessions = [Session(k) for k in range(n)]
    start = time.time()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(server.CHROMIUM), args=server.ARGS)
        done = asyncio.Barrier(n)
        await asyncio.gather(*(run_session(browser, f"{url}/{query}", s, start + seconds, done)
                               for s in sessions))
        await browser.close()
    return report(sessions, (before, rss_mb(pid)), time.time() - start)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sessions", type=int, default=10)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--url", help="a running server on 127.0.0.1 (else one is started)")
    p.add_argument("--pid", type=int, help="the server's process id, for its memory")
    p.add_argument("--port", type=int, default=0, help="port for the server started here")
    p.add_argument("--query", default="", help="e.g. ?ckpt=mnist-vae.safetensors")
    p.add_argument("--json", type=Path, help="also write the report here")
    args = p.parse_args(argv)
    if args.url and not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        p.error("--url must be a server on this machine (127.0.0.1)")
    proc = None
    url, pid = args.url, args.pid
    if url is None:
        proc, url = start_server(args.port)
        pid = proc.pid
    try:
        result = asyncio.run(load(url.rstrip("/"), pid, args.sessions, args.seconds, args.query))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if result["errors"] == 0 and result["isolation_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
