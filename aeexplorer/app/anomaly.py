"""Anomaly scores from reconstruction error: an autoencoder trained on digits reconstructs
digits well and anything unlike them badly, so the squared error per pixel between an image
and the decoding of its code (the posterior mean for a VAE) ranks how unusual the image is
(the classic AE anomaly score; see e.g. Sakurada & Yairi 2014, "Anomaly Detection Using
Autoencoders with Nonlinear Dimensionality Reduction").

Inputs and outputs are numpy arrays; the model runs through ``ckpt.ops`` and plotly is imported
inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aeexplorer.app import density
from aeexplorer.app.imaging import tile

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from aeexplorer.core.checkpoints.file import Checkpoint

Range = tuple[float, float]
ABOVE_COLOR, BELOW_COLOR, LINE_COLOR = "#d62728", "#8da0cb", "#111111"
# light (small error) to dark red (large): the rare large errors stand out on a white map
GREY = np.array([0.55, 0.58, 0.62])  # a big map's density under the points coloured by error
ERROR_SCALE = [[0.0, "#dfe6f0"], [0.35, "#9ab0d0"], [0.7, "#b2548f"], [1.0, "#7a0019"]]


@dataclass
class Scores:
    errors: np.ndarray  # (N,) float32: mean squared error per pixel, pixels in [0, 1]
    codes: np.ndarray  # (N, D) float32: the codes that were decoded (posterior means)


def score(ckpt: Checkpoint, images: np.ndarray, batch_size: int = 1000) -> Scores:
    """Reconstruction error and code of every image in (N, H, W) grey or (N, H, W, 3) colour
    (the model's image shape), batched."""
    x = np.asarray(images, dtype=np.float32).reshape(-1, *ckpt.config.image_shape)
    rec = ckpt.ops.reconstruct(x, batch_size)
    return Scores(per_image_mse(x, rec.images), rec.codes)


def reconstruct(ckpt: Checkpoint, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """(N, H, W[, 3]) images -> their reconstructions, the same shape, in [0, 1]."""
    return ckpt.ops.reconstruct(images, batch_size).images


def image_error(ckpt: Checkpoint, image: np.ndarray) -> tuple[float, np.ndarray]:
    """One (H, W[, 3]) image -> (its reconstruction error, its reconstruction)."""
    recon = reconstruct(ckpt, np.asarray(image, dtype=np.float32)[None])[0]
    return mse(image, recon), recon


def per_image_mse(images: np.ndarray, recons: np.ndarray) -> np.ndarray:
    """(N,) float32: the mean squared error per pixel value of each reconstruction (over the
    three channels of a colour image too)."""
    diff = np.asarray(recons, dtype=np.float32) - np.asarray(images, dtype=np.float32)
    return (diff * diff).mean(axis=tuple(range(1, diff.ndim)), dtype=np.float32)


def pairs(images: np.ndarray, recons: np.ndarray, pad: int = 2) -> np.ndarray:
    """Each image beside its reconstruction, ``pad`` white pixels between: (N, H, 2W + pad)
    grey or (N, H, 2W + pad, 3) colour."""
    return np.stack([tile([a, b], cols=2, pad=pad) for a, b in zip(images, recons)])


def class_text(labels: np.ndarray, class_names: Sequence[str]) -> np.ndarray:
    """Each label's class name, "" for an image without one (label -1, or no names: an
    unlabelled data set)."""
    names = np.asarray([str(n) for n in class_names] + [""], dtype=object)
    labels = np.asarray(labels, dtype=np.int64)
    known = (labels >= 0) & (labels < len(class_names))
    return names[np.where(known, labels, len(class_names))]


def mse(a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared difference per pixel."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return float(np.mean(diff * diff))


def percentile_of(errors: np.ndarray, value: float) -> float:
    """The share of ``errors`` at or below ``value``, in percent: the largest error is at 100,
    a value below every error at 0."""
    errors = np.asarray(errors)
    if errors.size == 0:
        return 0.0
    return float(np.count_nonzero(errors <= value) * 100.0 / errors.size)


def threshold_at(errors: np.ndarray, q: float = 99.0) -> float:
    """The q-th percentile of the errors (the default threshold: 1 % of test images above)."""
    return float(np.percentile(errors, q)) if len(errors) else 0.0


def n_above(errors: np.ndarray, threshold: float) -> int:
    return int(np.count_nonzero(np.asarray(errors) > threshold))


def worst(errors: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest errors, largest first (ties by index)."""
    errors = np.asarray(errors)
    k = max(0, min(int(k), errors.size))
    order = np.lexsort((np.arange(errors.size), -errors))
    return order[:k]


def histogram(errors: np.ndarray, threshold: float, bins: int = 60,
              talk: bool = False) -> go.Figure:
    """Bars of the error distribution (log counts: the rare large errors stay visible), bins
    past the threshold in red, and the threshold as a dashed line."""
    import plotly.graph_objects as go

    errors = np.asarray(errors, dtype=np.float64)
    hi = float(errors.max()) if errors.size else 1.0
    counts, edges = np.histogram(errors, bins=bins, range=(0.0, max(hi, 1e-6)))
    centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
    colors = [ABOVE_COLOR if left >= threshold else BELOW_COLOR for left in edges[:-1]]
    fig = go.Figure(go.Bar(
        x=centres, y=counts, width=width, marker=dict(color=colors, line=dict(width=0)),
        customdata=np.stack([edges[:-1], edges[1:]], axis=1),
        hovertemplate="error %{customdata[0]:.4f} to %{customdata[1]:.4f}"
                      "<br>%{y} test images<extra></extra>"))
    fig.add_vline(x=threshold, line=dict(color=LINE_COLOR, width=2, dash="dash"))
    fig.add_annotation(x=threshold, y=1, yref="paper", xanchor="left", yanchor="top",
                       showarrow=False, text=f" threshold {threshold:.4f}<br>"
                       f" {n_above(errors, threshold)} above", align="left",
                       font=dict(size=18 if talk else 12))
    fig.update_layout(height=360 if talk else 300, margin=dict(l=10, r=10, t=20, b=10),
                      bargap=0, showlegend=False, plot_bgcolor="white",
                      paper_bgcolor="white", font=dict(size=20 if talk else 13))
    fig.update_xaxes(title=dict(text="reconstruction error (MSE per pixel)", standoff=6),
                     gridcolor="#eee", automargin=True)
    fig.update_yaxes(title=dict(text="test images (log scale)", standoff=6), type="log", dtick=1,
                     gridcolor="#eee", automargin=True)
    return fig


def shown(xy: np.ndarray, errors: np.ndarray, labels: np.ndarray,
          bounds: tuple[Range, Range]) -> tuple[np.ndarray, density.Density | None]:
    """The test images the error map draws as points, and the density under them (None: a
    test set small enough to draw whole). Of a big one: the worst half of the sample budget
    (what this page looks for), and a sample of the rest stratified by class."""
    n = len(errors)
    if n <= density.MAX_POINTS:
        return np.arange(n), None
    found, inside = density.density(xy, np.full(n, density.NO_LABEL), GREY[None], bounds)
    worst = np.argsort(errors, kind="stable")[-(density.SAMPLE_POINTS // 2):]
    some = density.sample(labels, inside, density.SAMPLE_POINTS // 2)
    return np.union1d(worst, some), found


def error_map(xy: np.ndarray, errors: np.ndarray, labels: np.ndarray,
              class_names: Sequence[str], bounds: tuple[Range, Range],
              talk: bool = False) -> go.Figure:
    """The test set at its codes, coloured by reconstruction error (the largest drawn on top,
    the colour scale clipped at the 1st and 99.5th percentiles so one outlier does not wash
    the rest out). Each point carries its test index in ``customdata``, and its class in the
    hover where the data has labels. A big test set is drawn as its density in grey with a
    bounded set of points on it (see ``shown``)."""
    import plotly.graph_objects as go

    errors = np.asarray(errors, dtype=np.float32)
    idx, found = shown(xy, errors, labels, bounds)
    order = idx[np.argsort(errors[idx], kind="stable")]
    # class names come from the file: escaped, since Plotly reads tags in hover text
    text = np.asarray([html.escape(t, quote=False) for t in
                       class_text(labels, class_names)[order]], dtype=object)
    # unlabelled data: no class line in the hover (there is no class to name)
    named = "<br>class <b>%{text}</b>" if any(text) else ""
    fig = go.Figure(go.Scattergl(
        x=xy[order, 0], y=xy[order, 1], mode="markers", customdata=order.astype(np.int32),
        text=text, name="test images",
        marker=dict(size=6 if talk else 4, color=errors[order], colorscale=ERROR_SCALE,
                    cmin=float(np.percentile(errors, 1)) if errors.size else 0.0,
                    cmax=float(np.percentile(errors, 99.5)) if errors.size else 1.0,
                    colorbar=dict(title=dict(text="error", side="right"), thickness=14)),
        # a click must not dim the map: the clicked point turns black, the rest stay as drawn
        selected=dict(marker=dict(color=LINE_COLOR, size=12 if talk else 10, opacity=1)),
        unselected=dict(marker=dict(opacity=1)),
        hovertemplate="test #%{customdata}" + named +
                      "<br>error %{marker.color:.4f}<extra></extra>"))
    if found is not None:
        x0, x1, y0, y1 = found.extent
        fig.add_layout_image(source=found.uri, xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0,
                             sizey=y1 - y0, sizing="stretch", layer="below", name="density")
    (x0, x1), (y0, y1) = bounds
    fig.update_layout(height=680 if talk else 560, margin=dict(l=10, r=10, t=20, b=10),
                      dragmode="zoom", hovermode="closest", clickmode="event+select",
                      plot_bgcolor="white", paper_bgcolor="white", showlegend=False,
                      font=dict(size=20 if talk else 13), uirevision="error-map")
    axis = dict(showgrid=True, gridcolor="#eee", zeroline=True, zerolinecolor="#ccc",
                automargin=True)
    fig.update_xaxes(range=[x0, x1], title=dict(text="z₁", standoff=4), constrain="domain",
                     **axis)
    fig.update_yaxes(range=[y0, y1], title=dict(text="z₂", standoff=4), scaleanchor="x",
                     scaleratio=1, constrain="domain", **axis)
    return fig
