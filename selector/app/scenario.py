"""Page "Scenario": choose or upload the partner landscape, and check what was loaded.

Streamlit runs this file as the page (``st.Page`` in ``app.py``); importing it only
defines :func:`page`.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from selector import SelectorError
from selector.app.shared import (
    MODELS_DIR,
    base_scenario,
    bundled_scenarios,
    error_words,
    label_of,
    load_source,
    state,
)
from selector.display import money, money_header
from selector.inputs.files import read_toml
from selector.inputs.scenario import describe
from selector.report import scenario_toml_bytes

__all__ = ["DATA_KEYS", "page", "save_upload"]

DATA_KEYS = ("model", "partners", "segments", "coverage", "supply", "extends")


def page() -> None:
    st.title("Scenario")
    st.caption(
        "Choose the partner landscape, budget and rules to work on, and check what was loaded."
    )
    ss = state()
    bundled = [str(p) for p in bundled_scenarios()]
    options = list(dict.fromkeys([*bundled, ss["source"]]))
    if ss.get("scenario_pick") != ss["source"]:
        ss["scenario_pick"] = ss["source"]
    st.selectbox(
        "Scenario", options, format_func=label_of, key="scenario_pick", on_change=_pick_scenario
    )
    with st.expander("Upload a scenario (TOML with its CSV/XLSX tables)"):
        files = st.file_uploader(
            "Scenario files", type=["toml", "csv", "xlsx"], accept_multiple_files=True, key="upload"
        )
        st.button("Load uploaded scenario", disabled=not files, on_click=_load_upload)
        if ss.get("upload_error"):
            st.error(f"The upload could not be loaded: {ss['upload_error']}")
    s = base_scenario()
    if s is None:
        return
    d = describe(s)
    st.header(d["name"])
    if s.description:
        st.write(s.description)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Partners", f"{d['partners']:,}", border=True)
    c2.metric(
        "Segments",
        f"{d['segments']:,}",
        help=f"{d['named_segments']} with named accounts",
        border=True,
    )
    cur = s.currency
    c3.metric("Segment value", money(d["segment_value"]), border=True)
    c4.metric(
        money_header("Budget", cur),
        money(d["budget_total"]),
        help=f"All partners together would cost {money(d['total_partner_cost'], cur)}.",
        border=True,
    )
    if d["problems"]:
        st.subheader("Things to check")
        for problem in d["problems"]:
            st.warning(problem, icon=":material/warning:")
    else:
        st.success("No problems found in the scenario.", icon=":material/check_circle:")
    left, right = st.columns(2)
    with left:
        st.subheader("Partners by type")
        by_type = pd.DataFrame({"partners": pd.Series(d["partners_by_type"])})
        st.dataframe(by_type, width="stretch")
    with right:
        st.subheader("Rules")
        rules = {
            "Objective": d["objective"].replace("_", " "),
            "Criteria model": d["model"] or "none (scores from the table)",
            "Currency": cur or "not given (amounts are plain numbers)",
            "Budget pools": ", ".join(
                f"{k}: {money(v, cur)}" for k, v in d["budget_pools"].items()
            )
            or "none",
            "Must include": ", ".join(d["must_include"]) or "none",
            "Must exclude": ", ".join(d["must_exclude"]) or "none",
            "Conflicts": "; ".join(" / ".join(c) for c in d["conflicts"]) or "none",
            "Max partners per segment": str(s.constraints.max_partners_per_segment or "no cap"),
        }
        st.dataframe(pd.DataFrame({"setting": rules}), width="stretch")
    with st.expander("Files read"):
        for f in d["files"]:
            st.text(label_of(f))
    st.download_button(
        "Download scenario (TOML)",
        scenario_toml_bytes(s),
        file_name=f"{Path(s.source or 'scenario').stem}.toml",
        mime="application/toml",
        icon=":material/download:",
    )


# --- the scenario picker and the upload --------------------------------------------------


def _pick_scenario() -> None:
    st.session_state["source"] = st.session_state["scenario_pick"]
    st.session_state["upload_error"] = None


def _load_upload() -> None:
    ss = st.session_state
    ss["upload_error"] = None
    try:
        path = save_upload(list(ss.get("upload") or []))
        load_source(str(path))
    except (SelectorError, OSError, UnicodeDecodeError) as exc:
        ss["upload_error"] = error_words(exc)
        drop_upload_dir(ss.pop("upload_dir", None))
    else:
        ss["source"] = str(path)


# Upload folders this process made: removed when a newer upload replaces one, at exit,
# and (for those of earlier runs that ended without cleaning up) once a day old.
UPLOAD_PREFIX = "selector-upload-"
STALE_AFTER = 24 * 3600.0
_MADE: set[str] = set()


def drop_upload_dir(folder: str | None) -> None:
    if folder and Path(folder).name.startswith(UPLOAD_PREFIX):
        shutil.rmtree(folder, ignore_errors=True)
        _MADE.discard(folder)


def _drop_all_made() -> None:
    for folder in list(_MADE):
        drop_upload_dir(folder)


atexit.register(_drop_all_made)


def sweep_stale_uploads(now: float | None = None, *, tmp: str | None = None) -> list[str]:
    """Remove upload folders older than :data:`STALE_AFTER` (left by a server that was
    killed); return the ones removed."""
    now = time.time() if now is None else now
    removed = []
    for folder in Path(tmp or tempfile.gettempdir()).glob(f"{UPLOAD_PREFIX}*"):
        try:
            old = now - folder.lstat().st_mtime > STALE_AFTER
        except OSError:
            continue
        if old and folder.is_dir() and not folder.is_symlink() and str(folder) not in _MADE:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(str(folder))
    return removed


def save_upload(files: list[Any]) -> Path:
    """Save uploaded files into a fresh temporary folder; return the scenario TOML.

    The folder gets a ``models`` link to the bundled criteria models, so a scenario
    that says ``model = "../models/partner-selection.toml"`` loads as it does here.
    Data paths must stay inside the upload folder or the bundled models.
    """
    drop_upload_dir(st.session_state.get("upload_dir"))
    sweep_stale_uploads()
    top = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX))
    _MADE.add(str(top))
    st.session_state["upload_dir"] = str(top)
    return write_upload(files, top)


def write_upload(files: list[Any], top: Path) -> Path:
    """Write uploaded files (objects with ``name`` and ``getvalue()``) under ``top`` and
    return the scenario TOML, after checking that every file it reaches, through
    ``extends`` at any depth, stays inside the upload or the bundled models."""
    folder = top / "scenario"
    folder.mkdir()
    (top / "models").symlink_to(MODELS_DIR, target_is_directory=True)
    tomls: list[Path] = []
    for f in files:
        name = Path(f.name).name
        if not name or name.startswith("."):
            continue
        target = folder / name
        target.write_bytes(f.getvalue())
        if target.suffix.lower() == ".toml":
            tomls.append(target)
    candidates = []
    for path in tomls:
        data = read_toml(path, name=path.name)
        if "partners" in data or "extends" in data:
            candidates.append(path)
    # A file that another uploaded file extends is a base, not the scenario to load.
    bases = set()
    for path in candidates:
        value = read_toml(path, name=path.name).get("extends")
        if isinstance(value, str):
            bases.add((path.parent / value).resolve())
    tops = [p for p in candidates if p.resolve() not in bases] or candidates
    if len(tops) != 1:
        raise SelectorError(
            "upload exactly one scenario TOML (a file with 'partners = ...') together with "
            f"its tables; found {len(tops)}"
        )
    check_inside(tops[0], [folder.resolve(), MODELS_DIR.resolve()])
    return tops[0]


def check_inside(path: Path, roots: list[Path]) -> None:
    """Raise unless every file ``path`` names, and every file its ``extends`` chain
    names, lies inside ``roots`` (checked before any of them is read)."""
    seen: set[Path] = set()
    current: Path | None = path
    while current is not None and current.resolve() not in seen:
        seen.add(current.resolve())
        data = read_toml(current, name=current.name)
        following = None
        for key in DATA_KEYS:
            value = data.get(key)
            if value is None:
                continue
            if not isinstance(value, str) or not _inside(current.parent / value, roots):
                raise SelectorError(
                    f"{current.name}: '{key} = {value!r}' points outside the uploaded files; "
                    "upload the file and refer to it by its name"
                )
            if key == "extends":
                following = current.parent / value
        current = following


def _inside(path: Path, roots: list[Path]) -> bool:
    try:
        resolved = path.resolve()
    except (OSError, ValueError, RuntimeError):
        return False
    return any(resolved == r or r in resolved.parents for r in roots)


if __name__ == "__main__":  # run by Streamlit as the page
    page()
