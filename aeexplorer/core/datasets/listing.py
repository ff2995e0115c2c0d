"""What an image folder holds, before any file is opened: its candidate image files (paths
relative to it), their classes (the subfolders, sorted, as torchvision's ImageFolder) and
the entries left out (links out of the folder or to a folder, files beside the class
folders, anything that is not a regular file). Hidden entries (".name") are not looked at.
The walk is depth first by name, so the same folder lists the same way every time."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aeexplorer.core.datasets.split import NO_LABEL
from aeexplorer.core.errors import DataNotFound

MAX_FILES = 1_000_000  # entries a folder may hold (its list is kept in memory)
MAX_CLASSES, MAX_NAME = 1000, 100  # as a checkpoint's header takes them


def printable(text: str, most: int) -> str:
    """``text`` with every unprintable character as "?", at most ``most`` characters."""
    return "".join(c if c.isprintable() else "?" for c in text)[:most]


@dataclass(frozen=True)
class Listing:
    """What a folder holds, before any file is opened."""
    folder: Path
    files: tuple[str, ...]  # candidate image files: paths relative to ``folder``, "/"-joined
    labels: tuple[int, ...]  # each file's class (index in class_names), or NO_LABEL
    class_names: tuple[str, ...]
    left_out: tuple[str, ...]  # entries not read at all (links out, files beside classes...)


def list_folder(folder: Path) -> Listing:
    """The files of ``folder`` and their classes (see the module's doc); DataNotFound when it
    is not a readable folder, holds more than MAX_FILES entries or more than MAX_CLASSES
    classes."""
    real, base = os.path.realpath(folder), os.fspath(folder)
    top = _entries(folder)
    classes = sorted(e.name for e in top if e.is_dir(follow_symlinks=False))
    if len(classes) > MAX_CLASSES:
        raise DataNotFound(f"{folder} has {len(classes)} class folders: at most {MAX_CLASSES}")
    files, labels, left = [], [], []
    for entry in top:
        if entry.is_dir(follow_symlinks=False):
            continue  # a class, walked below
        name = _sort_file(entry, base, real, left)
        if name:  # beside class folders, a file has no class: left out
            (left if classes else files).append(name)
    labels = [NO_LABEL] * len(files)
    for index, name in enumerate(classes):
        found: list[str] = []
        _walk(folder / name, base, real, found, left)
        files += found
        labels += [index] * len(found)
        if len(files) + len(left) > MAX_FILES:
            break
    if len(files) + len(left) > MAX_FILES:
        raise DataNotFound(f"{folder} holds more than {MAX_FILES:,} files: split it into "
                           "smaller folders")
    return Listing(Path(folder), tuple(files), tuple(labels), _class_names(classes),
                   tuple(left))


def _entries(path: Path) -> list[os.DirEntry]:
    """The entries of ``path`` but hidden ones, by name."""
    try:
        with os.scandir(path) as it:
            return sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
    except NotADirectoryError:
        raise DataNotFound(f"{path} is not a folder") from None
    except FileNotFoundError:
        raise DataNotFound(f"no folder {path}") from None
    except OSError as exc:
        raise DataNotFound(f"cannot read the folder {path} ({exc.strerror or exc})") from None


def _walk(path: Path, base: str, real: str, found: list[str], left: list[str]) -> None:
    """The files under ``path`` (a class folder) into ``found``, the rest into ``left``."""
    stack = [path]
    while stack and len(found) + len(left) <= MAX_FILES:
        current = stack.pop()
        try:
            entries = _entries(current)
        except DataNotFound:  # an unreadable subfolder: left out as one entry
            left.append(os.path.relpath(current, base).replace(os.sep, "/"))
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            else:
                name = _sort_file(entry, base, real, left)
                if name:
                    found.append(name)
        stack.sort(reverse=True)  # depth first, by name: the same order every time


def _sort_file(entry: os.DirEntry, base: str, real: str, left: list[str]) -> str | None:
    """The entry's path relative to ``base`` when it is a file to read, else None (added to
    ``left``): a link is read only when it leads to a regular file inside the folder (whose
    real path is ``real``)."""
    relative = os.path.relpath(entry.path, base).replace(os.sep, "/")
    if entry.is_symlink():
        try:
            target = os.path.realpath(entry.path)
        except OSError:  # a link it may not even read (/proc/1/cwd): left out
            target = None
        inside = target is not None and os.path.commonpath([target, real]) == real
        if inside and os.path.isfile(target):
            return relative
    elif entry.is_file(follow_symlinks=False):
        return relative
    left.append(relative)
    return None


def _class_names(names: Sequence[str]) -> tuple[str, ...]:
    """Folder names as class names: printable, at most MAX_NAME characters, distinct."""
    out: list[str] = []
    for name in names:
        shown = printable(name, MAX_NAME)
        k = 2
        while shown in out:
            suffix = f" ({k})"
            shown, k = printable(name, MAX_NAME - len(suffix)) + suffix, k + 1
        out.append(shown)
    return tuple(out)
