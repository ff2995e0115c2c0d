"""The sequence test's own parts, without a browser: the steps a seed draws, the walk and the
axes recomputed as the page must, and the checker catching each kind of defect on a made-up
read of the page (so a sequence that passes has had invariants that can fail)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from tests.browser.sequence_actions import ACTIONS, WEIGHTS, steps_for
from tests.browser.sequence_checks import Axes, World, check, decode, model_of, walk_at
from tests.helpers import REPO

NAME = "mnist-vae.safetensors"
pytestmark = pytest.mark.skipif(not (REPO / "checkpoints" / NAME).is_file(),
                                reason=f"no shipped {NAME}")
# Plotly's axes as the page reports them: x -3..3 over 600 px from 100, y -3..3 over 600 from 50
AXES = {"x": [-3.0, 3.0, 100.0, 600.0, "linear"], "y": [-3.0, 3.0, 50.0, 600.0, "linear"]}
STOPS = "&a=-1.0000,0.0000&b=1.0000,1.0000"


def _read(probe: dict, search: str = f"?ckpt={NAME}" + STOPS, playing: bool = False) -> dict:
    return {"source": "probe", "exceptions": 0, "search": search, "probe": probe,
            "axes": AXES, "pointerOnMap": True, "playing": playing}


def _hover(pointer=(400, 200)) -> tuple[dict, World]:
    world = World(NAME, False, (1400, 1000), pointer=pointer, hovering=True)
    z = list(Axes.of(_read({})).to_data(*pointer))
    return {"state": "hover", "title": "Under the pointer", "z": z, "model": NAME,
            "pixels": decode(NAME, z).tolist(), "marker": None, "walk": None}, world


def test_a_true_hover_passes_and_each_kind_of_defect_is_caught():
    probe, world = _hover()
    assert check(_read(probe), world) == []
    wrong = dict(probe, pixels=(np.asarray(probe["pixels"]) + 0.002).tolist())
    assert "not mnist-vae.safetensors's decode" in check(_read(wrong), world)[0]
    stale = dict(probe, z=[probe["z"][0] + 0.05, probe["z"][1]])  # the last model's, or a lag
    assert "the panel's z" in check(_read(stale), world)[0]
    assert "no image is shown" in check(_read(dict(probe, pixels=None)), world)[0]
    assert "over the map" in check(_read(dict(probe, state="selected")), world)[0]
    assert "the probe names" in check(_read(dict(probe, model="mnist-ae.safetensors")), world)[0]
    boxed = dict(_read(probe), exceptions=1)
    assert "exception" in check(boxed, world)[0]
    other = World("mnist-ae.safetensors", False, (1400, 1000), pointer=(400, 200), hovering=True)
    assert any("the URL names" in p for p in check(_read(probe), other))


def test_a_playing_walk_needs_its_title_its_frame_and_its_marker_on_the_walk():
    p = 0.25
    z = walk_at([[-1.0, 0.0], [1.0, 1.0]], p, "linear")
    axes = Axes.of(_read({}))
    probe = {"state": "play", "title": "Playing the walk (frame 3 of 10)", "z": z,
             "model": NAME, "pixels": decode(NAME, z).tolist(),
             "marker": {"client": list(axes.to_client(*z)), "visible": True},
             "walk": {"p": p, "stops": [[-1.0, 0.0], [1.0, 1.0]], "method": "linear"}}
    world = World(NAME, False, (1400, 1000), pointer=(5, 5))
    assert check(_read(probe, playing=True), world) == []
    drifted = dict(probe, marker={"client": [probe["marker"]["client"][0] + 4,
                                             probe["marker"]["client"][1]], "visible": True})
    assert "4 px from the walk's point" in check(_read(drifted, playing=True), world)[0]
    assert "the walk plays, but" in check(_read(dict(probe, title="Under the pointer"),
                                               playing=True), world)[0]
    hidden = dict(probe, marker=None)
    assert "marker is hidden" in check(_read(hidden, playing=True), world)[0]
    no_walk = _read(probe, search=f"?ckpt={NAME}", playing=True)
    assert any("1 stop" in s or "0 stop" in s for s in check(no_walk, world))


def test_a_selected_point_is_its_code_decoded_and_a_page_error_elsewhere_is_caught():
    code = [float(v) for v in model_of(NAME).atlas.mu[7].tolist()]
    probe = {"state": "selected", "title": "Selected point", "z": code, "model": NAME,
             "pixels": decode(NAME, code).tolist(), "marker": None, "walk": None}
    world = World(NAME, False, (1400, 1000), pointer=(5, 5))
    search = f"?ckpt={NAME}&z={code[0]:.4f},{code[1]:.4f}&i=7"
    assert check(_read(probe, search), world) == []
    other = [float(v) for v in model_of(NAME).atlas.mu[8].tolist()]
    assert "the panel's z" in check(_read(dict(probe, z=other), search), world)[0]
    assert "nothing is selected" in check(_read(probe, f"?ckpt={NAME}"), world)[0]
    world.page = "Compare"
    assert check(_read({"marker": None}), world) == []
    assert "another page" in check(_read({"marker": {"client": [1, 1]}}), world)[0]


def test_the_same_seed_draws_the_same_steps_and_every_action_exists():
    assert steps_for(24, 50) == steps_for(24, 50)
    assert steps_for(24, 50) != steps_for(25, 50)
    assert set(WEIGHTS) <= set(ACTIONS)
    names = {s[0] for s in steps_for(1, 2000)}
    assert names == set(WEIGHTS)  # each action is drawn in a long enough walk


def test_the_walk_point_is_recomputed_as_the_page_interpolates():
    stops = [[-1.0, 0.0], [1.0, 1.0], [0.0, 2.0]]
    assert walk_at(stops, 0.0, "linear") == pytest.approx([-1.0, 0.0])
    assert walk_at(stops, 0.5, "linear") == pytest.approx([0.0, 0.5])
    assert walk_at(stops, 2.0, "linear") == pytest.approx([0.0, 2.0])
    assert walk_at(stops, 9.0, "linear") == pytest.approx([0.0, 2.0])  # clamped to the end
    mid = walk_at([[1.0, 0.0], [0.0, 1.0]], 0.5, "slerp")  # on the unit circle, halfway
    assert mid == pytest.approx([2 ** -0.5, 2 ** -0.5])


def test_plotly_axes_map_data_to_pixels_and_back():
    # x from -2 to 2 over 400 px at 100 px from the left; y from -1 to 3 over 200 px, up
    axes = Axes(-2.0, 2.0, 100.0, 400.0, -1.0, 3.0, 50.0, 200.0)
    assert axes.to_client(0.0, 1.0) == pytest.approx((300.0, 150.0))
    assert axes.to_client(-2.0, 3.0) == pytest.approx((100.0, 50.0))  # top left
    rng = random.Random(0)
    for _ in range(20):
        x, y = rng.uniform(-2, 2), rng.uniform(-1, 3)
        assert axes.to_data(*axes.to_client(x, y)) == pytest.approx((x, y))
    assert axes.inside(300, 150) and not axes.inside(99, 150) and not axes.inside(300, 251)
