"""The talk in one file: a model's latent map, its decoder and a scene as one self-contained HTML
page that works from disk with the network off (``python -m aeexplorer export-html`` and the
Explorer's "Download this view as one page").

The page holds Plotly's own bundled script, ``ui/inpage/decoder.js`` (the decoder the app runs
in the page) with ``onepage.js`` after it, and one JSON block: the map as a Plotly figure, the
decoder's weights as base64 (``export.export_decoder``), the scene's stops, walk and selected
point, the caption. Nothing is fetched: the weights are a string in the file, not a URL. A model
whose decoder the page cannot run gets its selected point and walk frames as images instead.
Every string from the checkpoint or the scene reaches the page as JSON data (set as text there),
escaped so that it cannot close its script element.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aeexplorer.app import figures, imaging, views
from aeexplorer.app.export import export_decoder
from aeexplorer.app.scene import N_FRAMES, Scene

if TYPE_CHECKING:
    from aeexplorer.core.checkpoints.file import Checkpoint

MAX_BYTES = 12 * 2**20  # the largest page written (every shipped model's is smaller)
WALK_STEPS = N_FRAMES[1]  # codes per leg the player moves through (it blends between them)
HERE = Path(__file__).parent
DECODER_JS = HERE.parent / "ui" / "inpage" / "decoder.js"  # the app's own, inlined as is
PAINT_JS = HERE.parent / "ui" / "inpage" / "paint.js"  # its drawing helpers, the same way
NO_PAGE_DECODER = ("This model's decoder does not run in this file: the map and the walk are "
                   "here, with the selected point and the walk's frames decoded when the file "
                   "was made.")
# in JSON inside <script>: nothing that could close the element or end a JS string early
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
            "\u2029": "\\u2029"}
_SLOT = re.compile(r"/\*@(\w+)@\*/")
_LINE_ENDS = {0x2028: "&#x2028;", 0x2029: "&#x2029;"}


class TooBig(ValueError):
    """The page would be larger than MAX_BYTES."""


def script_json(value: object) -> str:
    """``value`` as JSON safe inside a ``<script type="application/json">`` element."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _ESCAPES[m.group()], text)


def inline_script(source: str) -> str:
    """Script text that cannot end its element early (``</script`` written ``<\\/script``)."""
    return re.sub(r"</(script)", r"<\\/\1", source, flags=re.IGNORECASE)


def plotly_js() -> str:
    """Plotly's bundled script (its licence header included), as the plotly package ships it."""
    import plotly

    return (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text("utf-8")


def build(ckpt: Checkpoint, name: str, scene: Scene) -> bytes:
    """The page for ``ckpt`` (shown as ``name``) and ``scene``, as UTF-8 bytes; TooBig when it
    would pass MAX_BYTES."""
    data = page_data(ckpt, name, scene)
    template = (HERE / "onepage.html").read_text("utf-8")
    parts = {
        # as character references: the line separators too, so the file holds none raw
        "title": html.escape(f"{name} · latent map").translate(_LINE_ENDS),
        "plotly": inline_script(plotly_js()),
        "data": script_json(data),
        "script": inline_script("\n".join(path.read_text("utf-8") for path in
                                           (DECODER_JS, PAINT_JS, HERE / "onepage.js"))),
    }
    # one pass over the template: a part's own text is never searched for slots
    page = _SLOT.sub(lambda m: parts[m.group(1)], template).encode("utf-8")
    if len(page) > MAX_BYTES:
        raise TooBig(f"the page would be {len(page) / 2**20:.1f} MB, more than the "
                     f"{MAX_BYTES / 2**20:.0f} MB a single file may have")
    return page


def build_from_query(ckpt: Checkpoint, name: str, query: Mapping[str, str]) -> bytes:
    """``build`` for a scene given as a link's query parameters (malformed ones are ignored)."""
    return build(ckpt, name, Scene.from_query(query))


def page_data(ckpt: Checkpoint, name: str, scene: Scene) -> dict:
    """Everything the page shows, as JSON-ready values."""
    cfg = ckpt.config
    exported = export_decoder(ckpt.model)
    stops = [views.full_z(ckpt, p) for p in scene.stops]
    walk = ckpt.ops.walk(stops, WALK_STEPS, scene.method)[0] if len(stops) >= 2 else None
    selected = _selected(ckpt, scene)
    data = {
        "name": name, "caption": caption(ckpt, name),
        "figure": map_figure(ckpt, scene, selected),
        "dim": cfg.latent_dim, "side": cfg.image_size, "channels": cfg.image_channels,
        "selected": selected, "talk": scene.talk,
        "walk": {"codes": _floats(walk), "steps": WALK_STEPS,
                 "stops": len(stops)} if walk is not None else None,
        "net": None, "why": "",
    }
    if exported is not None:
        data["net"] = {"spec": exported.spec,
                       "weights": base64.b64encode(exported.blob).decode("ascii")}
    else:
        data["why"] = NO_PAGE_DECODER
        data["images"] = _images(ckpt, scene, selected)
    return data


def _selected(ckpt: Checkpoint, scene: Scene) -> dict | None:
    """The scene's selected point: a test image's code from the atlas, or a map position."""
    if scene.z is None:
        return None
    index = scene.index if scene.index is not None and scene.index < len(ckpt.atlas.mu) else None
    z = views.code_of(ckpt, index) if index is not None else views.full_z(ckpt, scene.z)
    label = int(ckpt.atlas.labels[index]) if index is not None else -1
    return {"z": z, "index": index,
            "class": views.class_name(ckpt.class_names, label) if index is not None else None}


def _images(ckpt: Checkpoint, scene: Scene, selected: dict | None) -> dict:
    """For a decoder the page cannot run: the selected point's image and the walk's frames
    (the scene's frames per leg), as PNG data URIs."""
    frames = []
    if len(scene.stops) >= 2:
        _, images = ckpt.ops.walk(scene.stops, scene.frames, scene.method)
        frames = [imaging.data_uri(imaging.to_png(f)) for f in images]
    point = (imaging.data_uri(imaging.to_png(ckpt.ops.decode([selected["z"]])[0]))
             if selected else None)
    return {"selected": point, "frames": frames}


def map_figure(ckpt: Checkpoint, scene: Scene, selected: dict | None) -> dict:
    """The app's map (``figures.latent_map``) without its click grid (the page reads the
    pointer's position itself), with the scene's highlighted class, path and selected point."""
    mu, labels = ckpt.atlas.mu.numpy(), ckpt.atlas.labels.numpy()
    xy = views.map_xy(mu)
    stops = np.array(scene.stops, dtype=np.float32).reshape(-1, 2)
    bounds = figures.widen(views.map_bounds(xy), stops)
    fig = figures.latent_map(xy, labels, ckpt.class_names, bounds, talk=scene.talk,
                             revision="onepage")
    fig.data = [t for t in fig.data if t.name != figures.CLICK_TRACE]
    if scene.highlight is not None and scene.highlight < len(ckpt.class_names):
        figures.dim_classes(fig, scene.highlight)
    if len(scene.stops) >= 2:
        codes, _ = ckpt.ops.walk(scene.stops, scene.frames, scene.method)
        figures.add_path(fig, codes[:, :2], scene.stops, scene.talk)
    elif scene.stops:
        figures.add_path(fig, stops, scene.stops, scene.talk)
    point = (selected["z"] + [0.0])[:2] if selected else None  # the page moves it on a click
    fig.add_scatter(x=point[:1] if point else [], y=point[1:] if point else [], mode="markers",
                    name="selected z", showlegend=False, hoverinfo="skip",
                    marker=dict(size=16 if scene.talk else 12, color=figures.CURRENT_COLOR,
                                line=dict(width=2, color="white")))
    fig.update_layout(clickmode="event", dragmode="zoom", height=None, autosize=True)
    return json.loads(fig.to_json(validate=False))


def _floats(values: np.ndarray) -> list[list[float]]:
    return [[round(float(v), 6) for v in row] for row in np.asarray(values)]


def caption(ckpt: Checkpoint, name: str) -> str:
    """"mnist-vae.safetensors · VAE on MNIST digits · −ELBO 134.2 / image · ...": the model
    and its test-set figures, as the model card shows them."""
    from aeexplorer.core.checkpoints.card import family
    from aeexplorer.core.datasets.registry import title
    from aeexplorer.core.checkpoints.metric_table import METRICS, QUALITY, present

    train = ckpt.train.get("config") if isinstance(ckpt.train, dict) else None
    metrics = ckpt.metrics if isinstance(ckpt.metrics, dict) else {}
    shown = [f"{METRICS[k].long_label} {METRICS[k].text(metrics[k])}" for k in QUALITY
             if present(metrics.get(k))]
    return " · ".join([name, f"{family(ckpt.config, train)} on {title(ckpt.dataset)}", *shown])
