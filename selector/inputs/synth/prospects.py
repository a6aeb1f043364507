"""Today's channel for a synthetic channel: programme tiers, prospects, one-off costs.

:func:`add_prospects` turns a generated channel into the channel a yearly plan starts
from (the columns of :mod:`selector.inputs.programme`), drawing from its own stream
(the fifth child of ``SeedSequence(seed)``), so the partners, segments, coverage and
supply of the current partners are exactly those of the channel without prospects:

* Every generated partner is ``status = current``, in a programme ``tier``: within each
  kind group (distributors, industry partners, resellers) partners are ranked by a
  composite of their criteria (the mean percentile of target attainment, satisfaction,
  market share, revenue, certified engineers, solution skill, service level and vendor
  share, and of few compliance incidents and overdue payments) plus noise of sd 0.08;
  the top 9 % are ``gold``, the next 18 % ``silver``, the rest ``registered``.
* ``prospects`` candidates to recruit (``N001``...; the partner table is sorted by id):
  2.5 % distributors (half regional like ``D...``, half industry like ``I...``, tier 1),
  and tier-2 ISVs (40 % of the rest, type ``isv``: enterprise, 1-2 industries, 1-3
  regions), cloud service providers (30 %, type ``csp``: 1-3 regions, 3-6 industries,
  mostly mid-market and small business) and managed service providers (the rest, type
  ``msp``: 1-2 regions, 2-5 industries, small business and mid-market). Their criteria
  are drawn like the current partners' (ISVs as industry partners, CSPs and MSPs as
  resellers with cost x 1.8 and x 1.4, clipped to 20k-160k) but the performance
  history with the vendor (``target_attainment``, ``satisfaction``,
  ``compliance_incidents``) is left empty: the criteria model scores it ``missing =
  "mean"``.
* Coverage of prospects follows the same rules as the current partners': at segment
  granularity the attribute match for cells, and 1-2 named accounts of its territory for
  30 % of the prospects that sell to enterprises; at account granularity each account
  of the territory with the cell's mean coverage probability, scaled by the prospect's
  reach ``exp(q / 2)`` (times 4 / 3 for distributors) over the mean reach of the cell's
  partners.
* Supply: each tier-2 prospect gets 1-2 (0.6 / 0.4) current distributors of its
  territory (industry distributors for ISVs, regional ones for CSPs and MSPs) and, with
  probability 0.3, a prospect distributor of its territory too; each prospect
  distributor also supplies 2-6 current tier-2 partners of its territory (at least one
  partner in all).
* One-off costs: ``exit_cost`` of a current partner and ``recruit_cost`` of a prospect
  are 20-40 % (uniform) of its annual cost, rounded to 100.

The programme (:data:`PROGRAMME_TIERS`): ``registered`` at the partner's cost with
multiplier 0.85, ``silver`` at 10,000 + 1.1 x cost with 1.0 (at most 20 % of the
active partners), ``gold`` at 25,000 + 1.2 x cost with 1.15 (at most 10 %);
:func:`programme_budget` suggests the budget from what today's channel costs at
today's tiers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from selector.inputs.synth.common import (
    INDUSTRIES,
    INDUSTRY_CUSTOMERS,
    INDUSTRY_ENTERPRISE,
    INDUSTRY_VALUE,
    REGION_WEIGHTS,
    REGIONS,
    SIZES,
    BoolArray,
    FloatArray,
    IntArray,
    normalized,
    pairs_frame,
)
from selector.inputs.synth.partners import (
    INDUSTRY_DISTRIBUTOR,
    INDUSTRY_PARTNER,
    PARTNER_COLUMNS,
    REGIONAL_DISTRIBUTOR,
    RESELLER,
    Partners,
    draw_criteria,
    draw_names,
    list_cells,
    with_extras,
)

__all__ = [
    "CHANNEL_COLUMNS",
    "PROGRAMME_TIERS",
    "TierSpec",
    "add_prospects",
    "programme_budget",
    "programme_limits",
    "today_costs",
]


CHANNEL_COLUMNS: Final = ("status", "tier", "recruit_cost", "exit_cost")
#: Performance history with the vendor: empty for prospects.
HISTORY_COLUMNS: Final = ("target_attainment", "satisfaction", "compliance_incidents")


@dataclass(frozen=True)
class TierSpec:
    """A programme tier as written to the scenario: cost ``fixed + share x cost``."""

    name: str
    fixed: int
    share: float
    multiplier: float
    max_share: float | None
    today_share: float  # share of current partners (per kind group) in it today


#: Lowest first.
PROGRAMME_TIERS: Final = (
    TierSpec("registered", 0, 1.0, 0.85, None, 0.73),
    TierSpec("silver", 10_000, 1.1, 1.0, 0.20, 0.18),
    TierSpec("gold", 25_000, 1.2, 1.15, 0.10, 0.09),
)
_EXITS_SHARE: Final = 0.06  # max_exits: of the current partners
_RECRUITS_SHARE: Final = 0.15  # max_recruits: of the prospects
_BUDGET_OF_TODAY: Final = 1.0  # budget: of today's channel at today's tiers
_POOL_OF_TODAY: Final = 1.02  # distributor pool: of today's distributors' cost

_COMPOSITE_UP: Final = (
    "target_attainment", "satisfaction", "market_share", "annual_revenue",
    "certified_engineers", "solution_skill", "service_level", "vendor_share",
)  # fmt: skip
_COMPOSITE_DOWN: Final = ("compliance_incidents", "overdue_ratio")

# Prospect kinds, in id order.
_P_REGIONAL, _P_INDUSTRY, _P_ISV, _P_CSP, _P_MSP = range(5)
_P_TYPE: Final = ("distributor", "distributor", "isv", "csp", "msp")
_P_LABEL: Final = ("regional", "industry", "isv", "csp", "msp")
# The current-partner kind whose criteria model a prospect kind uses.
_P_AS_KIND: Final = (REGIONAL_DISTRIBUTOR, INDUSTRY_DISTRIBUTOR, INDUSTRY_PARTNER, RESELLER, RESELLER)
_P_COST_FACTOR: Final = (1.0, 1.0, 1.0, 1.8, 1.4)
_P_REACH: Final = (4.0, 3.0, 1.5, 1.2, 1.0)


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


# --- today's tiers --------------------------------------------------------------------------


def _today_tiers(rng: np.random.Generator, frame: pd.DataFrame, kind: npt.NDArray[np.int8]) -> list[str]:
    ranks = [frame[c].rank(pct=True) for c in _COMPOSITE_UP]
    ranks += [1.0 - frame[c].rank(pct=True) for c in _COMPOSITE_DOWN]
    composite = np.mean(np.column_stack(ranks), axis=1) + 0.08 * rng.standard_normal(len(frame))
    tier = np.full(len(frame), PROGRAMME_TIERS[0].name, dtype=object)
    group = np.where(kind <= INDUSTRY_DISTRIBUTOR, 0, kind - 1)
    for g in np.unique(group):
        rows = np.flatnonzero(group == g)
        order = rows[np.argsort(-composite[rows], kind="stable")]
        start = 0
        for spec in PROGRAMME_TIERS[:0:-1]:  # highest first
            take = _round_half_up(spec.today_share * len(rows))
            tier[order[start : start + take]] = spec.name
            start += take
    return [str(t) for t in tier]


# --- prospects ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prospects:
    kind: IntArray  # prospect kinds (_P_...)
    quality: FloatArray
    regions: BoolArray
    industries: BoolArray
    sizes: BoolArray
    frame: pd.DataFrame


def _prospect_counts(n: int) -> tuple[int, ...]:
    n_dist = _round_half_up(0.025 * n)
    n_regional = n_dist - n_dist // 2
    rest = n - n_dist
    n_isv = _round_half_up(0.4 * rest)
    n_csp = _round_half_up(0.3 * rest)
    return (n_regional, n_dist // 2, n_isv, n_csp, rest - n_isv - n_csp)


def _draw_prospects(rng: np.random.Generator, n: int, taken: list[str]) -> _Prospects:
    counts = _prospect_counts(n)
    kind = np.repeat(np.arange(5), counts).astype(np.int64)
    regions = np.zeros((n, len(REGIONS)), dtype=bool)
    industries = np.zeros((n, len(INDUSTRIES)), dtype=bool)
    sizes = np.zeros((n, len(SIZES)), dtype=bool)
    region_w = normalized(REGION_WEIGHTS)
    customer_w = normalized(INDUSTRY_CUSTOMERS)
    enterprise_w = normalized(np.asarray(INDUSTRY_CUSTOMERS) * INDUSTRY_ENTERPRISE * INDUSTRY_VALUE)
    size_options = np.array(
        [[True, False, False], [True, True, False], [False, True, True], [False, True, False],
         [False, False, True]]
    )  # fmt: skip
    # (region counts and probabilities, industry counts and probabilities, weights,
    #  size options and probabilities) per tier-2 prospect kind.
    plans = {
        _P_ISV: ([1, 2, 3], [0.45, 0.35, 0.20], [1, 2], [0.6, 0.4], enterprise_w, [0.5, 0.5, 0, 0, 0]),
        _P_CSP: ([1, 2, 3], [0.40, 0.35, 0.25], [3, 4, 5, 6], [0.25] * 4, customer_w,
                 [0, 0.25, 0.60, 0.15, 0]),
        _P_MSP: ([1, 2], [0.7, 0.3], [2, 3, 4, 5], [0.25] * 4, customer_w, [0, 0, 0.50, 0.15, 0.35]),
    }  # fmt: skip
    for row in range(n):
        k = int(kind[row])
        if k == _P_REGIONAL:
            regions[row, rng.choice(len(REGIONS), p=region_w)] = True
            industries[row] = True
            sizes[row, 1:] = True
        elif k == _P_INDUSTRY:
            regions[row] = True
            industries[row, rng.choice(len(INDUSTRIES), p=enterprise_w)] = True
            sizes[row, :2] = True
        else:
            n_reg, p_reg, n_ind, p_ind, ind_w, p_size = plans[k]
            home = int(rng.choice(len(REGIONS), p=region_w))
            regions[row] = with_extras(rng, home, int(rng.choice(n_reg, p=p_reg)), region_w)
            chosen = rng.choice(len(INDUSTRIES), int(rng.choice(n_ind, p=p_ind)), replace=False, p=ind_w)
            industries[row, chosen] = True
            sizes[row] = size_options[rng.choice(len(size_options), p=p_size)]
    quality = rng.standard_normal(n)
    as_kind = np.asarray(_P_AS_KIND, dtype=np.int8)[kind]
    criteria, cost = draw_criteria(rng, as_kind, quality, kind == _P_MSP, kind == _P_ISV)
    factor = np.asarray(_P_COST_FACTOR)[kind]
    cost = np.where(factor != 1.0, np.clip(cost * factor, 20_000, 160_000), cost)
    cost = (np.rint(cost / 100) * 100).astype(np.int64)
    width = max(3, len(str(n)))
    frame = pd.DataFrame(
        {
            "id": [f"N{i:0{width}d}" for i in range(1, n + 1)],
            "name": draw_names(rng, np.asarray(_P_LABEL, dtype=object)[kind], taken),
            "type": np.asarray(_P_TYPE)[kind],
            "gtm_tier": np.where(kind <= _P_INDUSTRY, 1, 2).astype(np.int64),
            "cost": cost,
            "regions": list_cells(regions, REGIONS),
            "industries": list_cells(industries, INDUSTRIES),
            "sizes": list_cells(sizes, SIZES),
            **criteria,
        }
    )
    for col in HISTORY_COLUMNS:
        frame[col] = np.nan
    return _Prospects(kind, quality, regions, industries, sizes, frame[list(PARTNER_COLUMNS)])


def _cells(mask_r: BoolArray, mask_i: BoolArray, mask_s: BoolArray) -> BoolArray:
    """rows x 210: whether the territory holds each region x industry x size cell."""
    return (mask_r[:, :, None, None] & mask_i[:, None, :, None] & mask_s[:, None, None, :]).reshape(
        len(mask_r), -1
    )


def _segment_cells(segments: pd.DataFrame) -> IntArray:
    r = pd.Index(REGIONS).get_indexer(segments["region"])
    i = pd.Index(INDUSTRIES).get_indexer(segments["industry"])
    s = pd.Index(SIZES).get_indexer(segments["size"])
    return np.asarray((r * len(INDUSTRIES) + i) * len(SIZES) + s, dtype=np.int64)


def _prospect_coverage(
    rng: np.random.Generator,
    pros: _Prospects,
    partners: Partners,
    segments: pd.DataFrame,
    coverage: pd.DataFrame,
    granularity: str,
) -> tuple[IntArray, IntArray]:
    """(prospect row, segment row) pairs."""
    seg_cell = _segment_cells(segments)
    named = segments["named"].to_numpy(dtype=bool)
    cover = _cells(pros.regions, pros.industries, pros.sizes)
    p_out: list[IntArray] = []
    s_out: list[IntArray] = []
    if granularity == "segment":
        cell_rows = np.flatnonzero(~named)
        hit_p, hit_c = np.nonzero(cover[:, seg_cell[cell_rows]])
        p_out.append(hit_p.astype(np.int64))
        s_out.append(cell_rows[hit_c].astype(np.int64))
        named_rows = np.flatnonzero(named)
        for row in np.flatnonzero(pros.sizes[:, 0]):
            eligible = named_rows[cover[row, seg_cell[named_rows]]]
            if len(eligible) == 0 or rng.random() >= 0.3:
                continue
            take = min(int(rng.choice([1, 2])), len(eligible))
            chosen = np.sort(rng.choice(eligible, take, replace=False)).astype(np.int64)
            p_out.append(np.full(take, row, dtype=np.int64))
            s_out.append(chosen)
        return np.concatenate(p_out), np.concatenate(s_out)
    # Account granularity: the cell's mean coverage probability, scaled by reach.
    cur_cover = _cells(partners.regions, partners.industries, partners.sizes)
    reach = np.exp(0.5 * partners.quality) * np.array([4.0, 3.0, 1.5, 1.0])[partners.kind]
    pros_reach = np.exp(0.5 * pros.quality) * np.asarray(_P_REACH)[pros.kind]
    per_account = np.bincount(coverage["segment_id"].cat.codes.to_numpy(), minlength=len(segments))
    order = np.argsort(seg_cell, kind="stable")
    bounds = np.searchsorted(seg_cell[order], np.arange(cover.shape[1] + 1))
    for c in range(cover.shape[1]):
        rows = np.flatnonzero(cover[:, c])
        accts = order[bounds[c] : bounds[c + 1]]
        if len(rows) == 0 or len(accts) == 0:
            continue
        cands = np.flatnonzero(cur_cover[:, c])
        density = per_account[accts].mean() / max(1, len(cands))
        mean_reach = reach[cands].mean() if len(cands) else 1.0
        prob = np.minimum(1.0, density * pros_reach[rows] / mean_reach)
        hit = rng.random((len(rows), len(accts))) < prob[:, None]
        hp, ha = np.nonzero(hit)
        p_out.append(rows[hp].astype(np.int64))
        s_out.append(accts[ha].astype(np.int64))
    if not p_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(p_out), np.concatenate(s_out)


def _prospect_supply(
    rng: np.random.Generator, pros: _Prospects, partners: Partners, n_current: int
) -> list[tuple[int, int]]:
    """(distributor, tier-2 partner) pairs in combined rows (current first, then prospects)."""
    links: list[tuple[int, int]] = []
    cur_kind = partners.kind
    pull = np.exp(0.8 * partners.quality)
    regional = np.flatnonzero(cur_kind == REGIONAL_DISTRIBUTOR)
    industry = np.flatnonzero(cur_kind == INDUSTRY_DISTRIBUTOR)
    p_regional = np.flatnonzero(pros.kind == _P_REGIONAL)
    p_industry = np.flatnonzero(pros.kind == _P_INDUSTRY)
    for row in np.flatnonzero(pros.kind > _P_INDUSTRY):
        by_industry = pros.kind[row] == _P_ISV
        dist, cur_terr, p_dist = (
            (industry, partners.industries, p_industry)
            if by_industry
            else (regional, partners.regions, p_regional)
        )
        own = pros.industries[row] if by_industry else pros.regions[row]
        eligible = dist[(cur_terr[dist] & own).any(axis=1)]
        take = min(int(rng.choice([1, 2], p=[0.6, 0.4])), len(eligible))
        w = pull[eligible]
        for d in rng.choice(eligible, take, replace=False, p=w / w.sum()):
            links.append((int(d), n_current + int(row)))
        p_terr = pros.industries if by_industry else pros.regions
        p_eligible = p_dist[(p_terr[p_dist] & own).any(axis=1)]
        if len(p_eligible) and rng.random() < 0.3:
            links.append((n_current + int(rng.choice(p_eligible)), n_current + int(row)))
    tier2 = {
        _P_REGIONAL: (np.flatnonzero(cur_kind == RESELLER), partners.regions, pros.regions),
        _P_INDUSTRY: (np.flatnonzero(cur_kind == INDUSTRY_PARTNER), partners.industries, pros.industries),
    }
    for row in np.flatnonzero(pros.kind <= _P_INDUSTRY):
        rows, terr, own_terr = tier2[int(pros.kind[row])]
        eligible = rows[(terr[rows] & own_terr[row]).any(axis=1)]
        take = min(int(rng.integers(2, 7)), len(eligible))
        for t in np.sort(rng.choice(eligible, take, replace=False)):
            links.append((n_current + int(row), int(t)))
    return links


# --- putting it together ----------------------------------------------------------------------


def _one_off(rng: np.random.Generator, cost: IntArray) -> IntArray:
    return (np.rint(cost * rng.uniform(0.2, 0.4, len(cost)) / 100) * 100).astype(np.int64)


def add_prospects(
    rng: np.random.Generator,
    partners: Partners,
    segments: pd.DataFrame,
    coverage: pd.DataFrame,
    supply: pd.DataFrame,
    prospects: int,
    granularity: str,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Partners, coverage and supply of today's channel plus ``prospects`` candidates.

    The current partners keep every cell of their rows, coverage and supply; the
    partner table gains ``status``, ``tier``, ``recruit_cost`` and ``exit_cost`` and is
    sorted by id.
    """
    current = partners.frame.copy()
    n_current = len(current)
    current["status"] = "current"
    current["tier"] = _today_tiers(rng, current, partners.kind)
    current["exit_cost"] = pd.array(_one_off(rng, current["cost"].to_numpy()), dtype="Int64")
    current["recruit_cost"] = pd.array([pd.NA] * n_current, dtype="Int64")
    pros = _draw_prospects(rng, prospects, list(current["name"]))
    new = pros.frame.copy()
    new["status"] = "prospect"
    new["tier"] = ""
    new["recruit_cost"] = pd.array(_one_off(rng, new["cost"].to_numpy()), dtype="Int64")
    new["exit_cost"] = pd.array([pd.NA] * prospects, dtype="Int64")
    pros_p, pros_s = _prospect_coverage(rng, pros, partners, segments, coverage, granularity)
    links = _prospect_supply(rng, pros, partners, n_current)

    both = pd.concat([current, new], ignore_index=True)
    for col in ("satisfaction", "compliance_incidents"):
        both[col] = pd.array(both[col].to_numpy(dtype=float), dtype="Float64").astype("Int64")
    both = both[[*PARTNER_COLUMNS, *CHANNEL_COLUMNS]]
    order = np.argsort(both["id"].to_numpy(dtype=str), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    frame = both.iloc[order].reset_index(drop=True)

    cov_p = np.concatenate([coverage["partner_id"].cat.codes.to_numpy().astype(np.int64), n_current + pros_p])
    cov_s = np.concatenate([coverage["segment_id"].cat.codes.to_numpy().astype(np.int64), pros_s])
    new_coverage = pairs_frame(rank[cov_p], cov_s, frame["id"], segments["id"], ("partner_id", "segment_id"))
    ids = pd.Index(current["id"])
    sup = np.array(
        [
            *zip(ids.get_indexer(supply["distributor_id"]), ids.get_indexer(supply["reseller_id"]), strict=True),
            *links,
        ],
        dtype=np.int64,
    ).reshape(-1, 2)
    new_supply = pairs_frame(
        rank[sup[:, 0]], rank[sup[:, 1]], frame["id"], frame["id"], ("distributor_id", "reseller_id")
    ).astype(str)
    return frame, new_coverage, new_supply


def today_costs(partners: pd.DataFrame) -> FloatArray:
    """Annual cost of every partner at today's tier (0 for prospects)."""
    cost = partners["cost"].to_numpy(dtype=float)
    out = np.zeros(len(partners))
    tier = partners["tier"].to_numpy(dtype=object)
    for spec in PROGRAMME_TIERS:
        at = tier == spec.name
        out[at] = spec.fixed + spec.share * cost[at]
    return out


def programme_budget(partners: pd.DataFrame) -> tuple[float, float]:
    """Suggested total budget and distributor pool (before rounding): what today's
    channel costs at today's tiers (a flat budget: promotions and recruits are paid
    for by exits and demotions), and 2 % more than today's distributors cost."""
    today = today_costs(partners)
    distributors = partners["type"].to_numpy() == "distributor"
    return today.sum() * _BUDGET_OF_TODAY, today[distributors].sum() * _POOL_OF_TODAY


def programme_limits(partners: pd.DataFrame) -> tuple[int, int]:
    """``max_exits`` and ``max_recruits``: 6 % of the current partners and 15 % of the
    prospects (at least 1 each)."""
    status = partners["status"].to_numpy()
    n_current = int((status == "current").sum())
    n_prospects = int((status == "prospect").sum())
    return (
        max(1, _round_half_up(_EXITS_SHARE * n_current)),
        max(1, _round_half_up(_RECRUITS_SHARE * n_prospects)),
    )
