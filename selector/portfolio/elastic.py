"""The elastic model behind :func:`selector.portfolio.relax.find_relaxations`.

The model (:class:`ElasticModel`) is the solve's own MIP (:func:`~selector.portfolio.model.build_model`)
with one *elastic* column per limit, built once::

    minimize    sum_k  c_k s_k
    subject to  every row no setting moves (one level per partner, conflicts, ...), as is
                a_i x - s_k <= b_i     for each row i of an upper limit k (budget, pool,
                                       exits, recruits, quota, cap, a rule's max, ...)
                a_i x + s_k >= b_i     for each row i of a lower limit k (a rule's min,
                                       partners per segment, a type's minimum)
                a_i x -+ s_k <=> b_i   for each row i of a switch k (tier-2 partners need
                                       a distributor, named accounts keep a partner, a
                                       requires rule): s_k in {0, 1}, 1 the switch off
                0 <= s_k <= u_k        (integer for counts and switches, money continuous)

A share of the budget (a ``cost`` rule's ``min_share``/``max_share``) moves with the
budget: the budget's column enters those rows too, times the share. Partners that only a
movable limit kept out (dearer than the budget or a pool, tier-2 partners no distributor
supplies) are columns of the model, held by the limit's own rows.

Between solves only the elastic columns' bounds and costs change; HiGHS solves the same
model in place:

1. *Which limits can help at all* (the elastic filter, above ``FILTER_FROM`` limits):
   every elastic free and costed by its size (1 % of a budget weighs as one exit); the
   limits the first solution found moves are held at today's value, and the model is
   solved again, until it is infeasible. The held set ``H`` is then a set of limits that
   cannot all hold whatever the other limits are, so a limit outside ``H`` cannot make
   the scenario feasible alone (no solve needed for it).
2. *The least change of each limit in H* (of every limit, without the filter): only its
   column free, costed 1, every other at 0; solved to optimality (HiGHS's relative gap
   0), the total budget first, then the limit on exits. Infeasible proves that no value
   of it alone works; a run the time stops gives a value that works and, from its
   bound, the least any value could be.
   A tier quota's ``max_share`` bounds a ratio (the tier's partners over the active
   ones): its least value ``min k(x) / n(x)`` comes from Dinkelbach's iteration, which
   minimizes ``k(x) - lambda n(x)`` on the same model with costs on the partner columns,
   ``lambda`` the last ratio found, until the minimum is 0.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

import numpy as np
import scipy.sparse as sp

from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario
from selector.portfolio.instance import PortfolioInstance
from selector.portfolio.model import GROUPS, MipModel, build_model
from selector.portfolio.rule_reach import never_holds
from selector.portfolio.solvers.guard import check_not_exiting, quiet_highs, run_guarded
from selector.portfolio.solvers.highs import STATUS, highs_lp

__all__ = [
    "LIMIT_GROUPS",
    "MAX_RATIO_ROUNDS",
    "RELAXATION_STATUSES",
    "Answer",
    "ElasticModel",
    "Limit",
    "Status",
]

#: What a relaxation says of its value: ``least`` (proved the least change), ``works``
#: (a change that works, found when the time ran out: a smaller one may too), ``none``
#: (proved: no value of this limit alone makes the scenario feasible), ``unknown`` (not
#: settled within the time).
RELAXATION_STATUSES = ("least", "works", "none", "unknown")
Status = Literal["least", "works", "none", "unknown"]

#: The model's row groups that a setting moves (their rows get an elastic column); the
#: requirement and cap rows are rebuilt by where their number comes from.
LIMIT_GROUPS = ("budget", "pools", "exits", "recruits", "quotas", "type_mix", "supply",
                "continuity", "rules")
#: Dinkelbach rounds at most (each an exact MIP); it ends in 2-4 in practice.
MAX_RATIO_ROUNDS = 12


class _Run(NamedTuple):
    """One HiGHS run of the elastic model (see :meth:`ElasticModel._solve`)."""

    state: str
    values: np.ndarray | None = None
    objective: float | None = None
    bound: float | None = None


class Answer(NamedTuple):
    """A limit's least change: its status, the value needed and, for a change found when
    the time ran out, the least value any change could reach (from the proved bound)."""

    status: Status
    needed: float | int | bool | None = None
    reach: float | int | bool | None = None


@dataclass(frozen=True)
class Limit:
    """One movable limit: its elastic column and how to read its value back."""

    setting: str
    path: tuple[str, ...]
    what: str  # "the total budget", in a sentence
    today: float | int | bool
    column: int  # the elastic column's position among the elastic columns
    upper: float  # the elastic's bound when the limit may move
    unit: Literal["money", "count", "share", "switch", "ratio"]
    side: Literal["max", "min", "off"]
    weight: float  # its cost in the elastic filter (a violation of about 1 % weighs 1)
    # the value the setting needs, from the elastic's value (for "ratio": the ratio)
    needed: Callable[[float], float | int | bool]
    quota: np.ndarray | None = None  # a max_share: the tier's columns (Dinkelbach)
    cause: str = ""  # why it can never hold, when that needs no solve

    @property
    def integer(self) -> bool:
        return self.unit in ("count", "switch")


@dataclass
class _Rows:
    """Rows of the elastic model being assembled: blocks on the model's columns, their
    bounds, and the elastic entries (row, elastic column, coefficient)."""

    n_cols: int
    blocks: list[sp.csr_matrix] = field(default_factory=list)
    lo: list[np.ndarray] = field(default_factory=list)
    hi: list[np.ndarray] = field(default_factory=list)
    entries: list[tuple[np.ndarray, int, float]] = field(default_factory=list)
    n: int = 0

    def add(self, block: sp.csr_matrix, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        rows = np.arange(self.n, self.n + block.shape[0])
        block = sp.csr_matrix(block)
        block.resize((block.shape[0], self.n_cols))  # rows on the partner columns alone
        self.blocks.append(block)
        self.lo.append(np.asarray(lo, dtype=float))
        self.hi.append(np.asarray(hi, dtype=float))
        self.n += block.shape[0]
        return rows

    def link(self, rows: np.ndarray, column: int, coef: float) -> None:
        if len(rows):
            self.entries.append((rows, column, coef))


class ElasticModel:
    """The solve's MIP with an elastic column per movable limit, passed to HiGHS once
    (the formulation is in the module's docstring). One builder method per family of
    limits; :meth:`least_change` and :meth:`conflicting` re-solve it in place.

    Parameters
    ----------
    scenario
        The scenario (the settings' values today, where each number comes from).
    inst
        Its instance, as the solve reduced it.
    """

    def __init__(self, scenario: Scenario, inst: PortfolioInstance, *, seed: int = 0,
                 threads: int | None = None) -> None:
        self.scenario = scenario
        movable = inst.movable_out
        if movable is not None and movable.any():
            inst = replace(inst, fixed_out=inst.fixed_out & ~movable)
        self.inst = inst
        drop = ["requirements", "caps"]
        if not any(r.kind == "coverage" for r in inst.rules):
            drop.append("objective_link")
        self.model = build_model(inst, drop=drop)
        self.limits: list[Limit] = []
        self._budget_column: int | None = None
        model = self.model
        self._rows = _Rows(model.n_cols)
        groups = np.asarray([GROUPS.index(g) for g in LIMIT_GROUPS])
        keep = ~np.isin(model.row_group, groups)
        self._a = sp.csr_matrix(model.A)
        self._rows.add(self._a[np.flatnonzero(keep)], model.row_lo[keep], model.row_hi[keep])
        self._budget()
        self._exits_and_recruits()
        self._pools()
        self._quotas()
        self._min_partners()
        self._caps()
        self._type_mix()
        self._supply()
        self._continuity()
        self._rules()
        self.solves = 0
        self._h = self._pass(seed, threads)

    # --- the families of limits ---------------------------------------------------------

    def _model_rows(self, group: str, key: int | None = None, sub: int | None = None) -> np.ndarray:
        m = self.model
        on = m.row_group == GROUPS.index(group)
        if key is not None and m.row_key is not None:
            on &= m.row_key == key
        if sub is not None and m.row_sub is not None:
            on &= m.row_sub == sub
        return np.flatnonzero(on)

    def _copy(self, rows: np.ndarray, side: str) -> np.ndarray:
        """The model's ``rows`` on one side (``max``: their upper bounds, ``min``: their
        lower ones) as rows of the elastic model."""
        m = self.model
        inf = np.full(len(rows), np.inf)
        if side == "max":
            return self._rows.add(self._a[rows], -inf, m.row_hi[rows])
        return self._rows.add(self._a[rows], m.row_lo[rows], inf)

    def _limit(self, rows: np.ndarray, **fields: Any) -> int:
        """A limit on ``rows`` (already added): its elastic column, -1 on an upper
        limit's rows (and a switch's), +1 on a lower limit's."""
        column = len(self.limits)
        limit = Limit(column=column, **fields)
        self.limits.append(limit)
        self._rows.link(rows, column, 1.0 if limit.side == "min" else -1.0)
        return column

    def _budget(self) -> None:
        """``budget.total``: the budget row, net of the exit costs in a plan."""
        rows = self._model_rows("budget")
        total = self.scenario.budget.total
        if not len(rows) or total is None:
            return
        rows = self._copy(rows, "max")
        self._budget_column = self._limit(
            rows, setting="budget.total", path=("budget", "total"), what="the total budget",
            today=float(total), upper=np.inf, unit="money", side="max",
            weight=1.0 / _one_percent(total), needed=lambda s: float(total) + s,
        )

    def _exits_and_recruits(self) -> None:
        """``programme.max_exits`` and ``programme.max_recruits``."""
        inst = self.inst
        programme = self.scenario.programme
        if programme is None:
            return
        rows = self._model_rows("exits")
        if len(rows) and programme.max_exits is not None:
            today = programme.max_exits
            self._limit(self._copy(rows, "min"), setting="programme.max_exits",
                        path=("programme", "max_exits"), what="the limit on exits", today=today,
                        upper=float(inst.n_current), unit="count", side="min", weight=1.0,
                        needed=lambda s: today + round(s))
        rows = self._model_rows("recruits")
        if len(rows) and programme.max_recruits is not None:
            today_r = programme.max_recruits
            self._limit(self._copy(rows, "max"), setting="programme.max_recruits",
                        path=("programme", "max_recruits"), what="the limit on recruits",
                        today=today_r, upper=float(inst.n_partners), unit="count", side="max",
                        weight=1.0, needed=lambda s: today_r + round(s))

    def _pools(self) -> None:
        """``budget.pools.<key>``: each pool's row (net of its partners' exit costs)."""
        given = dict(self.scenario.budget.pools)
        for k, (key, _mask, _cap) in enumerate(self.inst.pools):
            rows = self._model_rows("pools", key=k)
            if not len(rows) or key not in given:
                continue
            today = float(given[key])
            self._limit(self._copy(rows, "max"), setting=f"budget.pools.{key}",
                        path=("budget", "pools", key), what=f"budget pool {key}", today=today,
                        upper=np.inf, unit="money", side="max", weight=1.0 / _one_percent(today),
                        needed=lambda s, t=today: t + s)

    def _quotas(self) -> None:
        """``programme.<tier>.max_share`` (a ratio: Dinkelbach) and ``max_count``."""
        inst = self.inst
        for q, (name, mask, share, count) in enumerate(inst.quotas):
            if share is not None:
                rows = self._model_rows("quotas", key=q, sub=0)
                if len(rows):
                    self._limit(self._copy(rows, "max"), setting=f"programme.{name}.max_share",
                                path=("programme", name, "max_share"),
                                what=f"the share of {name} partners", today=float(share),
                                upper=float(inst.n_partners), unit="ratio", side="max", weight=1.0,
                                needed=lambda r: float(r), quota=mask & ~inst.fixed_out)
            if count is not None:
                rows = self._model_rows("quotas", key=q, sub=1)
                if len(rows):
                    self._quota_count(self._copy(rows, "max"), name, int(count))

    def _quota_count(self, rows: np.ndarray, name: str, count: int) -> None:
        """A tier's quota as a count: ``max_count``, or ``max_share`` of today's
        partners when that is the smaller (its needed value the least share whose
        count, rounded down, holds the partners needed)."""
        tier = next(t for t in self._programme_tiers() if t.name == name)
        today = self.inst.n_current
        by_share = tier.max_share is not None and today and (
            tier.max_count is None or count < tier.max_count)
        if not by_share:
            self._limit(rows, setting=f"programme.{name}.max_count",
                        path=("programme", name, "max_count"),
                        what=f"the number of {name} partners", today=count,
                        upper=float(self.inst.n_partners), unit="count", side="max", weight=1.0,
                        needed=lambda s, c=count: c + round(s))
            return
        assert tier.max_share is not None
        # a share is at most 1: of today's partners, at most all of them
        room = today - count if tier.max_count is None else min(tier.max_count, today) - count
        self._limit(rows, setting=f"programme.{name}.max_share",
                    path=("programme", name, "max_share"),
                    what=f"the share of {name} partners", today=float(tier.max_share),
                    upper=float(room), unit="share", side="max", weight=1.0,
                    needed=lambda s, c=count, n=today: (c + math.ceil(s - 1e-9)) / n)

    def _programme_tiers(self) -> tuple[Any, ...]:
        programme = self.scenario.programme
        return () if programme is None else tuple(programme.tiers)

    def _by_source(self, needs: np.ndarray, sources: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per source of a segment's number: its merged rows and their numbers (one row
        per merged row and number)."""
        rows_of = self.inst.row_of_segment
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for source in np.unique(sources):
            on = (sources == source) & (rows_of >= 0)
            pairs = np.unique(np.stack([rows_of[on], needs[on]], axis=1), axis=0)
            out[str(source)] = (pairs[:, 0], pairs[:, 1])
        return out

    def _min_partners(self) -> None:
        """``constraints.min_partners.named`` / ``.default``: the requirement rows, one
        per merged segment row and source of its number (the segment table's own
        ``min_partners`` is data, not a setting: those rows stay as they are)."""
        scenario = self.scenario
        cons = scenario.constraints
        seg = scenario.segments
        need = scenario.required_partners()
        own = ~np.isnan(seg["min_partners"].to_numpy(dtype=float))
        named = seg["named"].to_numpy(dtype=bool) & (cons.min_partners_named is not None)
        source = np.where(own, "table", np.where(named, "named", "default"))
        default = cons.min_partners_default
        if default is None:
            default = 1 if scenario.objective == "min_cost" else 0
        cover_t = sp.csr_matrix(self.inst.cover.T)
        for src, (rows, needs) in self._by_source(need, source).items():
            on = needs > 0
            if not on.any():
                continue
            added = self._rows.add(cover_t[rows[on]], needs[on].astype(float), np.full(int(on.sum()), np.inf))
            if src == "table":
                continue
            today = int(cons.min_partners_named or 0) if src == "named" else int(default)
            what = ("the minimum partners per segment for named segments" if src == "named"
                    else "the minimum partners per segment")
            self._limit(added, setting=f"constraints.min_partners.{src}",
                        path=("constraints", "min_partners", src), what=what, today=today,
                        upper=float(today), unit="count", side="min", weight=1.0,
                        needed=lambda s, t=today: t - round(s))

    def _caps(self) -> None:
        """``constraints.max_partners_per_segment``: the cap rows, by source."""
        scenario = self.scenario
        cap = scenario.max_partners()
        own = ~np.isnan(scenario.segments["max_partners"].to_numpy(dtype=float))
        source = np.where(own, "table", "setting")
        cover_t = sp.csr_matrix(self.inst.cover.T)
        degree = np.diff(cover_t.indptr)
        setting = scenario.constraints.max_partners_per_segment
        for src, (rows, caps) in self._by_source(cap, source).items():
            on = (caps >= 0) & (caps < degree[rows])
            if not on.any():
                continue
            added = self._rows.add(cover_t[rows[on]], np.full(int(on.sum()), -np.inf), caps[on].astype(float))
            if src == "table" or setting is None:
                continue
            self._limit(added, setting="constraints.max_partners_per_segment",
                        path=("constraints", "max_partners_per_segment"),
                        what="the cap on partners per segment", today=int(setting),
                        upper=float(self.inst.n_partners), unit="count", side="max", weight=1.0,
                        needed=lambda s, t=int(setting): t + round(s))

    def _type_mix(self) -> None:
        """``constraints.type_mix.<type>.min`` / ``.max``."""
        for k, (t, _mask, lo, hi) in enumerate(self.inst.type_mix):
            rows = self._model_rows("type_mix", key=k)
            if not len(rows):
                continue
            if lo is not None and lo > 0:
                self._limit(self._copy(rows, "min"), setting=f"constraints.type_mix.{t}.min",
                            path=("constraints", "type_mix", t, "min"),
                            what=f"the minimum of {t} partners", today=int(lo), upper=float(lo),
                            unit="count", side="min", weight=1.0, needed=lambda s, v=int(lo): v - round(s))
            if hi is not None:
                self._limit(self._copy(rows, "max"), setting=f"constraints.type_mix.{t}.max",
                            path=("constraints", "type_mix", t, "max"),
                            what=f"the maximum of {t} partners", today=int(hi),
                            upper=float(self.inst.n_partners), unit="count", side="max", weight=1.0,
                            needed=lambda s, v=int(hi): v + round(s))

    def _supply(self) -> None:
        """``constraints.tier2_needs_distributor``: a switch on every tier-2 row (a
        tier-2 partner no distributor supplies has a row ``x <= 0``)."""
        rows = self._model_rows("supply")
        if len(rows):
            self._limit(self._copy(rows, "max"), setting="constraints.tier2_needs_distributor",
                        path=("constraints", "tier2_needs_distributor"),
                        what="the rule that tier-2 partners need a selected distributor",
                        today=True, upper=1.0, unit="switch", side="off", weight=10.0,
                        needed=_switch)

    def _continuity(self) -> None:
        """``programme.keep_named_accounts``: a switch on every named account's row."""
        rows = self._model_rows("continuity")
        if len(rows):
            self._limit(self._copy(rows, "min"), setting="programme.keep_named_accounts",
                        path=("programme", "keep_named_accounts"),
                        what="named accounts keeping one of their current partners", today=True,
                        upper=1.0, unit="switch", side="min", weight=10.0, needed=_switch)

    def _rules(self) -> None:
        """``[[rules]]``: a rule's ``min`` and ``max`` (``min_share``/``max_share`` where
        the rule gives a share), a ``requires`` rule as a switch. A ``cost`` rule's share
        of the budget moves with the budget's column."""
        scenario = self.scenario
        given = {str(r.get("id")): r for r in scenario.config.get("rules", []) or []}
        rules = {r.id: r for r in scenario.rules}
        budget = scenario.budget.total
        for k, rule in enumerate(self.inst.rules):
            rows = self._model_rows("rules", key=k)
            if not len(rows):
                continue
            item = given.get(rule.id, {})
            source = rules[rule.id]
            base = f"rules.{rule.id}"
            title = f"rule {rule.title}"
            if rule.kind == "requires":
                self._limit(self._copy(rows, "max"), setting=base, path=("rules", rule.id),
                            what=title, today=True, upper=1.0, unit="switch", side="off",
                            weight=10.0, needed=_switch)
                continue
            if rule.kind == "coverage":
                share = float(item.get("min_share", source.share))
                if share <= 0:
                    continue
                value = rule.need / share
                self._limit(self._copy(rows, "min"), setting=f"{base}.min_share",
                            path=("rules", rule.id, "min_share"), what=title, today=share,
                            upper=float(rule.need), unit="share", side="min",
                            weight=1.0 / _one_percent(rule.need),
                            needed=lambda s, n=rule.need, v=value: max(0.0, (n - s) / v))
                continue
            money = rule.kind == "cost"
            unit: Literal["money", "count"] = "money" if money else "count"
            for side, bound in (("min", source.lo), ("max", source.hi)):
                if bound is None or (side == "min" and bound <= 0):
                    continue
                key = f"{side}_share" if money and f"{side}_share" in item else side
                by_share = key.endswith("_share") and budget is not None and budget > 0
                today: float | int = (float(item[key]) if by_share
                                      else float(bound) if money else int(bound))
                sign = -1.0 if side == "min" else 1.0
                scale = float(budget) if by_share and budget else 1.0
                added = self._copy(rows, side)
                self._limit(added, setting=f"{base}.{key}", path=("rules", rule.id, key),
                            what=title, today=today,
                            upper=float(bound) if side == "min" else (np.inf if money else float(self.inst.n_partners)),
                            unit=unit if not by_share else "share", side=side,
                            weight=1.0 / _one_percent(bound) if money else 1.0,
                            needed=_rule_needed(float(bound), sign, scale, money),
                            cause=never_holds(self.inst, k, side, float(bound), rule.title, rule.what, money))
                if by_share and self._budget_column is not None:
                    # share x (budget + s_budget): the bound moves with the budget
                    share = float(item[key])
                    self._rows.link(added, self._budget_column, -share)

    # --- HiGHS ---------------------------------------------------------------------------

    def _pass(self, seed: int, threads: int | None) -> Any:
        """The elastic model to HiGHS, every elastic column held at 0."""
        import highspy

        rows = self._rows
        n_x_cols = self.model.n_cols
        n_e = len(self.limits)
        A = sp.vstack(rows.blocks, format="csr") if rows.blocks else sp.csr_matrix((0, n_x_cols))
        if rows.entries:
            r = np.concatenate([e[0] for e in rows.entries])
            c = np.concatenate([np.full(len(e[0]), e[1]) for e in rows.entries])
            v = np.concatenate([np.full(len(e[0]), e[2]) for e in rows.entries])
            E = sp.csr_matrix((v, (r, c)), shape=(A.shape[0], n_e))
        else:
            E = sp.csr_matrix((A.shape[0], n_e))
        full = sp.hstack([A, E], format="csc")
        m = self.model
        elastic = MipModel(
            sense="min", c=np.zeros(n_x_cols + n_e), A=full,
            row_lo=np.concatenate(rows.lo) if rows.lo else np.zeros(0),
            row_hi=np.concatenate(rows.hi) if rows.hi else np.zeros(0),
            col_lo=np.concatenate([m.col_lo, np.zeros(n_e)]),
            col_hi=np.concatenate([m.col_hi, np.zeros(n_e)]),
            n_x=m.n_x, row_group=np.zeros(full.shape[0], dtype=np.int64),
            aux_row=m.aux_row, aux_partner=m.aux_partner,
        )
        lp = highs_lp(highspy, elastic)
        kinds = [highspy.HighsVarType.kInteger] * m.n_x + [highspy.HighsVarType.kContinuous] * (n_x_cols - m.n_x)
        kinds += [highspy.HighsVarType.kInteger if lim.integer else highspy.HighsVarType.kContinuous
                  for lim in self.limits]
        lp.integrality_ = kinds
        h = quiet_highs(highspy)
        h.setOptionValue("presolve", "on")
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("random_seed", int(seed) % 2_147_483_647)
        if threads is not None:
            h.setOptionValue("threads", int(threads))
        if h.passModel(lp) == highspy.HighsStatus.kError:
            raise ScenarioError("HiGHS rejected the elastic model of the scenario's limits")
        self._inf = highspy.kHighsInf
        return h

    def _set(self, free: Mapping[int, float], x_cost: np.ndarray | None = None,
             down: int | None = None) -> None:
        """Elastic ``k`` of ``free`` may move (costed by the value given), every other is
        held at 0; ``x_cost`` the partner columns' costs (0 when None). Elastic ``down``
        (an upper limit of money) may also move below 0, down to a limit of 0."""
        n_x_cols = self.model.n_cols
        n_e = len(self.limits)
        idx = np.arange(n_x_cols, n_x_cols + n_e, dtype=np.int32)
        hi = np.array([min(lim.upper, self._inf) if k in free else 0.0 for k, lim in enumerate(self.limits)])
        lo = np.zeros(n_e)
        if down is not None:
            lo[down] = -float(self.limits[down].today)
        self._h.changeColsBounds(n_e, idx, lo, hi)
        cost = np.array([free.get(k, 0.0) for k in range(n_e)])
        self._h.changeColsCost(n_e, idx, cost)
        n_x = self.model.n_x
        cx = np.zeros(n_x) if x_cost is None else np.asarray(x_cost, dtype=float)
        self._h.changeColsCost(n_x, np.arange(n_x, dtype=np.int32), cx)

    def _solve(self, seconds: float, gap: float = 0.0) -> _Run:
        """Run HiGHS on the model as it is set, to ``gap``: its state (``optimal``,
        ``time_limit`` with a solution, ``infeasible`` or ``unknown``), the columns, the
        objective and its proved bound."""
        check_not_exiting()
        h = self._h
        h.setOptionValue("mip_rel_gap", float(gap))
        h.setOptionValue("time_limit", max(0.05, float(seconds)))
        self.solves += 1
        if run_guarded(h, max(0.05, float(seconds))) is None:
            return _Run("unknown")
        name = str(h.getModelStatus()).rsplit(".", 1)[-1]
        state = STATUS.get(name)
        info = h.getInfo()
        if state == "infeasible":
            return _Run("infeasible")
        if int(info.primal_solution_status) != 2:
            return _Run("unknown")
        values = np.asarray(h.getSolution().col_value, dtype=float)
        objective = float(info.objective_function_value)
        bound = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else None
        return _Run("optimal" if state == "optimal" else "time_limit", values, objective, bound)

    def _elastic(self, values: np.ndarray, k: int, *, signed: bool = False) -> float:
        """Elastic ``k``'s value in ``values`` (0 within rounding; a value below 0 only
        when ``signed``: the limit was let move down, see :meth:`least_change`)."""
        s = float(values[self.model.n_cols + k])
        tol = 1e-9 * max(1.0, self.limits[k].upper if math.isfinite(self.limits[k].upper) else 1.0)
        return 0.0 if abs(s) < tol or (s < 0 and not signed) else s

    # --- the answers ---------------------------------------------------------------------

    def conflicting(self, seconds: float) -> frozenset[int] | None:
        """The elastic filter: limits that cannot all hold whatever the other limits are
        (positions in :attr:`limits`), or None when the time ran out first."""
        soft = set(range(len(self.limits)))
        held: set[int] = set()
        t0 = time.perf_counter()
        while True:
            left = seconds - (time.perf_counter() - t0)
            if left <= 0:
                return None
            # any solution will do (the first found): it only has to move few limits
            self._set({k: self.limits[k].weight for k in soft})
            run = self._solve(left, gap=1.0)
            state, values = run.state, run.values
            if state == "infeasible":
                return frozenset(held)
            if values is None:
                return None
            moved = {k for k in soft if self._elastic(values, k) > 0}
            if not moved:  # every limit holds: not infeasible after all
                return frozenset()
            held |= moved
            soft -= moved

    def least_change(self, k: int, seconds: float, *, lower: bool = False) -> Answer:
        """The least change of limit ``k`` alone. With ``lower`` (an upper limit of money,
        such as the total budget) the least value the limit needs even when it is below
        today's (today's is then more than enough): the least total budget with which
        every other rule holds, whatever the budget asked."""
        limit = self.limits[k]
        if limit.unit == "ratio":
            return self._least_ratio(k, seconds)
        down = k if lower and limit.unit == "money" and limit.side == "max" else None
        self._set({k: 1.0}, down=down)
        try:
            run = self._solve(seconds)
            if run.state == "infeasible":
                return Answer("none")
            if run.values is None:
                return Answer("unknown")
            needed = limit.needed(self._elastic(run.values, k, signed=down is not None))
        finally:
            if down is not None:
                self._set({})  # later solves hold it at today's again
        if run.state == "optimal":
            return Answer("least", needed)
        reach = None
        if run.bound is not None:
            least = max(0.0, run.bound)
            reach = limit.needed(math.ceil(least - 1e-9) if limit.integer else least)
        return Answer("works", needed, reach)

    def _least_ratio(self, k: int, seconds: float) -> Answer:
        """A quota's least ``max_share``: Dinkelbach on ``k(x) - lambda n(x)``, lambda
        the ratio of the last plan found, until no plan has a smaller one."""
        limit = self.limits[k]
        assert limit.quota is not None
        quota = limit.quota.astype(float)
        live = (~self.inst.fixed_out).astype(float)
        lam, attained = float(limit.today), False
        t0 = time.perf_counter()
        status: Status = "unknown"
        for _ in range(MAX_RATIO_ROUNDS):
            left = seconds - (time.perf_counter() - t0)
            if left <= 0:
                break
            self._set({k: 0.0}, x_cost=quota - lam * live)
            run = self._solve(left)
            if run.state == "infeasible":
                status = "none"
                break
            if run.values is None or run.objective is None:
                break
            if run.state == "optimal" and ((attained and run.objective >= -1e-6)
                                           or (not attained and run.objective <= 1e-6)):
                # no plan has a ratio below lam; or, the first round, a plan keeps
                # today's share: nothing to loosen (never a tighter share)
                status = "least"
                break
            x = run.values[: self.model.n_x] > 0.5
            n_active = int((x & (live > 0)).sum())
            ratio = float((x & (quota > 0)).sum()) / n_active if n_active else 0.0
            if not attained or ratio < lam:
                lam, attained = ratio, True
            status = "works"
            if run.state != "optimal":
                break
        self._set({})
        if status in ("none", "unknown"):
            return Answer(status)
        return Answer(status, lam)


def _switch(s: float) -> bool:
    """A switch's needed value: off (False) when its elastic is 1."""
    return not s > 0.5


def _one_percent(v: float | None) -> float:
    """A size for weighing a violation: 1 % of ``v`` (1 when that is below 1)."""
    return max(1.0, 0.01 * abs(float(v or 0.0)))


def _rule_needed(bound: float, sign: float, scale: float, money: bool) -> Callable[[float], float | int]:
    """A rule's needed value from its elastic: the bound moved by it, in the setting's
    terms (a share of the budget when the rule gives one)."""
    if money:
        return lambda s: max(0.0, (bound + sign * s) / scale)
    return lambda s: max(0, int(round(bound + sign * s)))


# --- sentences -----------------------------------------------------------------------
