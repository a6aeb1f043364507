"""The way out of an infeasible what-if: the least change of each limit that makes it
feasible on its own (``result.relaxations``), as a table people read, and a button per
change that sets the page's controls to it and proves the plan.

A change lands in the control that owns its setting, so the page shows what was applied
and the what-if saves it like any edit: the budget box, max partners per segment, the
programme editor's limits and quotas, the rules table. A setting no control edits (a
budget pool, the type mix, the minimum partners of a segment, named-account continuity)
is kept in ``store["<fingerprint>:way_out"]`` in the scenario-file shape, listed under
the controls with a button that undoes it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from selector import PortfolioResult, Scenario
from selector.app.programme_editor import limit_rows, programme_changes, tier_rows
from selector.app.shared import current_scenario, detail_table, state
from selector.inputs.scenario.rules import rule_rows
from selector.inputs.scenario.toml import deep_merge
from selector.portfolio.relax import Relaxation, apply_relaxation, horizon_with, relaxation_values

__all__ = [
    "apply_way_out",
    "button_label",
    "render_extra_changes",
    "render_way_out",
    "way_out_frame",
    "way_out_frame_value",
]

#: Buttons shown at most (the changes that fix the scenario alone, most wanted first).
MAX_BUTTONS = 6


def way_out_frame(r: PortfolioResult, currency: str | None = None) -> pd.DataFrame | None:
    """The relaxations as text, one row per limit: the limit in words, its setting,
    today's and the needed value as people read them (money with the currency), and the
    sentence; None when the result has none."""
    rows = list(getattr(r, "relaxations", ()) or ())
    if not rows:
        return None
    records = []
    for x in rows:
        today, needed = relaxation_values(x)
        if x.unit == "money":
            today = _money_text(today, currency)
            needed = _money_text(needed, currency)
        records.append({"limit": x.what or x.setting, "setting": x.setting, "today": today,
                         "needed": needed, "sentence": x.sentence})
    return pd.DataFrame(records, columns=["limit", "setting", "today", "needed", "sentence"])


def _money_text(shown: str, currency: str | None) -> str:
    return shown if shown == "-" or not currency else f"{currency} {shown}"


def button_label(x: Relaxation, currency: str | None = None) -> str:
    """``"Total budget -> CNY 36,904,800"``, ``"Limit on exits -> 53"``."""
    _, needed = relaxation_values(x)
    if x.unit == "money":
        needed = _money_text(needed, currency)
    what = (x.what or x.setting).removeprefix("the ")
    return f"{what[:1].upper()}{what[1:]} → {needed}"


def render_way_out(base: Scenario, s: Scenario, r: PortfolioResult, *, key: str) -> None:
    """The table of ways out, and a button for each change that fixes the what-if alone
    (the least extra budget and the fewest extra exits first)."""
    frame = way_out_frame(r, s.currency)
    if frame is None:
        return
    st.markdown("**The smallest ways out** (each change alone makes the what-if feasible):")
    detail_table(
        frame.set_index("limit"),
        key=f"way_out_table:{key}",
        text="sentence",
        column_config={
            "_index": st.column_config.TextColumn("Limit", width=360),
            "setting": None,
            "today": st.column_config.TextColumn("Today", width=125),
            "needed": st.column_config.TextColumn("Needed", width=125),
            "sentence": st.column_config.TextColumn("What it means", width="large"),
        },
    )
    fixes = [x for x in r.relaxations if x.fixes][:MAX_BUTTONS]
    if not fixes:
        return
    st.markdown("**Apply one:** the page's controls take the new value and the plan is proved.")
    for k, x in enumerate(fixes):
        st.button(
            button_label(x, s.currency),
            key=f"way_out:{key}:{k}",
            help=x.sentence,
            on_click=apply_way_out,
            args=(base, s, x),
            icon=":material/build:",
        )


def apply_way_out(base: Scenario, s: Scenario, x: Relaxation) -> None:
    """Set the control owning ``x``'s setting to its needed value (a button's callback,
    run before the page is drawn again) and ask for the changed what-if to be proved."""
    fp = base.fingerprint
    store = state()["store"]
    path, needed = x.path, x.needed
    if needed is None:
        return
    if path == ("budget", "total"):
        _set_widget(f"{fp}:budget", int(math.ceil(float(needed) - 1e-9)))
    elif path == ("constraints", "max_partners_per_segment"):
        _set_widget(f"{fp}:max_per_segment", int(needed))
    elif path[0] == "programme" and _in_editor(base, path):
        _set_programme(base, path, needed)
    elif path[0] == "rules":
        rules = list(apply_relaxation(s, x).config.get("rules", []) or [])
        store[f"{fp}:rules"] = rules
        store[f"{fp}:rule_rows"] = rule_rows(rules)
        store[f"{fp}:rule_errors"] = {}
    else:
        change: Any = needed
        if path[0] == "horizon":  # one year's limit: every year's value written out
            change = {"horizon": horizon_with(s, path, needed)}
        else:
            for part in reversed(path):
                change = {part: change}
        store[f"{fp}:way_out"] = deep_merge(dict(store.get(f"{fp}:way_out") or {}), change)
        words = dict(store.get(f"{fp}:way_out_words") or {})
        words[x.setting] = way_out_frame_value(x, s.currency)
        store[f"{fp}:way_out_words"] = words
    store[f"{fp}:way_out_note"] = f"Applied: {x.sentence}"
    new = current_scenario(quiet=True)
    if new is not None:
        state()["solve_requested"].add(new.fingerprint)


def _set_widget(name: str, value: Any) -> None:
    state()["store"][name] = value
    st.session_state[f"w:{name}"] = value


def _in_editor(base: Scenario, path: Sequence[str]) -> bool:
    """Whether the programme editor has a cell for ``path``."""
    if base.programme is None or base.partners.get("status") is None:
        return False
    if len(path) == 2:
        return path[1] in ("max_exits", "max_recruits")
    return len(path) == 3 and path[2] in ("max_share", "max_count")


def _set_programme(base: Scenario, path: Sequence[str], needed: Any) -> None:
    """Write ``needed`` into the programme editor's rows and the changes they make."""
    assert base.programme is not None
    fp = base.fingerprint
    store = state()["store"]
    limits = [dict(row) for row in store.get(f"{fp}:programme_limits") or limit_rows(base.programme)]
    tiers = [dict(row) for row in store.get(f"{fp}:programme_tiers") or tier_rows(base.programme)]
    if len(path) == 2:
        limits[0][path[1]] = int(needed)
    else:
        for row in tiers:
            if row["tier"] == path[1]:
                row[path[2]] = 100 * float(needed) if path[2] == "max_share" else int(needed)
    store[f"{fp}:programme_limits"] = limits
    store[f"{fp}:programme_tiers"] = tiers
    changes = programme_changes(base.programme, limits, tiers)
    if len(path) == 3 and path[2] == "max_share":
        # the exact share (the editor's per cent may lose the last digit)
        changes.setdefault(path[1], {})["max_share"] = float(needed)
    store[f"{fp}:programme"] = changes
    store[f"{fp}:programme_error"] = None


def way_out_frame_value(x: Relaxation, currency: str | None) -> str:
    """``x``'s needed value as the table shows it."""
    needed = relaxation_values(x)[1]
    return _money_text(needed, currency) if x.unit == "money" else needed


def render_extra_changes(base: Scenario) -> None:
    """The note of the last way out applied, and the applied settings no control shows
    with a button that undoes them."""
    fp = base.fingerprint
    store = state()["store"]
    note = store.pop(f"{fp}:way_out_note", None)
    if note:
        st.info(note, icon=":material/build:")
    if not store.get(f"{fp}:way_out"):
        return
    shown = store.get(f"{fp}:way_out_words") or {}
    words = "; ".join(f"{k} = {v}" for k, v in shown.items())
    c1, c2 = st.columns([4, 1], vertical_alignment="center")
    c1.caption(f"Also changed by a way out: {words}")
    c2.button("Undo these", key=f"way_out_undo:{fp}", on_click=_undo, args=(fp,),
              icon=":material/undo:")


def _undo(fp: str) -> None:
    state()["store"].pop(f"{fp}:way_out", None)
    state()["store"].pop(f"{fp}:way_out_words", None)

