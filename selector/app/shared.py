"""What every page shares: the scenario being worked on, widget state, cached selector calls.

The scenario a page shows is built in three steps: the loaded file (``--scenario`` on the
command line, a bundled one or an upload), then the strategist's edited criteria
judgments, then the what-if settings from the Portfolio page. Widgets made with
:func:`bound` keep their value in ``session_state.store``, so a setting survives page
switches and any page can read it with :func:`setting`. The selector calls are cached on
scenario fingerprints, so moving between pages does not solve again.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import threading
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import pandas as pd
import streamlit as st

from selector import (
    CriteriaModel,
    JudgmentSet,
    ModelWeights,
    PartnerScores,
    PortfolioResult,
    Scenario,
    SelectorError,
    explain_partners,
    heuristic_solve,
    load_scenario,
    model_weights,
    score_partners,
)
from selector.app.solve_runner import SessionWorker
from selector.app.status import QUICK, SOLVED
from selector.display import plural
from selector.inputs.scenario.toml import deep_merge
from selector.portfolio import SolveProgress
from selector.report import judgment_warning

__all__ = [
    "AUTO_SOLVE_MAX_PARTNERS",
    "DEFAULT_SCENARIO",
    "MODELS_DIR",
    "PLAN_ACTIONS",
    "ROOT",
    "SCENARIO_DIR",
    "apply_judgments",
    "base_scenario",
    "bound",
    "bundled_scenarios",
    "cli_scenario",
    "coverage_share",
    "current_portfolio",
    "current_scenario",
    "detail_table",
    "error_words",
    "explain_cached",
    "heuristic_cached",
    "judgment_key",
    "judgment_store",
    "label_of",
    "load_source",
    "page_style",
    "portfolio_changes",
    "progress_words",
    "result_key",
    "scores_cached",
    "session_worker",
    "setting",
    "sidebar_summary",
    "solve_cached",
    "solve_with_clock",
    "state",
    "variant_cached",
    "weighted_scenario",
    "weighted_share",
    "weights_cached",
    "weights_warning",
]

# The checkout the app runs from: app.py, scenarios/ and models/ live here.
ROOT = Path(__file__).resolve().parents[2]
SCENARIO_DIR = ROOT / "scenarios"
MODELS_DIR = ROOT / "models"
DEFAULT_SCENARIO = SCENARIO_DIR / "teaching.toml"
AUTO_SOLVE_MAX_PARTNERS = 200

# A plan's actions as the pages show them: the changes first, then keep and stay out.
PLAN_ACTIONS = ("exit", "demote", "promote", "recruit", "keep", "stay out")
# Narrower side margins and metric values a little smaller than Streamlit's default, so
# tables and an exact amount ("44,690,750") fit at 1,400 px; card labels wrap, not cut.
PAGE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-left: 2.5rem; padding-right: 2.5rem; }
[data-testid="stMetricValue"] { font-size: 1.75rem; }
[data-testid="stMetricLabel"] p { white-space: normal; overflow: visible; }
[data-testid="stMetricLabel"] div { overflow: visible; }
[data-testid="stMetricDelta"] div { white-space: normal; }
</style>
"""


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
    ss.setdefault("whatif_results", {})  # saved what-if id -> the portfolio shown when saved
    ss.setdefault("solve_requested", set())
    # settings fingerprint -> (the portfolio shown for them, how it was found)
    ss.setdefault("answers", {})
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


# Settings named in words in error messages (the scenario file's keys mean little here).
KEY_WORDS = {
    "budget.total": "the total budget",
    "budget.pools": "the budget pools",
    "constraints.must_include": "must include",
    "constraints.must_exclude": "must exclude",
    "constraints.max_partners_per_segment": "max partners per segment",
    "constraints.min_partners": "the minimum partners per segment",
    "constraints.type_mix": "the partner type mix",
    "constraints.conflicts": "the partner conflicts",
    "solve.time_limit": "the solver time limit",
    "solve.gap": "the solver gap",
}
_ABSOLUTE_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s\\/,:;'\"]+)+[\\/]([^\s\\/,:;'\"]+)")


def error_words(exc: BaseException | str) -> str:
    """An error message for the page: files by their names (no server folders) and
    scenario-file keys in words."""
    text = _ABSOLUTE_PATH.sub(lambda m: m.group(1), str(exc))
    for key, words in KEY_WORDS.items():
        text = re.sub(rf"(?<![\w.]){re.escape(key)}(?![\w.])", words, text)
    return text


def page_style() -> None:
    """The few style rules every page shares (see :data:`PAGE_CSS`)."""
    st.markdown(PAGE_CSS, unsafe_allow_html=True)


def detail_table(
    frame: pd.DataFrame,
    *,
    key: str,
    column_config: Mapping[str, Any],
    text: str = "reason",
    height: int | None = None,
) -> None:
    """A table (of partners, or of other named rows) whose long ``text`` column is read
    in full below it: a click on a row opens it (cells of a long text are cut to the
    column's width)."""
    event = st.dataframe(
        frame,
        width="stretch",
        height=height or "auto",
        column_config=dict(column_config),
        key=key,
        on_select="rerun",
        selection_mode="single-row",
    )
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if rows and text in frame.columns and rows[0] < len(frame):
        pid = frame.index[rows[0]]
        name = frame["name"].iloc[rows[0]] if "name" in frame.columns else ""
        title = f"{pid} · {name}" if name else f"{pid}"
        st.info(f"**{title}**: {frame[text].iloc[rows[0]]}", icon=":material/notes:")
    else:
        st.caption("Click a row to read it in full.")


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


#: One quick answer at a time: a rerun that starts while the previous run's answer is
#: still being computed (a budget typed on a busy server) waits for it instead of
#: working on the same scenario objects beside it.
_QUICK_LOCK = threading.Lock()


@st.cache_resource(show_spinner=False, max_entries=128)
def heuristic_cached(_s: Scenario, fp: str) -> PortfolioResult:
    with _QUICK_LOCK:
        return heuristic_solve(_s)


@st.cache_resource(show_spinner=False, max_entries=64)
def _exact_answers(fp: str, time_limit: float) -> dict[str, PortfolioResult]:
    """Where the exact answer for these settings is kept once found (a holder, so that
    the solve itself runs outside the cached function: its clock updates the page)."""
    return {}


def session_worker() -> SessionWorker:
    """This browser session's solve worker: a process holding a what-if
    :class:`~selector.whatif.Session` per scenario file and time limit across reruns
    (:class:`~selector.app.solve_runner.SessionWorker`)."""
    ss = state()
    worker = ss.get("solve_session")
    if not isinstance(worker, SessionWorker):
        worker = ss["solve_session"] = SessionWorker()
    return worker


def solve_cached(
    s: Scenario, fp: str, time_limit: float,
    tick: Callable[[float, SolveProgress | None], object] | None = None,
) -> PortfolioResult:
    """The exact solve, found once per settings and time limit, by this browser
    session's worker process (:func:`session_worker`): a what-if is answered from the
    earlier ones of the same scenario file (``result.stats["session"]["answer"]``:
    ``kept``, ``cached`` or ``warm``) with what a cold solve would prove, and a solver
    crash is a :class:`~selector.app.solve_runner.SolveWorkerDied`, not a dead server."""
    kept = _exact_answers(fp, time_limit)
    if "answer" not in kept:
        kept["answer"] = session_worker().solve(
            s, key=state()["source"], tick=tick, time_limit=time_limit
        )
    return kept["answer"]


def progress_words(p: SolveProgress | None) -> str:
    """The live figures of a running solve in words ("" before the solver reports)."""
    if p is None or p.incumbent is None:
        return "" if p is None or p.bound is None else f" · bound {p.bound:,.0f}"
    gap = "" if p.gap is None else f" · gap {p.gap:.2%}"
    bound = "" if p.bound is None else f" · bound {p.bound:,.0f}"
    return f" · best so far {p.incumbent:,.0f}{bound}{gap}"


def solve_with_clock(
    s: Scenario, fp: str, time_limit: float, tick: Callable[[float, SolveProgress | None], object]
) -> PortfolioResult:
    """:func:`solve_cached`, calling ``tick(seconds, progress)`` about four times a second
    while it runs: the page shows the time spent and the solver's best portfolio, bound
    and gap so far. Streamlit's Stop (raised from ``tick``) ends the worker at once."""
    return solve_cached(s, fp, time_limit, tick)


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
        st.error(f"Could not load the scenario {label_of(source)}: {error_words(exc)}")
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
    rules = setting(f"{fp}:rules", None)
    if rules is not None and rules != list(base.config.get("rules", [])):
        changes["rules"] = rules
    programme = setting(f"{fp}:programme", None)
    if programme:
        changes["programme"] = programme
    # ways out applied to settings no control edits (selector.app.way_out)
    return deep_merge(changes, setting(f"{fp}:way_out", None) or {})



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
            st.error(f"These settings do not make a valid scenario: {error_words(exc)}")
        return None


def current_portfolio(s: Scenario) -> tuple[PortfolioResult, str]:
    """The portfolio last shown on the Portfolio page for these settings and how it was
    found (:data:`selector.app.status.ORIGINS`); else the proven one for a small
    scenario, the quick one for a large."""
    shown = state()["answers"].get(s.fingerprint)
    if shown is not None:
        return cast(tuple[PortfolioResult, str], shown)
    if len(s.partners) <= AUTO_SOLVE_MAX_PARTNERS:
        return solve_cached(s, s.fingerprint, float(setting("time_limit", 10))), SOLVED
    return heuristic_cached(s, s.fingerprint), QUICK


# --- words and numbers for a portfolio -----------------------------------------------------


def coverage_share(r: PortfolioResult) -> float | None:
    share = r.to_dict()["covered_share"]
    return None if share is None else float(share)


def weighted_share(r: PortfolioResult) -> float | None:
    """Share of segment value reached, each segment counted at its best partner's score."""
    total = float(r.coverage["value"].sum())
    return float(r.coverage["counted_value"].sum()) / total if total else None


def weights_warning(s: Scenario) -> str | None:
    """Words when the scenario's weights come from judgments failing the consistency test."""
    if s.model is None:
        return None
    labels = {c: s.model.node(c).label for c in s.model.parents if c != "goal"}
    return judgment_warning(weights_cached(s.model, s.fingerprint), labels)


# --- sidebar (under the page navigation, on every page) ------------------------------------


def sidebar_summary() -> None:
    """The app's name and the scenario being worked on."""
    ss = state()
    with st.sidebar:
        st.markdown("## :material/handshake: Partner selector")
        try:
            base = load_source(ss["source"])
            st.caption(
                f"**{base.name}**  \n{plural(len(base.partners), 'partner')} · "
                f"{plural(len(base.segments), 'segment')}"
            )
            if base.model is not None and judgment_store(base.model):
                st.caption(":orange[Criteria judgments edited]")
        except (SelectorError, OSError, tomllib.TOMLDecodeError):
            st.caption(":red[Scenario not loaded]")
