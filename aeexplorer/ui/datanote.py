"""What a page says when the data set is not on the server. The visitor reads it in a browser,
where no flag can be passed and nothing downloaded: it names the folder the server reads and
what the person running the server does about it (``python -m aeexplorer data`` fetches the
data, ``AEEXPLORER_DATA`` points the server at it). Paths go through ``md`` (shortened for
visitors unless AEEXPLORER_SHOW_PATHS)."""

from __future__ import annotations

from pathlib import Path

from aeexplorer.core.datasets.folder import is_folder
from aeexplorer.core.datasets.loading import missing_files, resolve_data_root
from aeexplorer.core.datasets.registry import DEFAULT_DATASETS, raw_folder, title
from aeexplorer.core.errors import DataNotFound
from aeexplorer.ui.text import md, show_paths


def data_missing(dataset: str) -> bool:
    """Whether a file of ``dataset`` is absent from the server's data root (no reading)."""
    return bool(missing_files(dataset, resolve_data_root()))


def no_data(dataset: str, why: object = "") -> str:
    """Markdown: the data set ``dataset`` cannot be read on this server, where it is looked
    for and how it gets there. ``why``: the reader's message, shown when the files are there
    but could not be read."""
    root = resolve_data_root().resolve()
    name = md(title(dataset))  # a checkpoint's data set name: untrusted text
    try:
        folder = raw_folder(dataset, root)
    except DataNotFound:  # no download of its own (a model's own data): its reader says why
        return f"The test images of {name} could not be read: {md(why or 'unknown data')}"
    if not missing_files(dataset, root) and why:
        return f"The {name} files in **{md(folder)}** could not be read: {md(why)}"
    where = (f"The {name} data set is not on this server: it looks for it in **{md(folder)}**, "
             f"in its data root **{md(root)}** (the folder `AEEXPLORER_DATA` names, else "
             "`./data`). ")
    start = ("start the server with `AEEXPLORER_DATA` pointing at that folder: "
             f"`AEEXPLORER_DATA={_placeholder(root)} streamlit run app.py`.")
    if is_folder(dataset):
        return (where + "Whoever runs the server can put the images there (a subfolder per "
                f"class, or none for unlabelled images), then {start}")
    flag = "" if dataset in DEFAULT_DATASETS else f" --dataset {dataset}"
    what = "MNIST and Fashion-MNIST" if not flag else name
    return (where + "Whoever runs the server can fetch it with "
            f"`AEEXPLORER_DATA={_placeholder(root)} python -m aeexplorer data{flag}` (it "
            f"downloads {what} where a network allows, and otherwise says which files to copy "
            f"there), then {start}")


def _placeholder(root: Path) -> str:
    """The data root in a command shown as code (where ``md``'s escapes would show as typed):
    its name, when the server shows its paths and the name is plain; else ``DIR``."""
    text = str(root)
    plain = all(c.isalnum() or c in "/._-" for c in text)
    return text if show_paths() and plain else "DIR"
