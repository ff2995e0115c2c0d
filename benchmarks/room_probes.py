"""What one visitor can make a server hold through Streamlit's own endpoints (issue 28's probes),
with a raw client (``tests/helpers/raw_client.py``) against `streamlit run app.py`:

* ``puts``: one session PUTs ROUNDS x 40 files of 10 MB under ids the server never issued it;
* ``widgets``: 4 sessions each send a 20 MB widget value (the drawing pad's kind);
* ``clear_cache``: another session's Anomalies rerun, p50 alone and while one visitor sends
  ``clear_cache`` every 0.3 s.

    python benchmarks/room_probes.py [--puts 40] [--rounds 2] [--widget-sessions 4]
                                     [--reruns 15] [--json OUT]

Prints one JSON object: the server's resident memory growth (MB) for each probe, the HTTP
statuses and closed connections, and the rerun p50s (ms) with their ratio. The server is
started on a free port with the checkpoints and data of the environment.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.browser import server  # noqa: E402
from tests.helpers.raw_client import RawSession  # noqa: E402

MB = 1e6
PAGE = "anomalies"  # a page whose rerun reads the shared model, map and test images


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024


def settled_rss(pid: int, wait: float = 2.0) -> float:
    """The server's resident memory once a just-finished burst has been let go."""
    time.sleep(wait)
    return round(rss_mb(pid), 1)


def puts(url: str, pid: int, n: int, rounds: int) -> dict:
    s = RawSession.open(url)
    before, statuses, after = settled_rss(pid), Counter(), []
    blob = os.urandom(10_000_000)
    for _ in range(rounds):
        for _ in range(n):
            statuses[s.put(str(uuid.uuid4()), blob)] += 1
        after.append(settled_rss(pid))
    s.close()
    return {"files": n * rounds, "statuses": dict(statuses), "rss_before_mb": before,
            "rss_after_each_round_mb": after, "growth_mb": round(max(after) - before, 1)}


def widgets(url: str, pid: int, sessions: int, size: int = 20_000_000) -> dict:
    opened = [RawSession.open(url) for _ in range(sessions)]
    before = settled_rss(pid)
    value = "x" * size
    for s in opened:
        s.widget("probe-widget", value)
    closed = sum(s.closed(30) for s in opened)
    after = settled_rss(pid)
    return {"sessions": sessions, "value_mb": size / MB, "closed_by_server": closed,
            "rss_before_mb": before, "rss_after_mb": after, "growth_mb": round(after - before, 1)}


def _rerun_ms(s: RawSession) -> float:
    start = time.perf_counter()
    s.rerun(PAGE)
    return (time.perf_counter() - start) * 1000


def clear_cache(url: str, pid: int, reruns: int, every: float = 0.3) -> dict:
    """Reruns alternate between calm and a clear_cache stream (so that a busy machine's drift
    weighs on both alike); the stream runs for a second before each of its reruns."""
    other = RawSession.open(url)
    other.rerun(PAGE)  # the shared model, map and test images loaded
    attacker, on, stop, sent = RawSession.open(url), threading.Event(), threading.Event(), [0]

    def stream() -> None:
        while not stop.wait(every):
            if on.is_set():
                attacker.clear_cache()
                sent[0] += 1

    thread = threading.Thread(target=stream, daemon=True)
    thread.start()
    rss, calm, under = rss_mb(pid), [], []
    try:
        for _ in range(reruns):
            calm.append(_rerun_ms(other))
            on.set()
            time.sleep(1.0)
            under.append(_rerun_ms(other))
            on.clear()
    finally:
        stop.set()
        thread.join()
    baseline, stormy = statistics.median(calm), statistics.median(under)
    return {"reruns": reruns, "clear_cache_sent": sent[0], "baseline_p50_ms": round(baseline, 1),
            "under_clear_cache_p50_ms": round(stormy, 1), "ratio": round(stormy / baseline, 2),
            "rss_growth_mb": round(rss_mb(pid) - rss, 1)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puts", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--widget-sessions", type=int, default=4)
    parser.add_argument("--reruns", type=int, default=15)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    log = REPO / "test-artifacts" / "streamlit-room-probes.log"
    log.parent.mkdir(exist_ok=True)
    with open(log, "w") as out:
        proc, url = server.start({}, out)
        try:
            server.wait_healthy(url, proc)
            warm = RawSession.open(url)
            warm.rerun(PAGE)
            result = {"server_rss_start_mb": round(rss_mb(proc.pid), 1),
                      "puts": puts(url, proc.pid, args.puts, args.rounds),
                      "widgets": widgets(url, proc.pid, args.widget_sessions),
                      "clear_cache": clear_cache(url, proc.pid, args.reruns)}
        finally:
            server.stop(proc)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    return result


if __name__ == "__main__":
    main()
