"""The seeded sequence test of issue 24 on short fixed seeds: a presenter's actions in random
order (models switched, dots and empty space clicked, the walk played and paused, the page
scrolled, zoomed and resized, another page visited, talk mode toggled), and after every step
the panel beside the map shows the current model's decode of the z its heading names (torch,
<= 1e-3 per pixel), the walk marker sits on the walk (<= 3 px), and no error is raised.
A failure prints its seed and the steps that replay it (``python -m tests.browser.sequence``).
``benchmarks/bench_sequence.py`` walks 1,000 steps and more."""

from __future__ import annotations

import pytest

from tests.browser.sequence import run
from tests.browser.sequence_actions import steps_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("seed,size,talk,n", [(24, (1400, 1000), False, 36),
                                              (720, (1280, 720), True, 32)],
                         ids=["1400x1000", "1280x720-talk"])
def test_a_presenter_sequence_keeps_every_invariant(browser, app_url, seed, size, talk, n):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(30_000)
    try:
        result = run(context.new_page(), app_url, steps_for(seed, n), seed, size, talk)
    finally:
        context.close()
    assert not result.failures, "\n\n".join(f.script() for f in result.failures)
    assert result.steps == n
