"""scene: the URL round trip of what is on screen; malformed parameters are ignored."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aeexplorer.app.scene import CLICKS, TABS, Scene, format_point, parse_point

coord = st.floats(-1000, 1000, allow_nan=False).map(lambda v: round(v, 4))
point = st.tuples(coord, coord)


@settings(max_examples=60, deadline=None)
@given(z=st.none() | point, stops=st.lists(point, max_size=6), seed=st.integers(0, 10**6),
       frames=st.integers(2, 40), talk=st.booleans(), method=st.sampled_from(["linear", "slerp"]),
       marks=st.booleans(), click=st.sampled_from(CLICKS), tab=st.sampled_from(TABS))
def test_round_trip(z, stops, seed, frames, talk, method, marks, click, tab):
    if len(stops) == 1:
        stops = stops + [(0.0, 0.0)]
    s = Scene(ckpt="mnist-vae.safetensors", z=z, index=5 if z else None, stops=stops,
              frames=frames, seed=seed, talk=talk, method=method, temperature=0.7, samples=9,
              show_samples=marks, manifold=not marks, click=click, tab=tab)
    back = Scene.from_query(s.to_query())
    assert back == s


def test_malformed_parameters_fall_back_to_defaults():
    s = Scene.from_query({"z": "1,2,3", "a": "nan,1", "seed": "-4", "n": "9999", "m": "cubic",
                          "t": "inf", "k": "abc", "talk": "maybe", "i": "7", "c": "explode",
                          "tab": "secret"})
    assert s == Scene()


def test_b_without_a_and_waypoints_without_b_are_dropped():
    assert Scene.from_query({"b": "1,1"}).stops == []
    assert Scene.from_query({"a": "0,0", "wp": "1,1"}).stops == [(0.0, 0.0)]
    assert Scene.from_query({"a": "0,0", "b": "1,1", "wp": "2,2;bad;3,3"}).stops == [
        (0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]


def test_points_format_compactly():
    assert format_point((-0.00001, 1.23456)) == "0.0000,1.2346"
    assert parse_point("0.5,-1") == (0.5, -1.0)
    assert parse_point("1e9,0") is None and parse_point("") is None
