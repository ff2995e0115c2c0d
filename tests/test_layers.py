"""The layers, read from the source: what each folder of ``aeexplorer`` may import. Every import
counts, also those inside functions (the package imports torch lazily), so a shortcut taken
anywhere fails here.

    core  (models, data, losses, training, checkpoints, preprocessing)  <- nothing of ours
    cli   (python -m aeexplorer)                                         <- core, app
    app   (what the pages show, training jobs; no streamlit)             <- core
    ui    (the Streamlit pages) and app.py                               <- core, app

And no module imports itself through others (an import cycle), whatever the layer.
"""

from __future__ import annotations

import ast
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


def module_name(path: Path, root: Path = REPO) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports: at the top, inside functions and under
    TYPE_CHECKING alike. ``from a.b import c`` imports the module ``a.b.c`` when there is one,
    else ``a.b`` (for its name ``c``); ``import a.b`` imports ``a.b``. The packages above a
    module, which Python runs first, are not counted as its imports."""
    paths = {module_name(p, package.parent): p for p in package.rglob("*.py")}

    def known(name: str) -> str | None:  # the longest part of ``name`` that is a module
        parts = name.split(".")
        while parts and ".".join(parts) not in paths:
            parts.pop()
        return ".".join(parts) or None

    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        is_package = path.name == "__init__.py"
        found: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {known(alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = name.split(".")[: len(name.split(".")) - node.level + is_package]
                    base = ".".join(parts + ([base] if base else []))
                found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in paths else known(base)
                          for a in node.names}
        graph[name] = {m for m in found if m is not None and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each group of modules that import each other in a circle (Tarjan's
    strongly connected components, then a shortest way round from the group's first module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_round_trip(graph, sorted(group)[0], group) for group in groups]


def _round_trip(graph: dict[str, set[str]], start: str, group: set[str]) -> list[str]:
    """The shortest way from ``start`` back to itself inside ``group`` (breadth first)."""
    paths = {w: [start, w] for w in sorted(graph[start] & group)}
    queue = list(paths)
    while start not in paths:
        v = queue.pop(0)
        for w in sorted(graph[v] & group):
            if w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    return paths[start]


def test_no_module_imports_itself_through_others():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_cycle_finder_sees_a_circle_through_a_function_and_a_relative_import(tmp_path):
    # a -> b at the top, b -> c inside a function (relative), c -> a under TYPE_CHECKING;
    # d imports a but is in no circle, and a package's own submodules are no circle with it
    pkg = tmp_path / "aeexplorer"
    (pkg / "sub").mkdir(parents=True)
    files = {"__init__.py": "", "a.py": "from aeexplorer import b\n",
             "b.py": "def f():\n    from .sub import c\n",
             "sub/__init__.py": "from . import c\n",
             "sub/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                         "    from ..a import X\n",
             "d.py": "import aeexplorer.a\n"}
    for name, text in files.items():
        (pkg / name).write_text(text)
    graph = import_graph(pkg)
    assert graph["aeexplorer.b"] == {"aeexplorer.sub.c"}
    assert graph["aeexplorer.sub.c"] == {"aeexplorer.a"}
    assert cycles(graph) == [["aeexplorer.a", "aeexplorer.b", "aeexplorer.sub.c", "aeexplorer.a"]]
    (pkg / "b.py").write_text("def f():\n    return 1\n")
    assert cycles(import_graph(pkg)) == []
