"""Plotly figures for the explorer, built from numpy arrays (see ``views``) and returned as
``go.Figure``. The latent map carries everything a click needs: atlas points carry their test
index in ``customdata``; an invisible dense grid of points (``CLICK_TRACE``) lies under them so
that a click on empty space selects a grid point whose x, y is the clicked z."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from aeexplorer.app import density

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#7f7f7f")
NEUTRAL = "#46606f"  # the points of an unlabelled atlas (and of codes without a label)
CLICK_TRACE = "click-grid"
DENSITY = "density"  # the layout image of a big map's binned codes
CURRENT_COLOR = "#111111"
CLICK_GRID_N = 180  # per side: about 6 screen pixels between grid points on a 700 px map
Range = tuple[float, float]


def _keep_look(opacity: float, picked: dict | None = None) -> dict:
    """Unselected points look as usual (a click must not dim the map); a selected point, the
    one just clicked, takes the ``picked`` style: that is the marker of the clicked z."""
    return dict(selected=dict(marker=picked or dict(opacity=opacity)),
                unselected=dict(marker=dict(opacity=opacity)))


def _picked(talk: bool) -> dict:
    return dict(opacity=1, color=CURRENT_COLOR, size=16 if talk else 12)


def latent_map(xy: np.ndarray, labels: np.ndarray, class_names: Sequence[str],
               bounds: tuple[Range, Range], talk: bool = False, revision: str = "map",
               click_n: int = CLICK_GRID_N, max_points: int = density.MAX_POINTS,
               dot_colours: np.ndarray | None = None) -> go.Figure:
    """The atlas as a WebGL scatter, one trace per class (legend = class names), over an
    invisible click grid; axes fixed to ``bounds`` with equal scale. An atlas of more than
    ``max_points`` codes is drawn as its density (an image under the points) with a sample
    of its codes as points (see ``density``). Without class names (an unlabelled data set),
    or for codes labelled -1, the points take one neutral colour and no legend entry.
    ``dot_colours`` ((N, 3) RGB in [0, 1], see ``views.image_colours``) paints each point in
    its own colour instead of its class's; the traces and hover stay by class, and the legend
    goes (its swatches would no longer be the classes' colours)."""
    fig = go.Figure()
    fig.add_trace(click_grid(bounds, click_n, talk=talk))
    labels = np.asarray(labels)
    shown = np.arange(len(xy))
    big = len(xy) > max_points
    if big:
        found, inside = density.density(xy, labels, _colors(len(class_names)), bounds)
        _add_density(fig, found)
        shown = density.sample(labels, inside)
    look = dict(size=(5 if talk else 3) if big else (6 if talk else 4), opacity=0.75)
    shown_labels = labels[shown]
    for label, name in enumerate(class_names):
        idx = shown[shown_labels == label].astype(np.int32)
        # class names come from the file: escaped, since Plotly reads tags in legend and hover
        fig.add_trace(_points(xy, idx, html.escape(str(name), quote=False),
                              _paint(dot_colours, idx, PALETTE[label % len(PALETTE)]), look,
                              talk))
    rest = shown[(shown_labels < 0) | (shown_labels >= len(class_names))].astype(np.int32)
    if len(rest):
        fig.add_trace(_points(xy, rest, "no label" if class_names else "test images",
                              _paint(dot_colours, rest, NEUTRAL), look, talk,
                              legend=bool(class_names)))
    if dot_colours is not None:  # a legend swatch would show one dot's colour as its class's
        fig.update_traces(showlegend=False)
    _map_layout(fig, bounds, talk, revision)
    if class_names:  # the legend says what its names are
        fig.update_layout(legend_title_text=legend_title(class_names))
    if big:  # the grid is drawn over the density: lines as light on white, unseen on ink
        fig.update_xaxes(gridcolor="rgba(0,0,0,0.07)", zerolinecolor="rgba(0,0,0,0.2)")
        fig.update_yaxes(gridcolor="rgba(0,0,0,0.07)", zerolinecolor="rgba(0,0,0,0.2)")
    return fig


def legend_title(class_names: Sequence[str]) -> str:
    """What the classes are, for the legend's title: "digit" when each is one, else "class"."""
    digits = all(len(str(n)) == 1 and str(n).isdigit() for n in class_names)
    return "digit" if class_names and digits else "class"


def _paint(dot_colours: np.ndarray | None, idx: np.ndarray, color: str) -> str | list[str]:
    """The points' colours: ``color`` for all, or each its own from ``dot_colours``."""
    if dot_colours is None:
        return color
    rgb = np.clip(np.asarray(dot_colours, dtype=np.float64)[idx] * 255, 0, 255).round()
    return [f"rgb({r:.0f},{g:.0f},{b:.0f})" for r, g, b in rgb]


def _points(xy: np.ndarray, idx: np.ndarray, name: str, color: str | list[str], look: dict,
            talk: bool, legend: bool = True) -> go.Scattergl:
    """Atlas points ``idx``, carrying their indices; hovered with their class (when they have
    one)."""
    what = "<br><b>%{fullData.name}</b>" if legend else ""
    return go.Scattergl(
        x=xy[idx, 0], y=xy[idx, 1], customdata=idx, mode="markers", name=name,
        marker=dict(size=look["size"], color=color, opacity=look["opacity"]),
        hovertemplate=f"test #%{{customdata}}{what}<br>z = (%{{x:.2f}}, %{{y:.2f}})"
                      "<extra></extra>",
        **({} if legend else {"showlegend": False}),
        **_keep_look(look["opacity"], _picked(talk)))


def _colors(n_classes: int) -> np.ndarray:
    """(n_classes + 1, 3) RGB in [0, 1]: the classes' colours, then the neutral one."""
    hexes = [PALETTE[i % len(PALETTE)] for i in range(n_classes)] + [NEUTRAL]
    return np.array([[int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)] for h in hexes])


def _add_density(fig: go.Figure, found: density.Density) -> None:
    x0, x1, y0, y1 = found.extent
    fig.add_layout_image(source=found.uri, xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0,
                         sizey=y1 - y0, sizing="stretch", layer="below", name=DENSITY)


def from_dict(spec: dict) -> go.Figure:
    """A figure rebuilt from ``to_dict()`` of a figure made here, without Plotly re-validating
    every point again (slow for the map's thousands): the explorer caches the map's base layers
    as a dict and adds the overlays of each rerun to a fresh figure built from it."""
    return go.Figure(spec, _validate=False)


def click_grid(bounds: tuple[Range, Range], n: int = CLICK_GRID_N, margin: float = 0.25,
               talk: bool = False) -> go.Scattergl:
    """n x n invisible points over the bounds widened by ``margin`` on each side. Opacity 0 and
    hoverinfo 'none' keep it clickable but unseen ('skip' would make it unclickable)."""
    (x0, x1), (y0, y1) = bounds
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    xs = np.linspace(x0 - mx, x1 + mx, n, dtype=np.float32)
    ys = np.linspace(y0 - my, y1 + my, n, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    return go.Scattergl(x=gx.ravel(), y=gy.ravel(), mode="markers", name=CLICK_TRACE,
                        marker=dict(size=4, opacity=0, color="#000"), hoverinfo="none",
                        showlegend=False, **_keep_look(0, _picked(talk)))


def _map_layout(fig: go.Figure, bounds: tuple[Range, Range], talk: bool, revision: str) -> None:
    (x0, x1), (y0, y1) = bounds
    font = 20 if talk else 13
    fig.update_layout(
        height=680 if talk else 600, margin=dict(l=10, r=10, t=30, b=10),
        uirevision=revision, dragmode="zoom", hovermode="closest", hoverdistance=-1,
        font=dict(size=font), clickmode="event+select", hoverlabel=dict(font=dict(size=font)),
        legend=dict(orientation="h", itemsizing="constant", x=0, xanchor="left", y=-0.1,
                    yanchor="top", font=dict(size=font), itemclick="toggle",
                    itemdoubleclick="toggleothers"),
        plot_bgcolor="white", paper_bgcolor="white")
    axis = dict(showgrid=True, gridcolor="#eee", zeroline=True, zerolinecolor="#ccc",
                showline=False, ticks="", mirror=False, fixedrange=False)
    fig.update_xaxes(range=[x0, x1], title=dict(text="z₁", standoff=4), constrain="domain",
                     automargin=True, **axis)
    fig.update_yaxes(range=[y0, y1], title=dict(text="z₂", standoff=4), scaleanchor="x",
                     scaleratio=1, constrain="domain", automargin=True, **axis)


def add_manifold(fig: go.Figure, uri: str, extent: tuple[float, float, float, float],
                 opacity: float = 0.45) -> go.Figure:
    """A decoded-manifold image (a data URI) behind the points, stretched over ``extent``;
    first of the layout images, so under a big map's density."""
    x0, x1, y0, y1 = extent
    fig.add_layout_image(source=uri, xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0,
                         sizey=y1 - y0, sizing="stretch", opacity=opacity, layer="below")
    images = fig.layout.images
    fig.layout.images = (images[-1], *images[:-1])
    return fig


def add_current(fig: go.Figure, z: Sequence[float], talk: bool = False) -> go.Figure:
    """The current z as a pre-selected point: shown in the picked style until the next click
    selects another point (which then shows in that style): the figure need not change, so the
    chart is not redrawn from scratch and keeps the user's zoom. Clicks pass through it."""
    fig.add_trace(go.Scattergl(
        x=[z[0]], y=[z[1]], mode="markers", name="selected z", showlegend=False,
        selectedpoints=[0], marker=dict(opacity=0, size=12, color=CURRENT_COLOR),
        hoverinfo="skip", **_keep_look(0, _picked(talk))))
    return fig


def add_path(fig: go.Figure, frames_xy: np.ndarray, stops: Sequence[Sequence[float]],
             talk: bool = False) -> go.Figure:
    """The walk as a line through its frames, and its stops labelled A, B, C, ... in the order
    walked."""
    fig.add_trace(go.Scattergl(
        x=frames_xy[:, 0], y=frames_xy[:, 1], mode="lines+markers", name="path",
        showlegend=False, line=dict(color="#111", width=3 if talk else 2),
        marker=dict(size=5 if talk else 4, color="#111"), hoverinfo="skip", **_keep_look(1)))
    for i, stop in enumerate(stops):
        fig.add_annotation(x=stop[0], y=stop[1], text=stop_name(i), showarrow=False,
                           font=dict(size=22 if talk else 15, color="white"),
                           bgcolor="#111", borderpad=3, opacity=0.9)
    return fig


def stop_name(i: int) -> str:
    """The name of the i-th stop of a walk (0: A); past Z, numbers."""
    return chr(ord("A") + i) if 0 <= i < 26 else str(i + 1)


def add_samples(fig: go.Figure, xy: np.ndarray, talk: bool = False) -> go.Figure:
    """Prior samples as black crosses (clickable: a click decodes the sample)."""
    fig.add_trace(go.Scattergl(
        x=xy[:, 0], y=xy[:, 1], mode="markers", name="prior samples",
        marker=dict(symbol="x", size=12 if talk else 9, color="#111",
                    line=dict(width=1, color="white")),
        hovertemplate="prior sample<br>z = (%{x:.2f}, %{y:.2f})<extra></extra>",
        **_keep_look(1, _picked(talk))))
    return fig


def add_rings(fig: go.Figure, xy: np.ndarray, indices: Sequence[int], name: str,
              talk: bool = False, color: str = "#111", size: int = 11) -> go.Figure:
    """Test points ringed (the selected point's neighbours, a point found by its index): open
    circles over them, hovered like the points themselves; a click passes to the point."""
    idx = np.asarray(indices, dtype=np.int64)
    fig.add_trace(go.Scattergl(
        x=xy[idx, 0], y=xy[idx, 1], customdata=idx, mode="markers", name=name,
        showlegend=False, marker=dict(symbol="circle-open", size=size + (6 if talk else 0),
                                      color=color, line=dict(width=2 if talk else 1.5)),
        hovertemplate=f"{name}<br>test #%{{customdata}}<extra></extra>", **_keep_look(1)))
    return fig


def dim_classes(fig: go.Figure, keep: int, opacity: float = 0.08) -> go.Figure:
    """Every class but label ``keep`` faded on a ``latent_map``, so that one class stands
    out (its class traces are those in the legend, in label order); a big map's density,
    which holds every class, fades too."""
    classes = [t for t in fig.data if t.customdata is not None and t.showlegend is not False]
    for label, trace in enumerate(classes):
        if label != keep:
            trace.marker.opacity = opacity
            trace.unselected = dict(marker=dict(opacity=opacity))
    for image in fig.layout.images:
        if image.name == DENSITY:
            image.opacity = 0.3
    return fig


def add_upload(fig: go.Figure, z: Sequence[float], talk: bool = False) -> go.Figure:
    """Where an uploaded image lands: a large star."""
    fig.add_trace(go.Scattergl(
        x=[z[0]], y=[z[1]], mode="markers", name="your image",
        marker=dict(symbol="star", size=28 if talk else 20, color="#ffd400",
                    line=dict(width=2, color="#111")),
        hovertemplate="your image<br>z = (%{x:.2f}, %{y:.2f})<extra></extra>",
        **_keep_look(1, _picked(talk))))
    return fig


def widen(bounds: tuple[Range, Range], points: np.ndarray | None,
          pad: float = 0.05) -> tuple[Range, Range]:
    """Bounds grown to include extra points (samples, a far click), with a little padding."""
    if points is None or len(points) == 0:
        return bounds
    pts = np.asarray(points, dtype=np.float64)[:, :2]
    (x0, x1), (y0, y1) = bounds
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = max(x1 - x0, y1 - y0) * pad
    return ((min(x0, lo[0] - span), max(x1, hi[0] + span)),
            (min(y0, lo[1] - span), max(y1, hi[1] + span)))


def read_click(selection: dict | None) -> tuple[tuple[float, float], int | None] | None:
    """A chart selection (Streamlit's ``event.selection``) -> (z, atlas index or None).

    One point: an atlas point gives its index (from customdata) and position; any other point
    (the click grid, a sample) gives its position. A box gives its centre; several points
    without a box (a lasso) give their mean. Nothing selected -> None."""
    if not selection:
        return None
    points = [p for p in selection.get("points") or [] if "x" in p and "y" in p]
    boxes = selection.get("box") or []
    if boxes:
        xs, ys = boxes[0].get("x") or [], boxes[0].get("y") or []
        if len(xs) == 2 and len(ys) == 2:
            return ((float(xs[0]) + float(xs[1])) / 2, (float(ys[0]) + float(ys[1])) / 2), None
    if not points:
        return None
    if len(points) == 1:
        p = points[0]
        return (float(p["x"]), float(p["y"])), _index(p.get("customdata"))
    xs, ys = [p["x"] for p in points], [p["y"] for p in points]
    return (float(np.mean(xs)), float(np.mean(ys))), None


def _index(custom) -> int | None:
    if isinstance(custom, (list, tuple)):
        custom = custom[0] if len(custom) == 1 else None
    if isinstance(custom, (int, float)) and not isinstance(custom, bool) and custom >= 0:
        return int(custom)
    return None
