"""Roadmaps over several years as arrays: one column per partner, year and level.

A scenario with ``[horizon]`` (:mod:`selector.inputs.horizon`) asks for each partner's
level in each year, not only in the next one. :func:`build_roadmap` turns the year-one
plan instance (:func:`selector.portfolio.levels.expand_levels`) into a
:class:`RoadmapInstance` whose columns are, for every year ``t``:

- *active* columns of a current partner: ``(p, t, tier)``, 1 when ``p`` is at that tier
  in year ``t``; it costs the tier's annual cost and counts at the tier's quality;
- *exit* columns of a current partner: ``(p, t, tier)``, 1 when ``p`` leaves in year
  ``t`` from the tier it held the year before (today's tier in year one); it costs the
  exit cost plus ``exit_transition.cost`` of that tier's annual cost, and counts at
  ``exit_transition.value`` of that tier's quality in year ``t`` (its customers are in
  transition);
- *active* columns of a prospect, one per recruit year ``s <= t`` (its cohort):
  ``(p, t, tier, s)``; the column of year ``s`` adds the recruit cost, and the quality
  is the tier's times ``ramp[t - s]`` (a recruit ramps up).

How the years are linked (the rows of :mod:`selector.portfolio.roadmap_model`): a
current partner is active or exits each year until it has exited, and never comes back
within the horizon; a prospect is recruited at most once and, once recruited, stays to
the horizon's end (recruiting a partner to exit it within five years is not a plan
anyone makes); a partner moves at most ``max_step`` tiers from one year to the next.

The objective's rows are the plan's merged segment rows once per year: a row of year
``t`` counts its value times :meth:`~selector.inputs.horizon.Horizon.weight` (growth
over discount) at the best quality among the columns of year ``t`` covering it. The
instance keeps that objective as a :class:`~selector.portfolio.instance.PortfolioInstance`
(``flat``): its columns the roadmap's, its rows the (row, year) pairs, so that
:func:`~selector.portfolio.instance.evaluate` and the cut loop's row values read it as
they read a plan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from selector.inputs.horizon import Horizon
from selector.inputs.programme import Programme, tier_costs
from selector.inputs.scenario import Scenario
from selector.inputs.scenario.rules import Rule
from selector.portfolio.instance import PortfolioInstance, evaluate

__all__ = ["ACTIVE", "EXIT", "RoadmapInstance", "build_roadmap", "year_one_plan"]

#: Column kinds.
ACTIVE = 0
EXIT = 1
#: The cohort of a current partner's columns (a prospect's is its recruit year).
TODAY = -1


@dataclass(frozen=True, eq=False)
class RoadmapInstance:
    """A roadmap as arrays (see the module notes). Years count from 0 here.

    Per column: ``col_partner``, ``col_year``, ``col_level`` (tier position), ``col_kind``
    (:data:`ACTIVE` or :data:`EXIT`), ``col_cohort`` (a prospect's recruit year,
    :data:`TODAY` for a current partner), ``col_cost`` (what it spends in its year),
    ``col_fixed_out`` (never 1). ``flat`` is the objective (see the module notes);
    ``act`` is the (year x partner) x column 0/1 matrix of the active columns, so that
    ``act @ x`` says who is active in each year.
    """

    scenario_name: str
    plan: PortfolioInstance
    horizon: Horizon
    programme: Programme
    partner_ids: np.ndarray
    level_names: tuple[str, ...]
    current: np.ndarray  # per partner
    today_level: np.ndarray  # per partner: tier position, -1 for a prospect
    annual: np.ndarray  # partners x tiers
    recruit_cost: np.ndarray
    exit_cost: np.ndarray
    col_partner: np.ndarray
    col_year: np.ndarray
    col_level: np.ndarray
    col_kind: np.ndarray
    col_cohort: np.ndarray
    col_cost: np.ndarray
    col_fixed_out: np.ndarray
    flat: PortfolioInstance
    act: sp.csr_matrix
    rules: tuple[Rule, ...] = ()  # the scenario's [[rules]], each for its year or every year

    @property
    def years(self) -> int:
        return self.horizon.years

    @property
    def n_cols(self) -> int:
        return len(self.col_partner)

    @property
    def n_partners(self) -> int:
        return len(self.partner_ids)

    @property
    def n_levels(self) -> int:
        return len(self.level_names)

    @property
    def maximize(self) -> bool:
        return self.plan.maximize

    @property
    def discount_factors(self) -> np.ndarray:
        """Per year: what money (a ``min_cost`` objective) counts, ``1 / (1 + d)^t``."""
        return (1.0 + self.horizon.discount) ** -np.arange(self.years, dtype=float)

    def objective(self, x: np.ndarray) -> float:
        """The roadmap's objective at selection ``x``: the discounted value over the
        horizon, or for ``min_cost`` the discounted spend."""
        sel = np.asarray(x, dtype=bool)
        if not self.maximize:
            return float((self.col_cost * self.discount_factors[self.col_year])[sel].sum())
        return evaluate(self.flat, sel)

    def levels(self, x: np.ndarray) -> np.ndarray:
        """Partners x years: the tier position of each partner in each year, -1 out."""
        sel = np.asarray(x, dtype=bool) & (self.col_kind == ACTIVE)
        out = np.full((self.n_partners, self.years), -1, dtype=np.int64)
        out[self.col_partner[sel], self.col_year[sel]] = self.col_level[sel]
        return out

    def spend(self, x: np.ndarray) -> np.ndarray:
        """Per year: what selection ``x`` spends (annual, recruit, exit and transition costs)."""
        sel = np.asarray(x, dtype=bool)
        return np.bincount(self.col_year[sel], weights=self.col_cost[sel], minlength=self.years)

    def year_value(self, x: np.ndarray) -> np.ndarray:
        """Per year: the value selection ``x`` reaches (weighted by growth and discount)."""
        from selector.portfolio.instance import segment_quality

        rows = self.plan.n_rows
        got = self.flat.value * segment_quality(self.flat, np.asarray(x, dtype=bool))
        return got.reshape(self.years, rows).sum(axis=1) if rows else np.zeros(self.years)

    def columns_of(self, p: int, t: int, *, kind: int = ACTIVE) -> np.ndarray:
        """Column positions of partner ``p`` in year ``t`` of one kind."""
        return np.flatnonzero((self.col_partner == p) & (self.col_year == t) & (self.col_kind == kind))

    def selection(self, levels: np.ndarray) -> np.ndarray:
        """The column selection of a roadmap given as partners x years of tier positions
        (-1 out): the inverse of :meth:`levels`, with exits and cohorts filled in.

        Raises ``ValueError`` when a current partner comes back after an exit or a
        recruit leaves (no column selection says that)."""
        levels = np.asarray(levels, dtype=np.int64)
        x = np.zeros(self.n_cols, dtype=bool)
        key = {(int(p), int(t), int(lv), int(k), int(c)): j for j, (p, t, lv, k, c) in enumerate(zip(
            self.col_partner, self.col_year, self.col_level, self.col_kind, self.col_cohort, strict=True))}
        for p in range(self.n_partners):
            row = levels[p]
            if self.current[p]:
                before = int(self.today_level[p])
                for t in range(self.years):
                    if row[t] >= 0:
                        if before < 0:
                            raise ValueError(f"partner {self.partner_ids[p]} comes back after its exit")
                        x[key[(p, t, int(row[t]), ACTIVE, TODAY)]] = True
                    elif before >= 0:
                        x[key[(p, t, before, EXIT, TODAY)]] = True
                    before = int(row[t])
            else:
                on = np.flatnonzero(row >= 0)
                if not len(on):
                    continue
                s = int(on[0])
                if (row[s:] < 0).any():
                    raise ValueError(f"recruit {self.partner_ids[p]} leaves within the horizon")
                for t in range(s, self.years):
                    x[key[(p, t, int(row[t]), ACTIVE, s)]] = True
        return x


def _blocks(
    current: np.ndarray, today_level: np.ndarray, years: int, n_levels: int
) -> dict[str, np.ndarray]:
    """The columns in order: by year, then active current, exit, prospects by cohort."""
    cur = np.flatnonzero(current)
    pro = np.flatnonzero(~current)
    L = n_levels
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("p", "t", "l", "k", "c")}

    def put(p: np.ndarray, t: int, lv: np.ndarray, kind: int, cohort: int) -> None:
        parts["p"].append(p)
        parts["t"].append(np.full(len(p), t))
        parts["l"].append(lv)
        parts["k"].append(np.full(len(p), kind))
        parts["c"].append(np.full(len(p), cohort))

    for t in range(years):
        put(np.repeat(cur, L), t, np.tile(np.arange(L), len(cur)), ACTIVE, TODAY)
        if t == 0:
            put(cur, t, today_level[cur], EXIT, TODAY)
        else:
            put(np.repeat(cur, L), t, np.tile(np.arange(L), len(cur)), EXIT, TODAY)
        for s in range(t + 1):
            put(np.repeat(pro, L), t, np.tile(np.arange(L), len(pro)), ACTIVE, s)
    return {k: np.concatenate(v).astype(np.int64) for k, v in parts.items()}


def build_roadmap(scenario: Scenario, plan: PortfolioInstance) -> RoadmapInstance:
    """The roadmap instance of a scenario with ``[horizon]`` (see the module notes).

    ``plan`` is the scenario's year-one plan instance (segment rows merged, not
    reduced further); its fixed-out options stay out in every year.

    Raises
    ------
    ValueError
        When the scenario has no horizon or ``plan`` is not a plan instance.
    """
    horizon = scenario.horizon
    if horizon is None or plan.option_partner is None or plan.partner_names is None:
        raise ValueError("build_roadmap needs a scenario with [horizon] and its plan instance")
    programme = scenario.programme or Programme()
    partners = scenario.partners
    names = programme.tier_names
    L = len(names)
    n = len(plan.partner_names)
    current = partners["status"].to_numpy() == "current"
    today_level = pd.Index(names).get_indexer(
        np.where(current, partners["tier"].to_numpy(dtype=object), "")
    )
    annual = tier_costs(programme, partners)
    recruit_cost = np.where(current, 0.0, partners["recruit_cost"].to_numpy(dtype=float))
    exit_cost = np.where(current, partners["exit_cost"].to_numpy(dtype=float), 0.0)
    T = horizon.years
    b = _blocks(current, today_level, T, L)
    p, t, lv, kind, cohort = b["p"], b["t"], b["l"], b["k"], b["c"]
    option = p * L + lv  # the plan's option of the same partner and tier
    active = kind == ACTIVE
    cost = np.where(
        active,
        annual[p, lv] + np.where(cohort == t, recruit_cost[p], 0.0),
        exit_cost[p] + programme.exit_cost_share * annual[p, lv],
    )
    ramp = np.array([programme.ramp_share(k + 1) for k in range(T)])
    base_q = plan.quality[option]
    quality = np.where(
        active,
        base_q * np.where(cohort >= 0, ramp[np.where(cohort >= 0, t - cohort, 0)], 1.0),
        base_q * programme.exit_value_share,
    )
    fixed_out = active & plan.fixed_out[option]
    # A current partner's first year: at most max_step tiers from today's.
    fixed_out |= active & (cohort == TODAY) & (t == 0) & (np.abs(lv - today_level[p]) > programme.max_step)

    R = plan.n_rows
    rows_of = plan.cover[option].tocsr()  # the partner's merged rows
    counts = np.diff(rows_of.indptr)
    shifted = rows_of.indices + np.repeat(t * R, counts)
    counts_q = np.where(quality > 0, counts, 0)
    keep = np.repeat(quality > 0, counts)
    cover = sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.int8), shifted[keep],
         np.r_[0, np.cumsum(counts_q)]), shape=(len(p), R * T),
    )
    cover.sort_indices()
    weight = np.array([horizon.weight(y) for y in range(T)])
    value = np.tile(plan.value, T) * np.repeat(weight, R)
    m = len(p)
    flat = replace(
        plan,
        partner_ids=plan.partner_names[p],
        cost=cost,
        quality=np.where(np.isfinite(quality), quality, 0.0),
        types=plan.types[option],
        gtm_tier=plan.gtm_tier[option],
        cover=cover,
        value=value,
        required=np.zeros(R * T, dtype=np.int64),
        cap=np.full(R * T, -1, dtype=np.int64),
        row_of_segment=plan.row_of_segment,
        budget=np.inf,
        pools=(),
        conflicts=np.zeros((0, 2), dtype=np.int64),
        type_mix=(),
        suppliers=None,
        fixed_in=np.zeros(m, dtype=bool),
        fixed_out=fixed_out,
        out_reason=(),
        option_partner=None,
        option_level=None,
        level_names=(),
        partner_names=None,
        partner_conflicts=None,
        group_required=None,
        quotas=(),
        current=None,
        reference=None,
        n_current=0,
        max_exits=None,
        max_recruits=None,
        continuity=None,
        continuity_ids=(),
        fixed_cost=0.0,
        exit_band=None,
        rules=(),
        rule_offsets=(),
        movable_out=None,
    )
    on = np.flatnonzero(active)
    act = sp.csr_matrix((np.ones(len(on), dtype=np.int8), (t[on] * n + p[on], on)), shape=(T * n, m))
    return RoadmapInstance(
        scenario_name=scenario.name,
        plan=plan,
        horizon=horizon,
        programme=programme,
        partner_ids=plan.partner_names,
        level_names=names,
        current=current,
        today_level=today_level,
        annual=annual,
        recruit_cost=recruit_cost,
        exit_cost=exit_cost,
        col_partner=p,
        col_year=t,
        col_level=lv,
        col_kind=kind,
        col_cohort=cohort,
        col_cost=cost,
        col_fixed_out=fixed_out,
        flat=flat,
        act=act,
        rules=scenario.rules,
    )


def year_one_plan(road: RoadmapInstance, x: np.ndarray) -> np.ndarray:
    """The plan instance's option selection of the roadmap's first year."""
    sel = np.asarray(x, dtype=bool) & (road.col_kind == ACTIVE) & (road.col_year == 0)
    out = np.zeros(road.plan.n_partners, dtype=bool)
    out[road.col_partner[sel] * road.n_levels + road.col_level[sel]] = True
    return out
