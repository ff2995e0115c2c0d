"""The seeded sequence test of issue 24: a random walk of what a presenter does (switch models,
click dots and empty space, hover, add and remove stops, play, pause, scroll, zoom, resize,
visit another page, talk mode on and off) in Chromium against `streamlit run app.py`, with
every invariant of ``sequence_checks`` checked after every step, once the page has settled.

A failure is kept with its seed and the steps since the page was opened, which replay it:

    python -m tests.browser.sequence --seed 7 --steps 40 [--size 1280x720] [--talk]
    python -m tests.browser.sequence --replay '[["model", 0.5, 0.1], ["move", 0.2, 0.3]]'

After a failure the page is opened afresh and the walk goes on (its steps counted anew)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field

from tests.browser.helpers import PLOT_READY
from tests.browser.sequence_actions import ACTIONS, Step, settle, steps_for
from tests.browser.sequence_checks import World, check
from tests.browser.sequence_read import READ

START_MODEL = "mnist-vae.safetensors"
START = f"?ckpt={START_MODEL}&a=-1.2,-0.4&b=1,0.8"  # with a walk to play
RETRIES = 3  # reads 0.4 s apart before a broken invariant counts: a decoder file in flight


@dataclass
class Failure:
    seed: int | None
    size: tuple[int, int]
    talk: bool
    steps: list[Step]  # since the page was opened, the failing one last
    problems: list[str]

    def script(self) -> str:
        w, h = self.size
        talk = " --talk" if self.talk else ""
        return (f"seed {self.seed}, {w}x{h}{' talk mode' if self.talk else ''}, step "
                f"{len(self.steps)}:\n  " + "\n  ".join(self.problems) +
                f"\nreplay: python -m tests.browser.sequence --size {w}x{h}{talk} --replay '"
                + json.dumps([list(s) for s in self.steps]) + "'")


@dataclass
class Result:
    steps: int = 0
    failures: list[Failure] = field(default_factory=list)
    retried: int = 0  # steps whose invariants held only on a second or third read
    source: str = ""  # "probe" (the page's probe) or "dom" (read from the page's elements)


class Sequence:
    """One browser page walked through steps, with the page's errors gathered as they come."""

    def __init__(self, page, url: str, size: tuple[int, int], talk: bool) -> None:
        self.page, self.url, self.size, self.talk = page, url, size, talk
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("console", lambda m: self.errors.append(f"console error: {m.text[:300]}")
                if m.type == "error" else None)
        self.world = World(START_MODEL, talk, size)

    def open(self, result: Result) -> list[str]:
        self.page.set_viewport_size({"width": self.size[0], "height": self.size[1]})
        self.world = World(START_MODEL, self.talk, self.size)
        self.page.goto(f"{self.url}/{START}" + ("&talk=1" if self.talk else ""))
        self.page.wait_for_function(PLOT_READY, timeout=120_000)
        # attached, not visible: the panel may lie over the selected point's block
        self.page.wait_for_selector(".ae-live", state="attached", timeout=60_000)
        settle(self.page)
        self.errors.clear()
        return self.checked(result)

    def step(self, step: Step, result: Result) -> list[str]:
        ACTIONS[step[0]](self.page, self.world, *step[1:])
        settle(self.page, self.world.page == "explorer")
        problems = self.checked(result)
        if step[0] == "visit":  # checked on the other page, and back on the Explorer
            ACTIONS["back"](self.page, self.world)
            settle(self.page, self.world.page == "explorer")
            problems += self.checked(result)
        return problems

    def checked(self, result: Result) -> list[str]:
        for attempt in range(RETRIES):
            read = self.page.evaluate(READ, list(self.world.pointer or (None, None)))
            result.source = read["source"]
            problems = check(read, self.world)
            if not problems:
                result.retried += attempt > 0
                break
            time.sleep(0.4)
        errors, self.errors[:] = list(self.errors), []
        return errors + problems


def run(page, url: str, steps: list[Step], seed: int | None = None,
        size: tuple[int, int] = (1400, 1000), talk: bool = False,
        max_failures: int = 1) -> Result:
    """Walk ``steps`` on a fresh page; up to ``max_failures`` failures, each followed by a
    fresh page."""
    result, seq = Result(), Sequence(page, url, size, talk)
    done: list[Step] = []
    problems = seq.open(result)
    for step in steps:
        if problems:
            _screenshot(page, seed, len(result.failures))
            result.failures.append(Failure(seed, size, talk, list(done), problems))
            if len(result.failures) >= max_failures:
                return result
            done, problems = [], seq.open(result)
            continue
        done.append(step)
        result.steps += 1
        try:
            problems = seq.step(step, result)
        except Exception as exc:  # a widget gone, a wait that timed out: the page is stuck
            problems = [f"the step could not be done: {type(exc).__name__}: "
                        f"{str(exc).splitlines()[0][:200]}"]
    if problems:
        _screenshot(page, seed, len(result.failures))
        result.failures.append(Failure(seed, size, talk, list(done), problems))
    return result


def _screenshot(page, seed: int | None, k: int) -> None:
    """The page as the failure left it: test-artifacts/sequence-<seed>-<k>.png."""
    from tests.browser.server import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    name = f"sequence-{seed if seed is not None else 'replay'}-{k}.png"
    page.screenshot(path=str(ARTIFACTS / name))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--size", default="1400x1000", help="the window, WIDTHxHEIGHT")
    p.add_argument("--talk", action="store_true", help="open the page in talk mode")
    p.add_argument("--replay", help="a JSON list of steps, as a failure prints them")
    p.add_argument("--url", help="a running app (default: start one)")
    p.add_argument("--headed", action="store_true", help="show the browser")
    args = p.parse_args(argv)
    size = tuple(int(v) for v in args.size.lower().split("x"))
    steps = ([tuple(s) for s in json.loads(args.replay)] if args.replay
             else steps_for(args.seed, args.steps))
    with browser_page(args.url, size, args.headed) as (page, url):
        result = run(page, url, steps, None if args.replay else args.seed, size, args.talk)
    for failure in result.failures:
        print(failure.script())
    print(json.dumps({"sequence_steps": result.steps,
                      "sequence_failures": len(result.failures), "source": result.source}))
    return 1 if result.failures else 0


def browser_page(url: str | None, size: tuple[int, int], headed: bool = False):
    """A Chromium page and the app's URL (a server started here unless ``url`` is given)."""
    import contextlib

    from playwright.sync_api import sync_playwright

    from tests.browser import server

    @contextlib.contextmanager
    def opened():
        with contextlib.ExitStack() as stack:
            if url is None:
                log = server.ARTIFACTS / "streamlit-sequence.log"
                env = {"AEEXPLORER_DATA": os.environ.get("AEEXPLORER_DATA", "")}
                base = stack.enter_context(server.running(env, log))
            else:
                base = url
            pw = stack.enter_context(sync_playwright())
            args = [a for a in server.ARGS if not (headed and a == "--headless")]
            browser = pw.chromium.launch(executable_path=str(server.CHROMIUM), args=args,
                                         headless=not headed)
            stack.callback(browser.close)
            context = browser.new_context(viewport={"width": size[0], "height": size[1]})
            context.set_default_timeout(30_000)
            yield context.new_page(), base
    return opened()


if __name__ == "__main__":
    sys.exit(main())
