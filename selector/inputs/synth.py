"""Synthetic channels shaped like a real vendor's: partners, segments, coverage, supply.

The generator sizes a channel on one the source documents describe: 26 regional
commercial distributors, 436 commercial gold/silver resellers, 10 regional industry
distributors and 132 industry gold partners (604 partners), 300 named (key) accounts
and 14,000 customers, with 60 % of contract volume through industry channels, 30 %
through commercial channels and 10 % direct. Everything is drawn from one
``numpy.random.default_rng`` per stage, seeded from ``seed`` through
``numpy.random.SeedSequence(seed).spawn``, so the same arguments give byte-identical
tables, and the partner and customer draws do not depend on ``granularity``: an
account-level channel is the disaggregation of the segment-level one with the same
seed and ``accounts``.

Partners (``scale`` multiplies the four counts; ``scale=1`` gives 26/436/10/132, at
least 7/7/10/10 are kept so every region and industry has a distributor):

* Regional commercial distributors (``D001``...): type ``distributor``, tier 1, one
  region each, split over the seven regions by market weight with the largest-remainder
  rule (East 6, South 5, North 4, Central 3, Southwest 3, Northeast 3, Northwest 2 at
  ``scale=1``); industries ``*``; sizes ``midmarket;smb``.
* Industry distributors (``I001``...): ``distributor``, tier 1, one industry each (the
  first ten take the ten industries in order, more are drawn by enterprise value);
  regions ``*``; sizes ``enterprise;midmarket``.
* Industry partners (``P001``...): ``si`` (65 %) or ``isv`` (35 %), tier 2; a home
  (region, industry) cell, the first 70 of them taking the 70 cells once each, plus a
  second industry with probability 0.35 and one or two more regions (probabilities
  0.45 / 0.35 / 0.20 for 1 / 2 / 3 regions); sizes ``enterprise`` (70 %) or
  ``enterprise;midmarket``.
* Commercial resellers (``R0001``...): ``reseller``, tier 2; one home region (the first
  seven take the seven regions once each, then by market weight), a second region with
  probability 0.2; 2-6 industries (probabilities 0.1 / 0.2 / 0.25 / 0.25 / 0.2) drawn
  without replacement by customer count; sizes
  ``smb`` (30 %), ``midmarket;smb`` (50 %), ``midmarket`` (12 %) or
  ``enterprise;midmarket`` (8 %).

Each partner has a latent quality ``q ~ N(0, 1)``; every criterion is a function of
``q`` plus its own standard normal noise ``z``, so criteria correlate as they do in
practice (loadings in ``_draw_criteria``). Ratings (1-5) are ``round(centre + a*q +
b*z)`` clipped to 1..5; counts (``sales_headcount``, ``certified_engineers``,
``dedicated_staff``) and ``annual_revenue`` (millions) are log-normal around a median
per partner kind; shares (``vendor_share``, ``market_share``, ``overdue_ratio``) are
logistic transforms of a normal; ``target_attainment`` is ``1 + 0.18 q + 0.15 z``
clipped to 0.3..1.8; ``compliance_incidents`` is Poisson with rate falling with ``q``;
``importance_to_partner`` is logistic around ``vendor_share``. Cost is log-normal
around a median per kind (distributors 300-320k, industry partners 85k, resellers
35k), rising with ``q`` and clipped to 150k-600k, 40k-200k and 15k-90k, rounded to
100.

Customers (``accounts`` in all, the first ``named`` of them named): named accounts are
enterprise, in a (region, industry) cell drawn by market weight x enterprise weight
among the cells some industry partner serves. The others are first spread one per
(region, industry, size) cell (so no cell is empty), then drawn by region weight,
industry customer weight and a size mix that depends on the industry (about 4.5 %
enterprise, 22.5 % mid-market, 73 % small business overall). A customer's annual value
is log-normal: median 450k (named), 240k (enterprise), 42k (mid-market), 5.8k (small
business), sigma 0.7-0.8, times an industry factor (finance 1.3 ... education 0.8),
rounded to whole units. Enterprise customers (served by the industry channel) end up
with about two thirds of the value and mid-market and small business with one third:
the 60 : 30 split of the partner-sold volume; the 10 % direct volume is not part of
the partner plan and is not generated.

Granularity ``"segment"``: 210 rows, one per region x industry x size cell
(``S-East-finance-ent``), valued at the sum of its non-named customers, plus one row per
named account (``K001``...). A partner covers a cell when region, industry and size are
all among its lists; a named account is covered by 2-6 of the partners that match it
(one industry partner first, the rest drawn by ``exp(q)`` with distributors weighted
0.25). Granularity ``"account"``: one row per customer (``A00001``...; the first
``named`` are the named accounts); partner ``j`` covers account ``a`` of its territory
with probability ``min(1, lam_c u_a w_j)``, where ``u_a ~ Gamma(4, 1/4)`` is the
account's pull, ``w_j = exp(q_j / 2)`` times 4 (regional distributors), 3 (industry
distributors), 1.5 (industry partners) or 1 (resellers), and ``lam_c`` is set per
cell so that an account expects 30 partners, or 85 % of its candidates where fewer
than about 35 partners' territories hold it. That gives about 24 partners per account
at 604 partners x 14,000 accounts (~340k pairs) and 30 at 5,000 x 200,000 (~6M
pairs). An account nobody drew gets one partner of its territory, drawn by ``w``.

Supply: each reseller is supplied by 1-3 (probabilities 0.5 / 0.35 / 0.15) regional
distributors of its regions and each industry partner by 1-2 (0.6 / 0.4) industry
distributors of its industries, drawn by ``exp(0.8 q)`` of the distributor; a
distributor left without a partner is given the eligible partner with the fewest
suppliers.

>>> channel = generate_channel(seed=7)
>>> channel.partners.groupby("gtm_tier").size().to_dict()
{1: 36, 2: 568}
>>> len(channel.segments), int(channel.segments["named"].sum())
(510, 300)
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.special import gammaincinv

from selector.errors import ScenarioError

__all__ = [
    "SyntheticChannel",
    "generate_channel",
    "write_scenario",
]

Granularity = Literal["segment", "account"]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_REGIONS: Final = ("North", "Northeast", "East", "South", "Central", "Southwest", "Northwest")
_REGION_WEIGHTS: Final = (0.16, 0.09, 0.24, 0.20, 0.12, 0.11, 0.08)
_INDUSTRIES: Final = (
    "government", "finance", "telecom", "energy", "manufacturing",
    "education", "healthcare", "retail", "transport", "tax",
)  # fmt: skip
# Share of customers by industry, how much likelier an enterprise is in it than on
# average, and how much more a customer in it is worth.
_INDUSTRY_CUSTOMERS: Final = (0.10, 0.09, 0.05, 0.05, 0.22, 0.10, 0.10, 0.17, 0.07, 0.05)
_INDUSTRY_ENTERPRISE: Final = (2.2, 2.4, 3.0, 2.6, 0.8, 0.8, 0.9, 0.5, 1.2, 1.8)
_INDUSTRY_VALUE: Final = (1.15, 1.3, 1.25, 1.2, 1.0, 0.8, 0.9, 0.85, 0.95, 1.1)
_SIZES: Final = ("enterprise", "midmarket", "smb")
_SIZE_CODES: Final = ("ent", "mid", "smb")
_ENTERPRISE_SHARE: Final = 0.034  # times the industry factor: ~4.5 % overall
_MIDMARKET_SHARE: Final = 0.225
# Per-customer value: log-normal (median, sigma) for enterprise, mid-market, smb, named.
_VALUE_MEDIAN: Final = (240_000.0, 42_000.0, 5_800.0, 450_000.0)
_VALUE_SIGMA: Final = (0.8, 0.7, 0.8, 0.8)

# Partner kinds, in id (and table) order: regional distributors, industry distributors,
# industry partners, commercial resellers.
_KIND_PREFIX: Final = ("D", "I", "P", "R")
_KIND_BASE: Final = (26, 10, 132, 436)
_KIND_MIN: Final = (7, 10, 10, 7)
_KIND_WIDTH: Final = (3, 3, 3, 4)
_D, _I, _P, _R = 0, 1, 2, 3

_CRITERIA: Final = (
    "market_alignment", "value_complement", "culture_fit", "sales_headcount",
    "certified_engineers", "solution_skill", "service_level", "credit_rating",
    "overdue_ratio", "annual_revenue", "vendor_share", "dedicated_staff",
    "target_attainment", "satisfaction", "compliance_incidents", "market_share",
)  # fmt: skip
_PARTNER_COLUMNS: Final = (
    "id", "name", "type", "gtm_tier", "cost", "regions", "industries", "sizes",
    *_CRITERIA, "importance_to_partner",
)  # fmt: skip
_SEGMENT_COLUMNS: Final = (
    "id", "region", "industry", "size", "value", "named", "min_partners", "max_partners",
)  # fmt: skip

_ACCOUNT_COVERAGE_TARGET: Final = 30.0  # partners an account expects (account level),
_ACCOUNT_COVERAGE_SHARE: Final = 0.85  # or this share of its candidates when smaller
_APPETITE_SHAPE: Final = 4.0  # Gamma shape of an account's pull (mean 1)
_BUDGET_SHARE: Final = 0.35
_DISTRIBUTOR_POOL_SHARE: Final = 0.40
_DEFAULT_MODEL: Final = "../models/partner-selection.toml"
_TABLES: Final = ("partners", "segments", "coverage", "supply")

_NAME_FIRST: Final = (
    "Apex", "Blue", "Bright", "Cedar", "Clear", "Crest", "Delta", "Eagle", "Ever", "First",
    "Golden", "Grand", "Great", "Harbor", "Jade", "Key", "Lotus", "Maple", "Nova", "Orient",
    "Pacific", "Peak", "Pine", "Prime", "River", "Silver", "Star", "Summit", "Sun", "True",
    "Unity", "Vista",
)  # fmt: skip
_NAME_SECOND: Final = (
    "bridge", "cloud", "core", "data", "field", "gate", "grid", "info", "line", "link",
    "logic", "mark", "net", "path", "point", "port", "rock", "sky", "soft", "source",
    "span", "stone", "tech", "tide", "tree", "vale", "ware", "way", "wave", "wind", "wise",
    "works",
)  # fmt: skip
_NAME_SUFFIX: Final = {
    "regional": ("Distribution", "Supply", "Trading"),
    "industry": ("Distribution", "Channel Services"),
    "si": ("Integration", "Solutions", "Consulting"),
    "isv": ("Software", "Labs", "Applications"),
    "reseller": ("Systems", "Computer", "Technology", "IT Services", "Networks"),
}


@dataclass(frozen=True, eq=False, repr=False)
class SyntheticChannel:
    """A generated channel: the four tables of a scenario and a suggested budget.

    The frames have the columns of the scenario files (see :mod:`selector.inputs.scenario`);
    treat them as read-only. ``coverage`` holds ``partner_id, segment_id`` as
    categoricals over the partner and segment ids (light at account scale), sorted by
    partner id, then segment id.

    Attributes
    ----------
    partners, segments, coverage, supply
        The tables, partners sorted by id.
    budget_total
        Suggested total budget: 35 % of the total partner cost, rounded to 10,000.
    distributor_budget
        Suggested cap of the ``type:distributor`` pool: 40 % of ``budget_total``,
        rounded to 10,000.
    seed, scale, granularity, accounts, named
        The arguments the channel was generated from.
    """

    partners: pd.DataFrame
    segments: pd.DataFrame
    coverage: pd.DataFrame
    supply: pd.DataFrame
    budget_total: int
    distributor_budget: int
    seed: int
    scale: float
    granularity: Granularity
    accounts: int
    named: int

    def coverage_matrix(self) -> sp.csr_array:
        """Partners x segments 0/1 matrix, rows and columns in table order.

        Returns
        -------
        scipy.sparse.csr_array
            ``float64`` ones, ``int32`` indices, shape ``(len(partners), len(segments))``.
        """
        rows = _positions(self.coverage["partner_id"], self.partners["id"])
        cols = _positions(self.coverage["segment_id"], self.segments["id"])
        data = np.ones(len(rows), dtype=np.float64)
        shape = (len(self.partners), len(self.segments))
        return sp.csr_array((data, (rows, cols)), shape=shape)

    def equals(self, other: object) -> bool:
        """Whether ``other`` is a channel with the same tables and settings."""
        if not isinstance(other, SyntheticChannel):
            return False
        same_frames = all(getattr(self, name).equals(getattr(other, name)) for name in _TABLES)
        settings = ("budget_total", "distributor_budget", "seed", "scale", "granularity",
                    "accounts", "named")  # fmt: skip
        return same_frames and all(getattr(self, k) == getattr(other, k) for k in settings)

    def __repr__(self) -> str:
        return (
            f"SyntheticChannel(seed={self.seed}, scale={self.scale:g}, "
            f"granularity={self.granularity!r}, partners={len(self.partners)}, "
            f"segments={len(self.segments)}, coverage={len(self.coverage)}, "
            f"supply={len(self.supply)}, budget_total={self.budget_total})"
        )


def _positions(values: pd.Series, ids: pd.Series) -> npt.NDArray[np.int32]:
    """Positions of ``values`` among ``ids`` (fast path for matching categoricals)."""
    index = pd.Index(ids)
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.categories.equals(index):
        return np.asarray(values.cat.codes.to_numpy(), dtype=np.int32)
    pos = np.asarray(index.get_indexer(values), dtype=np.int64)
    if (pos < 0).any():
        missing = values.iloc[int(np.flatnonzero(pos < 0)[0])]
        raise ScenarioError(f"coverage names '{missing}', which is not in the table")
    return pos.astype(np.int32)


# --- options ---------------------------------------------------------------------------


def _check_int(value: object, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ScenarioError(f"{name} is {value!r}; accepted: a whole number >= {minimum}")
    return int(value)


def _check_options(
    seed: object, scale: object, granularity: object, accounts: object, named: object
) -> tuple[int, float, Granularity, int, int]:
    seed_i = _check_int(seed, "seed", minimum=0)
    if (
        isinstance(scale, bool)
        or not isinstance(scale, int | float | np.floating | np.integer)
        or not math.isfinite(scale)
        or not 0 < scale <= 100
    ):
        raise ScenarioError(f"scale is {scale!r}; accepted: a number above 0 and at most 100")
    if granularity not in ("segment", "account"):
        raise ScenarioError(f"granularity is {granularity!r}; accepted: 'segment', 'account'")
    accounts_i = _check_int(accounts, "accounts", minimum=1)
    named_i = _check_int(named, "named", minimum=0)
    if named_i > accounts_i:
        raise ScenarioError(
            f"named is {named_i} but accounts is {accounts_i}; accepted: named <= accounts"
        )
    cells = len(_REGIONS) * len(_INDUSTRIES) * len(_SIZES)
    if granularity == "segment" and accounts_i - named_i < cells:
        raise ScenarioError(
            f"accounts is {accounts_i} with {named_i} named, which leaves "
            f"{accounts_i - named_i} customers for {cells} segments; accepted: accounts >= "
            f"named + {cells} at segment granularity"
        )
    gran: Granularity = "segment" if granularity == "segment" else "account"
    return seed_i, float(scale), gran, accounts_i, named_i


# --- the generator -----------------------------------------------------------------------


def generate_channel(
    *,
    seed: int = 2027,
    scale: float = 1.0,
    granularity: Granularity = "segment",
    accounts: int = 14_000,
    named: int = 300,
) -> SyntheticChannel:
    """Draw a synthetic channel shaped like the 604-partner, 14,000-customer one.

    Parameters
    ----------
    seed
        Seed of every draw; the same arguments give identical tables.
    scale
        Multiplies the partner counts (1 gives 26/436/10/132 = 604 partners, 8.3 about
        5,000); at most 100.
    granularity
        ``"segment"``: 210 region x industry x size cells plus one row per named
        account, coverage by attribute match (and a few partners per named account).
        ``"account"``: one segment per customer and a sparse drawn coverage, about 30
        partners per account.
    accounts
        Customers in all (named ones included).
    named
        Named (key) accounts among them.

    Returns
    -------
    SyntheticChannel

    Raises
    ------
    ScenarioError
        An option is out of range.

    Examples
    --------
    >>> ch = generate_channel(seed=1, scale=0.3, granularity="account", accounts=2000)
    >>> len(ch.segments), int(ch.segments["named"].sum())
    (2000, 300)
    """
    seed, scale, granularity, accounts, named = _check_options(
        seed, scale, granularity, accounts, named
    )
    streams = np.random.SeedSequence(seed).spawn(4)
    rng_partners, rng_customers, rng_coverage, rng_supply = (
        np.random.default_rng(s) for s in streams
    )
    counts = tuple(
        max(minimum, _round_half_up(base * scale))
        for base, minimum in zip(_KIND_BASE, _KIND_MIN, strict=True)
    )
    partners = _draw_partners(rng_partners, counts)
    customers = _draw_customers(rng_customers, accounts, named, partners)
    if granularity == "segment":
        segments, p_idx, s_idx = _segment_level(rng_coverage, customers, partners)
    else:
        segments, p_idx, s_idx = _account_level(rng_coverage, customers, partners)
    coverage = _pairs_frame(
        p_idx, s_idx, partners.frame["id"], segments["id"], ("partner_id", "segment_id")
    )
    supply = _draw_supply(rng_supply, partners)
    total_cost = float(partners.frame["cost"].sum())
    budget = _round_to(total_cost * _BUDGET_SHARE, 10_000)
    return SyntheticChannel(
        partners=partners.frame,
        segments=segments,
        coverage=coverage,
        supply=supply,
        budget_total=budget,
        distributor_budget=_round_to(budget * _DISTRIBUTOR_POOL_SHARE, 10_000),
        seed=seed,
        scale=scale,
        granularity=granularity,
        accounts=accounts,
        named=named,
    )


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def _round_to(x: float, step: int) -> int:
    return max(step, _round_half_up(x / step) * step)


@dataclass(frozen=True)
class _Partners:
    """Partner table plus the arrays the later stages draw from."""

    frame: pd.DataFrame
    kind: npt.NDArray[np.int8]
    quality: FloatArray
    regions: BoolArray  # n x 7
    industries: BoolArray  # n x 10
    sizes: BoolArray  # n x 3


def _weights(values: Sequence[float] | FloatArray) -> FloatArray:
    w = np.asarray(values, dtype=np.float64)
    return np.asarray(w / w.sum(), dtype=np.float64)


def _allocate(n: int, weights: FloatArray) -> IntArray:
    """Split ``n`` over ``weights`` by largest remainder, at least one each."""
    exact = n * weights
    alloc = np.maximum(1, np.floor(exact)).astype(np.int64)
    while alloc.sum() < n:
        alloc[int(np.argmax(exact - alloc))] += 1
    while alloc.sum() > n:
        spare = np.where(alloc > 1, exact - alloc, np.inf)
        alloc[int(np.argmin(spare))] -= 1
    return alloc


def _draw_partners(rng: np.random.Generator, counts: tuple[int, ...]) -> _Partners:
    n_d, n_i, n_p, n_r = counts
    n = sum(counts)
    kind = np.repeat(np.arange(4, dtype=np.int8), counts)
    regions = np.zeros((n, len(_REGIONS)), dtype=bool)
    industries = np.zeros((n, len(_INDUSTRIES)), dtype=bool)
    sizes = np.zeros((n, len(_SIZES)), dtype=bool)
    region_w = _weights(_REGION_WEIGHTS)
    customer_w = _weights(_INDUSTRY_CUSTOMERS)
    enterprise_w = _weights(
        np.asarray(_INDUSTRY_CUSTOMERS) * _INDUSTRY_ENTERPRISE * _INDUSTRY_VALUE
    )
    starts = np.concatenate([[0], np.cumsum(counts)])
    d_rows, i_rows, p_rows, r_rows = (np.arange(starts[k], starts[k + 1]) for k in range(4))

    # Regional distributors: grouped by region, bigger regions get more.
    d_region = np.repeat(np.arange(len(_REGIONS)), _allocate(n_d, region_w))
    regions[d_rows, d_region] = True
    industries[d_rows] = True
    sizes[d_rows, 1:] = True

    # Industry distributors: the ten industries in order, then by enterprise value.
    i_industry = np.concatenate(
        [
            np.arange(len(_INDUSTRIES)),
            rng.choice(len(_INDUSTRIES), n_i - len(_INDUSTRIES), p=enterprise_w),
        ]
    )
    regions[i_rows] = True
    industries[i_rows, i_industry] = True
    sizes[i_rows, :2] = True

    # Industry partners: the first 70 take every (region, industry) cell once, so each
    # named account has an industry partner to work it.
    n_cells = len(_REGIONS) * len(_INDUSTRIES)
    strat = min(n_p, n_cells)
    k = np.arange(strat)
    r_perm = rng.permutation(len(_REGIONS))
    i_perm = rng.permutation(len(_INDUSTRIES))
    home_region = np.concatenate(
        [r_perm[k % len(_REGIONS)], rng.choice(len(_REGIONS), n_p - strat, p=region_w)]
    )
    home_industry = np.concatenate(
        [i_perm[k % len(_INDUSTRIES)], rng.choice(len(_INDUSTRIES), n_p - strat, p=enterprise_w)]
    )
    n_regions = rng.choice([1, 2, 3], n_p, p=[0.45, 0.35, 0.20])
    n_industries = rng.choice([1, 2], n_p, p=[0.65, 0.35])
    with_midmarket = rng.random(n_p) < 0.30
    for j, row in enumerate(p_rows):
        regions[row] = _with_extras(rng, home_region[j], n_regions[j], region_w)
        industries[row] = _with_extras(rng, home_industry[j], n_industries[j], enterprise_w)
    sizes[p_rows, 0] = True
    sizes[p_rows, 1] = with_midmarket
    is_isv = rng.random(n_p) < 0.35

    # Commercial resellers: the first seven take the seven regions once each.
    strat_r = min(n_r, len(_REGIONS))
    r_home = np.concatenate(
        [
            rng.permutation(len(_REGIONS))[:strat_r],
            rng.choice(len(_REGIONS), n_r - strat_r, p=region_w),
        ]
    )
    r_two = rng.random(n_r) < 0.20
    r_n_ind = rng.choice([2, 3, 4, 5, 6], n_r, p=[0.10, 0.20, 0.25, 0.25, 0.20])
    size_options = np.array(
        [[False, False, True], [False, True, True], [False, True, False], [True, True, False]]
    )
    r_sizes = rng.choice(len(size_options), n_r, p=[0.30, 0.50, 0.12, 0.08])
    for j, row in enumerate(r_rows):
        regions[row] = _with_extras(rng, r_home[j], 2 if r_two[j] else 1, region_w)
        chosen = rng.choice(len(_INDUSTRIES), r_n_ind[j], replace=False, p=customer_w)
        industries[row, chosen] = True
    sizes[r_rows] = size_options[r_sizes]

    quality = rng.standard_normal(n)
    types = np.array(["distributor", "distributor", "si", "reseller"], dtype=object)[kind]
    types[p_rows[is_isv]] = "isv"
    criteria, cost = _draw_criteria(rng, kind, quality, types == "si", types == "isv")
    ids = np.concatenate(
        [
            [f"{_KIND_PREFIX[k]}{i:0{max(_KIND_WIDTH[k], len(str(c)))}d}" for i in range(1, c + 1)]
            for k, c in enumerate(counts)
        ]
    )
    label = np.array(["regional", "industry", "si", "reseller"], dtype=object)[kind]
    label[p_rows[is_isv]] = "isv"
    frame = pd.DataFrame(
        {
            "id": ids,
            "name": _draw_names(rng, label),
            "type": types.astype(str),
            "gtm_tier": np.where(kind <= _I, 1, 2).astype(np.int64),
            "cost": cost,
            "regions": _list_cells(regions, _REGIONS),
            "industries": _list_cells(industries, _INDUSTRIES),
            "sizes": _list_cells(sizes, _SIZES),
            **criteria,
        }
    )
    return _Partners(frame[list(_PARTNER_COLUMNS)], kind, quality, regions, industries, sizes)


def _with_extras(rng: np.random.Generator, home: int, total: int, weights: FloatArray) -> BoolArray:
    """A mask with ``home`` and ``total - 1`` more members drawn by ``weights``."""
    mask = np.zeros(len(weights), dtype=bool)
    mask[home] = True
    if total > 1:
        w = weights.copy()
        w[home] = 0.0
        mask[rng.choice(len(weights), total - 1, replace=False, p=w / w.sum())] = True
    return mask


def _list_cells(mask: BoolArray, names: Sequence[str]) -> list[str]:
    return [
        "*" if row.all() else ";".join(n for n, m in zip(names, row, strict=True) if m)
        for row in mask
    ]


def _expit(x: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-x))


def _draw_criteria(
    rng: np.random.Generator,
    kind: npt.NDArray[np.int8],
    q: FloatArray,
    is_si: BoolArray,
    is_isv: BoolArray,
) -> tuple[dict[str, npt.NDArray[np.generic]], IntArray]:
    """The 16 criterion columns, ``importance_to_partner`` and cost, from quality ``q``."""
    n = len(q)
    z = rng.standard_normal((n, 18))

    def by_kind(d: float, i: float, p: float, r: float) -> FloatArray:
        return np.array([d, i, p, r], dtype=np.float64)[kind]

    def rating(centre: FloatArray | float, load: float, noise: float, col: int) -> IntArray:
        return np.clip(np.rint(centre + load * q + noise * z[:, col]), 1, 5).astype(np.int64)

    def lognormal(median: FloatArray, load: float, noise: float, col: int) -> FloatArray:
        return np.asarray(median * np.exp(load * q + noise * z[:, col]), dtype=np.float64)

    isv = is_isv.astype(np.float64)
    tech = 0.5 * is_si.astype(np.float64) + 0.6 * isv
    headcount = np.maximum(1, np.rint(lognormal(by_kind(45, 35, 18, 6), 0.45, 0.35, 3)))
    certified = np.rint(headcount * lognormal(by_kind(0.25, 0.35, 0.7, 0.3), 0.4, 0.4, 4))
    vendor_share = np.clip(
        _expit(by_kind(-2.2, -1.8, -0.9, -0.8) + 0.5 * q + 0.7 * z[:, 10]), 0.005, 0.95
    )
    dedicated = np.rint(headcount * (0.15 + vendor_share) * np.exp(0.3 * z[:, 11]))
    criteria: dict[str, npt.NDArray[np.generic]] = {
        "market_alignment": rating(3.1, 0.7, 0.8, 0),
        "value_complement": rating(3.0 + 0.6 * tech, 0.5, 0.9, 1),
        "culture_fit": rating(3.2, 0.4, 0.9, 2),
        "sales_headcount": headcount.astype(np.int64),
        "certified_engineers": certified.astype(np.int64),
        "solution_skill": rating(by_kind(2.2, 2.6, 3.3, 2.8) + 0.1 * isv, 0.7, 0.7, 5),
        "service_level": rating(3.1, 0.6, 0.7, 6),
        "credit_rating": rating(by_kind(3.6, 3.6, 3.3, 3.2), 0.6, 0.8, 7),
        "overdue_ratio": np.round(_expit(-2.6 - 0.7 * q + 0.6 * z[:, 8]), 3),
        "annual_revenue": np.round(lognormal(by_kind(600, 400, 40, 12), 0.5, 0.5, 9), 3),
        "vendor_share": np.round(vendor_share, 3),
        "dedicated_staff": dedicated.astype(np.int64),
        "target_attainment": np.round(np.clip(1.0 + 0.18 * q + 0.15 * z[:, 12], 0.3, 1.8), 3),
        "satisfaction": rating(3.4, 0.6, 0.7, 13),
        "compliance_incidents": rng.poisson(
            np.exp(by_kind(-0.3, -0.6, -0.8, -0.6) - 0.6 * q)
        ).astype(np.int64),
        "market_share": np.round(
            _expit(by_kind(-2.0, -1.6, -2.8, -3.3) + 0.6 * q + 0.5 * z[:, 15]), 3
        ),
        "importance_to_partner": np.round(
            _expit(np.log(vendor_share / (1 - vendor_share)) + 0.6 + 0.5 * z[:, 16]), 3
        ),
    }
    raw_cost = lognormal(by_kind(300_000, 320_000, 85_000, 35_000), 0.3, 0.2, 17)
    cost = np.clip(
        raw_cost,
        by_kind(150_000, 150_000, 40_000, 15_000),
        by_kind(600_000, 600_000, 200_000, 90_000),
    )
    return criteria, (np.rint(cost / 100) * 100).astype(np.int64)


def _draw_names(rng: np.random.Generator, label: npt.NDArray[np.object_]) -> list[str]:
    """Unique company-like names: First+second word and a suffix by kind."""
    n_combo = len(_NAME_FIRST) * len(_NAME_SECOND)
    combo = np.concatenate([rng.permutation(n_combo) for _ in range(-(-len(label) // n_combo))])
    pick = rng.random(len(label))
    names: list[str] = []
    seen: dict[str, int] = {}
    for c, lab, u in zip(combo[: len(label)], label, pick, strict=True):
        first, second = divmod(int(c), len(_NAME_SECOND))
        suffixes = _NAME_SUFFIX[str(lab)]
        name = f"{_NAME_FIRST[first]}{_NAME_SECOND[second]} {suffixes[int(u * len(suffixes))]}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} {seen[name]}")
    return names


# --- customers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Customers:
    region: IntArray
    industry: IntArray
    size: IntArray
    value: IntArray
    named: int

    @property
    def cell(self) -> IntArray:
        """Index of the region x industry x size cell, in segment-table order."""
        return (self.region * len(_INDUSTRIES) + self.industry) * len(_SIZES) + self.size


def _draw_customers(
    rng: np.random.Generator, accounts: int, named: int, partners: _Partners
) -> _Customers:
    n_reg, n_ind, n_size = len(_REGIONS), len(_INDUSTRIES), len(_SIZES)
    region_w = _weights(_REGION_WEIGHTS)
    # Named accounts go where an industry partner can work them.
    p_rows = partners.kind == _P
    served = (partners.regions[p_rows, :, None] & partners.industries[p_rows, None, :]).any(axis=0)
    named_w = region_w[:, None] * (np.asarray(_INDUSTRY_CUSTOMERS) * _INDUSTRY_ENTERPRISE)[None, :]
    named_w = (named_w * served).ravel()
    named_cell = rng.choice(n_reg * n_ind, named, p=named_w / named_w.sum())

    others = accounts - named
    n_cells = n_reg * n_ind * n_size
    strat = min(others, n_cells)
    first = rng.permutation(n_cells)[:strat]
    rest = others - strat
    rest_region = rng.choice(n_reg, rest, p=region_w)
    rest_industry = rng.choice(n_ind, rest, p=_weights(_INDUSTRY_CUSTOMERS))
    p_ent = _ENTERPRISE_SHARE * np.asarray(_INDUSTRY_ENTERPRISE)[rest_industry]
    u = rng.random(rest)
    rest_size = np.where(u < p_ent, 0, np.where(u < p_ent + _MIDMARKET_SHARE, 1, 2))
    order = rng.permutation(others)
    region = np.concatenate(
        [named_cell // n_ind, np.concatenate([first // (n_ind * n_size), rest_region])[order]]
    )
    industry = np.concatenate(
        [named_cell % n_ind, np.concatenate([first // n_size % n_ind, rest_industry])[order]]
    )
    size = np.concatenate(
        [np.zeros(named, dtype=np.int64), np.concatenate([first % n_size, rest_size])[order]]
    )

    value_class = np.where(np.arange(accounts) < named, 3, size)
    median = np.asarray(_VALUE_MEDIAN)[value_class] * np.asarray(_INDUSTRY_VALUE)[industry]
    sigma = np.asarray(_VALUE_SIGMA)[value_class]
    value = np.maximum(1, np.rint(median * np.exp(sigma * rng.standard_normal(accounts))))
    return _Customers(
        region=region.astype(np.int64),
        industry=industry.astype(np.int64),
        size=size.astype(np.int64),
        value=value.astype(np.int64),
        named=named,
    )


def _cell_cover(partners: _Partners) -> BoolArray:
    """n_partners x 210: whether the partner's territory holds the cell."""
    return (
        partners.regions[:, :, None, None]
        & partners.industries[:, None, :, None]
        & partners.sizes[:, None, None, :]
    ).reshape(len(partners.kind), -1)


def _segment_frame(
    ids: Sequence[str] | npt.NDArray[np.str_],
    region: IntArray,
    industry: IntArray,
    size: IntArray,
    value: IntArray,
    named: BoolArray,
) -> pd.DataFrame:
    missing = pd.array([pd.NA] * len(ids), dtype="Int64")
    frame = pd.DataFrame(
        {
            "id": np.asarray(ids, dtype=str),
            "region": np.asarray(_REGIONS)[region],
            "industry": np.asarray(_INDUSTRIES)[industry],
            "size": np.asarray(_SIZES)[size],
            "value": value.astype(np.int64),
            "named": named,
            "min_partners": missing,
            "max_partners": missing.copy(),
        }
    )
    return frame[list(_SEGMENT_COLUMNS)]


def _segment_level(
    rng: np.random.Generator, customers: _Customers, partners: _Partners
) -> tuple[pd.DataFrame, IntArray, IntArray]:
    n_ind, n_size = len(_INDUSTRIES), len(_SIZES)
    n_cells = len(_REGIONS) * n_ind * n_size
    k = customers.named
    cell = np.arange(n_cells)
    cell_value = np.zeros(n_cells, dtype=np.int64)
    np.add.at(cell_value, customers.cell[k:], customers.value[k:])
    width = max(3, len(str(k)))
    cell_ids = [
        f"S-{_REGIONS[c // (n_ind * n_size)]}-{_INDUSTRIES[c // n_size % n_ind]}-{_SIZE_CODES[c % n_size]}"
        for c in cell
    ]
    segments = _segment_frame(
        [*cell_ids, *(f"K{i:0{width}d}" for i in range(1, k + 1))],
        np.concatenate([cell // (n_ind * n_size), customers.region[:k]]),
        np.concatenate([cell // n_size % n_ind, customers.industry[:k]]),
        np.concatenate([cell % n_size, customers.size[:k]]),
        np.concatenate([cell_value, customers.value[:k]]),
        np.arange(n_cells + k) >= n_cells,
    )
    p_idx, c_idx = np.nonzero(_cell_cover(partners))

    # A named account is worked by a few partners that have a relationship with it.
    named_p: list[IntArray] = []
    named_s: list[IntArray] = []
    pull = np.exp(partners.quality) * np.where(partners.kind <= _I, 0.25, 1.0)
    fits = partners.sizes[:, 0]
    for a in range(k):
        eligible = (
            fits
            & partners.regions[:, customers.region[a]]
            & partners.industries[:, customers.industry[a]]
        )
        industry_partners = np.flatnonzero(eligible & (partners.kind == _P))
        want = int(rng.choice([2, 3, 4, 5, 6], p=[0.25, 0.30, 0.20, 0.15, 0.10]))
        w = np.exp(partners.quality[industry_partners])
        lead = int(rng.choice(industry_partners, p=w / w.sum()))
        others = np.flatnonzero(eligible)
        others = others[others != lead]
        take = min(want - 1, len(others))
        w = pull[others]
        more = rng.choice(others, take, replace=False, p=w / w.sum()) if take else others[:0]
        chosen = np.concatenate([[lead], more]).astype(np.int64)
        named_p.append(chosen)
        named_s.append(np.full(len(chosen), n_cells + a, dtype=np.int64))
    return (
        segments,
        np.concatenate([p_idx, *named_p]),
        np.concatenate([c_idx, *named_s]),
    )


def _account_level(
    rng: np.random.Generator, customers: _Customers, partners: _Partners
) -> tuple[pd.DataFrame, IntArray, IntArray]:
    n = len(customers.value)
    width = max(5, len(str(n)))
    segments = _segment_frame(
        np.char.add("A", np.char.zfill(np.arange(1, n + 1).astype(str), width)),
        customers.region,
        customers.industry,
        customers.size,
        customers.value,
        np.arange(n) < customers.named,
    )
    cover = _cell_cover(partners)
    reach = np.exp(0.5 * partners.quality) * np.array([4.0, 3.0, 1.5, 1.0])[partners.kind]
    appetite = rng.gamma(_APPETITE_SHAPE, 1.0 / _APPETITE_SHAPE, n)
    levels = (np.arange(32) + 0.5) / 32
    quantiles = np.asarray(gammaincinv(_APPETITE_SHAPE, levels) / _APPETITE_SHAPE, dtype=np.float64)
    cell = customers.cell
    order = np.argsort(cell, kind="stable")
    bounds = np.searchsorted(cell[order], np.arange(cover.shape[1] + 1))
    part_out: list[npt.NDArray[np.int32]] = []
    acct_out: list[npt.NDArray[np.int32]] = []
    for c in range(cover.shape[1]):
        accts = order[bounds[c] : bounds[c + 1]].astype(np.int32)
        if len(accts) == 0:
            continue
        cands = np.flatnonzero(cover[:, c]).astype(np.int32)
        w = reach[cands]
        base = _reach_scale(w, quantiles) * w
        prob = np.minimum(
            np.float32(1.0), np.outer(appetite[accts].astype(np.float32), base.astype(np.float32))
        )
        hit = rng.random(prob.shape, dtype=np.float32) < prob
        rows, cols = np.nonzero(hit)
        lonely = np.flatnonzero(~hit.any(axis=1))
        if len(lonely):
            extra = rng.choice(len(cands), len(lonely), p=w / w.sum())
            rows = np.concatenate([rows, lonely])
            cols = np.concatenate([cols, extra])
        part_out.append(cands[cols])
        acct_out.append(accts[rows])
    return (
        segments,
        np.concatenate(part_out).astype(np.int64),
        np.concatenate(acct_out).astype(np.int64),
    )


def _reach_scale(w: FloatArray, u: FloatArray) -> float:
    """``lam`` with ``E_u sum_j min(1, lam u w_j)`` at the target, ``u`` the appetite.

    The target is 30 partners per account, or 85 % of the ``len(w)`` candidates where
    there are fewer than about 35; ``u`` are quantiles of the appetite distribution.
    """
    target = min(_ACCOUNT_COVERAGE_TARGET, _ACCOUNT_COVERAGE_SHARE * len(w))
    lo, hi = target / (w.sum() * u.max()), target / (w.min() * u.min())
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        if np.minimum(1.0, mid * np.outer(u, w)).sum(axis=1).mean() < target:
            lo = mid
        else:
            hi = mid
    return math.sqrt(lo * hi)


def _pairs_frame(
    left: IntArray,
    right: IntArray,
    left_ids: pd.Series,
    right_ids: pd.Series,
    columns: tuple[str, str],
) -> pd.DataFrame:
    """Index pairs as a frame of categorical ids, sorted by left id, then right id."""
    left_rank = np.argsort(np.argsort(left_ids.to_numpy(dtype=str), kind="stable"))
    right_rank = np.argsort(np.argsort(right_ids.to_numpy(dtype=str), kind="stable"))
    key = left_rank[left] * np.int64(len(right_ids)) + right_rank[right]
    order = np.argsort(key, kind="stable")
    left_cats = pd.Index(left_ids.to_numpy(dtype=str))
    right_cats = pd.Index(right_ids.to_numpy(dtype=str))
    return pd.DataFrame(
        {
            columns[0]: pd.Categorical.from_codes(
                left[order].astype(np.int32), categories=left_cats
            ),
            columns[1]: pd.Categorical.from_codes(
                right[order].astype(np.int32), categories=right_cats
            ),
        }
    )


def _draw_supply(rng: np.random.Generator, partners: _Partners) -> pd.DataFrame:
    kind = partners.kind
    pull = np.exp(0.8 * partners.quality)
    links: list[tuple[int, int]] = []
    supplied = np.zeros(len(kind), dtype=np.int64)
    plans = (
        (_R, _D, partners.regions, [1, 2, 3], [0.50, 0.35, 0.15]),
        (_P, _I, partners.industries, [1, 2], [0.60, 0.40]),
    )
    for tier2, tier1, territory, how_many, probs in plans:
        dist = np.flatnonzero(kind == tier1)
        for row in np.flatnonzero(kind == tier2):
            eligible = dist[(territory[dist] & territory[row]).any(axis=1)]
            take = min(int(rng.choice(how_many, p=probs)), len(eligible))
            w = pull[eligible]
            for d in rng.choice(eligible, take, replace=False, p=w / w.sum()):
                links.append((int(d), int(row)))
                supplied[row] += 1
    links_by_d = np.bincount([d for d, _ in links], minlength=len(kind))
    for tier2, tier1, territory, _, _ in plans:
        tier2_rows = np.flatnonzero(kind == tier2)
        for idle in np.flatnonzero((kind == tier1) & (links_by_d == 0)):
            eligible = tier2_rows[(territory[tier2_rows] & territory[idle]).any(axis=1)]
            fewest = eligible[supplied[eligible] == supplied[eligible].min()]
            chosen = int(rng.choice(fewest))
            links.append((int(idle), chosen))
            supplied[chosen] += 1
            links_by_d[idle] += 1
    pairs = np.asarray(links, dtype=np.int64).reshape(-1, 2)
    frame = _pairs_frame(
        pairs[:, 0], pairs[:, 1], partners.frame["id"], partners.frame["id"],
        ("distributor_id", "reseller_id"),
    )  # fmt: skip
    return frame.astype(str)


# --- writing ---------------------------------------------------------------------------------


def _toml_string(text: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes; TOML also forbids raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _conflict_pair(channel: SyntheticChannel) -> tuple[str, str] | None:
    """Two single-region resellers of one region sharing the most cells (ties: lowest ids)."""
    p = channel.partners
    single = (p["type"] == "reseller") & ~p["regions"].str.contains(";") & (p["regions"] != "*")
    best: tuple[int, str, str] | None = None
    for _, group in p.loc[single].groupby("regions", sort=True):
        ind = np.array(
            [[x in cell.split(";") for x in _INDUSTRIES] for cell in group["industries"]]
        )
        siz = np.array([[x in cell.split(";") for x in _SIZES] for cell in group["sizes"]])
        shared = (ind.astype(np.int64) @ ind.T) * (siz.astype(np.int64) @ siz.T)
        shared[np.tril_indices(len(shared))] = -1
        # Ids are sorted within the group, so the first maximum in row-major order is
        # the pair with the lowest ids.
        a, b = divmod(int(np.argmax(shared)), len(shared))
        if a < b:
            ids = group["id"].to_numpy(dtype=str)
            candidate = (-int(shared[a, b]), str(ids[a]), str(ids[b]))
            if best is None or candidate < best:
                best = candidate
    return None if best is None else (best[1], best[2])


def _write_pairs(frame: pd.DataFrame, path: Path) -> None:
    """Write a two-column id table; four times faster than ``to_csv`` at millions of rows.

    Generated ids hold no commas or quotes, so no CSV quoting is needed.
    """
    left, right = (_as_objects(frame[c]) for c in frame.columns)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(",".join(frame.columns) + "\n")
        fh.writelines(f"{a},{b}\n" for a, b in zip(left, right, strict=True))


def _as_objects(column: pd.Series) -> npt.NDArray[np.object_]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = np.asarray(column.cat.categories, dtype=object)
        return np.asarray(categories[column.cat.codes.to_numpy()], dtype=object)
    return np.asarray(column.to_numpy(dtype=object), dtype=object)


def _segments_csv(segments: pd.DataFrame) -> pd.DataFrame:
    out = segments.copy()
    out["named"] = np.where(segments["named"].to_numpy(dtype=bool), "true", "false")
    return out


def write_scenario(
    channel: SyntheticChannel,
    directory: str | Path,
    *,
    name: str,
    description: str | None = None,
    model: str | None = _DEFAULT_MODEL,
    overwrite: bool = False,
) -> Path:
    """Write the channel's tables into ``directory`` and a scenario TOML beside it.

    ``partners.csv``, ``segments.csv``, ``coverage.csv`` and ``supply.csv`` go into
    ``directory``; the scenario goes to ``<directory>.toml`` in the parent folder
    (``scenarios/vendor/`` gives ``scenarios/vendor.toml``), naming the tables as
    ``vendor/partners.csv`` and so on. Its budget is the channel's suggestion with a
    ``type:distributor`` pool, objective ``weighted_coverage``, one conflict pair (two
    resellers of one region sharing the most segments), at most 4 selected partners per
    segment and at least one per named account.

    Parameters
    ----------
    channel
        What :func:`generate_channel` returned.
    directory
        Folder for the tables; created when missing.
    name
        The scenario's name.
    description
        Its description (default: one line on how the channel was generated).
    model
        Criteria model path as written, relative to the TOML file; ``None`` leaves
        ``model`` out.
    overwrite
        Replace files that exist; otherwise an existing file is an error and nothing is
        written.

    Returns
    -------
    Path
        The scenario TOML.

    Raises
    ------
    ScenarioError
        A file exists and ``overwrite`` is false, or ``directory`` is not a usable folder.
    """
    folder = Path(directory)
    if folder.name in ("", ".", ".."):
        folder = folder.resolve()
    if not folder.name:
        raise ScenarioError(
            "the scenario needs a named folder, not the file-system root", file=str(folder)
        )
    if folder.exists() and not folder.is_dir():
        raise ScenarioError(
            "exists and is not a folder; give a folder for the tables", file=str(folder)
        )
    toml_path = folder.with_name(f"{folder.name}.toml")
    targets = [folder / f"{t}.csv" for t in _TABLES]
    if not overwrite:
        for path in (*targets, toml_path):
            if path.exists():
                raise ScenarioError(
                    "already exists; pass overwrite=True (--force on the command line) to replace it",
                    file=str(path),
                )
    folder.mkdir(parents=True, exist_ok=True)
    partners_csv, segments_csv, coverage_csv, supply_csv = targets
    channel.partners.to_csv(partners_csv, index=False, lineterminator="\n")
    _segments_csv(channel.segments).to_csv(segments_csv, index=False, lineterminator="\n")
    _write_pairs(channel.coverage, coverage_csv)
    _write_pairs(channel.supply, supply_csv)
    toml_path.write_text(
        _scenario_toml(channel, folder.name, name=name, description=description, model=model),
        encoding="utf-8",
    )
    return toml_path


def _scenario_toml(
    channel: SyntheticChannel,
    folder: str,
    *,
    name: str,
    description: str | None,
    model: str | None,
) -> str:
    if description is None:
        kinds = channel.partners["id"].str[0].value_counts()
        d, i, r, p = (int(kinds.get(k, 0)) for k in "DIRP")
        description = (
            f"Synthetic channel from selector.inputs.synth (seed {channel.seed}, scale "
            f"{channel.scale:g}): {len(channel.partners):,} partners ({d:,} regional and {i:,} "
            f"industry distributors, {r:,} resellers, {p:,} industry partners); "
            f"{channel.accounts:,} customers, {channel.named:,} of them named accounts, "
            f"in {len(channel.segments):,} segments."
        )
    pair = _conflict_pair(channel)
    conflicts = "[]" if pair is None else f'[["{pair[0]}", "{pair[1]}"]]'
    lines = [
        f"# Generated by selector.inputs.synth: seed {channel.seed}, scale {channel.scale:g}, "
        f"{channel.granularity} granularity, {channel.accounts} accounts ({channel.named} named).",
        f"name = {_toml_string(name)}",
        f"description = {_toml_string(description)}",
        *([] if model is None else [f"model = {_toml_string(model)}"]),
        *(f"{t} = {_toml_string(f'{folder}/{t}.csv')}" for t in _TABLES),
        "",
        "[budget]",
        f"total = {channel.budget_total:_}",
        f'pools = {{ "type:distributor" = {channel.distributor_budget:_} }}',
        "",
        "[objective]",
        'kind = "weighted_coverage"',
        "",
        "[constraints]",
        "must_include = []",
        "must_exclude = []",
        f"conflicts = {conflicts}",
        "max_partners_per_segment = 6",
        "min_partners = { named = 1 }",
    ]
    return "\n".join(lines) + "\n"
