"""Driving the app headless with AppTest: open it on a page with chosen checkpoint folders and
data root, and simulate a click on a Plotly map by setting the chart's selection state."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.elements.plotly_chart import PlotlySelectionState
from streamlit.testing.v1 import AppTest
from streamlit.typing import PlotlyState

from tests.helpers import REPO


def open_app(monkeypatch, ckpt_dir: Path | None, data: Path | None, page: str | None = None,
             app: Path = REPO / "app.py", timeout: float = 120,
             query: dict[str, str] | None = None) -> AppTest:
    """The app run once (then switched to ``page``, a page script's path), with only
    ``ckpt_dir`` besides the app's own folders and ``data`` as the data root."""
    if ckpt_dir is not None:
        monkeypatch.setenv("AEEXPLORER_CHECKPOINT_DIRS", str(ckpt_dir))
    if data is not None:
        monkeypatch.setenv("AEEXPLORER_DATA", str(data))
    at = AppTest.from_file(str(app), default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    assert not at.exception
    return at


def click(at: AppTest, x: float, y: float, index: int | None = None, key: str = "map") -> None:
    """A click on the map with widget key ``key``: on a test point when ``index`` is given
    (carried in customdata, as the app's figures do), else on empty space."""
    point = {"x": x, "y": y, "curve_number": 0, "point_number": 0, "point_index": 0}
    if index is not None:
        point["customdata"] = index
    selection = PlotlySelectionState({"points": [point], "point_indices": [0], "box": [],
                                      "lasso": []})
    at.session_state[key] = PlotlyState({"selection": selection})
    at.run()


def shown_image(at: AppTest, caption: str) -> np.ndarray:
    """The inline image captioned ``caption``, back at 28x28 in [0, 1]."""
    tag = re.compile(r'<img src="data:image/png;base64,([^"]+)"[^>]*alt="'
                     + re.escape(caption) + '"')
    found = [hit for m in at.markdown for hit in tag.findall(m.value)]
    assert len(found) == 1, f"no single image captioned {caption!r}"
    arr = np.asarray(Image.open(io.BytesIO(base64.b64decode(found[0]))))
    return arr[:: arr.shape[0] // 28, :: arr.shape[1] // 28] / 255.0


def mounted(at: AppTest, name: str) -> dict:
    """The data of the ``st.components.v2`` component ``name`` on the page (once there)."""
    found = [e.proto for e in at.get("bidi_component") if e.proto.component_name == name]
    assert len(found) == 1, f"{name} is not on the page once"
    return json.loads(found[0].json)


def plain(markdown: str) -> str:
    """Markdown source as the reader sees it: backslash escapes (``md``'s) undone."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")
