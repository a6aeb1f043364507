"""Page "Workspace": the what-ifs and runs the team saved, reopened or compared. What-ifs
are saved with their portfolio on the Portfolio page ("Save what-if"); everything is kept
in the team's database (see :mod:`selector.store`); a save never overwrites, it adds a
version.

Streamlit runs this file as the page (``st.Page`` in ``app.py``); importing it only
defines :func:`page`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from selector import SelectorError
from selector.app.workspace_shared import app_store, changes_words, identity_line, open_whatif
from selector.display import money
from selector.store import RunRecord, Store
from selector.store.compare import diff_runs

__all__ = ["RUN_STATUS", "page", "runs_table"]

RUN_STATUS = {
    "optimal": "Proven optimal",
    "time_limit": "Best found in the time limit",
    "infeasible": "Infeasible",
    "error": "Solver error",
}


def _when(value: Any) -> str:
    return str(value.astimezone().strftime("%Y-%m-%d %H:%M"))


def page() -> None:
    st.title("Workspace")
    st.caption(
        "The team's saved what-ifs and plans: reopen anyone's and compare two saved runs. "
        "Save the settings you are looking at with **Save what-if** on the Portfolio page; "
        "a save never overwrites, it adds a version."
    )
    store = app_store()
    if store is None:
        return
    identity_line(store)
    opened = st.session_state.pop("workspace:opened", None)
    if opened:
        st.success(opened, icon=":material/folder_open:")
    st.page_link(
        "selector/app/portfolio.py", label="Save a what-if on the Portfolio page",
        icon=":material/bookmark_add:",
    )
    whatif_section(store)
    runs_section(store)
    st.caption(f"Database: `{store.url}`")


def _open(store: Store, whatif_id: int) -> None:
    try:
        st.session_state["workspace:opened"] = open_whatif(store, whatif_id)
    except SelectorError as exc:
        st.session_state["workspace:opened"] = f"Could not open the what-if: {exc}"


def whatif_section(store: Store) -> None:
    st.subheader("Saved what-ifs")
    rows = store.whatifs()
    if not rows:
        st.info("Nothing saved yet.", icon=":material/inbox:")
        return
    table = pd.DataFrame(
        [
            {"id": r.id, "what-if": r.name, "version": r.version, "saved by": r.author,
             "when": _when(r.created_at), "changes": changes_words(r.changes),
             "edited judgments": len(r.judgments), "run": r.run_id, "note": r.note}
            for r in rows
        ]
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "id": st.column_config.NumberColumn("Id", width=50),
            "what-if": st.column_config.TextColumn("What-if", width=200),
            "version": st.column_config.NumberColumn("Version", width=70),
            "saved by": "Saved by",
            "when": "When",
            "changes": st.column_config.TextColumn("Changes", width="large"),
            "edited judgments": st.column_config.NumberColumn(
                "Judgments", width=90, help="Criteria judgments edited in this what-if."
            ),
            "run": st.column_config.NumberColumn("Run", width=50),
            "note": "Note",
        },
    )
    labels = {r.id: f"{r.name} v{r.version} · {r.author}, {_when(r.created_at)}" for r in rows}
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    pick = c1.selectbox("Open a saved what-if", list(labels), format_func=labels.__getitem__)
    c2.button("Open what-if", on_click=_open, args=(store, pick), icon=":material/folder_open:")


def runs_table(runs: list[RunRecord]) -> pd.DataFrame:
    """Saved runs as the page reads them: exact numbers, "—" where a run has no
    portfolio (an infeasible run has no cost, objective, gap or partners)."""
    rows = []
    for r in runs:
        has = r.status in ("optimal", "time_limit")
        cost = r.result.get("cost")
        rows.append(
            {"id": r.id, "label": r.label, "saved by": r.author, "when": _when(r.created_at),
             "status": RUN_STATUS.get(r.status, r.status),
             "objective": f"{r.objective:,.0f}" if has and r.objective is not None else "—",
             "gap": f"{max(r.gap, 0.0):.2%}" if has and r.gap is not None else "—",
             "cost": money(cost) if has and cost is not None else "—",
             "partners": f"{len(r.selected):,}" if has else "—"}
        )
    return pd.DataFrame(rows)


def runs_section(store: Store) -> None:
    st.subheader("Saved runs")
    runs = store.runs()
    if not runs:
        st.info("No saved runs yet: saving a what-if saves its portfolio as a run.",
                icon=":material/inbox:")
        return
    st.dataframe(
        runs_table(runs),
        hide_index=True,
        width="stretch",
        column_config={
            "id": st.column_config.NumberColumn("Id", width=50),
            "label": st.column_config.TextColumn("Label", width=200),
            "saved by": "Saved by",
            "when": "When",
            "status": st.column_config.TextColumn("Status", width=170),
            "objective": "Objective",
            "gap": "Gap",
            "cost": "Cost",
            "partners": "Partners",
        },
    )
    if len(runs) < 2:
        return
    labels = {r.id: f"#{r.id} {r.label} · {r.author}, {_when(r.created_at)}" for r in runs}
    c1, c2 = st.columns(2)
    a = c1.selectbox("Compare run", list(labels), index=1, format_func=labels.__getitem__)
    b = c2.selectbox("with run", list(labels), index=0, format_func=labels.__getitem__)
    d = diff_runs(store.run(a), store.run(b))
    st.caption("Same input" if d["same_input"] else "Different input (scenario or settings)")
    numbers = pd.DataFrame(d["numbers"]).rename(columns={"name": "", "a": f"run {a}",
                                                         "b": f"run {b}", "delta": "change"})
    st.dataframe(numbers, hide_index=True)
    c3, c4 = st.columns(2)
    c3.markdown("**Added:** " + (", ".join(d["added"]) or "none"))
    c4.markdown("**Dropped:** " + (", ".join(d["dropped"]) or "none"))
    if d["plan_changes"]:
        st.dataframe(pd.DataFrame(d["plan_changes"]), hide_index=True)


if __name__ == "__main__":  # run by Streamlit as the page
    page()
