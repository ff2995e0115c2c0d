"""figures: the latent map's structure (what a click needs) and reading a selection back."""

from __future__ import annotations

import json

import numpy as np
import pytest

from aeexplorer.app import figures

BOUNDS = ((-2.0, 2.0), (-1.0, 3.0))


def _map(n=50, talk=False):
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(n, 2)).astype(np.float32)
    labels = np.arange(n) % 10
    return figures.latent_map(xy, labels, [str(i) for i in range(10)], BOUNDS, talk=talk), xy


def test_one_trace_per_class_carrying_global_indices():
    fig, xy = _map()
    classes = [t for t in fig.data if t.name in {str(i) for i in range(10)}]
    assert len(classes) == 10
    three = classes[3]
    assert list(three.customdata) == [3, 13, 23, 33, 43]
    assert three.x[1] == pytest.approx(xy[13, 0])
    assert all(t.type == "scattergl" for t in fig.data)


def test_click_grid_is_invisible_but_clickable_and_covers_the_view():
    fig, _ = _map()
    grid = next(t for t in fig.data if t.name == figures.CLICK_TRACE)
    assert grid.marker.opacity == 0 and grid.hoverinfo == "none"  # 'skip' would kill clicks
    assert grid.unselected.marker.opacity == 0
    assert len(grid.x) == figures.CLICK_GRID_N ** 2
    assert min(grid.x) < BOUNDS[0][0] and max(grid.y) > BOUNDS[1][1]
    assert list(fig.layout.xaxis.range) == [-2.0, 2.0]


def test_clicks_do_not_dim_the_map():
    fig, _ = _map()
    for t in fig.data:
        assert t.unselected.marker.opacity == t.marker.opacity


def test_current_marker_is_preselected_and_lets_clicks_through():
    fig, _ = _map()
    figures.add_current(fig, (0.5, 0.5))
    cur = fig.data[-1]
    assert list(cur.selectedpoints) == [0] and cur.hoverinfo == "skip"
    assert cur.selected.marker.opacity == 1 and cur.unselected.marker.opacity == 0


def test_overlays_and_json():
    fig, _ = _map(talk=True)
    figures.add_manifold(fig, "data:image/png;base64,AAAA", (-2, 2, -1, 3))
    figures.add_path(fig, np.array([[0, 0], [1, 1], [2, 0]], np.float32), [(0, 0), (2, 0)])
    figures.add_samples(fig, np.zeros((4, 2)))
    figures.add_upload(fig, [0.1, 0.2])
    names = [t.name for t in fig.data]
    assert {"path", "prior samples", "your image"} <= set(names)
    assert [a.text for a in fig.layout.annotations] == ["A", "B"]
    assert fig.layout.images[0].layer == "below" and fig.layout.images[0].sizex == 4
    json.loads(fig.to_json())


def test_widen_includes_points():
    assert figures.widen(BOUNDS, None) == BOUNDS
    (x0, x1), (y0, y1) = figures.widen(BOUNDS, np.array([[5.0, -4.0]]))
    assert x1 > 5 and y0 < -4 and x0 == -2.0 and y1 == 3.0


def _sel(points=(), box=()):
    return {"points": list(points), "point_indices": [], "box": list(box), "lasso": []}


def test_read_click_point_grid_box_and_nothing():
    assert figures.read_click(None) is None
    assert figures.read_click(_sel()) is None
    assert figures.read_click(_sel([{"x": 1.5, "y": -2, "customdata": 42}])) == ((1.5, -2.0), 42)
    assert figures.read_click(_sel([{"x": 1.5, "y": -2, "customdata": [42]}])) == ((1.5, -2.0), 42)
    assert figures.read_click(_sel([{"x": 0.25, "y": 0.5}])) == ((0.25, 0.5), None)
    box = {"x": [0, 2], "y": [1, 3]}
    assert figures.read_click(_sel(box=[box])) == ((1.0, 2.0), None)
    lasso = figures.read_click(_sel([{"x": 0, "y": 0}, {"x": 2, "y": 2}]))
    assert lasso == ((1.0, 1.0), None)


def test_stop_names_follow_the_walk():
    from aeexplorer.app.scene import MAX_STOPS

    names = [figures.stop_name(i) for i in range(MAX_STOPS)]
    assert names[:4] == ["A", "B", "C", "D"] and len(set(names)) == MAX_STOPS


def _with_overlays(fig):
    figures.add_manifold(fig, "data:image/png;base64,AAAA", (-1.0, 1.0, -1.0, 1.0))
    figures.add_path(fig, np.array([[0, 0], [0.5, 0.5], [1, 1]], dtype=np.float32),
                     [(0, 0), (1, 1)])
    figures.add_samples(fig, np.array([[0.2, 0.1]], dtype=np.float32))
    figures.add_upload(fig, (0.3, -0.4))
    return figures.add_current(fig, (0.1, 0.2))


def test_a_figure_rebuilt_from_its_dict_takes_overlays_without_changing_the_dict():
    """The explorer caches the map as a dict shared by every session: a rebuilt figure must
    equal a freshly built one, and one session's overlays must never leak into the cache."""
    import plotly.io as pio

    spec = _map()[0].to_dict()
    before = pio.to_json(spec, validate=False)
    rebuilt = _with_overlays(figures.from_dict(spec))
    fresh = _with_overlays(_map()[0])
    assert json.loads(pio.to_json(rebuilt)) == json.loads(pio.to_json(fresh))
    assert pio.to_json(spec, validate=False) == before
    assert len(rebuilt.data) == len(spec["data"]) + 4 and len(rebuilt.layout.annotations) == 2


def test_dot_colours_paint_each_point_and_keep_the_class_traces():
    xy = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]], np.float32)
    labels = np.array([0, 1, 0])
    colours = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0.5]], np.float32)
    fig = figures.latent_map(xy, labels, ("a", "b"), ((-1, 3), (-1, 2)), dot_colours=colours)
    traces = {t.name: t for t in fig.data if t.name in ("a", "b")}
    assert list(traces["a"].customdata) == [0, 2] and list(traces["b"].customdata) == [1]
    assert list(traces["a"].marker.color) == ["rgb(255,0,0)", "rgb(0,0,128)"]
    assert list(traces["b"].marker.color) == ["rgb(0,255,0)"]
    assert not any(t.showlegend is not False for t in fig.data)  # no swatch of one dot's colour
    plain = figures.latent_map(xy, labels, ("a", "b"), ((-1, 3), (-1, 2)))
    assert all(isinstance(t.marker.color, str) for t in plain.data if t.name in ("a", "b"))
