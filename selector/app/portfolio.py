"""Page "Portfolio": budget and rules in, the best portfolio out, with its proof and why.

A quick (greedy) answer shows at once; the exact solve follows by itself for a small
scenario or on request for a large one. The answer itself (status, plan, roadmap,
partners, coverage, budget, reasons) is drawn by :mod:`selector.app.answer`. The
portfolio shown is remembered for the map. Streamlit runs this file as the page (``st.Page`` in ``app.py``); importing it only
defines :func:`page`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping

import pandas as pd
import streamlit as st

from selector import PortfolioResult, Scenario, SelectorError, SolverError
from selector.app.answer import render_result
from selector.app.programme_editor import programme_editor
from selector.app.shared import (
    AUTO_SOLVE_MAX_PARTNERS,
    base_scenario,
    bound,
    current_scenario,
    error_words,
    explain_cached,
    heuristic_cached,
    progress_words,
    result_key,
    scores_cached,
    setting,
    solve_with_clock,
    state,
)
from selector.app.status import (
    QUICK,
    answer_origin,
    shown_answer,
    solved_label,
    status_note,
)
from selector.app.way_out import render_extra_changes
from selector.app.workspace_shared import app_store, save_whatif
from selector.display import money, money_compact, money_header
from selector.errors import ScenarioError
from selector.inputs.scenario import check_rules
from selector.inputs.scenario.rules import ROW_COLUMNS, RULE_KINDS, rule_rows, rules_from_rows
from selector.report import (
    money_headers,
    portfolio_table,
    scenario_toml_bytes,
    to_csv_bytes,
    to_xlsx_bytes,
)

__all__ = [
    "EXACT_TIME_LIMITS",
    "page",
    "rules_editor",
    "workbook_sheets",
]

EXACT_TIME_LIMITS = (5, 10, 30, 60)


def page() -> None:
    st.title("Portfolio")
    st.caption(
        "Set the budget and rules: a quick answer appears at once, then the optimizer proves "
        "how good it is."
    )
    base = base_scenario()
    if base is None:
        return
    portfolio_controls(base)
    render_extra_changes(base)
    s = current_scenario()
    if s is None:
        return
    fp = s.fingerprint
    small = len(s.partners) <= AUTO_SOLVE_MAX_PARTNERS
    answers = state()["answers"]
    first, origin = shown_answer(s, answers, state().get("last_shown"))
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    auto = bound(
        c1.toggle,
        "Prove the best portfolio after each change",
        f"{base.fingerprint}:auto",
        small,
        help=f"On by default for scenarios of up to {AUTO_SOLVE_MAX_PARTNERS} partners, where a "
        f"proof takes seconds; this one has {len(s.partners):,}, "
        + (
            "so it is on."
            if small
            else "so it is off: a proof can take the whole time limit after every change."
        ),
    )
    limit = bound(
        c2.select_slider, "Solver time limit (s)", "time_limit", 10, options=EXACT_TIME_LIMITS
    )
    requested = fp in state()["solve_requested"]
    will_solve = origin == QUICK and (auto or requested)
    c3.button(
        "Solve exactly",
        type="primary",
        on_click=_request_solve,
        args=(fp,),
        disabled=auto or origin != QUICK or will_solve,
        icon=":material/calculate:",
    )
    status_slot = st.empty()
    slot = st.empty()
    if first is None:
        first = heuristic_cached(s, fp)
    with slot.container():
        render_result(s, first)
    final = first
    note = status_note(origin, first, will_solve=will_solve)
    if note is not None:
        show = status_slot.warning if note.kind == "warning" else status_slot.info
        show(note.text, icon=note.icon)
    if will_solve:
        with status_slot.status(
            f"Proving the best portfolio (up to {limit} s)…", expanded=True
        ) as status:
            clock = st.empty()
            try:  # in a worker process: a crash or a kill is a message, the server stays up
                exact: PortfolioResult | None = solve_with_clock(
                    s,
                    fp,
                    float(limit),
                    lambda t, live: clock.progress(
                        min(t / float(limit), 1.0),
                        text=f"Solving: {t:.0f} s of up to {limit} s{progress_words(live)}",
                    ),
                )
            except SolverError as exc:
                exact = None
                status.update(label=f"Exact solve failed: {error_words(exc)}", state="error")
            clock.empty()
            if exact is not None:
                status.update(
                    label=solved_label(exact),
                    state="complete" if exact.status in ("optimal", "time_limit") else "error",
                    expanded=False,
                )
        if exact is not None:
            with slot.container():
                render_result(s, exact)
            final, origin = exact, answer_origin(exact)
    answers[fp] = (final, origin)
    state()["last_shown"] = (s, final)
    st.divider()
    keep_and_share(base, s, final)


def keep_and_share(base: Scenario, s: Scenario, final: PortfolioResult) -> None:
    """Downloads of the answer shown, and the one "Save what-if" (to the workspace)."""
    fp = s.fingerprint
    st.subheader("Keep and share")
    d1, d2, d3 = st.columns(3)
    if final.feasible:
        scores = scores_cached(s, fp)
        reasons = explain_cached(s, final, fp, result_key(final))
        table = portfolio_table(s, final, scores=scores.score, bands=scores.band, reasons=reasons)
        d1.download_button(
            "Portfolio (CSV)",
            to_csv_bytes(money_headers(table, s.currency)),
            file_name="portfolio.csv",
            mime="text/csv",
            icon=":material/download:",
        )
        d2.download_button(
            "Portfolio (Excel)",
            to_xlsx_bytes(workbook_sheets(s, final, table, reasons)),
            file_name="portfolio.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:",
        )
    d3.download_button(
        "Scenario with these settings (TOML)",
        scenario_toml_bytes(s),
        file_name="scenario-whatif.toml",
        mime="application/toml",
        icon=":material/download:",
    )
    save_form(base, s, final)


def save_form(base: Scenario, s: Scenario, final: PortfolioResult) -> None:
    """Save these settings and the answer shown as a what-if in the team workspace."""
    ss = state()
    with st.form("save_variant", border=True):
        st.markdown(
            "**Save these settings as a what-if** (in the team workspace: Compare and "
            "Workspace list it)"
        )
        f1, f2 = st.columns(2)
        name = f1.text_input("What-if name", value=f"Budget {money(s.budget.total, s.currency)}")
        note = f2.text_input("Note", placeholder="Why this one")
        submitted = st.form_submit_button(
            "Save what-if", type="primary", icon=":material/bookmark_add:"
        )
    done = ss.pop("portfolio:saved", None)
    if done:
        st.success(done, icon=":material/check:")
    if not submitted:
        return
    if not name.strip():
        st.error("Give the what-if a name.")
        return
    store = app_store(save=True)  # saved as this session's visitor, never a typed name
    if store is None:
        return
    try:
        rec = save_whatif(store, base, s, final, name=name.strip(), note=note)
    except SelectorError as exc:
        st.error(f"Not saved: {error_words(exc)}")
        return
    ss["whatif_results"][rec.id] = final
    st.success(
        f"Saved what-if **{rec.name}** (version {rec.version}) with its portfolio: "
        "Compare and Workspace list it.",
        icon=":material/check:",
    )


def workbook_sheets(
    s: Scenario, r: PortfolioResult, table: pd.DataFrame, reasons: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """The Excel export: the portfolio, reasons, coverage, budget, summary (and the plan,
    and the roadmap by year and by partner and year, when the answer has them)."""
    frames = r.to_frame()
    summary = frames["summary"].copy()
    summary["currency"] = s.currency or ""
    sheets = {
        "Portfolio": money_headers(table, s.currency),
        "Why in or out": money_headers(reasons, s.currency),
        "Coverage": r.coverage,
        "Budget": money_headers(frames["pools"], s.currency),
        "Summary": summary,
    }
    if r.plan is not None:
        sheets["Plan"] = money_headers(r.plan, s.currency)
    if r.roadmap is not None and r.roadmap_summary is not None:
        by_year = r.roadmap_summary.set_index("year")
        by_year["currency"] = s.currency or ""
        sheets["Roadmap by year"] = money_headers(by_year, s.currency)
        sheets["Roadmap"] = money_headers(r.roadmap.set_index("partner_id"), s.currency)
    return sheets


# --- budget and rules ----------------------------------------------------------------------


def roadmap_budget_note(base: Scenario) -> tuple[bool, str]:
    """For a roadmap: whether its years' budgets are its own (``horizon.budget`` by year
    or as a total over the horizon, so the total budget box does not set them), and a
    note of each year's budget; ``(False, "")`` for a one-year plan."""
    hz = base.horizon
    if hz is None:
        return False, ""
    raw = (base.config.get("horizon") or {}).get("budget")
    own = isinstance(raw, Mapping) and ("by_year" in raw or "total" in raw)
    years = ", ".join("no limit" if b is None else money_compact(b) for b in hz.budgets)
    if own and isinstance(raw, Mapping):
        how = "year by year" if "by_year" in raw else "as a total over the horizon"
        return True, (f"the roadmap's budgets are set {how} in the file's [horizon] budget "
                      f"({years}): change them there")
    growth = raw.get("growth", 0.0) if isinstance(raw, Mapping) else 0.0
    grows = f", then {growth:+.0%} a year" if growth else ", the same each year"
    return False, f"the roadmap's budget is this in year 1{grows} ({years})"


def portfolio_controls(base: Scenario) -> None:
    fp = base.fingerprint
    cur = base.currency
    p = base.partners
    total_cost = float(p["cost"].sum())
    budget0 = base.budget.total if base.budget.total is not None else total_cost
    top = max(total_cost, budget0)
    step = 10 ** max(0, int(math.log10(max(top, 1))) - 2)
    exact0: int | float = int(budget0) if float(budget0).is_integer() else float(budget0)
    own, years_note = roadmap_budget_note(base)
    with st.container(border=True):
        c1, c2 = st.columns([3, 1])
        # A typed or loaded budget stays exact; the +/- buttons move by ``step``.
        typed = bound(
            c1.number_input,
            money_header("Year-1 budget" if base.horizon is not None and not own else "Total budget", cur),
            f"{fp}:budget",
            exact0,
            min_value=0,
            max_value=int(math.ceil(top * 2)),
            step=int(step),
            format="%d",
            disabled=own,
            help=years_note if own else f"Exact as typed or loaded; the buttons move it by {money(step, cur)}.",
        )
        c1.caption(
            f"{money(float(typed), cur)} ({money_compact(float(typed))}) · all partners "
            f"together cost {money(total_cost, cur)}"
            + (
                ""
                if base.budget.total is None
                else f" · the file says {money(base.budget.total, cur)}"
            )
            + (f" · {years_note}" if years_note else "")
        )
        bound(
            c2.number_input,
            "Max partners per segment",
            f"{fp}:max_per_segment",
            int(base.constraints.max_partners_per_segment or 0),
            min_value=0,
            max_value=50,
            step=1,
            help="0 = no cap",
        )
        ids = list(p.index)
        include_now = set(setting(f"{fp}:include", list(base.constraints.must_include)))
        exclude_now = set(setting(f"{fp}:exclude", list(base.constraints.must_exclude)))

        def fmt(pid: str) -> str:
            return f"{pid} · {p.at[pid, 'name']}"

        # A partner forced in cannot be offered for ruling out, and the other way round.
        # One row each: the chosen partners' chips get the whole width.
        bound(
            st.multiselect,
            "Must include",
            f"{fp}:include",
            list(base.constraints.must_include),
            options=[i for i in ids if i not in exclude_now or i in include_now],
            format_func=fmt,
            placeholder="No partner forced in",
        )
        bound(
            st.multiselect,
            "Must exclude",
            f"{fp}:exclude",
            list(base.constraints.must_exclude),
            options=[i for i in ids if i not in include_now or i in exclude_now],
            format_func=fmt,
            placeholder="No partner ruled out",
        )
    rules_editor(base)
    programme_editor(base)


RULE_HELP = (
    "One rule a row: an id, a label the explanations use, a kind (count, cost, coverage, "
    "requires, group) and its settings as TOML lines, e.g. "
    "`where = { type = \"si\", industries = \"finance\" }; min = 3`. "
    "See the README for every kind."
)


def rules_editor(base: Scenario) -> None:
    """Strategists' rules as an editable table, checked by the scenario loader; rules
    that do not load are left out and their errors shown by rule id."""
    fp = base.fingerprint
    store = state()["store"]
    rows = store.get(f"{fp}:rule_rows")
    if rows is None:
        rows = rule_rows(base.config.get("rules", []))
    applied = store.get(f"{fp}:rules")
    n = len(applied) if applied is not None else len(base.rules)
    with st.expander(f"Rules ({n})", icon=":material/rule:", expanded=bool(store.get(f"{fp}:rule_errors"))):
        st.caption(RULE_HELP)
        frame = pd.DataFrame(rows, columns=list(ROW_COLUMNS)).astype(str)
        version = hashlib.sha1(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:10]
        edited = st.data_editor(
            frame,
            key=f"w:{fp}:rule_editor:{version}",
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config={
                "id": st.column_config.TextColumn("Id", required=True),
                "label": st.column_config.TextColumn("Label"),
                "kind": st.column_config.SelectboxColumn("Kind", options=list(RULE_KINDS), required=True),
                "settings": st.column_config.TextColumn("Settings (TOML)", width="large"),
            },
        )
        new_rows = [
            {c: ("" if pd.isna(v) else str(v)) for c, v in rec.items()}
            for rec in edited.to_dict(orient="records")
        ]
        if new_rows != rows:
            store[f"{fp}:rule_rows"] = new_rows
            try:
                parsed = rules_from_rows(new_rows)
            except ScenarioError as exc:
                store[f"{fp}:rule_errors"] = {"settings": exc.detail}
            else:
                good, errors = check_rules(base, parsed)
                store[f"{fp}:rules"] = good
                store[f"{fp}:rule_errors"] = errors
            st.rerun()
        for rid, message in (store.get(f"{fp}:rule_errors") or {}).items():
            st.error(f"Rule '{rid}' is left out: {message}", icon=":material/error:")


def _request_solve(fp: str) -> None:
    state()["solve_requested"].add(fp)


if __name__ == "__main__":  # run by Streamlit as the page
    page()
