"""The sequence test of issue 24 at length: ``--steps`` seeded presenter actions in Chromium
against `streamlit run app.py` (tests/browser/sequence.py), in walks of ``--chunk`` steps on a
fresh page each, half at 1400x1000 and half at 1280x720 in talk mode, every invariant checked
after every step. After a failure the walk goes on from a fresh page. Prints one JSON object:
``sequence_steps``, ``sequence_failures``, ``sequence_failures_first`` (the first failures:
seed, window, the steps that replay it, what broke), ``sequence_seconds``, ``sequence_source``
(``probe``: the page's probe; ``dom``: read from its elements, the page having no probe).
While it runs, one line a walk goes to stderr (its seed, window, steps, the failures so far,
and the command that replays each of its failures), so a long run can be watched and a failure
acted on before it ends.

    python benchmarks/bench_sequence.py --steps 1000 --seed 0
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser import server  # noqa: E402
from tests.browser.sequence import run  # noqa: E402
from tests.browser.sequence_actions import SHIPPED, steps_for  # noqa: E402

WINDOWS = (((1400, 1000), False), ((1280, 720), True))
FIRST = 10  # failures reported in full


def run_sequence(steps: int, seed: int = 0, chunk: int = 50, url: str | None = None) -> dict:
    """Walks of ``chunk`` steps (seeds ``seed``, ``seed + 1``, ...) until ``steps`` are done."""
    missing = [n for n in SHIPPED if not (ROOT / "checkpoints" / n).is_file()]
    if missing:
        return {"sequence_skipped": f"the shipped checkpoints are not here: {missing}"}
    from playwright.sync_api import sync_playwright

    started, done, failures, retried, source = time.perf_counter(), 0, [], 0, ""
    env = {"AEEXPLORER_DATA": os.environ.get("AEEXPLORER_DATA", "")}
    serving = (contextlib.nullcontext(url) if url else
               server.running(env, server.ARTIFACTS / "streamlit-bench-sequence.log"))
    with serving as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(server.CHROMIUM), args=server.ARGS)
        k = 0
        while done < steps:
            size, talk = WINDOWS[k % len(WINDOWS)]
            n = min(chunk, steps - done)
            context = browser.new_context(viewport={"width": size[0], "height": size[1]})
            context.set_default_timeout(30_000)
            try:
                result = run(context.new_page(), base, steps_for(seed + k, n), seed + k,
                             size, talk, max_failures=n)
            finally:
                context.close()
            done += result.steps
            failures += result.failures
            _progress(seed + k, size, talk, n, result, done, len(failures))
            retried += result.retried
            source = result.source or source
            k += 1
        browser.close()
    return {"sequence_steps": done, "sequence_failures": len(failures),
            "sequence_failures_first": [
                {"seed": f.seed, "window": f"{f.size[0]}x{f.size[1]}" + (" talk" if f.talk
                                                                         else ""),
                 "steps": [list(s) for s in f.steps], "problems": f.problems}
                for f in failures[:FIRST]],
            "sequence_retried_steps": retried, "sequence_source": source,
            "sequence_seconds": round(time.perf_counter() - started, 1)}


def _progress(seed: int, size: tuple[int, int], talk: bool, steps: int, result, done: int,
              failed: int) -> None:
    """One line on stderr for a finished walk, and the replay command of each failure in it."""
    window = f"{size[0]}x{size[1]}" + (" talk" if talk else "")
    print(f"walk seed {seed} ({window}): {result.steps} steps, {len(result.failures)} "
          f"failure(s); {done} steps, {failed} failure(s) so far", file=sys.stderr, flush=True)
    if result.failures:
        print(f"  replay the walk: python -m tests.browser.sequence --seed {seed} --steps "
              f"{steps} --size {size[0]}x{size[1]}" + (" --talk" if talk else ""),
              file=sys.stderr, flush=True)
    for f in result.failures:
        print("  " + f.script().replace("\n", "\n  "), file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--chunk", type=int, default=50, help="steps per walk on a fresh page")
    p.add_argument("--url", help="a running app (default: start one)")
    args = p.parse_args(argv)
    result = run_sequence(args.steps, args.seed, args.chunk, args.url)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
