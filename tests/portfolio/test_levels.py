"""Plans from today's channel against a brute force (selector/portfolio/levels.py).

Small random channels (2-6 partners, 1-3 programme tiers, 3-8 segments) are solved and
compared with an enumeration of every assignment of each partner to "out" or a tier.
The rules and the objective below are written from the docstrings of
selector/inputs/programme.py and selector/portfolio/levels.py, not from selector's own
``violations``/``evaluate``:

- an active partner costs its tier's annual cost (``fixed + share x cost`` or a partner
  column); a recruited prospect adds its recruit cost, an exited current partner costs
  its exit cost; all of it within the budget (and within a pool, for the pool's partners);
- a tier holds at most ``max_share`` of today's partners (a count; of the active partners when
  nobody is a partner today) and at most ``max_count``;
- at most ``max_exits`` current partners leave, at most ``max_recruits`` prospects join;
- with ``keep_named_accounts`` (the default), a named account covered today by current
  partners keeps at least one of them (at any tier);
- must_include: active at some tier; must_exclude: out; conflicts: not both active;
  tier-2 partners need an active distributor that supplies them (with a supply table);
  min_partners / max_partners_per_segment count the active partners of a segment;
- weighted_coverage: a segment counts value x max over its active partners of
  min(1, score x multiplier of the partner's tier); coverage: value if any active
  partner covers it.

Cases come from fixed seeds, so CI runs the same channels every time.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pytest

from selector import scenario_from_frames
from selector.portfolio import solve

TOL = 1e-6


@dataclass
class Tier:
    name: str
    fixed: float = 0.0
    share: float = 1.0
    column: list[int] | None = None  # per-partner annual cost (a partner column)
    multiplier: float = 1.0
    max_share: float | None = None
    max_count: int | None = None


@dataclass
class Channel:
    objective: str
    ids: list[str]
    types: list[str]
    gtm_tier: list[int]
    cost: list[int]
    score: list[float]
    status: list[str]  # current | prospect
    today: list[int]  # tier index of a current partner, -1 for a prospect
    recruit_cost: list[int]
    exit_cost: list[int]
    seg_ids: list[str]
    value: list[int]
    named: list[bool]
    covers: set[tuple[int, int]]
    tiers: list[Tier]
    programme: bool  # False: a status column only (one level, no [programme] table)
    budget: int | None = None
    pools: dict[str, int] = field(default_factory=dict)
    max_exits: int | None = None
    max_recruits: int | None = None
    keep_named: bool | None = None  # None: leave the key out (default true)
    must_include: list[int] = field(default_factory=list)
    must_exclude: list[int] = field(default_factory=list)
    conflicts: list[tuple[int, int]] = field(default_factory=list)
    supply: list[tuple[int, int]] | None = None
    named_need: int | None = None
    cap: int | None = None

    # -- to selector --------------------------------------------------------------
    def scenario(self) -> Any:
        n = len(self.ids)
        partners = pd.DataFrame(
            {
                "id": self.ids,
                "name": [f"Partner {i}" for i in self.ids],
                "type": self.types,
                "gtm_tier": self.gtm_tier,
                "cost": self.cost,
                "regions": ["*"] * n,
                "industries": ["*"] * n,
                "sizes": ["*"] * n,
                "score": self.score,
                "status": self.status,
                "tier": [
                    self.tiers[t].name if s == "current" and self.programme else ""
                    for s, t in zip(self.status, self.today, strict=True)
                ],
                "recruit_cost": self.recruit_cost,
                "exit_cost": self.exit_cost,
            }
        )
        for t in self.tiers:
            if t.column is not None:
                partners[f"cost_{t.name}"] = t.column
        segments = pd.DataFrame(
            {
                "id": self.seg_ids,
                "region": "R",
                "industry": "I",
                "size": "S",
                "value": self.value,
                "named": ["true" if v else "false" for v in self.named],
            }
        )
        coverage = pd.DataFrame(
            [(self.ids[p], self.seg_ids[s]) for p, s in sorted(self.covers)],
            columns=["partner_id", "segment_id"],
        )
        supply = (
            None
            if self.supply is None
            else pd.DataFrame(
                [(self.ids[d], self.ids[r]) for d, r in self.supply],
                columns=["distributor_id", "reseller_id"],
            )
        )
        settings: dict[str, Any] = {
            "name": "channel",
            "objective": {"kind": self.objective},
            "constraints": {
                "must_include": [self.ids[i] for i in self.must_include],
                "must_exclude": [self.ids[i] for i in self.must_exclude],
                "conflicts": [[self.ids[a], self.ids[b]] for a, b in self.conflicts],
            },
        }
        if self.named_need is not None:
            settings["constraints"]["min_partners"] = {"named": self.named_need}
        if self.cap is not None:
            settings["constraints"]["max_partners_per_segment"] = self.cap
        budget: dict[str, Any] = {}
        if self.budget is not None:
            budget["total"] = self.budget
        if self.pools:
            budget["pools"] = dict(self.pools)
        settings["budget"] = budget
        if self.programme:
            prog: dict[str, Any] = {"tiers": [t.name for t in self.tiers]}
            if self.max_exits is not None:
                prog["max_exits"] = self.max_exits
            if self.max_recruits is not None:
                prog["max_recruits"] = self.max_recruits
            if self.keep_named is not None:
                prog["keep_named_accounts"] = self.keep_named
            for t in self.tiers:
                table: dict[str, Any] = {"multiplier": t.multiplier}
                if t.column is not None:
                    table["cost"] = {"column": f"cost_{t.name}"}
                else:
                    table["cost"] = {"fixed": t.fixed, "share": t.share}
                if t.max_share is not None:
                    table["max_share"] = t.max_share
                if t.max_count is not None:
                    table["max_count"] = t.max_count
                prog[t.name] = table
            settings["programme"] = prog
        return scenario_from_frames(
            partners, segments, coverage=coverage, supply=supply, settings=settings
        )

    # -- brute force from the definitions ------------------------------------------
    def annual(self, p: int, k: int) -> float:
        t = self.tiers[k]
        if t.column is not None:
            return float(t.column[p])
        return t.fixed + t.share * self.cost[p]

    def total_cost(self, levels: tuple[int, ...], members: list[int] | None = None) -> float:
        total = 0.0
        for p in members if members is not None else range(len(self.ids)):
            k = levels[p]
            current = self.status[p] == "current"
            if k >= 0:
                total += self.annual(p, k)
                if not current:
                    total += self.recruit_cost[p]
            elif current:
                total += self.exit_cost[p]
        return total

    def broken(self, levels: tuple[int, ...]) -> list[str]:
        n = len(self.ids)
        active = [k >= 0 for k in levels]
        current = [s == "current" for s in self.status]
        out: list[str] = []
        if self.budget is not None and self.total_cost(levels) > self.budget + TOL:
            out.append("budget")
        for key, cap in self.pools.items():
            members = [p for p in range(n) if f"type:{self.types[p]}" == key]
            if self.total_cost(levels, members) > cap + TOL:
                out.append(f"pool {key}")
        if any(not active[i] for i in self.must_include):
            out.append("must_include")
        if any(active[i] for i in self.must_exclude):
            out.append("must_exclude")
        if any(active[a] and active[b] for a, b in self.conflicts):
            out.append("conflict")
        n_active = sum(active)
        n_today = sum(1 for p in range(n) if current[p])
        for k, t in enumerate(self.tiers):
            at = sum(1 for lv in levels if lv == k)
            # a share of today's partners (a count for the year); of the active ones
            # when nobody is a partner today
            base = n_today if n_today else n_active
            if t.max_share is not None and at > math.floor(t.max_share * base + 1e-9) + TOL:
                out.append(f"max_share {t.name}")
            if t.max_count is not None and at > t.max_count:
                out.append(f"max_count {t.name}")
        exits = sum(1 for p in range(n) if current[p] and not active[p])
        recruits = sum(1 for p in range(n) if not current[p] and active[p])
        if self.max_exits is not None and exits > self.max_exits:
            out.append("max_exits")
        if self.max_recruits is not None and recruits > self.max_recruits:
            out.append("max_recruits")
        keep = True if self.keep_named is None else self.keep_named
        for s in range(len(self.seg_ids)):
            today = [p for p in range(n) if current[p] and (p, s) in self.covers]
            counts = sum(1 for p in range(n) if active[p] and (p, s) in self.covers)
            if keep and self.named[s] and today and not any(active[p] for p in today):
                out.append(f"continuity {self.seg_ids[s]}")
            need = 1 if self.objective == "min_cost" else 0  # min_cost: cover every segment
            if self.named_need is not None and self.named[s]:
                need = self.named_need
            if counts < need:
                out.append(f"min_partners {self.seg_ids[s]}")
            if self.cap is not None and counts > self.cap:
                out.append(f"cap {self.seg_ids[s]}")
        if self.supply is not None:
            for r in range(n):
                if active[r] and self.gtm_tier[r] == 2 and not any(
                    active[d] for d, rr in self.supply if rr == r
                ):
                    out.append(f"supply {self.ids[r]}")
        return out

    def objective_of(self, levels: tuple[int, ...]) -> float:
        if self.objective == "min_cost":
            return self.total_cost(levels)
        total = 0.0
        for s, v in enumerate(self.value):
            who = [p for p in range(len(self.ids)) if levels[p] >= 0 and (p, s) in self.covers]
            if not who:
                continue
            if self.objective == "coverage":
                total += v
            else:
                total += v * max(
                    min(1.0, self.score[p] * self.tiers[levels[p]].multiplier) for p in who
                )
        return total

    def brute_force(self) -> tuple[float | None, int]:
        """Best objective over every feasible assignment (None: none) and their count."""
        best: float | None = None
        feasible = 0
        choices = range(-1, len(self.tiers))
        for levels in itertools.product(choices, repeat=len(self.ids)):
            if self.broken(levels):
                continue
            feasible += 1
            obj = self.objective_of(levels)
            if best is None or (obj < best if self.objective == "min_cost" else obj > best):
                best = obj
        return best, feasible

    def levels_of(self, plan: pd.DataFrame) -> tuple[int, ...]:
        names = [t.name for t in self.tiers]
        return tuple(
            -1 if plan.loc[pid, "proposed"] == "out" else names.index(plan.loc[pid, "proposed"])
            for pid in self.ids
        )


def random_channel(seed: int, objective: str) -> Channel:
    rng = random.Random(seed)
    n = rng.randint(2, 6)
    m = rng.randint(3, 8)
    n_tiers = rng.randint(1, 3)
    programme = n_tiers > 1 or rng.random() < 0.6
    names = ["registered", "silver", "gold"][:n_tiers] if programme else ["partner"]
    ids = [f"P{i}" for i in range(n)]
    seg_ids = [f"S{j}" for j in range(m)]
    cost = [rng.randint(0, 50) for _ in range(n)]
    tiers: list[Tier] = []
    for k, name in enumerate(names):
        t = Tier(name)
        if programme:
            if rng.random() < 0.15:
                t.column = [rng.randint(0, 80) for _ in range(n)]
            else:
                t.fixed = float(rng.choice([0, 0, 5, 10 * k]))
                t.share = rng.choice([1.0, 1.0 + 0.25 * k, 0.5 + 0.5 * k])
            t.multiplier = rng.choice([1.0, 0.8 + 0.2 * k, 0.7 + 0.35 * k])
            if k > 0 and rng.random() < 0.4:
                t.max_share = rng.choice([0.25, 0.34, 0.5])
            if k > 0 and rng.random() < 0.3:
                t.max_count = rng.randint(0, 2)
        tiers.append(t)
    status = [rng.choice(["current", "current", "prospect"]) for _ in range(n)]
    today = [rng.randrange(n_tiers) if s == "current" else -1 for s in status]
    use_supply = rng.random() < 0.3
    if use_supply:
        n_dist = rng.randint(1, min(2, n - 1))
        types = ["distributor"] * n_dist + [rng.choice(["reseller", "si"]) for _ in range(n - n_dist)]
        gtm_tier = [1] * n_dist + [rng.choice([1, 2, 2]) for _ in range(n - n_dist)]
        supply: list[tuple[int, int]] | None = [
            (d, r) for r in range(n_dist, n) if gtm_tier[r] == 2 for d in range(n_dist)
            if rng.random() < 0.75
        ]
    else:
        types = [rng.choice(["reseller", "si", "distributor"]) for _ in range(n)]
        gtm_tier = [rng.choice([1, 2]) for _ in range(n)]
        supply = None
    covers: set[tuple[int, int]] = set()
    for s in range(m):
        covers.add((rng.randrange(n), s))
        for p in range(n):
            if rng.random() < 0.3:
                covers.add((p, s))
    ch = Channel(
        objective=objective,
        ids=ids,
        types=types,
        gtm_tier=gtm_tier,
        cost=cost,
        score=[rng.choice([0.0, 0.2, 0.5, 0.6, 0.75, 0.9, 1.0]) for _ in range(n)],
        status=status,
        today=today,
        recruit_cost=[rng.choice([0, 0, 5, 15, 30]) for _ in range(n)],
        exit_cost=[rng.choice([0, 0, 5, 10, 25]) for _ in range(n)],
        seg_ids=seg_ids,
        value=[rng.randint(0, 100) for _ in range(m)],
        named=[rng.random() < 0.35 for _ in range(m)],
        covers=covers,
        tiers=tiers,
        programme=programme,
        supply=supply,
    )
    top = sum(max(ch.annual(p, k) for k in range(n_tiers)) for p in range(n))
    top += sum(ch.recruit_cost) + sum(ch.exit_cost)
    if rng.random() < 0.85:
        ch.budget = rng.randint(0, int(top * 0.8) + 1)
    if rng.random() < 0.25:
        ch.pools = {f"type:{rng.choice(types)}": rng.randint(0, int(top * 0.6) + 1)}
    if programme:
        if rng.random() < 0.4:
            ch.max_exits = rng.randint(0, 2)
        if rng.random() < 0.4:
            ch.max_recruits = rng.randint(0, 2)
        ch.keep_named = rng.choice([None, None, True, False])
    order = list(range(n))
    rng.shuffle(order)
    if rng.random() < 0.25:
        ch.must_include = [order[0]]
    if rng.random() < 0.25:
        ch.must_exclude = [order[-1]]
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    if pairs and rng.random() < 0.35:
        ch.conflicts = rng.sample(pairs, k=min(len(pairs), rng.randint(1, 2)))
    if rng.random() < 0.15:
        ch.named_need = 1
    if rng.random() < 0.15:
        ch.cap = rng.randint(1, 2)
    return ch


def check(ch: Channel) -> Any:
    best, _ = ch.brute_force()
    result = solve(ch.scenario(), gap=0.0, time_limit=20, seed=1)
    if best is None:
        assert result.status == "infeasible", (result.status, result.explanation, ch)
        assert result.selected == () and result.objective is None
        return result
    assert result.status == "optimal", (result.status, result.explanation, best, ch)
    assert result.objective == pytest.approx(best, rel=1e-6, abs=1e-6), (result.plan, ch)
    assert result.plan is not None
    levels = ch.levels_of(result.plan)
    assert ch.broken(levels) == [], (levels, ch.broken(levels), ch)
    assert ch.objective_of(levels) == pytest.approx(result.objective, rel=1e-6, abs=1e-6)
    assert result.cost == pytest.approx(ch.total_cost(levels), abs=1e-6), (levels, ch)
    assert sorted(result.selected) == sorted(
        pid for pid, k in zip(ch.ids, levels, strict=True) if k >= 0
    )
    return result


SEEDS = range(60)


@pytest.mark.parametrize("seed", SEEDS)
def test_weighted_coverage_plan_matches_brute_force(seed: int) -> None:
    check(random_channel(seed, "weighted_coverage"))


@pytest.mark.parametrize("seed", SEEDS)
def test_coverage_plan_matches_brute_force(seed: int) -> None:
    check(random_channel(1000 + seed, "coverage"))


@pytest.mark.parametrize("seed", range(20))
def test_min_cost_plan_matches_brute_force(seed: int) -> None:
    """min_cost: the objective is the plan's cost (annual + one-off), as in result.cost."""
    check(random_channel(7000 + seed, "min_cost"))


def test_min_cost_objective_is_the_plan_cost() -> None:
    """Two current partners with exit costs 4 and 6: the objective must count what the
    plan costs (result.cost), not the cost net of every current partner's exit cost."""
    result = check(_two_tier_channel(objective="min_cost"))
    assert result.objective == pytest.approx(result.cost)


def test_random_cases_cover_the_rules() -> None:
    """The seeds above exercise each feature, and both feasible and infeasible cases."""
    chans = [random_channel(s, "weighted_coverage") for s in SEEDS]
    chans += [random_channel(1000 + s, "coverage") for s in SEEDS]
    assert {len(c.tiers) for c in chans} == {1, 2, 3}
    assert any(not c.programme for c in chans) and any(c.programme for c in chans)
    assert any(c.supply is not None for c in chans)
    assert any(t.max_share is not None for c in chans for t in c.tiers)
    assert any(t.max_count is not None for c in chans for t in c.tiers)
    assert any(t.column is not None for c in chans for t in c.tiers)
    assert any(c.max_exits is not None for c in chans)
    assert any(c.max_recruits is not None for c in chans)
    assert any(c.keep_named is False for c in chans)
    assert any(c.conflicts for c in chans) and any(c.pools for c in chans)
    assert any(c.must_include for c in chans) and any(c.must_exclude for c in chans)
    results = [c.brute_force()[0] for c in chans]
    assert any(r is None for r in results) and sum(r is not None for r in results) > 60


# --- hand-made cases: each rule alone ------------------------------------------------


def _two_tier_channel(**over: Any) -> Channel:
    base: dict[str, Any] = dict(
        objective="weighted_coverage",
        ids=["A", "B", "C"],
        types=["reseller"] * 3,
        gtm_tier=[1, 1, 1],
        cost=[10, 10, 10],
        score=[0.5, 0.8, 0.6],
        status=["current", "current", "prospect"],
        today=[0, 1, -1],
        recruit_cost=[0, 0, 7],
        exit_cost=[4, 6, 0],
        seg_ids=["S0", "S1", "S2"],
        value=[100, 50, 30],
        named=[True, False, False],
        covers={(0, 0), (1, 1), (2, 2), (2, 0)},
        tiers=[Tier("registered"), Tier("gold", fixed=5, share=1.5, multiplier=1.5)],
        programme=True,
    )
    base.update(over)
    return Channel(**base)


@pytest.mark.parametrize(
    "over",
    [
        {},
        {"budget": 30},
        {"budget": 12},
        {"budget": 0},
        {"budget": 60, "max_exits": 0},
        {"budget": 60, "max_recruits": 0},
        {"budget": 60, "keep_named": False},
        {"budget": 25, "keep_named": True},
        {"tiers": [Tier("registered"), Tier("gold", fixed=5, multiplier=2.0, max_share=0.34)]},
        {"tiers": [Tier("registered"), Tier("gold", fixed=5, multiplier=2.0, max_count=1)]},
        {"conflicts": [(0, 2)]},
        {"must_exclude": [0], "keep_named": False},
        {"must_exclude": [0]},  # the only current partner of named S0 excluded
        {"must_include": [2], "max_recruits": 0},
        {"objective": "coverage", "budget": 20},
    ],
)
def test_hand_made_plan_matches_brute_force(over: dict[str, Any]) -> None:
    check(_two_tier_channel(**over))


def test_multiplier_is_capped_at_one() -> None:
    """A score of 0.8 at a x1.5 tier counts 1.0, not 1.2, of its segment's value."""
    ch = _two_tier_channel(
        score=[0.8, 0.8, 0.8], covers={(0, 0)}, value=[100, 0, 0], status=["current"] * 3,
        today=[1, 1, 1],
    )
    result = check(ch)
    assert result.objective == pytest.approx(100.0)


def test_unsatisfiable_plan_is_infeasible() -> None:
    """Three current partners, none may exit, but the budget keeps only one."""
    ch = _two_tier_channel(status=["current"] * 3, today=[0, 0, 0], max_exits=0, budget=15)
    assert ch.brute_force()[0] is None
    check(ch)
