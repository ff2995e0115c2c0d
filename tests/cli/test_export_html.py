"""``python -m aeexplorer export-html``: the file written from a checkpoint and a link's scene,
and a person's mistakes as one ``error:`` line with a non-zero exit, nothing written."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from aeexplorer import cli
from tests.helpers import REPO
from tests.helpers.checkpoints import make_checkpoint

SCENE_LINK = "http://localhost:8501/?ckpt=other.safetensors&a=-1,0&b=1,1&n=5&z=0.5,0.5&hl=3"


def page_data(path) -> dict:
    text = path.read_text("utf-8")
    found = re.search(r'<script type="application/json" id="aeexplorer-data">(.*?)</script>',
                      text, re.S)
    return json.loads(found.group(1))


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp("export") / "tiny-vae.safetensors")


def test_a_link_becomes_the_files_scene(ckpt, tmp_path, capsys):
    out = tmp_path / "talk" / "view.html"
    assert cli.main(["export-html", str(ckpt), str(out), "--scene", SCENE_LINK]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"wrote {out}: ") and "other.safetensors is not this file's" in said
    data = page_data(out)
    assert data["name"] == "tiny-vae.safetensors" and data["walk"]["stops"] == 2
    assert data["selected"]["z"] == [0.5, 0.5] and data["net"] is not None
    classes = [t for t in data["figure"]["data"] if t.get("customdata") is not None]
    assert [t["marker"]["opacity"] < 0.2 for t in classes] == [i != 3 for i in range(10)]
    assert not list(out.parent.glob(".export.*"))  # no temporary file left beside it


def test_a_bare_query_and_no_scene_work_too(ckpt, tmp_path):
    out = tmp_path / "a.html"
    assert cli.main(["export-html", str(ckpt), str(out), "--scene", "?a=0,0&b=1,0&talk=1"]) == 0
    assert page_data(out)["talk"] is True and page_data(out)["walk"]["stops"] == 2
    assert cli.main(["export-html", str(ckpt), str(out)]) == 0
    assert page_data(out)["walk"] is None and page_data(out)["selected"] is None


@pytest.mark.parametrize("case", ["folder", "missing", "long-scene"])
def test_mistakes_are_one_error_line(ckpt, tmp_path, capfd, case):
    args = {"folder": [str(ckpt), str(tmp_path)],
            "missing": [str(tmp_path / "nope.safetensors"), str(tmp_path / "x.html")],
            "long-scene": [str(ckpt), str(tmp_path / "x.html"), "--scene", "a=" + "1" * 5000]}
    assert cli.main(["export-html", *args[case]]) == cli.EXIT_ERROR
    err = capfd.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x.html").exists()


def test_the_real_command_line(ckpt, tmp_path):
    out = tmp_path / "real.html"
    done = subprocess.run([sys.executable, "-m", "aeexplorer", "export-html", str(ckpt), str(out),
                           "--scene", "a=-1,0&b=1,1"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size < 12 * 2**20 and page_data(out)["walk"]["stops"] == 2
