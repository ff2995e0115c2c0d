"""Checkpoint pickers for the pages other than the explorer: a select box over the readable
checkpoints that pass a test (a data set, a model family), labelled with the model family."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from pathlib import Path

import streamlit as st

from aeexplorer.core.checkpoints.card import family, train_config
from aeexplorer.core.datasets.registry import BUILTINS
from aeexplorer.ui import resources
from aeexplorer.ui.text import md

DATASET_NAMES = {name: b.title for name, b in BUILTINS.items()}


def scan(root: Path) -> tuple[list[tuple[Path, dict]], list[tuple[Path, str]]]:
    """Every listed checkpoint once: (path, card) of those that can be used, (path, why) of
    the others."""
    usable, bad = [], []
    for path in resources.list_files(root, extra=[resources.session_folder(root)]):
        card = resources.card_at(path)
        (bad if isinstance(card, str) else usable).append((path, card))
    return usable, bad


def usable(root: Path) -> list[tuple[Path, dict]]:
    """(path, card) of every checkpoint that can be used, from one scan a run; the others are
    listed in the sidebar (``note_unusable``)."""
    good, bad = scan(root)
    note_unusable(bad)
    return good


def accepted(choices: list[tuple[Path, dict]], accept: Callable[[dict], bool]
             ) -> list[tuple[Path, dict]]:
    """Those of ``choices`` whose card ``accept`` takes."""
    return [(path, card) for path, card in choices if accept(card)]


def note_unusable(bad: list[tuple[Path, str]]) -> None:
    """The files that cannot be used, and why, folded away at the foot of the sidebar: a bad
    file is left out of every picker and never stops a page."""
    if bad:
        files = "file cannot" if len(bad) == 1 else "files cannot"
        with st.sidebar.expander(f"{len(bad)} checkpoint {files} be used"):
            st.markdown("\n".join(f"- {md(why)}" for _, why in bad))


def label(path: Path, card: dict) -> str:
    name = family(card["config"], train_config(card))
    return (f"{path.stem} · {DATASET_NAMES.get(card['dataset'], card['dataset'])} · {name}"
            f"{resources.mine(path)}")


def brief(path: Path, card: dict) -> str:
    """A narrow box's label: the file's name alone (a select box cuts what does not fit; the
    page names the model family beside it, where it can wrap)."""
    return f"{path.stem}{resources.mine(path)}"


def choose(choices: list[tuple[Path, dict]], title: str, key: str, where: Any = None,
           prefer: str | None = None, wanted: str | None = None,
           named: Callable[[Path, dict], str] = label,
           label_visibility: str = "visible") -> tuple[Path, dict] | None:
    """A select box over ``choices``; None when there is nothing to choose. The first
    selection: the file ``wanted`` names (a link's, ``page_url.wanted``), else the first whose
    name starts with ``prefer``. ``named`` words each choice (``label``, or ``brief``)."""
    if not choices:
        return None
    where = where if where is not None else st.sidebar
    index = wanted_index(choices, wanted)
    if index is None:
        index = next((i for i, (p, _) in enumerate(choices)
                      if prefer and p.name.startswith(prefer)), 0)
    pick = where.selectbox(title, range(len(choices)), index=index, key=key,
                           format_func=lambda i: named(*choices[i]),
                           label_visibility=label_visibility)
    return choices[pick if pick is not None and pick < len(choices) else 0]


def wanted_index(choices: list[tuple[Path, dict]], wanted: str | None) -> int | None:
    """The index of the file ``wanted`` names among ``choices`` (by name, or by folder/name)."""
    return next((i for i, (p, _) in enumerate(choices) if wanted in (p.name, _folder_name(p))),
                None)


def _folder_name(path: Path) -> str:
    """The name the Explorer's picker gives a file whose name two folders hold."""
    return f"{path.parent.name}/{path.name}"
