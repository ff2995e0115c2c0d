"""The README and docs/ name only what is there: every repository path in code or a link
(``aeexplorer/…``, ``tests/…``, ``benchmarks/…``, ``checkpoints/…``, ``docs/…``, and the short
``core/…``, ``app/…``, ``ui/…``, ``cli/…`` of the package), every dotted module
(``aeexplorer.x.y``, found as a file, not imported), every relative link and its #anchor; and
the README links every docs/ file. The checker's own tests feed it stale names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import REPO

DOCS = sorted((REPO / "docs").glob("*.md"))
PAGES = [REPO / "README.md", *DOCS]

_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_SPAN = re.compile(r"`((?:[^`\n]|\n(?!\n))+)`")  # a span may wrap, not cross a paragraph
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_PATH = re.compile(r"(?<![\w./-])((?:aeexplorer|tests|benchmarks|checkpoints|docs|core|app|ui|cli"
                   r"|\.ci|\.streamlit)/[\w./*<>-]*)")
_MODULE = re.compile(r"(?<![\w./-])(aeexplorer(?:\.\w+)+)")
_SHORT = ("core/", "app/", "ui/", "cli/")  # the package's layers, named without aeexplorer/


def code_of(text: str) -> list[str]:
    """The text in fenced blocks and inline code spans: where paths and modules are named."""
    blocks = _FENCE.findall(text)
    return blocks + [span.replace("\n", " ") for span in _SPAN.findall(_FENCE.sub("", text))]


def path_exists(token: str, repo: Path = REPO) -> bool:
    """A path named in the docs: a file or folder (a glob matching something), a module named
    without ``.py``, or one attribute a module file defines (``app/views.code_of``)."""
    path = token.rstrip(".,:;")
    if path.startswith(_SHORT):
        path = "aeexplorer/" + path
    if "*" in path:
        return any(repo.glob(path))
    if (repo / path).exists() or (repo / f"{path}.py").is_file():  # ``core/training``
        return True
    head, dot, attr = path.rpartition(".")
    module = repo / f"{head}.py"
    return bool(dot) and "/" in head and module.is_file() and _defines(module, attr)


def _defines(file: Path, name: str) -> bool:
    source = file.read_text(encoding="utf-8")
    return bool(re.search(rf"^(?:def|class)\s+{name}\b|^{name}\s*[:=]|^\s*(?:from|import)\s.*\b"
                          rf"{name}\b", source, re.M))


def module_exists(dotted: str, repo: Path = REPO) -> bool:
    """``aeexplorer.x.y`` names a module file, or one attribute that a module file defines
    (``aeexplorer.core.training.train``)."""
    parts = dotted.rstrip(".").split(".")
    for n in range(len(parts), 0, -1):
        base = repo.joinpath(*parts[:n])
        for file in (base.with_suffix(".py"), base / "__init__.py"):
            if file.is_file():
                rest = parts[n:]
                return not rest or (len(rest) == 1 and _defines(file, rest[0]))
    return False


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(file: Path) -> set[str]:
    text = _FENCE.sub("", file.read_text(encoding="utf-8"))
    return {slug(h) for h in re.findall(r"^#+\s+(.+?)\s*#*$", text, re.M)}


def stale_names(page: Path, repo: Path = REPO) -> list[str]:
    """What ``page`` names that is not in ``repo``, each as it is written."""
    text = page.read_text(encoding="utf-8")
    bad = []
    for code in code_of(text):
        bad += [p for p in _PATH.findall(code) if "<" not in p and not path_exists(p, repo)]
        bad += [m for m in _MODULE.findall(code) if not module_exists(m, repo)]
    for target in _LINK.findall(_FENCE.sub("", text)):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        linked = (page.parent / file) if file else page
        if not linked.exists():
            bad.append(target)
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            bad.append(target)
    return bad


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_name_in_the_docs_is_there(page):
    assert stale_names(page) == []


def test_the_readme_links_every_docs_file():
    assert DOCS, "docs/ holds no page"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    linked = {target.partition("#")[0] for target in _LINK.findall(readme)}
    assert [d.name for d in DOCS if f"docs/{d.name}" not in linked] == []


def test_the_checker_finds_stale_names(tmp_path):
    """Names that were true once (the README's own stale paths, issue 27) are reported; the
    same page with their present names is clean."""
    (tmp_path / "README.md").write_text("# The README\n")
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir()
    stale = ["tests/digit_cases.py", "tests/test_core_hostile_checkpoints.py",
             "core/nowhere.py", "checkpoints/*.pickle", "app/views.nothing_here"]
    modules = ["aeexplorer.card", "aeexplorer.training.train", "aeexplorer.cli.no_such"]
    links = ["missing.md", "#no-such-heading", "../README.md#no-such-heading"]
    page.write_text("# Page\n\n## A section\n\n"
                    + "".join(f"- `{name}`\n" for name in stale)
                    + "```bash\n" + "".join(f"python -m {m}\n" for m in modules) + "```\n"
                    + "".join(f"- [link]({target})\n" for target in links))
    assert sorted(stale_names(page)) == sorted(stale + modules + links)
    page.write_text("# Page\n\n## A section\n\n- `tests/helpers/digit_cases.py`, "
                    "`app/figures.py`, `app/views.code_of`, `checkpoints/*.safetensors`\n"
                    "- `python -m aeexplorer.cli`, `aeexplorer.cli.main`, `aeexplorer.app`\n"
                    "- [there](../README.md), [here](#a-section), [docs](../docs/)\n")
    assert stale_names(page) == []
