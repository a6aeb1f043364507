"""Roadmaps over several years against a brute force (selector/portfolio/roadmap.py,
roadmap_model.py, roadmap_search.py).

Small random channels (the ``Channel`` of test_levels.py) get a horizon of 2-3 years,
a ramp, an exit transition, a tier step and per-year budgets and limits; every decision
path (each partner's level in each year) is enumerated and checked from the docstrings
of selector/inputs/horizon.py and selector/portfolio/roadmap.py:

- a current partner is active each year until it exits, and never comes back; a prospect
  is recruited at most once and then stays to the horizon's end; from one year to the
  next (and from today to year one) an active partner moves at most ``max_step`` tiers;
- year t spends the annual cost of its active partners, a recruit's cost in its recruit
  year, and in an exit year the exit cost plus ``exit_transition.cost`` of the tier left;
  within that year's budget, pools, exit and recruit limits; every other rule of a plan
  (test_levels.py's ``broken``) holds in every year;
- a segment counts in year t its value times ((1 + growth) / (1 + discount))^t at the
  best of: an active partner's min(1, score x multiplier) x ramp[years since recruited]
  (1 for today's partners), or an exiting partner's ``exit_transition.value`` x its old
  tier's quality; min_cost: the spend, discounted.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, replace
from typing import Any

import pytest
from test_levels import Channel, random_channel

from selector import load_scenario
from selector.portfolio import solve

TOL = 1e-6


@dataclass
class Road:
    ch: Channel
    years: int
    ramp: list[float]
    value_share: float
    cost_share: float
    step: int
    discount: float
    growth: float
    budgets: list[int] | None
    max_exits: list[int] | None
    max_recruits: list[int] | None

    def scenario(self) -> Any:
        base = self.ch.scenario()
        prog = dict(base.config.get("programme", {"tiers": ["partner"]}))
        prog.update(ramp=self.ramp, max_step=self.step,
                    exit_transition={"value": self.value_share, "cost": self.cost_share})
        horizon: dict[str, Any] = {"years": self.years, "discount": self.discount,
                                   "segment_growth": self.growth}
        if self.budgets is not None:
            horizon["budget"] = {"by_year": self.budgets}
        if self.max_exits is not None:
            horizon["max_exits"] = self.max_exits
        if self.max_recruits is not None:
            horizon["max_recruits"] = self.max_recruits
        return base.with_changes({"programme": prog, "horizon": horizon})

    # -- decision paths ---------------------------------------------------------------
    def paths(self, p: int) -> list[tuple[int, ...]]:
        L = len(self.ch.tiers)
        out = []
        current = self.ch.status[p] == "current"
        for path in itertools.product(range(-1, L), repeat=self.years):
            before = self.ch.today[p] if current else -1
            ok = True
            for k in path:
                if k >= 0 and before >= 0 and abs(k - before) > self.step:
                    ok = False
                if current and before < 0 and k >= 0:  # no return after an exit
                    ok = False
                if not current and before >= 0 and k < 0:  # a recruit stays
                    ok = False
                before = k
            if ok:
                out.append(path)
        return out

    def spend(self, levels: list[tuple[int, ...]], t: int, members: list[int] | None = None) -> float:
        ch = self.ch
        total = 0.0
        for p in members if members is not None else range(len(ch.ids)):
            k = levels[p][t]
            before = (ch.today[p] if ch.status[p] == "current" else -1) if t == 0 else levels[p][t - 1]
            if k >= 0:
                total += ch.annual(p, k)
                if before < 0:
                    total += ch.recruit_cost[p]
            elif before >= 0:
                total += ch.exit_cost[p] + self.cost_share * ch.annual(p, before)
        return total

    def broken(self, levels: list[tuple[int, ...]]) -> list[str]:
        ch = self.ch
        n = len(ch.ids)
        plain = replace(ch, budget=None, pools={}, max_exits=None, max_recruits=None)
        out = []
        for t in range(self.years):
            year = tuple(levels[p][t] for p in range(n))
            out += [f"y{t} {b}" for b in plain.broken(year)]
            if self.budgets is not None and self.spend(levels, t) > self.budgets[t] + TOL:
                out.append(f"y{t} budget")
            for key, cap in ch.pools.items():
                members = [p for p in range(n) if f"type:{ch.types[p]}" == key]
                if self.spend(levels, t, members) > cap + TOL:
                    out.append(f"y{t} pool")
            before = [(ch.today[p] if ch.status[p] == "current" else -1) if t == 0 else levels[p][t - 1]
                      for p in range(n)]
            exits = sum(1 for p in range(n) if before[p] >= 0 and year[p] < 0)
            recruits = sum(1 for p in range(n) if before[p] < 0 and year[p] >= 0)
            # the horizon's limits per year, else the programme's each year
            max_exits = ch.max_exits if self.max_exits is None else self.max_exits[t]
            max_recruits = ch.max_recruits if self.max_recruits is None else self.max_recruits[t]
            if max_exits is not None and exits > max_exits:
                out.append(f"y{t} exits")
            if max_recruits is not None and recruits > max_recruits:
                out.append(f"y{t} recruits")
        return out

    def objective_of(self, levels: list[tuple[int, ...]]) -> float:
        ch = self.ch
        n = len(ch.ids)
        total = 0.0
        for t in range(self.years):
            if ch.objective == "min_cost":
                total += self.spend(levels, t) / (1 + self.discount) ** t
                continue
            weight = ((1 + self.growth) / (1 + self.discount)) ** t
            for s, v in enumerate(ch.value):
                best = 0.0
                for p in range(n):
                    if (p, s) not in ch.covers:
                        continue
                    k = levels[p][t]
                    before = (ch.today[p] if ch.status[p] == "current" else -1) if t == 0 else levels[p][t - 1]
                    lv = k if k >= 0 else before
                    if lv < 0:
                        continue
                    q = 1.0 if ch.objective == "coverage" else min(1.0, ch.score[p] * ch.tiers[lv].multiplier)
                    if k < 0:
                        q *= self.value_share
                    elif ch.status[p] != "current":
                        since = next(y for y in range(self.years) if levels[p][y] >= 0)
                        q *= self.ramp[t - since] if t - since < len(self.ramp) else 1.0
                    best = max(best, q)
                total += v * weight * best
        return total

    def brute_force(self) -> float | None:
        best: float | None = None
        minimize = self.ch.objective == "min_cost"
        for levels in itertools.product(*(self.paths(p) for p in range(len(self.ch.ids)))):
            if self.broken(list(levels)):
                continue
            obj = self.objective_of(list(levels))
            if best is None or (obj < best if minimize else obj > best):
                best = obj
        return best


def random_road(seed: int, objective: str) -> Road:
    rng = random.Random(seed)
    ch = random_channel(seed, objective)
    while len(ch.ids) > 4 or len(ch.tiers) > 2:  # small enough to enumerate
        seed += 10_000
        ch = random_channel(seed, objective)
    years = rng.choice([2, 2, 3])
    top = sum(max(ch.annual(p, k) for k in range(len(ch.tiers))) for p in range(len(ch.ids)))
    budgets = None if ch.budget is None else [
        rng.randint(int(top * 0.3), int(top * 0.9) + 1) for _ in range(years)]
    return Road(
        ch=ch, years=years,
        ramp=rng.choice([[1.0], [0.5], [0.4, 0.8], [0.0, 0.5, 1.0]]),
        value_share=rng.choice([0.0, 0.0, 0.5, 1.0]), cost_share=rng.choice([0.0, 0.3, 1.0]),
        step=rng.choice([1, 1, 2]), discount=rng.choice([0.0, 0.1]), growth=rng.choice([0.0, 0.05]),
        budgets=budgets,
        max_exits=None if rng.random() < 0.6 else [rng.randint(0, 1) for _ in range(years)],
        max_recruits=None if rng.random() < 0.6 else [rng.randint(0, 1) for _ in range(years)],
    )


def check(road: Road, solver: str = "highs") -> Any:
    best = road.brute_force()
    result = solve(road.scenario(), gap=0.0, time_limit=20, seed=1, solver=solver)
    if best is None:
        assert result.status == "infeasible", (result.status, result.explanation, road)
        return result
    assert result.status == "optimal", (result.status, result.explanation, best, road)
    assert result.objective == pytest.approx(best, rel=1e-6, abs=1e-6), road
    names = [t.name for t in road.ch.tiers]
    table = result.roadmap.set_index(["partner_id", "year"])["level"]
    levels = [tuple(-1 if table[(pid, t + 1)] == "out" else names.index(table[(pid, t + 1)])
                    for t in range(road.years)) for pid in road.ch.ids]
    assert road.broken(levels) == [], (levels, road)
    assert road.objective_of(levels) == pytest.approx(best, rel=1e-6, abs=1e-6)
    spend = result.roadmap_summary["spend"].tolist()
    assert spend == pytest.approx([road.spend(levels, t) for t in range(road.years)], abs=1e-6)
    return result


@pytest.mark.parametrize("seed", range(40))
def test_weighted_coverage_roadmap_matches_brute_force(seed: int) -> None:
    check(random_road(seed, "weighted_coverage"))


@pytest.mark.parametrize("seed", range(15))
def test_coverage_roadmap_matches_brute_force(seed: int) -> None:
    check(random_road(1000 + seed, "coverage"))


@pytest.mark.parametrize("seed", range(10))
def test_min_cost_roadmap_matches_brute_force(seed: int) -> None:
    check(random_road(7000 + seed, "min_cost"))


@pytest.mark.parametrize("seed", range(6))
def test_cbc_roadmap_matches_brute_force(seed: int) -> None:
    """The whole model by CBC (the roadmap_mip search) reaches the same optimum."""
    result = check(random_road(seed, "weighted_coverage"), solver="cbc")
    assert result.stats["route"]["search"] == "roadmap_mip"


def test_one_year_horizon_gives_todays_plan() -> None:
    plan = load_scenario("scenarios/teaching-plan.toml").with_changes(
        {"programme": {"stability": "none", "max_step": 2}})
    one = solve(plan, gap=0.0, seed=1)
    road = solve(plan.with_changes({"horizon": {"years": 1}}), gap=0.0, seed=1)
    assert road.stats["route"]["search"] == "roadmap"
    assert road.objective == pytest.approx(one.objective, rel=1e-9)
    assert road.plan is not None and one.plan is not None
    assert road.plan["proposed"].tolist() == one.plan["proposed"].tolist()
    assert road.roadmap["level"].tolist() == one.plan["proposed"].tolist()


@pytest.mark.parametrize("seed", range(12))
def test_one_year_horizon_reaches_the_plans_optimum(seed: int) -> None:
    ch = random_channel(seed, "weighted_coverage")
    plan = ch.scenario()
    prog = dict(plan.config.get("programme", {"tiers": ["partner"]}))
    one = solve(plan, gap=0.0, time_limit=20, seed=1)
    road = solve(plan.with_changes({"programme": {**prog, "max_step": 3},
                                    "horizon": {"years": 1}}), gap=0.0, time_limit=20, seed=1)
    assert road.status == one.status
    if one.objective is not None:
        assert road.objective == pytest.approx(one.objective, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_more_budget_in_a_year_never_lowers_the_value(seed: int) -> None:
    road = random_road(300 + seed, "weighted_coverage")
    if road.budgets is None:
        road.budgets = [10**9] * road.years
    base = solve(road.scenario(), gap=0.0, time_limit=20, seed=1)
    for t in range(road.years):
        more = replace(road, budgets=[b + (50 if k == t else 0) for k, b in enumerate(road.budgets)])
        richer = solve(more.scenario(), gap=0.0, time_limit=20, seed=1)
        if base.objective is not None:
            assert richer.objective is not None
            assert richer.objective >= base.objective - 1e-6


@pytest.mark.parametrize("seed", range(10))
def test_equal_years_without_ramp_or_transition_repeat_the_plan(seed: int) -> None:
    """Ramp [1.0], no transition, no one-off costs, equal years, no discount: each year
    is the one-year plan's problem again, and the roadmap is worth three of them."""
    ch = random_channel(500 + seed, "weighted_coverage")
    ch = replace(ch, recruit_cost=[0] * len(ch.ids), exit_cost=[0] * len(ch.ids))
    plan = ch.scenario()
    one = solve(plan, gap=0.0, time_limit=20, seed=1)
    prog = dict(plan.config.get("programme", {"tiers": ["partner"]}))
    road = solve(plan.with_changes({"programme": {**prog, "max_step": 3},
                                    "horizon": {"years": 3}}), gap=0.0, time_limit=20, seed=1)
    if one.objective is None:
        assert road.objective is None
        return
    assert road.objective == pytest.approx(3 * one.objective, rel=1e-9, abs=1e-6)
    assert road.roadmap_summary["value"].tolist() == pytest.approx([one.objective] * 3, rel=1e-9, abs=1e-6)


def test_teaching_roadmap_by_hand() -> None:
    """scenarios/teaching-3y.toml: the figures its comments check by hand."""
    r = solve(load_scenario("scenarios/teaching-3y.toml"), seed=1)
    assert r.status == "optimal"
    summary = r.roadmap_summary
    assert (summary["spend"] <= summary["budget"] + 1e-6).all()
    assert r.plan is not None
    year1 = r.roadmap[r.roadmap["year"] == 1].set_index("partner_id")["level"]
    assert year1.to_dict() == r.plan["proposed"].to_dict()
    assert r.cost == pytest.approx(summary["spend"].iloc[0])
    d = r.to_dict()
    assert len(d["roadmap"]) == 12 * 3 and len(d["roadmap_summary"]) == 3


def test_a_plan_without_horizon_has_no_roadmap() -> None:
    r = solve(load_scenario("scenarios/teaching-plan.toml"), seed=1)
    assert r.roadmap is None and r.roadmap_summary is None
    assert "roadmap" not in r.to_dict() and "roadmap" not in r.to_frame()


def test_cli_prints_and_exports_the_roadmap(tmp_path: Any, capsys: Any) -> None:
    from selector.cli import main

    csv = tmp_path / "roadmap.csv"
    assert main(["solve", "scenarios/teaching-3y.toml", "--ids", "--csv", str(csv)]) == 0
    text = capsys.readouterr().out
    assert "Roadmap    3 years" in text and "  Year 2 " in text and "recruit: R06" in text
    head = csv.read_text().splitlines()[0]
    assert head == "partner_id,year,level,action,one_off_cost,annual_cost,value_added,reason"
    assert len(csv.read_text().splitlines()) == 1 + 12 * 3


@pytest.mark.parametrize("seed", range(5))
def test_readable_pulp_model_agrees_with_the_array_path(seed: int) -> None:
    """CBC on the named PuLP roadmap reaches the array path's optimum."""
    import pulp

    from selector.portfolio.pulp_compat import cbc_path
    from selector.portfolio.roadmap_pulp import read_roadmap_pulp, roadmap_pulp_model

    road = random_road(seed, "weighted_coverage")
    scenario = road.scenario()
    result = solve(scenario, gap=0.0, time_limit=20, seed=1)
    prob, inst = roadmap_pulp_model(scenario)
    prob.solve(pulp.COIN_CMD(path=cbc_path(), msg=False, gapRel=0.0, timeLimit=20))
    if result.status == "infeasible":
        assert pulp.LpStatus[prob.status] == "Infeasible"
        return
    x = read_roadmap_pulp(inst, prob)
    assert inst.objective(x) == pytest.approx(result.objective, rel=1e-6, abs=1e-6)
    assert any(v.name.startswith("x_P") and v.name.endswith("_y1") for v in prob.variables())
