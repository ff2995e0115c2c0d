"""onepage: one HTML file with the map, the decoder and the scene. Every string from a checkpoint
or a link stays data (escaped so it cannot end its script element), the page asks for nothing
(no URL outside Plotly's own script, a policy that forbids requests), it stays under 12 MB,
and the decoder in it is the exported one, byte for byte. tests/browser/test_onepage.py opens it
in Chromium."""

from __future__ import annotations

import base64
import html.parser
import json
import re

import numpy as np
import pytest

from aeexplorer.app import onepage
from aeexplorer.app.export import decode_exported, export_decoder
from aeexplorer.app.scene import Scene
from aeexplorer.core.checkpoints.file import load_checkpoint, save_checkpoint
from tests.helpers import REPO
from tests.helpers.checkpoints import make_checkpoint

HOSTILE = "</script><script>alert(1)</script><!--&amp;<b>"  # a header allows printable names
LINE_ENDS = "\u2028\u2029"  # end a JS string in older engines; a file name may hold them
SHIPPED = sorted((REPO / "checkpoints").glob("*.safetensors"))


class _Page(html.parser.HTMLParser):
    """The page's elements as a browser's parser sees them: scripts and their text, every
    tag's attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict, str]] = []
        self.tags: list[tuple[str, dict]] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._open, self._text = dict(attrs), []

    def handle_data(self, data):
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._open is not None:
            self.scripts.append((self._open, "".join(self._text)))
            self._open = None


def parse(page: bytes) -> _Page:
    p = _Page()
    p.feed(page.decode("utf-8"))
    return p


def page_json(page: bytes) -> dict:
    (text,) = [t for a, t in parse(page).scripts if a.get("type") == "application/json"]
    return json.loads(text)


@pytest.fixture(scope="module")
def hostile_ckpt(tmp_path_factory):
    """A checkpoint whose class names and file name are markup."""
    path = tmp_path_factory.mktemp("onepage") / "x<img src=y>.safetensors"
    make_checkpoint(path)
    ckpt = load_checkpoint(path)
    names = tuple(f"{HOSTILE}{i}" for i in range(10))
    save_checkpoint(path, ckpt.model, "mnist", ckpt.atlas, train=ckpt.train,
                    metrics=ckpt.metrics, classes=names)
    return load_checkpoint(path)


def test_hostile_names_and_scene_values_stay_data(hostile_ckpt):
    scene = Scene.from_query({"a": "-1,0", "b": "1,1", "wp": "0,-1;<script>", "z": "0.5,0.5",
                              "i": "3", "hl": "2", "ckpt": HOSTILE, "m": "<slerp>"})
    name = hostile_ckpt.path.name + LINE_ENDS
    page = onepage.build(hostile_ckpt, name, scene)
    text = page.decode("utf-8")
    parsed = parse(page)
    # three scripts, as written: Plotly, the data, the module; nothing the names opened
    assert [a.get("type") for a, _ in parsed.scripts] == [None, "application/json", "module"]
    code = "".join(t for a, t in parsed.scripts if a.get("type") != "application/json")
    assert "alert(1)" not in code
    assert not any(tag == "img" and "src" in attrs and attrs["src"] == "y"
                   for tag, attrs in parsed.tags)
    assert "<img src=y>" not in text and "\u2028" not in text and "\u2029" not in text
    data = page_json(page)
    assert data["name"] == name  # the same string, read back as data
    assert data["selected"]["class"] == f"{HOSTILE}3"
    assert data["caption"].startswith(name)
    # the map's legend names are escaped for Plotly (which reads tags in them)
    legend = [t["name"] for t in data["figure"]["data"] if t.get("customdata") is not None]
    assert legend and all("<" not in n for n in legend)
    # the scene as the app reads it: the bad waypoint and the method dropped, class 2 stands out
    assert data["walk"]["stops"] == 3
    faded = [t["marker"]["opacity"] < 0.2 for t in data["figure"]["data"]
             if t.get("customdata") is not None and t.get("showlegend") is not False]
    assert faded == [i != 2 for i in range(10)]


def test_script_json_escapes_what_could_end_a_script():
    text = onepage.script_json({"k": HOSTILE + LINE_ENDS})
    assert not re.search("[<>&\u2028\u2029]", text)
    assert json.loads(text) == {"k": HOSTILE + LINE_ENDS}
    assert onepage.inline_script("a = '</SCRIPT>'") == "a = '<\\/SCRIPT>'"


def test_the_page_requests_nothing_and_carries_its_decoder(hostile_ckpt):
    page = onepage.build(hostile_ckpt, "m.safetensors", Scene(z=(0.1, 0.2)))
    parsed = parse(page)
    plotly_js, module = parsed.scripts[0][1], parsed.scripts[2][1]
    # no element loads anything: no src, href or link; the policy forbids requests anyway
    assert not [(t, a) for t, a in parsed.tags if {"src", "href"} & set(a) or t == "link"]
    (policy,) = [a["content"] for t, a in parsed.tags
                 if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src" not in policy
    # a URL only inside Plotly's own script (its map styles and links, never fetched here)
    rest = page.decode("utf-8").replace(plotly_js, "")
    assert not re.search(r"(?i)\b(https?|ftp)://", rest), "a URL outside Plotly's script"
    assert plotly_js.lstrip().startswith("/**\n* plotly.js v")  # its licence header kept
    assert "Licensed under the MIT license" in plotly_js[:300]
    assert "export function parseNet" in module and "new MapBridge" in module
    data = page_json(page)
    exported = export_decoder(hostile_ckpt.model)
    assert base64.b64decode(data["net"]["weights"]) == exported.blob
    assert data["net"]["spec"] == json.loads(json.dumps(exported.spec))


def test_the_walk_is_the_apps_walk(hostile_ckpt):
    stops = [(-1.0, 0.0), (1.0, 1.0), (0.0, -1.0)]
    data = page_json(onepage.build(hostile_ckpt, "m", Scene(stops=stops, method="slerp")))
    codes, _ = hostile_ckpt.ops.walk(stops, onepage.WALK_STEPS, "slerp")
    assert np.allclose(data["walk"]["codes"], codes, atol=1e-5)
    assert data["walk"]["steps"] == onepage.WALK_STEPS and data["walk"]["stops"] == 3


def test_a_conv_decoder_runs_in_the_file(tmp_path):
    ckpt = load_checkpoint(make_checkpoint(tmp_path / "conv.safetensors", arch="conv"))
    data = page_json(onepage.build(ckpt, "conv.safetensors", Scene(z=(0.0, 0.0))))
    assert data["why"] == ""
    assert [layer["type"] for layer in data["net"]["spec"]["layers"]][-1] == "convT"


def test_a_decoder_the_page_cannot_run_ships_its_images(tmp_path, monkeypatch):
    # a decoder with a layer the page has no form for: export_decoder says None
    monkeypatch.setattr(onepage, "export_decoder", lambda model: None)
    ckpt = load_checkpoint(make_checkpoint(tmp_path / "conv.safetensors", arch="conv"))
    page = onepage.build(ckpt, "conv.safetensors", Scene(z=(0.0, 0.0), stops=[(0, 0), (1, 1)],
                                                         frames=5))
    data = page_json(page)
    assert data["net"] is None and data["why"] == onepage.NO_PAGE_DECODER
    assert data["images"]["selected"].startswith("data:image/png;base64,")
    assert len(data["images"]["frames"]) == 5
    assert data["walk"]["stops"] == 2  # the marker still walks


def test_a_page_over_the_bound_is_refused(hostile_ckpt, monkeypatch):
    monkeypatch.setattr(onepage, "MAX_BYTES", 4 * 2**20)  # less than Plotly's script alone
    with pytest.raises(onepage.TooBig, match="more than the 4 MB"):
        onepage.build(hostile_ckpt, "m", Scene())


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_model_fits_in_12_mb(path):
    ckpt = load_checkpoint(path)
    page = onepage.build(ckpt, path.name, Scene(z=(0.0, 0.0), stops=[(-1, 0), (1, 0)]))
    assert len(page) <= onepage.MAX_BYTES == 12 * 2**20
    data = page_json(page)
    if data["net"] is not None:  # the weights in the file decode as the exported decoder does
        exported = export_decoder(ckpt.model)
        z = np.array([[0.3, -0.2] + [0.0] * (ckpt.config.latent_dim - 2)], np.float32)
        assert np.array_equal(decode_exported(exported, z),
                              decode_exported(type(exported)(data["net"]["spec"],
                                              base64.b64decode(data["net"]["weights"])), z))
