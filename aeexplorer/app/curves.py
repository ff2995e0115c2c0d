"""The Train page's live loss curves (plotly, no Streamlit): one part of the loss (the
reconstruction, the KL term or a penalty) as the mean of each finished epoch and as the loss of
the most recent batches, on an axis in epochs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aeexplorer.app.progress import RUNNING, Progress

if TYPE_CHECKING:
    import plotly.graph_objects as go

# the title at the top of the figure, the legend in a row under it and above the plot: at the
# foot, a legend lies over the "epoch" title of the x axis
TITLE_SIZE, LEGEND_SIZE, TOP = 14, 12, 64
# talk mode: no text under 18 px for the room; the height is the page's (``ui.style``)
TALK_TITLE, TALK_TEXT, TALK_TOP = 22, 18, 76


def loss_curve(view: Progress, part: str, title: str, talk: bool = False) -> go.Figure:
    """``part`` of the loss of the training ``view`` shows, titled ``title``."""
    import plotly.graph_objects as go

    fig = go.Figure()
    shown = recent(view.trace, part, view.batches)
    fig.add_scatter(x=[x for x, _ in shown], y=[y for _, y in shown], mode="lines",
                    line={"width": 1, "color": "rgba(99, 110, 250, 0.45)"}, name="recent batches")
    done = [h for h in view.history if part in h]
    fig.add_scatter(x=[h["epoch"] for h in done], y=[h[part] for h in done],
                    mode="lines+markers", line={"color": "#636efa"}, name="epoch mean")
    fig.update_layout(
        title={"text": title, "font": {"size": TITLE_SIZE}, "x": 0, "xref": "paper",
               "xanchor": "left", "y": 0.98, "yref": "container", "yanchor": "top"},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yref": "paper",
                "yanchor": "bottom", "font": {"size": LEGEND_SIZE}},
        height=300, margin={"l": 10, "r": 10, "t": TOP, "b": 10}, xaxis_title="epoch",
        showlegend=True)
    if talk:
        fig.update_layout(height=None, autosize=True, font={"size": TALK_TEXT},
                          title_font_size=TALK_TITLE, legend_font_size=TALK_TEXT,
                          margin={"t": TALK_TOP})
        # explicit: Streamlit's theme sets the ticks' size from the page's (16.5 px in a talk)
        fig.update_xaxes(tickfont_size=TALK_TEXT, title_font_size=TALK_TEXT)
        fig.update_yaxes(tickfont_size=TALK_TEXT)
    # up to the end of the epoch under way: the first epoch fills the chart, then it widens
    width = min(max(view.epochs, 1), max(len(view.history) + (view.status == RUNNING), 1))
    fig.update_xaxes(range=[0, width * 1.02])
    # the first batches' loss is far above the rest: leave it off the scale once there is more
    later = [y for x, y in shown if x >= 0.1] + [h[part] for h in done]
    if len(later) > 1:
        lo, hi = min(later), max(later)
        pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
        fig.update_yaxes(range=[lo - pad, hi + pad])
    return fig


def recent(trace: list, part: str, batches: int) -> list[tuple[float, float]]:
    """(fractional epoch, mean of ``part`` over the batches since the previous report): the
    CLI reports running means over the epoch so far, which hide how the loss moves now."""
    out, prev = [], None
    for x, parts in trace:
        if part not in parts:
            continue
        epoch, batch = int(x), round((x - int(x)) * batches)
        value = parts[part]
        if prev is not None and prev[0] == epoch and batch > prev[1]:
            value = (parts[part] * batch - prev[2] * prev[1]) / (batch - prev[1])
        out.append((x, value))
        prev = (epoch, batch, parts[part])
    return out
