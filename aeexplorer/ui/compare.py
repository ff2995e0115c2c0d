"""The Compare page: every checkpoint's test-set metrics in one table (headers only), then two
or three latent maps side by side, linked under the pointer and sharing one selection
(``compare_maps``). The rows come from ``aeexplorer.app.compare``."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from aeexplorer.app import compare
from aeexplorer.core.checkpoints.card import family, train_config
from aeexplorer.core.checkpoints.metric_table import METRICS
from aeexplorer.core.errors import AeError
from aeexplorer.core.latent import reference
from aeexplorer.core.latent.reference import method_of, references_for
from aeexplorer.ui import page_url, pickers
from aeexplorer.ui.compare_maps import Side, atlas_of, maps
from aeexplorer.ui.text import md

TWO_MAPS = "none"  # model C's choice (and the URL's vs2) for two maps
# B's and C's picks per data set ("vs:mnist", "vs2:mnist"), kept for a return to the page:
# Streamlit drops a page's widget state and clears the URL when another page opens
KEPT = "cmp_kept"
COLUMNS = {  # label, help
    "name": ("Checkpoint", None), "family": ("Model", "From the stored model and train config"),
    "dataset": ("Dataset", None),
    **{key: (METRICS[key].label, METRICS[key].help) for key in compare.SHOWN}}


def render(root: Path) -> None:
    talk = page_url.start("compare")
    entries = pickers.usable(root)
    if not talk:  # in talk mode the maps and the selected images take the screen
        st.title("Compare models")
    if not entries:
        st.info("There are no readable checkpoints to compare. Train one, for example "
                "`python -m aeexplorer train --dataset mnist --model vae --epochs 30 --out "
                "runs/mnist-vae.safetensors`, then reload this page.")
        return
    if not talk:
        _table(root, entries)
        st.subheader("Up to three maps, linked under the pointer")
    picks, dataset = _pickers(entries, root, talk)
    try:
        sides = tuple(_side(k, pick) for k, pick in zip("abc", picks))
        for side in sides:
            atlas_of(side)
    except AeError as exc:
        st.error(f"This map cannot be drawn: {md(exc)}")
        return
    maps(sides, dataset, talk)
    if talk:  # folded away below the maps: a talk shows the maps first
        with st.expander("Every checkpoint's test-set figures"):
            _table(root, entries)


def _pickers(entries: list[tuple[Path, dict]], root: Path, talk: bool
             ) -> tuple[list[tuple[Path, dict] | Path], str]:
    """Models A, B and (optionally) C, B and C of A's data set: the picks and that data set.
    In talk mode the boxes carry no title line (the map's block names each model)."""
    shown = "collapsed" if talk else "visible"
    cols = st.columns(3, gap="medium")
    a = pickers.choose(entries, "Model A", "cmp_a", cols[0], prefer="mnist-vae",
                       wanted=page_url.wanted("ckpt", scene_model=True), named=pickers.brief,
                       label_visibility=shown)
    dataset = a[1]["dataset"]
    same = compare.same_dataset(entries, dataset)
    other = next((p.name for p, _ in same if p != a[0]), None)
    kept = st.session_state.setdefault(KEPT, {})
    b = pickers.choose(same, "Model B (same data set as A)", f"cmp_b:{dataset}", cols[1],
                       prefer=other, wanted=page_url.wanted("vs") or kept.get(f"vs:{dataset}"),
                       named=pickers.brief, label_visibility=shown)
    refs = references_for(dataset, root / reference.FOLDER)
    c = _pick_c(same, refs, (a[0], b[0]), f"cmp_c:{dataset}", cols[2], shown,
                page_url.wanted("vs2") or kept.get(f"vs2:{dataset}"))
    picks = [a, b] + ([c] if c is not None else [])
    c_name = TWO_MAPS if c is None else _c_name(c)
    kept.update({f"vs:{dataset}": b[0].name, f"vs2:{dataset}": c_name})
    for param, pick in zip(("ckpt", "vs"), (a, b)):
        page_url.keep(param, pick[0].name)
    page_url.keep("vs2", c_name)
    if len({p for p, _ in (a, b)}) < 2 or c in (a, b):
        st.caption("Some maps show the same model" + (": it is the only one for this data "
                                                      "set." if other is None else "."))
    return picks, dataset


def _pick_c(same: list[tuple[Path, dict]], refs: list[Path], taken: tuple[Path, Path],
            key: str, where, shown: str, wanted: str | None) -> tuple[Path, dict] | Path | None:
    """Model C, a reference map (a file of ``refs``), or None for two maps: ``wanted`` (the
    URL's vs2, or the pick kept from an earlier visit), else a model not yet shown (a PCA
    first: the linear baseline beside two nets), else a reference, else none."""
    options: list = [None, *same, *refs]  # 0: none
    index = next((i for i, o in enumerate(options) if o is not None and _c_name(o) == wanted),
                 None)
    if index is None and wanted != TWO_MAPS:
        found = pickers.wanted_index(same, wanted)
        rest = [i for i, (p, _) in enumerate(same) if p not in taken]
        found = found if found is not None else next(
            (i for i in rest if "pca" in same[i][0].stem.lower()), rest[0] if rest else None)
        index = found + 1 if found is not None else (len(same) + 1 if refs else 0)
    pick = where.selectbox("Model C (optional)", range(len(options)), index=index or 0,
                           key=key, format_func=lambda i: _c_label(options[i]),
                           label_visibility=shown)
    return options[pick] if 0 <= pick < len(options) else None


def _c_name(pick: tuple[Path, dict] | Path) -> str:
    """C's name in the URL: a model's file name, or ``ref:`` and a reference map's stem."""
    return f"ref:{pick.stem}" if isinstance(pick, Path) else pick[0].name


def _c_label(option: tuple[Path, dict] | Path | None) -> str:
    if option is None:
        return "none: two maps"
    if isinstance(option, Path):
        return f"{method_of(option).name} map (reference)"
    return pickers.brief(*option)


def _side(key: str, pick: tuple[Path, dict] | Path) -> Side:
    if isinstance(pick, Path):  # a reference map: its method's name, no family of models
        return Side(key, str(pick), pick.stat().st_mtime, pick.stem,
                    f"{method_of(pick).name} of the test set (no decoder)", reference=True)
    path, card = pick
    return Side(key, str(path), path.stat().st_mtime, path.stem,
                family(card["config"], train_config(card)))


def _table(root: Path, entries: list[tuple[Path, dict]]) -> None:
    """The metrics of every checkpoint; "–" where one is missing (−ELBO of an AE, old or
    hand-made files). Numbers stay numbers underneath, so a column sorts by value."""
    import pandas as pd

    rows = compare.table((p.stem, card) for p, card in entries)
    for r in rows:
        r["dataset"] = pickers.DATASET_NAMES.get(r["dataset"], r["dataset"])
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).astype(
        {k: "float64" for k in compare.SHOWN})
    styled = frame.style.format(compare.FORMATS)
    config = {k: st.column_config.Column(label, help=help) for k, (label, help) in
              COLUMNS.items()}
    st.dataframe(styled, hide_index=True, column_config=config, placeholder=compare.MISSING,
                 key="cmp_table")
    st.caption("Test-set figures stored in each checkpoint; no model is loaded. Figures of "
               "different datasets do not compare. Files that cannot be used are listed, with "
               "why, at the foot of the sidebar.")
    for label, names, note in compare.missing_notes((p.stem, card) for p, card in entries):
        st.caption(f"{label} of {md(', '.join(names))}: {md(note.rstrip('.'))}.")
