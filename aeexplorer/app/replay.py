"""How a map formed, as Plotly figures (no Streamlit): the replay of a checkpoint's snapshots
(a slider and Play, the dots moving from one snapshot to the next, in the browser with no
server round trip) and the single map of the latest snapshot that the Train page redraws
while a model trains. The axes are the map's: the first two numbers of each code."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from aeexplorer.app.figures import NEUTRAL, PALETTE
from aeexplorer.app.views import map_bounds, map_xy
from aeexplorer.core.checkpoints.snapshots import Snapshots

FRAME_MS = 500  # a snapshot's time on screen while playing; the move between them is 300 ms
MOVE_MS = 300
REPLAY_TITLE = "How this map formed"


def moment_label(moment: dict) -> str:
    """A snapshot's place in its training, for the slider and the title."""
    if moment["step"] == 0:
        return "before training"
    return f"epoch {moment['epoch']:.2f} · {moment['seconds']:.0f} s"


def _traces(xy: np.ndarray, labels: np.ndarray, names: Sequence[str],
            talk: bool) -> list[go.Scattergl | go.Scatter]:
    """One trace per class (the legend names them), or one for unlabelled points. Plain
    Scatter: Plotly animates its points between frames, and 2,000 are light for it."""
    groups = ([(int(c), names[int(c)], PALETTE[int(c) % len(PALETTE)])
               for c in range(len(names))] if len(names) else [(None, "images", NEUTRAL)])
    size = 7 if talk else 5
    traces = []
    for label, name, colour in groups:
        rows = np.flatnonzero(labels == label) if label is not None else np.arange(len(labels))
        traces.append(go.Scatter(x=xy[rows, 0], y=xy[rows, 1], mode="markers", name=name,
                                 marker=dict(size=size, color=colour, opacity=0.75),
                                 hoverinfo="name"))
    return traces


def _layout(fig: go.Figure, xy_all: np.ndarray, talk: bool, title: str) -> None:
    (x0, x1), (y0, y1) = map_bounds(xy_all)
    fig.update_layout(
        title=dict(text=title, x=0.01), height=640 if talk else 520,
        margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white", paper_bgcolor="white",
        font=dict(size=18 if talk else 13), hovermode="closest",
        hoverlabel=dict(font=dict(size=18 if talk else 13)),
        legend=dict(itemsizing="constant"))  # at the right: under the map are the controls
    axis = dict(showgrid=True, gridcolor="#eee", zeroline=True, zerolinecolor="#ccc")
    fig.update_xaxes(range=[x0, x1], title="z₁", constrain="domain", **axis)
    fig.update_yaxes(range=[y0, y1], title="z₂", scaleanchor="x", scaleratio=1,
                     constrain="domain", **axis)


def replay_figure(snaps: Snapshots, class_names: Sequence[str], talk: bool = False) -> go.Figure:
    """The snapshots as frames with a slider under the map and Play / Pause buttons. The
    axes hold every snapshot's codes (bar true outliers), so the map grows into its place."""
    xys = [map_xy(c.astype(np.float32)) for c in snaps.codes]
    labels = snaps.labels
    labels_to_draw = labels if len(class_names) else np.full(len(labels), -1)
    fig = go.Figure(data=_traces(xys[-1], labels_to_draw, class_names, talk))
    fig.frames = [go.Frame(data=_traces(xy, labels_to_draw, class_names, talk), name=str(i))
                  for i, xy in enumerate(xys)]
    _layout(fig, np.concatenate(xys), talk, REPLAY_TITLE)
    play = dict(frame=dict(duration=FRAME_MS, redraw=False), fromcurrent=True,
                transition=dict(duration=MOVE_MS, easing="cubic-in-out"), mode="immediate")
    pause = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0),
                 mode="immediate")
    fig.update_layout(
        updatemenus=[dict(type="buttons", direction="left", x=0, y=0, xanchor="left",
                          yanchor="top", pad=dict(t=60, r=10), showactive=False,
                          buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                                   dict(label="❚❚ Pause", method="animate",
                                        args=[[None], pause])])],
        sliders=[dict(active=len(xys) - 1, x=0.18, len=0.82, y=0, yanchor="top",
                      pad=dict(t=50), currentvalue=dict(prefix="", visible=True),
                      steps=[dict(label=moment_label(m), method="animate",
                                  args=[[str(i)], {**pause, "transition": dict(
                                      duration=MOVE_MS)}])
                             for i, m in enumerate(snaps.moments)])],
        margin=dict(b=130))
    return fig


def live_figure(xy: np.ndarray, labels: np.ndarray, class_names: Sequence[str],
                caption: str, talk: bool = False) -> go.Figure:
    """The latest snapshot's map while a model trains; the axes follow its codes."""
    xy = np.asarray(xy, dtype=np.float32)
    labels = np.asarray(labels) if len(class_names) else np.full(len(xy), -1)
    fig = go.Figure(data=_traces(xy, labels, class_names, talk))
    _layout(fig, xy, talk, caption)
    fig.update_layout(uirevision="forming-map", transition=dict(duration=MOVE_MS))
    return fig
