"""Page "Workspace": save the current what-if and its portfolio, reopen saved ones, and
compare any two saved runs. Everything is kept in the team's database (see
:mod:`selector.store`); a save never overwrites, it adds a version.

Streamlit runs this file as the page (``st.Page`` in ``app.py``); importing it only
defines :func:`page`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from selector import Scenario, SelectorError
from selector.app.shared import (
    base_scenario,
    current_portfolio,
    current_scenario,
    judgment_store,
    portfolio_changes,
)
from selector.app.workspace_shared import app_store, open_whatif, user_name
from selector.store import Store
from selector.store.compare import diff_runs

__all__ = ["page"]


def _when(value: Any) -> str:
    return str(value.astimezone().strftime("%Y-%m-%d %H:%M"))


def page() -> None:
    st.title("Workspace")
    st.caption(
        "The team's saved what-ifs and plans: save the settings you are looking at, reopen "
        "anyone's, and compare two saved runs. A save never overwrites; it adds a version."
    )
    store = app_store()
    if store is None:
        return
    who = user_name()
    opened = st.session_state.pop("workspace:opened", None)
    if opened:
        st.success(opened, icon=":material/folder_open:")
    base = base_scenario()
    if base is not None:
        save_section(store, base, who)
    whatif_section(store)
    runs_section(store)
    st.caption(f"Database: `{store.url}`")


def save_section(store: Store, base: Scenario, who: str) -> None:
    st.subheader("Save the current what-if")
    changes = portfolio_changes(base)
    edited = dict(judgment_store(base.model)) if base.model is not None else {}
    described = []
    if "budget" in changes:
        described.append(f"budget {changes['budget']['total']:,}")
    for key, value in changes.get("constraints", {}).items():
        described.append(f"{key.replace('_', ' ')} {value}")
    if edited:
        described.append(f"{len(edited)} edited judgments")
    st.caption(
        f"**{base.name}**: " + ("; ".join(described) if described else "no changes yet")
    )
    with st.form("workspace:save"):
        c1, c2 = st.columns([1, 2])
        name = c1.text_input("What-if name", placeholder="e.g. Budget cut 20 %")
        note = c2.text_input("Note", placeholder="Why this one")
        with_run = st.checkbox("Save the portfolio it gives as a run too", value=True)
        submitted = st.form_submit_button("Save what-if", type="primary", icon=":material/save:")
    if not submitted:
        return
    if not name.strip():
        st.error("Give the what-if a name.")
        return
    if not who:
        st.error("Type your name above first.")
        return
    try:
        saved = store.save_scenario(base, author=who)
        run_id = None
        s = current_scenario(quiet=True)
        if with_run and s is not None:
            result = current_portfolio(s)
            run_id = store.save_run(
                result, fingerprint=s.fingerprint, options={"solver": result.solver},
                label=name.strip(), author=who,
            ).id
        rec = store.save_whatif(
            name, scenario_version=saved.id, changes=changes, judgments=edited, run=run_id,
            author=who, note=note,
        )
    except SelectorError as exc:
        st.error(f"Not saved: {exc}")
        return
    st.success(
        f"Saved what-if **{rec.name}** (version {rec.version})"
        + (f" with run {run_id}" if run_id else "") + ".",
        icon=":material/check:",
    )


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
             "when": _when(r.created_at), "changes": str(r.changes) if r.changes else "-",
             "edited judgments": len(r.judgments), "run": r.run_id, "note": r.note}
            for r in rows
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    labels = {r.id: f"{r.name} v{r.version} · {r.author}, {_when(r.created_at)}" for r in rows}
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    pick = c1.selectbox("Open a saved what-if", list(labels), format_func=labels.__getitem__)
    c2.button("Open what-if", on_click=_open, args=(store, pick), icon=":material/folder_open:")


def runs_section(store: Store) -> None:
    st.subheader("Saved runs")
    runs = store.runs()
    if not runs:
        st.info("No saved runs yet: saving a what-if saves its portfolio as a run.",
                icon=":material/inbox:")
        return
    table = pd.DataFrame(
        [
            {"id": r.id, "label": r.label, "saved by": r.author, "when": _when(r.created_at),
             "status": r.status, "objective": r.objective, "gap": r.gap,
             "cost": r.result.get("cost"), "partners": len(r.selected)}
            for r in runs
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
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
