"""The pages, read from the source: every page script registered in app.py calls
``render(root)`` of its page module, and the pages share only through the shared ui modules
(common, state, uploads, sidebar…), never through each other. A page module is the module a
page script takes ``render`` from; a page in a folder (the Explorer) is every module in it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import REPO
from tests.helpers.imports import imports

UI = REPO / "aeexplorer" / "ui"


def registered_scripts() -> list[str]:
    """The page scripts app.py gives st.navigation, in its PAGES list."""
    tree = ast.parse((REPO / "app.py").read_text())
    pages = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                 and any(getattr(t, "id", None) == "PAGES" for t in node.targets))
    return [script for script, _title, _icon in ast.literal_eval(pages)]


def page_module(script: Path) -> str:
    """The module a page script imports ``render`` from (the only thing it may import)."""
    found = [node for node in ast.walk(ast.parse(script.read_text()))
             if isinstance(node, ast.ImportFrom) and node.module.startswith("aeexplorer")]
    assert len(found) == 1 and [a.name for a in found[0].names] == ["render"], script.name
    return found[0].module


def files_of(module: str, root: Path = REPO) -> list[Path]:
    path = root.joinpath(*module.split("."))
    return sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


def crossings(pages: list[str], root: Path = REPO) -> list[str]:
    """Each import by which a module reaches into a page that is not its own: a page's module
    into another page, or a shared ui module into any page."""
    owner = {f: page for page in pages for f in files_of(page, root)}
    scripts = root / "aeexplorer" / "ui" / "pages"  # each calls its own page: checked above
    wrong = []
    for path in sorted((root / "aeexplorer" / "ui").rglob("*.py")):
        if path.is_relative_to(scripts):
            continue
        own = owner.get(path)
        for name in sorted(imports(path, root)):
            hit = next((p for p in pages if name == p or name.startswith(p + ".")), None)
            if hit is not None and hit != own:
                wrong.append(f"{path.relative_to(root)} imports {name}")
    return wrong


PAGES = [page_module(REPO / s) for s in registered_scripts()]


def test_every_page_script_is_registered_and_calls_render_with_the_root():
    scripts = registered_scripts()
    assert sorted(scripts) == sorted(str(p.relative_to(REPO)) for p in (UI / "pages").glob("*.py"))
    for script in scripts:
        tree = ast.parse((REPO / script).read_text())
        calls = [n for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
        assert [ast.unparse(c.value) for c in calls] == [
            "render(Path(__file__).resolve().parents[3])"], script


@pytest.mark.parametrize("module", PAGES)
def test_every_page_module_has_render_of_the_root(module):
    path = REPO.joinpath(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    render = next((n for n in ast.parse(path.read_text()).body
                   if isinstance(n, ast.FunctionDef) and n.name == "render"), None)
    assert render is not None, f"{module} has no render"
    assert [a.arg for a in render.args.args] == ["root"]
    assert ast.unparse(render.args.args[0].annotation) == "Path"
    assert ast.unparse(render.returns) == "None"


def test_the_pages_share_only_through_shared_modules():
    assert len(PAGES) == 5 and "aeexplorer.ui.explorer" in PAGES
    assert len(files_of("aeexplorer.ui.explorer")) > 1  # the Explorer's parts count as its own
    wrong = crossings(PAGES)
    assert not wrong, "\n".join(wrong)


def test_the_rule_sees_a_page_reaching_into_another(tmp_path):
    # the rule is only as good as its reader: lazy imports and a page's parts count too
    ui = tmp_path / "aeexplorer" / "ui"
    (ui / "big").mkdir(parents=True)
    (ui / "big" / "__init__.py").write_text("from aeexplorer.ui import common\n")
    (ui / "big" / "part.py").write_text("X = 1\n")
    (ui / "small.py").write_text("def render(root):\n    from .big.part import X\n")
    (ui / "common.py").write_text("from aeexplorer.ui.small import render\n")
    got = crossings(["aeexplorer.ui.big", "aeexplorer.ui.small"], tmp_path)
    assert got == ["aeexplorer/ui/common.py imports aeexplorer.ui.small",
                   "aeexplorer/ui/common.py imports aeexplorer.ui.small.render",
                   "aeexplorer/ui/small.py imports aeexplorer.ui.big.part",
                   "aeexplorer/ui/small.py imports aeexplorer.ui.big.part.X"]
