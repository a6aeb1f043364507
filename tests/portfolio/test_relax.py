"""The smallest way out of an infeasible scenario (selector/portfolio/relax.py), against
a brute force.

For small infeasible scenarios (plans from today's channel with rules, blank sheets with
rules or a supply table), every relaxation the solve reports is checked by enumerating
every plan, with the brute forces of test_levels.py, test_rules.py and
portfolio_cases.py (written from the format notes, not from selector's own checks):

- a value ``needed`` makes the scenario feasible, and one step short of it (one unit for
  a count, 0.001 for money, 0.0001 for a share) does not: it is the least change;
- a limit no value fixes (``needed`` None) leaves the scenario infeasible even at its
  loosest (no budget, no limit on exits, the rule dropped, ...);
- :func:`apply_relaxation` gives a scenario the solver finds feasible.

Then the cases a strategist meets: a cost rule asking more than its partners can cost
says so and no budget is offered; the vendor scenario with a 20 % budget cut gets the
least extra budget and the fewest extra exits; the JSON and the CLI carry them.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portfolio_cases import PHASES, Spec, specs
from test_levels import Channel, Tier, random_channel
from test_rules import RuleCase, _plan_rule_broken, _plan_rules, rule_cases

from selector import load_scenario, scenario_from_frames
from selector.errors import ScenarioError
from selector.portfolio import Relaxation, apply_relaxation, solve

REPO = Path(__file__).resolve().parents[2]
VENDOR = REPO / "scenarios" / "vendor.toml"

#: One step short of a needed value, by unit.
STEP = {"count": 1, "money": 1e-3, "share": 1e-4}


# --- moving one limit of the brute force's own description ---------------------------


#: A rule bound at its loosest (a limit no value fixes is checked there).
LOOSEST = {"min": 0, "max": 10**9, "min_share": 0.0, "max_share": 1.0}
#: The loosest total budget (kept finite: a cost rule's share needs one).
NO_BUDGET = 10**9


def _rule_moved(rules: list[dict[str, Any]], path: tuple[str, ...], value: Any) -> list[dict[str, Any]]:
    rules = copy.deepcopy(rules)
    at = next(i for i, r in enumerate(rules) if r["id"] == path[1])
    if len(path) == 2:  # a switch: the rule dropped
        del rules[at]
        return rules
    rule = rules[at]
    if "exactly" in rule:
        rule["min"] = rule["max"] = rule.pop("exactly")
    rule[path[2]] = LOOSEST[path[2]] if value is None else value
    return rules


def _channel_moved(ch: Channel, rules: list[dict[str, Any]], r: Relaxation, value: Any) -> tuple[Channel, list[dict[str, Any]]]:
    """``ch`` and its rules with ``r``'s limit at ``value`` (None: at its loosest)."""
    ch = copy.deepcopy(ch)
    path = r.path
    if path[0] == "rules":
        return ch, _rule_moved(rules, path, value)
    if path == ("budget", "total"):
        ch.budget = NO_BUDGET if value is None else value
    elif path[:2] == ("budget", "pools"):
        if value is None:
            del ch.pools[path[2]]
        else:
            ch.pools[path[2]] = value
    elif path == ("programme", "max_exits"):
        ch.max_exits = value
    elif path == ("programme", "max_recruits"):
        ch.max_recruits = value
    elif path == ("programme", "keep_named_accounts"):
        ch.keep_named = False
    elif path == ("constraints", "tier2_needs_distributor"):
        ch.supply = None
    elif path == ("constraints", "min_partners", "named"):
        ch.named_need = 0 if value is None else value
    elif path == ("constraints", "min_partners", "default"):
        # a min_cost plan needs 1 partner per segment by default; the brute force reads
        # that from the objective, which feasibility does not otherwise depend on
        if not value:
            ch.objective = "coverage"
    elif path == ("constraints", "max_partners_per_segment"):
        ch.cap = value
    elif path[0] == "programme" and path[2] in ("max_share", "max_count"):
        tier = next(t for t in ch.tiers if t.name == path[1])
        setattr(tier, path[2], value)
    else:
        raise AssertionError(f"no brute-force move for {r.setting}")
    return ch, rules


def _channel_feasible(ch: Channel, rules: list[dict[str, Any]]) -> bool:
    return any(
        not ch.broken(levels) and not _plan_rule_broken(ch, rules, levels)
        for levels in itertools.product(range(-1, len(ch.tiers)), repeat=len(ch.ids))
    )


def _spec_moved(case: RuleCase, r: Relaxation, value: Any) -> RuleCase:
    spec = copy.deepcopy(case.spec)
    path = r.path
    if path[0] == "rules":
        return RuleCase(spec, _rule_moved(case.rules, path, value))
    if path == ("budget", "total"):
        spec.budget = NO_BUDGET if value is None else value
    elif path[:2] == ("budget", "pools"):
        if value is None:
            del spec.pools[path[2]]
        else:
            spec.pools[path[2]] = value
    elif path == ("constraints", "min_partners", "named"):
        spec.named_need = 0 if value is None else value
    elif path == ("constraints", "min_partners", "default"):
        spec.default_need = 0 if value is None else value
    elif path == ("constraints", "max_partners_per_segment"):
        spec.cap = value
    elif path[:2] == ("constraints", "type_mix"):
        lo, hi = spec.type_mix[path[2]]
        spec.type_mix[path[2]] = (value, hi) if path[3] == "min" else (lo, value)
    elif path == ("constraints", "tier2_needs_distributor"):
        spec.supply = None
    else:
        raise AssertionError(f"no brute-force move for {r.setting}")
    return RuleCase(spec, copy.deepcopy(case.rules))


def _spec_feasible(case: RuleCase) -> bool:
    spec = case.spec
    return any(
        not spec.broken(sel) and not case.rule_broken(sel)
        for sel in (np.array(bits, dtype=bool) for bits in itertools.product((False, True), repeat=len(spec.ids)))
    )


def _short(r: Relaxation) -> Any:
    """One step short of ``r.needed``, towards today's value (None: no such step)."""
    if r.unit == "switch":
        return None
    assert r.needed is not None
    step = STEP[r.unit]
    raised = float(r.needed) > float(r.today)
    short = r.needed - step if raised else r.needed + step
    if (raised and short < r.today) or (not raised and short > r.today):
        return None
    return short


def _check_relaxations(result: Any, feasible_at: Any, scenario: Any) -> None:
    """Every relaxation of an infeasible ``result`` against the brute force:
    ``feasible_at(r, value)`` says whether the scenario with ``r``'s limit at ``value``
    (None: at its loosest) is feasible."""
    assert result.status == "infeasible"
    assert result.relaxations, result.explanation
    settings = [r.setting for r in result.relaxations]
    if "budget.total" in settings:
        assert settings[0] == "budget.total"  # the least extra budget comes first
    for r in result.relaxations:
        assert r.status in ("least", "none"), r  # small cases settle well within the time
        assert r.sentence
        if r.needed is None:
            assert not feasible_at(r, None), (r, "a value works")
            assert "No " in r.sentence or "alone does not make" in r.sentence, r.sentence
            with pytest.raises(ScenarioError):
                apply_relaxation(scenario, r)
            continue
        if r.unit == "count":
            assert isinstance(r.needed, int), r
        assert feasible_at(r, r.needed), (r, "the value needed does not work")
        short = _short(r)
        if short is not None:
            assert not feasible_at(r, short), (r, short, "a smaller change works")
        applied = solve(apply_relaxation(scenario, r), gap=0.0, time_limit=20, seed=1)
        assert applied.status == "optimal", (r, applied.explanation)


# --- plans from today's channel with rules -------------------------------------------


def _tight_channel(seed: int) -> tuple[Channel, list[dict[str, Any]]] | None:
    """A random channel with rules, some of its limits tightened, when no plan keeps them
    all (None when one does, or the rules do not load)."""
    rng = random.Random(seed)
    ch = random_channel(900 + seed, rng.choice(["weighted_coverage", "coverage", "min_cost"]))
    rules = _plan_rules(ch, rng) if rng.random() < 0.6 else []
    if ch.budget is not None and rng.random() < 0.7:
        ch.budget = int(ch.budget * rng.choice([0.3, 0.5, 0.7]))
    if ch.programme:
        if rng.random() < 0.4:
            ch.max_exits = rng.randint(0, 1)
        if rng.random() < 0.3:
            ch.max_recruits = 0
        if len(ch.tiers) > 1 and rng.random() < 0.4:
            top = ch.tiers[-1]
            top.max_count, top.max_share = (0, None) if rng.random() < 0.5 else (None, 0.2)
        if rng.random() < 0.3:
            ch.keep_named = True
    if rng.random() < 0.2:
        ch.named_need = 2
    if rng.random() < 0.15:
        ch.cap = 1
    try:
        ch.scenario().with_changes({"rules": rules})
    except ScenarioError:
        return None
    return None if _channel_feasible(ch, rules) else (ch, rules)


PLAN_SEEDS = [s for s in range(150) if _tight_channel(s) is not None][:50]


def test_enough_infeasible_plan_cases() -> None:
    assert len(PLAN_SEEDS) >= 40


@pytest.mark.parametrize("seed", PLAN_SEEDS)
def test_plan_relaxations_are_the_least_that_work(seed: int) -> None:
    case = _tight_channel(seed)
    assert case is not None
    ch, rules = case
    scenario = ch.scenario().with_changes({"rules": rules})
    result = solve(scenario, gap=0.0, time_limit=20, seed=1)

    def feasible_at(r: Relaxation, value: Any) -> bool:
        return _channel_feasible(*_channel_moved(ch, rules, r, value))

    _check_relaxations(result, feasible_at, scenario)


# --- one limit tightened just past what any plan can meet ---------------------------
#
# From a feasible channel, one limit is set one step tighter than the loosest value any
# plan needs (found by enumerating the plans that keep every other limit): that value is
# then exactly the least change, for the brute force to compare with.


def _loosened(ch: Channel, family: str) -> Channel:
    ch = copy.deepcopy(ch)
    if family == "budget":
        ch.budget = None
    elif family == "pool":
        ch.pools = {}
    elif family == "exits":
        ch.max_exits = None
    elif family == "recruits":
        ch.max_recruits = None
    elif family in ("count", "share"):
        ch.tiers[-1].max_count = ch.tiers[-1].max_share = None
    elif family == "cap":
        ch.cap = None
    return ch


def _metric(ch: Channel, family: str, levels: tuple[int, ...]) -> float:
    n = len(ch.ids)
    active = [k >= 0 for k in levels]
    current = [s == "current" for s in ch.status]
    if family == "budget":
        return ch.total_cost(levels)
    if family == "pool":
        return ch.total_cost(levels, [p for p in range(n) if ch.types[p] == ch.types[0]])
    if family == "exits":
        return sum(1 for p in range(n) if current[p] and not active[p])
    if family == "recruits":
        return sum(1 for p in range(n) if not current[p] and active[p])
    if family == "count":
        return sum(1 for k in levels if k == len(ch.tiers) - 1)
    if family == "share":  # of today's partners (a count); of the active ones when none is current
        base = sum(current) or sum(active)
        return sum(1 for k in levels if k == len(ch.tiers) - 1) / base if base else 0.0
    return max(sum(1 for p in range(n) if active[p] and (p, s) in ch.covers)
               for s in range(len(ch.seg_ids)))  # cap


FAMILIES = {  # family: (setting, step short of the least value, smallest value accepted)
    "budget": ("budget.total", 1, 0),
    "pool": ("budget.pools.type:{t}", 1, 0),
    "exits": ("programme.max_exits", 1, 0),
    "recruits": ("programme.max_recruits", 1, 0),
    "count": ("programme.{top}.max_count", 1, 0),
    "share": ("programme.{top}.max_share", 0.01, 0),
    "cap": ("constraints.max_partners_per_segment", 1, 1),
}


def _one_tightened(seed: int) -> tuple[Channel, str, float] | None:
    """A feasible random channel with one limit (its family drawn) one step tighter than
    any plan meets; with the limit's setting and the least value that works."""
    rng = random.Random(seed)
    ch = random_channel(4000 + seed, rng.choice(["weighted_coverage", "coverage", "min_cost"]))
    family = rng.choice(list(FAMILIES))
    if family in ("count", "share"):
        if not ch.programme or len(ch.tiers) < 2:
            return None
        # The top tier the cheapest, no exit, and a budget for the cheapest plan only:
        # plans need the top tier, and its quota can bind.
        for t in ch.tiers:
            t.column, t.fixed, t.share = None, 10.0, 1.0
        ch.tiers[-1].fixed, ch.tiers[-1].share = 0.0, 0.2
        ch.max_exits, ch.budget = 0, None
    loose = _loosened(ch, family)
    plans = [lv for lv in itertools.product(range(-1, len(ch.tiers)), repeat=len(ch.ids))
             if not loose.broken(lv)]
    if not plans:
        return None
    if family in ("count", "share"):
        cheapest = min(loose.total_cost(lv) for lv in plans)
        ch.budget = loose.budget = int(math.ceil(cheapest))
        plans = [lv for lv in plans if not loose.broken(lv)]
    tight = copy.deepcopy(loose)
    least = min(_metric(ch, family, lv) for lv in plans)
    setting, step, floor = FAMILIES[family]
    if least - step < floor:
        return None
    value = least - step
    if family == "share" and least > 1:  # a share is at most 1
        return None
    if family == "budget":
        tight.budget = value
    elif family == "pool":
        tight.pools = {f"type:{ch.types[0]}": value}
    elif family == "exits":
        tight.max_exits = int(value)
    elif family == "recruits":
        tight.max_recruits = int(value)
    elif family == "count":
        tight.tiers[-1].max_count = int(value)
    elif family == "share":
        tight.tiers[-1].max_share = value
    else:
        tight.cap = int(value)
    if not ch.programme and family in ("exits", "recruits"):
        return None
    return tight, setting.format(t=ch.types[0], top=ch.tiers[-1].name), least


TIGHT_SEEDS = [s for s in range(200) if _one_tightened(s) is not None][:60]


def test_every_family_is_tightened_in_some_case() -> None:
    settings = {_one_tightened(s)[1].split(".")[-1] for s in TIGHT_SEEDS}  # type: ignore[index]
    assert {"total", "max_exits", "max_recruits", "max_count", "max_share",
            "max_partners_per_segment"} <= settings, settings
    assert any(_one_tightened(s)[1].startswith("budget.pools.") for s in TIGHT_SEEDS)  # type: ignore[index]


@pytest.mark.parametrize("seed", TIGHT_SEEDS)
def test_a_limit_tightened_past_every_plan_relaxes_to_exactly_that_plan(seed: int) -> None:
    case = _one_tightened(seed)
    assert case is not None
    ch, setting, least = case
    scenario = ch.scenario()
    result = solve(scenario, gap=0.0, time_limit=20, seed=1)
    r = result.relaxation(setting)
    assert r is not None and r.status == "least", (r, result.explanation)
    assert r.needed == pytest.approx(least, abs=1e-9), (r, least)
    _check_relaxations(result, lambda rr, v: _channel_feasible(*_channel_moved(ch, [], rr, v)), scenario)


def test_named_accounts_keeping_a_partner_is_turned_off_or_paid_for() -> None:
    # P0 alone works the named account S0 and costs more than the budget: every plan
    # exits it, which named-account continuity forbids.
    ch = Channel(
        objective="coverage", ids=["P0", "P1"], types=["reseller"] * 2, gtm_tier=[1] * 2,
        cost=[50, 10], score=[1.0] * 2, status=["current"] * 2, today=[0, 0],
        recruit_cost=[0] * 2, exit_cost=[0] * 2, seg_ids=["S0", "S1"], value=[10, 20],
        named=[True, False], covers={(0, 0), (1, 1)}, tiers=[Tier("partner")],
        programme=True, budget=20,
    )
    assert not _channel_feasible(ch, [])
    scenario = ch.scenario()
    result = solve(scenario, gap=0.0)
    off = result.relaxation("programme.keep_named_accounts")
    assert off is not None and off.status == "least" and off.needed is False
    budget = result.relaxation("budget.total")
    assert budget is not None and budget.needed == pytest.approx(50)
    _check_relaxations(result, lambda r, v: _channel_feasible(*_channel_moved(ch, [], r, v)), scenario)


def test_a_tier_quota_share_is_the_least_ratio() -> None:
    # Four current partners, no exit allowed; the budget pays gold for P0 and P1 only
    # because registered costs them far more: at least 2 of 4 active partners are gold,
    # a quarter is not enough and half is the least share that works.
    ch = Channel(
        objective="coverage", ids=["P0", "P1", "P2", "P3"], types=["reseller"] * 4,
        gtm_tier=[1] * 4, cost=[10] * 4, score=[1.0] * 4, status=["current"] * 4,
        today=[1, 1, 0, 0], recruit_cost=[0] * 4, exit_cost=[0] * 4, seg_ids=["S0", "S1"],
        value=[10, 20], named=[False, False], covers={(0, 0), (1, 1), (2, 0), (3, 1)},
        tiers=[Tier("registered", column=[500, 500, 5, 5]),
               Tier("gold", column=[10, 10, 10, 10], max_share=0.25)],
        programme=True, budget=30, max_exits=0,
    )
    assert not _channel_feasible(ch, [])
    scenario = ch.scenario()
    result = solve(scenario, gap=0.0, time_limit=20)
    share = result.relaxation("programme.gold.max_share")
    assert share is not None and share.status == "least" and share.unit == "share"
    assert share.needed == pytest.approx(0.5)
    assert "50.00 %" in share.sentence, share.sentence
    _check_relaxations(result, lambda r, v: _channel_feasible(*_channel_moved(ch, [], r, v)), scenario)


# --- blank sheets: rules, pools, caps, the type mix, the supply table -----------------


BLANK_SETTINGS = settings(
    max_examples=60, deadline=None, derandomize=True, phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _blank_check(case: RuleCase) -> None:
    try:
        scenario = case.scenario()
    except ScenarioError:
        return  # a drawn rule the loader refuses (tested in test_rules.py)
    if _spec_feasible(case):
        return
    result = solve(scenario, gap=0.0, time_limit=20, seed=1)
    _check_relaxations(result, lambda r, v: _spec_feasible(_spec_moved(case, r, v)), scenario)


@BLANK_SETTINGS
@given(rule_cases())
def test_blank_sheet_relaxations_with_rules(case: RuleCase) -> None:
    _blank_check(case)


@BLANK_SETTINGS
@given(specs(objective="min_cost"))
def test_blank_sheet_relaxations_with_supply(spec: Spec) -> None:
    _blank_check(RuleCase(spec, []))


def _blank_metric(case: RuleCase, family: str, sel: np.ndarray) -> float:
    spec = case.spec
    t = spec.types[0]
    if family in ("type_min", "type_max", "rule_min", "rule_max"):
        return float(sum(1 for p in range(len(spec.ids)) if sel[p] and spec.types[p] == t))
    if family == "cost_max":
        return float(sum(c for p, c in enumerate(spec.cost) if sel[p] and spec.types[p] == t))
    if family == "budget":
        return float(np.array(spec.cost, dtype=float)[sel].sum())
    counts = spec.cover_matrix()[sel].sum(axis=0)  # named: the least-served named segment
    return float(min(counts[j] for j in range(len(spec.seg_ids)) if spec.named[j]))


BLANK_FAMILIES = {  # family: (setting, loosest at most / at least)
    "budget": ("budget.total", "max"),
    "type_max": ("constraints.type_mix.{t}.max", "max"),
    "type_min": ("constraints.type_mix.{t}.min", "min"),
    "named": ("constraints.min_partners.named", "min"),
    "rule_min": ("rules.tight.min", "min"),
    "rule_max": ("rules.tight.max", "max"),
    "cost_max": ("rules.tight.max", "max"),
}


@settings(BLANK_SETTINGS, max_examples=100)
@given(specs(objective="coverage"), st.sampled_from(sorted(BLANK_FAMILIES)))
def test_a_blank_sheet_limit_tightened_past_every_portfolio(spec: Spec, family: str) -> None:
    t = spec.types[0]
    spec.type_mix.pop(t, None)
    # the other limits loose enough for most drawn portfolios to keep them
    spec.budget, spec.pools, spec.must_include, spec.conflicts = None, {}, [], []
    if family == "named":
        spec.named_need = None
        if not any(spec.named):
            return
    loose = RuleCase(spec, [])
    sels = [np.array(b, dtype=bool) for b in itertools.product((False, True), repeat=len(spec.ids))]
    sels = [x for x in sels if not spec.broken(x)]
    if not sels:
        return
    values = [_blank_metric(loose, family, x) for x in sels]
    setting, side = BLANK_FAMILIES[family]
    edge = min(values) if side == "max" else max(values)
    value = edge - 1 if side == "max" else edge + 1
    if value < 0 or (family == "rule_min" and value > spec.types.count(t)):
        return
    rules: list[dict[str, Any]] = []
    if family == "budget":
        spec.budget = int(value)
    elif family in ("type_min", "type_max"):
        spec.type_mix[t] = (int(value), None) if side == "min" else (None, int(value))
    elif family == "named":
        spec.named_need = int(value)
    else:
        kind = "cost" if family == "cost_max" else "count"
        rules = [{"id": "tight", "kind": kind, "where": {"type": t}, side: int(value)}]
    case = RuleCase(spec, rules)
    try:
        scenario = case.scenario()
    except ScenarioError:
        return
    assert not _spec_feasible(case)
    result = solve(scenario, gap=0.0, time_limit=20, seed=1)
    r = result.relaxation(setting.format(t=t))
    assert r is not None and r.status == "least", (r, result.explanation, case)
    assert r.needed == pytest.approx(edge), (r, edge, case)
    _check_relaxations(result, lambda rr, v: _spec_feasible(_spec_moved(case, rr, v)), scenario)


# --- the cases a strategist meets -----------------------------------------------------


def test_a_rule_no_budget_can_meet_says_so() -> None:
    # Distributors cost little in all; a cost rule asks for more than that: no budget
    # helps, and the rule's own relaxation is what its partners can reach.
    from test_rules import _scenario

    rule = {"id": "dist-spend", "label": "Big distributor spend", "kind": "cost",
            "where": {"type": "distributor"}, "min": 10_000}
    scenario = _scenario([rule], budget=400)
    result = solve(scenario, gap=0.0)
    assert result.status == "infeasible"
    budget = result.relaxation("budget.total")
    assert budget is not None and budget.needed is None and budget.status == "none"
    dist = scenario.partners.loc[scenario.partners["type"] == "distributor", "cost"].sum()
    assert "No total budget makes the scenario feasible" in budget.sentence
    assert "'dist-spend'" in budget.sentence and f"{dist:,.0f}" in budget.sentence, budget.sentence
    own = result.relaxation("rules.dist-spend.min")
    assert own is not None and own.status == "least"
    assert own.needed == pytest.approx(min(dist, 400))
    text = " ".join(result.explanation)
    assert "cannot hold" in text and f"{dist:,.0f}" in text, text
    assert "with a budget of" not in text, text


def test_a_requires_rule_is_dropped_and_exactly_becomes_min_and_max() -> None:
    # R05 must be in and needs D01; exactly one SI: 80 + 200 + 90 at the least, over 300.
    from test_rules import _scenario

    rules = [
        {"id": "needs", "kind": "requires", "partner": "R05", "requires": ["D01"]},
        {"id": "one-si", "kind": "count", "where": {"type": "si"}, "exactly": 1},
    ]
    scenario = _scenario(rules, budget=300, constraints={"must_include": ["R05"]})
    result = solve(scenario, gap=0.0)
    assert result.status == "infeasible"
    drop = result.relaxation("rules.needs")
    assert drop is not None and drop.needed is False and drop.status == "least"
    assert "Drop rule 'needs'" in drop.sentence, drop.sentence
    dropped = apply_relaxation(scenario, drop)
    assert [r["id"] for r in dropped.config["rules"]] == ["one-si"]
    assert solve(dropped).status == "optimal"
    fewer = result.relaxation("rules.one-si.min")
    assert fewer is not None and fewer.needed == 0 and fewer.status == "least"
    relaxed = apply_relaxation(scenario, fewer)
    one_si = next(r for r in relaxed.config["rules"] if r["id"] == "one-si")
    assert (one_si.get("min"), one_si.get("max"), "exactly" in one_si) == (0, 1, False)
    assert solve(relaxed).status == "optimal"
    budget = result.relaxation("budget.total")
    assert budget is not None and budget.needed == pytest.approx(370)


def test_the_json_and_the_cli_carry_the_relaxations(tmp_path: Path, capsys: Any) -> None:
    from test_rules import _channel

    from selector.cli import main

    partners, segments = _channel()
    partners.to_csv(tmp_path / "partners.csv", index=False)
    segments.to_csv(tmp_path / "segments.csv", index=False)
    (tmp_path / "cut.toml").write_text(
        'name = "cut"\npartners = "partners.csv"\nsegments = "segments.csv"\n'
        '[budget]\ntotal = 100\n[objective]\nkind = "coverage"\n'
        '[constraints]\nmin_partners = { default = 1 }\n'
    )
    scenario = load_scenario(tmp_path / "cut.toml")
    result = solve(scenario)
    assert result.status == "infeasible"
    data = result.to_dict()
    rows = {r["setting"]: r for r in data["relaxations"]}
    assert set(rows["budget.total"]) >= {"setting", "today", "needed", "sentence"}
    assert rows["budget.total"]["today"] == 100 and rows["budget.total"]["needed"] > 100
    assert rows["constraints.min_partners.default"]["needed"] == 0
    json.dumps(data, allow_nan=False)
    assert result.to_frame()["relaxations"]["setting"].tolist() == [r["setting"] for r in data["relaxations"]]

    assert main(["solve", str(tmp_path / "cut.toml"), "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert [r["setting"] for r in printed["relaxations"]] == [r["setting"] for r in data["relaxations"]]
    assert main(["solve", str(tmp_path / "cut.toml")]) == 1
    text = capsys.readouterr().out
    assert "Way out" in text and "budget.total" in text and "constraints.min_partners.default" in text, text
    needed = rows["budget.total"]["needed"]
    assert f"{needed:,.0f}" in text, text


def test_apply_refuses_a_relaxation_without_a_value() -> None:
    from test_rules import _channel

    partners, segments = _channel()
    scenario = scenario_from_frames(partners, segments, settings={"budget": {"total": 10}})
    none = Relaxation("budget.total", ("budget", "total"), 10.0, None, "none", "No ...")
    with pytest.raises(ScenarioError, match=r"budget\.total"):
        apply_relaxation(scenario, none)
    pool = Relaxation("budget.pools.type:distributor", ("budget", "pools", "type:distributor"),
                      5.0, 7.5, "least", "Raise ...", unit="money")
    assert dict(apply_relaxation(scenario, pool).budget.pools) == {"type:distributor": 7.5}


@pytest.mark.slow
def test_vendor_budget_cut_gets_the_least_budget_and_the_fewest_exits() -> None:
    vendor = load_scenario(VENDOR)
    cut = vendor.with_changes({"budget": {"total": 0.8 * vendor.budget.total}})
    result = solve(cut)
    assert result.status == "infeasible"
    budget = result.relaxation("budget.total")
    exits = result.relaxation("programme.max_exits")
    assert budget is not None and exits is not None
    assert [r.setting for r in result.relaxations[:2]] == ["budget.total", "programme.max_exits"]
    assert budget.status == exits.status == "least"
    assert isinstance(budget.needed, float) and cut.budget.total is not None
    assert cut.budget.total < budget.needed < vendor.budget.total
    assert isinstance(exits.needed, int) and exits.needed > 36
    rows = {r["setting"]: r for r in result.to_dict()["relaxations"]}
    assert rows["budget.total"]["needed"] == pytest.approx(budget.needed)
    assert rows["programme.max_exits"]["needed"] == exits.needed
    text = " ".join(result.explanation)
    assert "budget.total" in text and "programme.max_exits" in text, text
    # The least extra budget is a plan's cost: applied, the plan spends it to the unit.
    applied = solve(apply_relaxation(cut, budget), time_limit=30)
    assert applied.feasible, applied.explanation
    assert applied.cost <= budget.needed + 1e-6
