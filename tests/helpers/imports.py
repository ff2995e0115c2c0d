"""Reading a module's imports from its source (every import, also those inside functions), for
the tests that hold the layers and the pages apart."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import REPO


def imports(path: Path, root: Path = REPO) -> set[str]:
    """Every module ``path`` imports, as absolute dotted names (relative ones resolved)."""
    package = ".".join(path.relative_to(root).parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found
