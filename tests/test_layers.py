"""The layers, read from the source: what each folder of ``aeexplorer`` may import. Every import
counts, also those inside functions (the package imports torch lazily), so a shortcut taken
anywhere fails here.

    core  (models, data, losses, training, checkpoints, preprocessing)  <- nothing of ours
    cli   (python -m aeexplorer)                                         <- core, app
    app   (what the pages show, training jobs; no streamlit)             <- core
    ui    (the Streamlit pages) and app.py                               <- core, app
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import REPO
from tests.helpers.imports import imports

PACKAGE = REPO / "aeexplorer"
LAYERS = ("core", "app", "cli", "ui")
# what each layer must not import (prefixes of module names)
FORBIDDEN = {
    "core": ("aeexplorer.app", "aeexplorer.ui", "aeexplorer.cli", "streamlit", "plotly"),
    # export-html writes what the app builds (``app.onepage``): no streamlit in that
    "cli": ("aeexplorer.ui", "streamlit", "plotly"),
    "app": ("aeexplorer.ui", "aeexplorer.cli", "streamlit"),
    "ui": ("aeexplorer.cli",),
}


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def breaks(module: str, forbidden: tuple[str, ...]) -> bool:
    return any(module == f or module.startswith(f + ".") for f in forbidden)


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_the_layers_below_it(layer):
    wrong = [f"{path.relative_to(REPO)} imports {name}"
             for path in modules(layer) for name in sorted(imports(path))
             if breaks(name, FORBIDDEN[layer])]
    assert not wrong, "\n".join(wrong)


def test_every_module_is_in_a_layer():
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert not loose, f"modules outside the layer folders: {loose}"


def test_only_the_pages_and_app_py_import_streamlit():
    users = {str(p.relative_to(REPO)) for p in [*REPO.glob("*.py"), *PACKAGE.rglob("*.py")]
             if any(breaks(m, ("streamlit",)) for m in imports(p))}
    assert users, "the reader found no streamlit import at all"
    assert all(u == "app.py" or u.startswith("aeexplorer/ui/") for u in users), users


def test_the_reader_sees_imports_inside_functions(tmp_path):
    # the rule is only as good as the reader: a lazy import must be caught too
    fake = PACKAGE / "core" / "models" / "config.py"
    found = imports(fake)
    assert "dataclasses" in found
    src = tmp_path / "aeexplorer" / "core" / "x.py"
    src.parent.mkdir(parents=True)
    src.write_text("def f():\n    from ..app import jobs\n    import streamlit as st\n")
    got = imports(src, root=tmp_path)
    assert {"aeexplorer.app", "aeexplorer.app.jobs", "streamlit"} <= got
    assert breaks("aeexplorer.app.jobs", FORBIDDEN["core"])
