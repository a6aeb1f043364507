"""Channel partner selector: the strategist's app.

A thin Streamlit face on the ``selector`` package: every number shown comes from a
selector function. Run with::

    streamlit run app.py -- --scenario scenarios/teaching.toml

Pages: Scenario, Criteria (AHP), Partners, Portfolio, Go-to-market map, Compare.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import math
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import altair as alt
import pandas as pd
import streamlit as st

from selector import (
    PortfolioResult,
    SelectorError,
    explain_partners,
    heuristic_solve,
    load_scenario,
    solve,
)
from selector.ahp import GroupResult
from selector.inputs.criteria import CriteriaModel, JudgmentSet
from selector.inputs.scenario import Scenario, describe
from selector.report import portfolio_table, scenario_toml_bytes, to_csv_bytes, to_xlsx_bytes
from selector.scoring import ModelWeights, PartnerScores, model_weights, positioning, score_partners

ROOT = Path(__file__).resolve().parent
SCENARIO_DIR = ROOT / "scenarios"
MODELS_DIR = ROOT / "models"
DEFAULT_SCENARIO = SCENARIO_DIR / "teaching.toml"
DATA_KEYS = ("model", "partners", "segments", "coverage", "supply", "extends")
EXACT_TIME_LIMITS = (5, 10, 30, 60)
AUTO_SOLVE_MAX_PARTNERS = 200
SAATY = tuple([1 / k for k in range(9, 1, -1)] + [float(k) for k in range(1, 10)])

PAGES = {
    "scenario": "Scenario",
    "criteria": "Criteria (AHP)",
    "partners": "Partners",
    "portfolio": "Portfolio",
    "map": "Go-to-market map",
    "compare": "Compare",
}
STATUS_WORDS = {
    "optimal": "Proven optimal",
    "time_limit": "Best found in the time limit",
    "infeasible": "No portfolio keeps every rule",
    "error": "Solver error",
}


# --- command line and session state ------------------------------------------------------


def cli_scenario(argv: list[str] | None = None) -> Path:
    """The ``--scenario`` given after ``--`` on the command line (default: teaching)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--scenario", default=None)
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if not args.scenario:
        return DEFAULT_SCENARIO
    path = Path(args.scenario)
    if not path.is_absolute() and not path.exists():
        path = ROOT / path
    return path.resolve()


def state() -> Any:
    ss = st.session_state
    ss.setdefault("source", str(cli_scenario()))
    ss.setdefault("store", {})
    ss.setdefault("variants", {})
    ss.setdefault("solve_requested", set())
    ss.setdefault("last_result", {})
    return ss


def _sync(name: str, wkey: str) -> None:
    st.session_state["store"][name] = st.session_state[wkey]


def bound(widget: Callable[..., Any], label: str, name: str, default: Any, **kw: Any) -> Any:
    """A widget whose value lives in ``session_state.store[name]``, so it survives page
    switches and other pages can read it."""
    store = state()["store"]
    wkey = f"w:{name}"
    if wkey not in st.session_state:
        st.session_state[wkey] = store.get(name, default)
    value = widget(label, key=wkey, on_change=_sync, args=(name, wkey), **kw)
    store[name] = value
    return value


def setting(name: str, default: Any) -> Any:
    return state()["store"].get(name, default)


def money(x: float | None) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "unlimited"
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.2f} M"
    if abs(x) >= 1e3:
        return f"{x / 1e3:,.0f} k"
    return f"{x:,.0f}"


# --- cached selector calls (keyed on fingerprints; _args are not hashed) -----------------


@st.cache_resource(show_spinner=False, max_entries=32)
def load_cached(path: str, mtime: float) -> Scenario:
    return load_scenario(path)


@st.cache_resource(show_spinner=False, max_entries=64)
def with_model_cached(
    _base: Scenario, base_fp: str, overrides: tuple[tuple[str, float], ...]
) -> Scenario:
    assert _base.model is not None
    model = apply_judgments(_base.model, dict(overrides))
    return dataclasses.replace(_base, model=model)


@st.cache_resource(show_spinner=False, max_entries=128)
def variant_cached(_base: Scenario, base_fp: str, changes_json: str) -> Scenario:
    return _base.with_changes(json.loads(changes_json))


@st.cache_resource(show_spinner=False, max_entries=64)
def weights_cached(_model: CriteriaModel, key: str) -> ModelWeights:
    return model_weights(_model)


@st.cache_resource(show_spinner=False, max_entries=64)
def scores_cached(_s: Scenario, fp: str) -> PartnerScores:
    return score_partners(_s)


@st.cache_resource(show_spinner=False, max_entries=128)
def heuristic_cached(_s: Scenario, fp: str) -> PortfolioResult:
    return heuristic_solve(_s)


@st.cache_resource(show_spinner=False, max_entries=64)
def solve_cached(_s: Scenario, fp: str, time_limit: float) -> PortfolioResult:
    return solve(_s, time_limit=time_limit)


@st.cache_resource(show_spinner=False, max_entries=64)
def explain_cached(_s: Scenario, _r: PortfolioResult, fp: str, key: str) -> pd.DataFrame:
    return explain_partners(_s, _r)


def result_key(r: PortfolioResult) -> str:
    return f"{r.solver}|{r.status}|{','.join(sorted(r.selected))}"


# --- scenario pipeline: loaded -> judgments applied -> what-if settings ------------------


def bundled_scenarios() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.toml"))


def label_of(path: str) -> str:
    p = Path(path)
    try:
        return p.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return f"uploaded: {p.name}"


def load_source(path: str) -> Scenario:
    return load_cached(path, Path(path).stat().st_mtime)


def base_scenario() -> Scenario | None:
    """The loaded scenario, or None after showing why it could not be loaded."""
    source = state()["source"]
    try:
        return load_source(source)
    except (SelectorError, OSError, tomllib.TOMLDecodeError) as exc:
        st.error(f"Could not load the scenario {label_of(source)}: {exc}")
        return None


def judgment_key(k: int, a: str, b: str) -> str:
    return f"{k}|{a}|{b}"


def judgment_store(model: CriteriaModel) -> dict[str, float]:
    return cast(dict[str, float], state()["store"].setdefault(f"judgments:{model.name}", {}))


def apply_judgments(model: CriteriaModel, overrides: Mapping[str, float]) -> CriteriaModel:
    sets: list[JudgmentSet] = []
    for k, js in enumerate(model.judgments):
        pairs = tuple(
            (a, b, float(overrides.get(judgment_key(k, a, b), v))) for a, b, v in js.pairs
        )
        sets.append(dataclasses.replace(js, pairs=pairs))
    return dataclasses.replace(model, judgments=tuple(sets))


def weighted_scenario(base: Scenario) -> Scenario:
    """The scenario with the strategist's edited judgments applied."""
    if base.model is None:
        return base
    overrides = judgment_store(base.model)
    if not overrides:
        return base
    return with_model_cached(base, base.fingerprint, tuple(sorted(overrides.items())))


def portfolio_changes(base: Scenario) -> dict[str, Any]:
    """What-if settings from the Portfolio page controls, in the scenario-file shape."""
    fp = base.fingerprint
    changes: dict[str, Any] = {}
    budget = setting(f"{fp}:budget", None)
    if budget is not None and budget != base.budget.total:
        changes["budget"] = {"total": int(budget)}
    constraints: dict[str, Any] = {}
    cap = setting(f"{fp}:max_per_segment", None)
    if cap is not None and cap != (base.constraints.max_partners_per_segment or 0):
        constraints["max_partners_per_segment"] = int(cap)
    include = setting(f"{fp}:include", None)
    if include is not None and tuple(include) != base.constraints.must_include:
        constraints["must_include"] = list(include)
    exclude = setting(f"{fp}:exclude", None)
    if exclude is not None and tuple(exclude) != base.constraints.must_exclude:
        constraints["must_exclude"] = list(exclude)
    if constraints:
        changes["constraints"] = constraints
    return changes


def current_scenario(*, quiet: bool = False) -> Scenario | None:
    """Loaded scenario + edited judgments + what-if settings (None if it cannot be built)."""
    base = base_scenario()
    if base is None:
        return None
    weighted = weighted_scenario(base)
    changes = portfolio_changes(base)
    if not changes:
        return weighted
    try:
        return variant_cached(weighted, weighted.fingerprint, json.dumps(changes, sort_keys=True))
    except SelectorError as exc:
        if not quiet:
            st.error(f"These settings do not make a valid scenario: {exc}")
        return None


# --- shared rendering --------------------------------------------------------------------


def coverage_share(r: PortfolioResult) -> float | None:
    share = r.to_dict()["covered_share"]
    return None if share is None else float(share)


def weighted_share(r: PortfolioResult) -> float | None:
    """Share of segment value reached, each segment counted at its best partner's score."""
    total = float(r.coverage["value"].sum())
    return float(r.coverage["counted_value"].sum()) / total if total else None


def status_line(r: PortfolioResult) -> str:
    if r.solver == "greedy":
        if r.feasible:
            return "Quick answer (greedy heuristic): good, not yet proven"
        return (
            "The quick answer found no portfolio keeping every rule; solve exactly to know for sure"
        )
    words = STATUS_WORDS.get(r.status, r.status)
    if r.status == "time_limit" and r.gap is not None and math.isfinite(r.gap):
        words += f", within {r.gap:.2%} of the best possible"
    return words


def gap_text(r: PortfolioResult) -> str:
    if r.solver == "greedy":
        return "not proven"
    if r.gap is None or not math.isfinite(r.gap):
        return "n/a"
    return f"{max(r.gap, 0.0):.2%}"


def result_metrics(r: PortfolioResult) -> None:
    share = coverage_share(r)
    weighted = weighted_share(r)
    c1, c0, c2, c3, c4 = st.columns(5)
    c1.metric(
        "Coverage",
        "n/a" if share is None or not r.feasible else f"{share:.1%}",
        help="Share of segment value reached by at least one selected partner.",
        border=True,
    )
    c0.metric(
        "Score-weighted value",
        "n/a" if weighted is None or not r.feasible else f"{weighted:.1%}",
        help="Segment value reached, each segment counted at the score of its best selected partner "
        "(what the optimizer maximizes).",
        border=True,
    )
    budget_help = "Total partner cost against the budget."
    c2.metric(
        "Cost",
        money(r.cost),
        delta=None if r.budget is None else f"{money(r.budget - r.cost)} left of {money(r.budget)}",
        delta_color="off",
        delta_arrow="off",
        help=budget_help,
        border=True,
    )
    c3.metric("Partners selected", f"{len(r.selected)}", border=True)
    c4.metric(
        "Optimality gap",
        gap_text(r),
        help="Relative distance to the best possible portfolio the solver could prove.",
        border=True,
    )


def coverage_heatmap(r: PortfolioResult) -> alt.LayerChart:
    cov = r.coverage
    grid = cov.groupby(["region", "industry"], as_index=False)[["counted_value", "value"]].sum()
    grid["reached"] = (grid["counted_value"] / grid["value"]).where(grid["value"] > 0, 0.0)
    base = alt.Chart(grid).encode(
        x=alt.X(
            "industry:N",
            title="Industry",
            axis=alt.Axis(labelAngle=0, orient="top", labelOverlap=False, labelLimit=120),
        ),
        y=alt.Y("region:N", title="Region"),
    )
    rect = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "reached:Q",
            title="Score-weighted value",
            scale=alt.Scale(domain=[0, 1], scheme="greens"),
            legend=None,
        ),
        tooltip=[
            "region",
            "industry",
            alt.Tooltip("reached:Q", format=".0%", title="score-weighted value reached"),
            alt.Tooltip("value:Q", format=",.0f", title="segment value"),
        ],
    )
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("reached:Q", format=".0%"),
        color=alt.condition("datum.reached > 0.6", alt.value("white"), alt.value("#333")),
    )
    return cast(alt.LayerChart, (rect + text).properties(width=alt.Step(84), height=alt.Step(40)))


def pool_label(key: str) -> str:
    field_, _, value = key.partition(":")
    return f"{field_.capitalize()} {value}" if value else key


def pools_frame(r: PortfolioResult) -> pd.DataFrame:
    rows = []
    if r.budget is not None:
        rows.append({"pool": "Total budget", "used": r.cost, "cap": r.budget})
    rows += [{"pool": pool_label(k), "used": u, "cap": c} for k, u, c in r.pools]
    df = pd.DataFrame(rows, columns=["pool", "used", "cap"])
    df["share"] = (df["used"] / df["cap"]).where(df["cap"] > 0, 0.0)
    return df


def render_result(s: Scenario, r: PortfolioResult) -> None:
    """The portfolio answer (no widgets: this may be drawn twice in one run)."""
    if r.feasible:
        icon = ":material/verified:" if r.status == "optimal" else ":material/bolt:"
        st.success(f"**{status_line(r)}** · {r.wall_seconds:.1f} s · {r.solver}", icon=icon)
    else:
        st.warning(f"**{status_line(r)}**", icon=":material/block:")
        for sentence in r.explanation:
            st.markdown(f"- {sentence}")
        return
    result_metrics(r)
    scores = scores_cached(s, s.fingerprint)
    reasons = explain_cached(s, r, s.fingerprint, result_key(r))
    table = portfolio_table(s, r, scores=scores.score, tiers=scores.tier, reasons=reasons)
    st.subheader("Selected partners")
    st.dataframe(
        table,
        width="stretch",
        column_config={
            "_index": "ID",
            "name": "Partner",
            "type": "Type",
            "tier": "Programme tier",
            "cost": st.column_config.NumberColumn("Cost", format="localized"),
            "score": st.column_config.ProgressColumn(
                "Score", min_value=0.0, max_value=1.0, format="%.2f"
            ),
            "reason": st.column_config.TextColumn("Why it is in", width="large"),
        },
    )
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Coverage by region × industry")
        st.caption(
            "Share of each cell's segment value reached, counted at the best selected "
            "partner's score."
        )
        st.altair_chart(coverage_heatmap(r), width="content")
    with right:
        st.subheader("Budget use")
        st.dataframe(
            pools_frame(r),
            hide_index=True,
            width="stretch",
            column_config={
                "pool": "Pool",
                "used": st.column_config.NumberColumn("Used", format="localized"),
                "cap": st.column_config.NumberColumn("Cap", format="localized"),
                "share": st.column_config.ProgressColumn(
                    "Use", min_value=0.0, max_value=1.0, format="percent"
                ),
            },
        )
        for sentence in r.explanation:
            st.caption(sentence)
    st.subheader("Why each partner is in or out")
    why = reasons.sort_values(["selected", "marginal_value"], ascending=[False, False]).copy()
    why["marginal_value"] = why["marginal_value"].round(0)
    why["entry_budget"] = (
        why["entry_budget"].where(why["entry_budget"].abs() < float("inf")).round(-3)
    )
    st.dataframe(
        why,
        width="stretch",
        column_config={
            "_index": "ID",
            "name": "Partner",
            "type": "Type",
            "selected": st.column_config.CheckboxColumn("In"),
            "cost": st.column_config.NumberColumn("Cost", format="localized"),
            "marginal_value": st.column_config.NumberColumn("Value it adds", format="localized"),
            "entry_budget": st.column_config.NumberColumn("Enters at budget", format="localized"),
            "reason": st.column_config.TextColumn("Reason", width="large"),
        },
    )


# --- page: Scenario -------------------------------------------------------------------


def _inside(path: Path, roots: list[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved == r or r in resolved.parents for r in roots)


def save_upload(files: list[Any]) -> Path:
    """Save uploaded files into a fresh temporary folder; return the scenario TOML.

    The folder gets a ``models`` link to the bundled criteria models, so a scenario
    that says ``model = "../models/partner-selection.toml"`` loads as it does here.
    Data paths must stay inside the upload folder or the bundled models.
    """
    old = st.session_state.get("upload_dir")
    if old:
        shutil.rmtree(old, ignore_errors=True)
    top = Path(tempfile.mkdtemp(prefix="selector-upload-"))
    st.session_state["upload_dir"] = str(top)
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
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if "partners" in data or "extends" in data:
            candidates.append((path, data))
    if len(candidates) != 1:
        raise SelectorError(
            "upload exactly one scenario TOML (a file with 'partners = ...') together with "
            f"its tables; found {len(candidates)}"
        )
    path, data = candidates[0]
    roots = [folder.resolve(), MODELS_DIR.resolve()]
    for key in DATA_KEYS:
        value = data.get(key)
        if isinstance(value, str) and not _inside(folder / value, roots):
            raise SelectorError(
                f"'{key} = \"{value}\"' points outside the uploaded files; upload the file "
                "and refer to it by its name"
            )
    return path


def _pick_scenario() -> None:
    st.session_state["source"] = st.session_state["scenario_pick"]
    st.session_state["upload_error"] = None


def _load_upload() -> None:
    ss = st.session_state
    ss["upload_error"] = None
    try:
        path = save_upload(list(ss.get("upload") or []))
        load_source(str(path))
    except (SelectorError, OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        ss["upload_error"] = str(exc)
    else:
        ss["source"] = str(path)


def page_scenario() -> None:
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
    c3.metric("Segment value", money(d["segment_value"]), border=True)
    c4.metric(
        "Budget",
        money(d["budget_total"]),
        help=f"All partners together would cost {money(d['total_partner_cost'])}.",
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
            "Budget pools": ", ".join(f"{k}: {money(v)}" for k, v in d["budget_pools"].items())
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


# --- page: Criteria -----------------------------------------------------------------------


def snap(value: float) -> float:
    return min(SAATY, key=lambda o: abs(math.log(o) - math.log(value)))


def judgment_words(value: float, a: str, b: str) -> str:
    if abs(value - 1.0) < 1e-9:
        return "equally important"
    if value > 1:
        return f"{a} {round(value)}x more important"
    return f"{b} {round(1 / value)}x more important"


def _set_judgment(store_key: str, name: str, value: float) -> None:
    judgments = st.session_state["store"].setdefault(store_key, {})
    judgments[name] = value
    st.session_state[f"w:jd:{store_key}:{name}"] = value


def _judgment_moved(store_key: str, name: str, wkey: str) -> None:
    _set_judgment(store_key, name, st.session_state[wkey])


def _reset_judgments(store_key: str) -> None:
    st.session_state["store"][store_key] = {}
    for key in [k for k in st.session_state if str(k).startswith(f"w:jd:{store_key}:")]:
        del st.session_state[key]


def judgment_sliders(
    model: CriteriaModel, k: int, js: JudgmentSet, revise: tuple[str, str] | None
) -> None:
    store_key = f"judgments:{model.name}"
    overrides = judgment_store(model)
    for a, b, v in js.pairs:
        la, lb = model.node(a).label, model.node(b).label
        name = judgment_key(k, a, b)
        wkey = f"w:jd:{store_key}:{name}"
        if wkey not in st.session_state:
            st.session_state[wkey] = snap(overrides.get(name, v))
        flagged = revise is not None and {a, b} == set(revise)
        st.select_slider(
            f"{':orange[**Revise:**] ' if flagged else ''}{la} vs {lb}",
            options=SAATY,
            format_func=functools.partial(judgment_words, a=la, b=lb),
            key=wkey,
            on_change=_judgment_moved,
            args=(store_key, name, wkey),
        )


def weights_chart(model: CriteriaModel, weights: Mapping[str, float]) -> None:
    df = pd.DataFrame(
        {"criterion": [model.node(c).label for c in weights], "weight": list(weights.values())}
    )
    chart = (
        alt.Chart(df)
        .mark_bar(color="#2e7d6b")
        .encode(
            x=alt.X("weight:Q", axis=alt.Axis(format="%"), title="Weight"),
            y=alt.Y("criterion:N", sort="-x", title=None),
            tooltip=["criterion", alt.Tooltip("weight:Q", format=".1%")],
        )
        .properties(height=alt.Step(28))
    )
    st.altair_chart(chart, width="stretch")


def consistency_badge(res: Any, threshold: float) -> None:
    st.metric(
        "Consistency ratio (CR)",
        f"{max(res.cr, 0.0):.3f}",
        help=f"Acceptable up to {threshold:.2f}.",
    )
    if res.consistent:
        st.success(f"Consistent: CR {res.cr:.3f} ≤ {threshold:.2f}", icon=":material/check_circle:")
    else:
        st.error(
            f"Inconsistent: CR {res.cr:.3f} > {threshold:.2f}. Revise the judgments.",
            icon=":material/error:",
        )


def revision_hint(
    model: CriteriaModel, k: int, js: JudgmentSet, res: Any
) -> tuple[str, str] | None:
    if res is None or res.consistent or not res.revisions:
        return None
    rev = res.revisions[0]
    pair = next(((a, b, v) for a, b, v in js.pairs if {a, b} == {rev.row, rev.col}), None)
    if pair is None:
        return None
    a, b, _ = pair
    suggested = rev.suggested if (a, b) == (rev.row, rev.col) else 1.0 / rev.suggested
    current = rev.current if (a, b) == (rev.row, rev.col) else 1.0 / rev.current
    la, lb = model.node(a).label, model.node(b).label
    st.warning(
        f"Revise **{la} vs {lb}**: now *{judgment_words(snap(current), la, lb)}*, the other "
        f"judgments suggest *{judgment_words(snap(suggested), la, lb)}* "
        f"(CR would fall to {rev.cr_after:.3f}).",
        icon=":material/edit:",
    )
    st.button(
        "Apply the suggestion",
        key=f"apply:{k}:{a}:{b}",
        on_click=_set_judgment,
        args=(f"judgments:{model.name}", judgment_key(k, a, b), snap(suggested)),
    )
    return (a, b)


def page_criteria() -> None:
    st.title("Criteria (AHP)")
    st.caption(
        "How much each criterion matters: compare criteria two at a time on Saaty's 1-9 scale; "
        "weights and consistency update as you go."
    )
    base = base_scenario()
    if base is None:
        return
    if base.model is None:
        st.info("This scenario has no criteria model: partner scores come from its table.")
        return
    s = weighted_scenario(base)
    model = s.model
    assert model is not None
    mw = weights_cached(model, s.fingerprint)
    edited = len(judgment_store(base.model))
    top = st.columns([4, 1])
    top[0].markdown(
        f"**{model.name}** · {model.method} weights · CR threshold {model.threshold:.2f}"
    )
    top[1].button(
        "Reset judgments",
        on_click=_reset_judgments,
        args=(f"judgments:{base.model.name}",),
        disabled=not edited,
    )
    parents = [p for p in model.parents if len(model.children(p)) > 1]
    labels = ["Goal" if p == "goal" else model.node(p).label for p in parents]
    flags = ["" if not mw.inconsistent_nodes().get(p) else " ⚠" for p in parents]
    tabs = st.tabs([lab + f for lab, f in zip(labels, flags, strict=True)])
    for parent, tab in zip(parents, tabs, strict=True):
        with tab:
            res = mw.nodes.get(parent)
            indexed = [(k, js) for k, js in enumerate(model.judgments) if js.parent == parent]
            if res is None or not indexed:
                st.info("No judgments here: the criteria below weigh equally.")
                weights_chart(
                    model, {c: 1 / len(model.children(parent)) for c in model.children(parent)}
                )
                continue
            if len(indexed) == 1:
                k, js = indexed[0]
                left, right = st.columns([3, 2], gap="large")
                with right:
                    st.markdown("**Weights**")
                    weights_chart(model, res.weights)
                    consistency_badge(res, model.threshold)
                with left:
                    if js.expert:
                        st.caption(f"Judgments of the {js.expert}")
                    with right:
                        revise = revision_hint(model, k, js, res)
                    judgment_sliders(model, k, js, revise)
                continue
            # Several experts: side by side, then the merged result.
            assert isinstance(res, GroupResult)
            cols = st.columns(len(indexed))
            for n, ((k, js), col) in enumerate(zip(indexed, cols, strict=True)):
                name = js.expert or f"expert {n + 1}"
                own = res.experts.get(name)
                with col:
                    st.markdown(f"**{name}** (weight {js.weight:g})")
                    revise = revision_hint(model, k, js, own)
                    judgment_sliders(model, k, js, revise)
                    if own is not None:
                        weights_chart(model, own.weights)
                        consistency_badge(own, model.threshold)
            st.markdown("**Merged weights**")
            weights_chart(model, res.weights)
            st.metric(
                "Consensus", f"{res.consensus:.0%}", help="Agreement among the experts (1 = full)."
            )
    st.header("Global criterion weights")
    st.caption("What each measurable criterion counts for in a partner's score.")
    weights_chart(model, dict(sorted(mw.global_weights.items(), key=lambda kv: -kv[1])))


# --- page: Partners ---------------------------------------------------------------------


def page_partners() -> None:
    st.title("Partners")
    st.caption(
        "Scores from the criteria weights, programme tiers, and where each partner stands with us."
    )
    base = base_scenario()
    if base is None:
        return
    s = weighted_scenario(base)
    try:
        sc = scores_cached(s, s.fingerprint)
    except SelectorError as exc:
        st.error(str(exc))
        return
    p = s.partners
    table = pd.DataFrame(
        {
            "name": p["name"],
            "type": p["type"],
            "regions": p["regions"].map(lambda r: ", ".join(r)),
            "cost": p["cost"],
            "score": sc.score,
            "tier": sc.tier,
        }
    )
    try:
        pos = positioning(s, sc)
        table["quadrant"] = pos["quadrant"]
    except SelectorError as exc:
        pos = None
        st.info(str(exc))
    regions = sorted({r for rs in p["regions"] for r in rs if r != "*"})
    f1, f2, f3 = st.columns(3)
    fp = base.fingerprint
    types = bound(
        f1.multiselect,
        "Type",
        f"{fp}:f_type",
        [],
        options=sorted(p["type"].unique()),
        placeholder="All types",
    )
    region = bound(
        f2.multiselect, "Region", f"{fp}:f_region", [], options=regions, placeholder="All regions"
    )
    tiers = bound(
        f3.multiselect,
        "Programme tier",
        f"{fp}:f_tier",
        [],
        options=["gold", "silver", "standard", "exit"],
        placeholder="All tiers",
    )
    mask = pd.Series(True, index=p.index)
    if types:
        mask &= p["type"].isin(types)
    if region:
        mask &= p["regions"].map(lambda rs: "*" in rs or any(r in rs for r in region))
    if tiers:
        mask &= sc.tier.isin(tiers)
    shown = table[mask].sort_values("score", ascending=False)
    counts = sc.tier[mask].value_counts()
    cols = st.columns(5)
    cols[0].metric("Partners shown", f"{int(mask.sum())}", border=True)
    for col, tier in zip(cols[1:], ["gold", "silver", "standard", "exit"], strict=True):
        col.metric(tier.capitalize(), f"{int(counts.get(tier, 0))}", border=True)
    st.dataframe(
        shown,
        width="stretch",
        column_config={
            "_index": "ID",
            "name": "Partner",
            "type": "Type",
            "regions": "Regions",
            "cost": st.column_config.NumberColumn("Cost", format="localized"),
            "score": st.column_config.ProgressColumn(
                "Score", min_value=0.0, max_value=1.0, format="%.2f"
            ),
            "tier": "Programme tier",
            "quadrant": st.column_config.TextColumn("Advice", width="medium"),
        },
    )
    if pos is not None:
        st.subheader("Positioning matrix")
        st.caption("Right: important to us (score). Up: we matter to them. Lines at the medians.")
        data = pos[mask].reset_index(names="id")
        points = (
            alt.Chart(data)
            .mark_circle(size=90, opacity=0.8)
            .encode(
                x=alt.X(
                    "importance_to_us:Q",
                    title="Importance to us (score)",
                    scale=alt.Scale(zero=False),
                ),
                y=alt.Y(
                    "importance_to_partner:Q",
                    title="Our importance to the partner",
                    scale=alt.Scale(zero=False),
                ),
                color=alt.Color(
                    "tier:N",
                    title="Tier",
                    scale=alt.Scale(
                        domain=["gold", "silver", "standard", "exit"],
                        range=["#d4a017", "#8e9aa6", "#4c78a8", "#d62728"],
                    ),
                ),
                tooltip=[
                    "id",
                    "name",
                    "type",
                    "tier",
                    "quadrant",
                    alt.Tooltip("importance_to_us:Q", format=".2f"),
                    alt.Tooltip("importance_to_partner:Q", format=".2f"),
                ],
            )
        )
        rules = (
            alt.Chart(pd.DataFrame({"x": [pos["importance_to_us"].median()]}))
            .mark_rule(strokeDash=[4, 4], color="grey")
            .encode(x="x:Q")
        )
        rules_y = (
            alt.Chart(pd.DataFrame({"y": [pos["importance_to_partner"].median()]}))
            .mark_rule(strokeDash=[4, 4], color="grey")
            .encode(y="y:Q")
        )
        st.altair_chart((points + rules + rules_y).properties(height=420), width="stretch")


# --- page: Portfolio --------------------------------------------------------------------


def current_portfolio(s: Scenario) -> PortfolioResult:
    """The portfolio last shown on the Portfolio page for these settings; else the proven
    one for a small scenario, the quick one for a large."""
    shown = state()["last_result"].get(s.fingerprint)
    if shown is not None:
        return cast(PortfolioResult, shown)
    if len(s.partners) <= AUTO_SOLVE_MAX_PARTNERS:
        return solve_cached(s, s.fingerprint, float(setting("time_limit", 10)))
    return heuristic_cached(s, s.fingerprint)


def _request_solve(fp: str) -> None:
    state()["solve_requested"].add(fp)


def portfolio_controls(base: Scenario) -> None:
    fp = base.fingerprint
    p = base.partners
    total_cost = float(p["cost"].sum())
    budget0 = base.budget.total if base.budget.total is not None else total_cost
    top = max(total_cost, budget0)
    step = 10 ** max(0, int(math.log10(max(top, 1))) - 2)
    with st.container(border=True):
        c1, c2 = st.columns([3, 1])
        bound(
            c1.slider,
            "Total budget",
            f"{fp}:budget",
            int(round(budget0 / step) * step),
            min_value=0,
            max_value=int(math.ceil(top / step) * step),
            step=int(step),
            format="localized",
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

        def fmt(pid: str) -> str:
            return f"{pid} · {p.at[pid, 'name']}"

        c3, c4 = st.columns(2)
        bound(
            c3.multiselect,
            "Must include",
            f"{fp}:include",
            list(base.constraints.must_include),
            options=ids,
            format_func=fmt,
            placeholder="No partner forced in",
        )
        bound(
            c4.multiselect,
            "Must exclude",
            f"{fp}:exclude",
            list(base.constraints.must_exclude),
            options=ids,
            format_func=fmt,
            placeholder="No partner ruled out",
        )


def page_portfolio() -> None:
    st.title("Portfolio")
    st.caption(
        "Set the budget and rules: a quick answer appears at once, then the optimizer proves "
        "how good it is."
    )
    base = base_scenario()
    if base is None:
        return
    portfolio_controls(base)
    s = current_scenario()
    if s is None:
        return
    fp = s.fingerprint
    small = len(s.partners) <= AUTO_SOLVE_MAX_PARTNERS
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    auto = bound(
        c1.toggle, "Prove the best portfolio after each change", f"{base.fingerprint}:auto", small
    )
    limit = bound(
        c2.select_slider, "Solver time limit (s)", "time_limit", 10, options=EXACT_TIME_LIMITS
    )
    requested = fp in state()["solve_requested"]
    c3.button(
        "Solve exactly",
        type="primary",
        on_click=_request_solve,
        args=(fp,),
        disabled=auto or requested,
        icon=":material/calculate:",
    )
    status_slot = st.empty()
    slot = st.empty()
    quick = heuristic_cached(s, fp)
    with slot.container():
        render_result(s, quick)
    final = quick
    if auto or requested:
        with status_slot.status(
            f"Proving the best portfolio (up to {limit} s)…", expanded=False
        ) as status:
            exact = solve_cached(s, fp, float(limit))
            status.update(
                label=f"Exact solve: {status_line(exact)} ({exact.wall_seconds:.1f} s)",
                state="complete" if exact.status in ("optimal", "time_limit") else "error",
            )
        with slot.container():
            render_result(s, exact)
        final = exact
    else:
        status_slot.info(
            "Quick answer shown. Press **Solve exactly** to prove how close it is to the best.",
            icon=":material/info:",
        )
    state()["last_result"][fp] = final
    st.divider()
    st.subheader("Keep and share")
    d1, d2, d3 = st.columns(3)
    if final.feasible:
        scores = scores_cached(s, fp)
        reasons = explain_cached(s, final, fp, result_key(final))
        table = portfolio_table(s, final, scores=scores.score, tiers=scores.tier, reasons=reasons)
        frames = final.to_frame()
        d1.download_button(
            "Portfolio (CSV)",
            to_csv_bytes(table),
            file_name="portfolio.csv",
            mime="text/csv",
            icon=":material/download:",
        )
        d2.download_button(
            "Portfolio (Excel)",
            to_xlsx_bytes(
                {
                    "Portfolio": table,
                    "Why in or out": reasons,
                    "Coverage": final.coverage,
                    "Budget": frames["pools"],
                    "Summary": frames["summary"],
                }
            ),
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
    with st.form("save_variant", border=False):
        f1, f2 = st.columns([3, 1], vertical_alignment="bottom")
        name = f1.text_input(
            "Save these settings as a what-if for Compare",
            value=f"{s.name} · budget {money(s.budget.total)}",
        )
        if f2.form_submit_button("Save what-if", icon=":material/bookmark_add:"):
            state()["variants"][name.strip() or s.name] = s
            st.toast(f"Saved '{name}' for Compare.")


# --- page: Go-to-market map ---------------------------------------------------------------


def page_map() -> None:
    st.title("Go-to-market map")
    st.caption(
        "Vendor → distributors → tier-2 partners → customer segments, with the portfolio highlighted."
    )
    try:
        from selector.gtm import build_graph, to_dot
    except ImportError:
        st.info("The go-to-market map is not available in this version of the selector package.")
        return
    s = current_scenario()
    if s is None:
        return
    result = current_portfolio(s)
    c1, c2 = st.columns(2)
    only = bound(c1.toggle, "Selected partners only", "map_selected_only", False)
    agg = bound(
        c2.selectbox,
        "Roll up segments by",
        "map_aggregate",
        "region",
        options=["region", "industry", "none"],
    )
    st.caption(f"Portfolio: {status_line(result)}. Open the Portfolio page to change or prove it.")
    try:
        sc = scores_cached(s, s.fingerprint)
        graph = build_graph(s, result, scores=sc.score, programme_tiers=sc.tier)
        dot = to_dot(graph, selected_only=only or None, aggregate=None if agg == "none" else agg)
    except (SelectorError, ValueError, TypeError) as exc:
        st.warning(f"The map could not be drawn: {exc}")
        return
    st.graphviz_chart(dot, width="stretch")


# --- page: Compare ------------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=32)
def frontier_cached(_s: Scenario, fp: str, levels: tuple[int, ...]) -> pd.DataFrame:
    rows = []
    for level in levels:
        r = heuristic_solve(_s.with_changes({"budget": {"total": level}}))
        rows.append(
            {
                "budget": level,
                "coverage": coverage_share(r) if r.feasible else None,
                "weighted": weighted_share(r) if r.feasible else None,
                "cost": r.cost if r.feasible else None,
                "partners": len(r.selected),
                "status": r.status,
            }
        )
    return pd.DataFrame(rows)


def _same(s: Scenario) -> Scenario:
    return s


def compare_options() -> dict[str, Callable[[], Scenario | None]]:
    ss = state()
    opts: dict[str, Callable[[], Scenario | None]] = {
        "Current scenario and settings": current_scenario
    }

    def scaled(factor: float) -> Scenario | None:
        s = current_scenario(quiet=True)
        if s is None or s.budget.total is None:
            return None
        changes = {"budget": {"total": int(round(s.budget.total * factor, -3))}}
        return variant_cached(s, s.fingerprint, json.dumps(changes))

    opts["Current, budget +20 %"] = functools.partial(scaled, 1.2)
    opts["Current, budget −20 %"] = functools.partial(scaled, 0.8)
    for name, scn in ss["variants"].items():
        opts[f"What-if: {name}"] = functools.partial(_same, scn)
    for path in bundled_scenarios():
        opts[f"Bundled: {label_of(str(path))}"] = functools.partial(load_source, str(path))
    return opts


def page_compare() -> None:
    st.title("Compare")
    st.caption("Scenarios side by side: who is added and dropped, what it costs, what it covers.")
    opts = compare_options()
    saved = [k for k in opts if k.startswith("What-if: ")]
    default = ["Current scenario and settings", *(saved or ["Current, budget +20 %"])]
    chosen = bound(
        st.multiselect,
        "Scenarios (the first is the baseline)",
        "compare_pick",
        default,
        options=list(opts),
    )
    limit = setting("time_limit", 10)
    chosen = [c for c in chosen if c in opts]
    if len(chosen) < 2:
        st.info("Pick at least two scenarios to compare.")
        return
    scenarios: list[tuple[str, Scenario, PortfolioResult]] = []
    with st.spinner("Solving each scenario…"):
        for label in chosen:
            try:
                scn = opts[label]()
            except (SelectorError, OSError) as exc:
                st.error(f"{label}: {exc}")
                continue
            if scn is None:
                st.error(f"{label}: not available with the current settings.")
                continue
            scenarios.append((label, scn, solve_cached(scn, scn.fingerprint, float(limit))))
    if len(scenarios) < 2:
        return
    base_label, base_s, base_r = scenarios[0]
    base_sel = set(base_r.selected)
    rows = []
    for label, _scn, r in scenarios:
        share = coverage_share(r)
        sel = set(r.selected)
        rows.append(
            {
                "scenario": label,
                "status": STATUS_WORDS.get(r.status, r.status),
                "partners": len(r.selected),
                "cost": r.cost,
                "budget": r.budget,
                "coverage": share if r.feasible else None,
                "gap": 100 * max(r.gap, 0.0) if r.feasible and r.gap is not None else None,
                "added": len(sel - base_sel) if r.feasible else None,
                "dropped": len(base_sel - sel) if r.feasible else None,
            }
        )
    st.dataframe(
        pd.DataFrame(rows).set_index("scenario"),
        width="stretch",
        column_config={
            "_index": "Scenario",
            "status": "Status",
            "partners": "Partners",
            "cost": st.column_config.NumberColumn("Cost", format="localized"),
            "budget": st.column_config.NumberColumn("Budget", format="localized"),
            "coverage": st.column_config.ProgressColumn(
                "Coverage", min_value=0.0, max_value=1.0, format="percent"
            ),
            "gap": st.column_config.NumberColumn("Gap", format="%.2f%%"),
            "added": "Added vs baseline",
            "dropped": "Dropped vs baseline",
        },
    )
    st.subheader("Partners added and dropped")
    cols = st.columns(len(scenarios) - 1)
    for col, (label, scn, r) in zip(cols, scenarios[1:], strict=True):
        sel = set(r.selected)
        names = scn.partners["name"]
        with col:
            st.markdown(f"**{label}** vs **{base_label}**")
            if not r.feasible:
                st.warning(" ".join(r.explanation) or STATUS_WORDS.get(r.status, r.status))
                continue
            added = sorted(sel - base_sel)
            dropped = sorted(base_sel - sel)
            st.markdown("Added: " + (", ".join(f"{p} {names.get(p, '')}" for p in added) or "none"))
            st.markdown(
                "Dropped: "
                + (
                    ", ".join(f"{p} {base_s.partners['name'].get(p, '')}" for p in dropped)
                    or "none"
                )
            )
    st.subheader("Coverage against budget")
    pick = st.selectbox("Frontier for", [lab for lab, _, _ in scenarios], key="frontier_pick")
    scn = next(s for lab, s, _ in scenarios if lab == pick)
    ref = scn.budget.total if scn.budget.total is not None else float(scn.partners["cost"].sum())
    levels = tuple(int(round(ref * f, -3)) for f in (0.6, 0.7, 0.8, 0.9, 1.0, 1.15, 1.3, 1.5))
    st.caption(
        "Quick (heuristic) portfolios at eight budget levels: where extra money stops buying coverage."
    )
    frontier = frontier_cached(scn, scn.fingerprint, levels)
    long = frontier.dropna(subset=["coverage"]).melt(
        id_vars=["budget", "cost", "partners"],
        value_vars=["coverage", "weighted"],
        var_name="measure",
        value_name="share",
    )
    long["measure"] = long["measure"].map(
        {"coverage": "Coverage (any partner)", "weighted": "Score-weighted value"}
    )
    chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("budget:Q", title="Budget", axis=alt.Axis(format="~s")),
            y=alt.Y(
                "share:Q",
                title="Share of segment value",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "measure:N",
                title=None,
                legend=alt.Legend(orient="bottom"),
                scale=alt.Scale(range=["#2e7d6b", "#4c78a8"]),
            ),
            tooltip=[
                "measure",
                alt.Tooltip("budget:Q", format=",.0f"),
                alt.Tooltip("share:Q", format=".1%"),
                "partners",
                alt.Tooltip("cost:Q", format=",.0f"),
            ],
        )
    )
    mark = (
        alt.Chart(pd.DataFrame({"budget": [ref]}))
        .mark_rule(strokeDash=[4, 4], color="grey")
        .encode(x="budget:Q")
    )
    st.altair_chart((chart + mark).properties(height=320), width="stretch")
    missing = frontier[frontier["coverage"].isna()]
    if len(missing):
        st.caption(
            "No portfolio keeping every rule at budget(s): "
            + ", ".join(money(b) for b in missing["budget"])
        )


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    st.set_page_config(
        page_title="Partner selector", page_icon=":material/handshake:", layout="wide"
    )
    ss = state()
    slugs = list(PAGES)
    wanted = st.query_params.get("page", "scenario")
    if "page" not in ss:
        ss["page"] = wanted if wanted in PAGES else "scenario"
    with st.sidebar:
        st.markdown("## :material/handshake: Partner selector")
        page = st.radio("Go to", slugs, format_func=PAGES.__getitem__, key="page")
        st.divider()
        try:
            base = load_source(ss["source"])
            st.caption(
                f"**{base.name}**  \n{len(base.partners):,} partners · {len(base.segments):,} segments"
            )
            if base.model is not None and judgment_store(base.model):
                st.caption(":orange[Criteria judgments edited]")
        except (SelectorError, OSError, tomllib.TOMLDecodeError):
            st.caption(":red[Scenario not loaded]")
    if st.query_params.get("page") != page:
        st.query_params["page"] = page
    {
        "scenario": page_scenario,
        "criteria": page_criteria,
        "partners": page_partners,
        "portfolio": page_portfolio,
        "map": page_map,
        "compare": page_compare,
    }[page]()


main()
