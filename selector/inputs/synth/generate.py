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
practice (loadings in :mod:`selector.inputs.synth.partners`). Ratings (1-5) are ``round(centre + a*q +
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

Code layout: this module holds :class:`SyntheticChannel` and :func:`generate_channel`,
which checks the options and runs the stages, each in its own module beside this one:
:mod:`selector.inputs.synth.partners` (partners, criteria, cost, names; supply),
:mod:`selector.inputs.synth.segments` (customers, segments, coverage),
:mod:`selector.inputs.synth.prospects` (today's channel: status, programme tiers,
prospects, one-off costs, the programme and its budget; from a fifth stream, so the
current partners' rows, coverage and supply are those drawn with ``prospects=0``) and
:mod:`selector.inputs.synth.write` (:func:`write_scenario`, re-exported here), with the
market they share (regions, industries, sizes and their weights) in
:mod:`selector.inputs.synth.common`.

The bundled ``scenarios/vendor.toml`` is
``selector synth scenarios/vendor --name "FY27 vendor baseline" --force`` (seed 2027,
150 prospects).

>>> channel = generate_channel(seed=7, prospects=0)
>>> channel.partners.groupby("gtm_tier").size().to_dict()
{1: 36, 2: 568}
>>> today = generate_channel(seed=7)
>>> today.partners["status"].value_counts().to_dict()
{'current': 604, 'prospect': 150}
>>> len(channel.segments), int(channel.segments["named"].sum())
(510, 300)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from selector.errors import ScenarioError
from selector.inputs.synth.common import INDUSTRIES, REGIONS, SIZES, TABLES, pairs_frame
from selector.inputs.synth.partners import KIND_BASE, KIND_MIN, draw_partners, draw_supply
from selector.inputs.synth.prospects import add_prospects, programme_budget
from selector.inputs.synth.segments import account_level, draw_customers, segment_level
from selector.inputs.synth.write import _DEFAULT_MODEL as _DEFAULT_MODEL  # for the CLI
from selector.inputs.synth.write import write_scenario

__all__ = [
    "SyntheticChannel",
    "generate_channel",
    "write_scenario",
]


Granularity = Literal["segment", "account"]

_BUDGET_SHARE: Final = 0.35
_DISTRIBUTOR_POOL_SHARE: Final = 0.40


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
        Suggested total budget, rounded to 10,000: 35 % of the total partner cost; with
        prospects, what today's channel costs at today's programme tiers.
    distributor_budget
        Suggested cap of the ``type:distributor`` pool, rounded to 10,000: 40 % of
        ``budget_total``; with prospects, 102 % of today's distributors' cost.
    seed, scale, granularity, accounts, named, prospects
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
    prospects: int = 0

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
        same_frames = all(getattr(self, name).equals(getattr(other, name)) for name in TABLES)
        settings = ("budget_total", "distributor_budget", "seed", "scale", "granularity",
                    "accounts", "named", "prospects")  # fmt: skip
        return same_frames and all(getattr(self, k) == getattr(other, k) for k in settings)

    def __repr__(self) -> str:
        return (
            f"SyntheticChannel(seed={self.seed}, scale={self.scale:g}, "
            f"granularity={self.granularity!r}, partners={len(self.partners)}, "
            f"prospects={self.prospects}, "
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
    seed: object,
    scale: object,
    granularity: object,
    accounts: object,
    named: object,
    prospects: object,
) -> tuple[int, float, Granularity, int, int, int]:
    seed_i = _check_int(seed, "seed", minimum=0)
    prospects_i = _check_int(prospects, "prospects", minimum=0)
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
    cells = len(REGIONS) * len(INDUSTRIES) * len(SIZES)
    if granularity == "segment" and accounts_i - named_i < cells:
        raise ScenarioError(
            f"accounts is {accounts_i} with {named_i} named, which leaves "
            f"{accounts_i - named_i} customers for {cells} segments; accepted: accounts >= "
            f"named + {cells} at segment granularity"
        )
    gran: Granularity = "segment" if granularity == "segment" else "account"
    return seed_i, float(scale), gran, accounts_i, named_i, prospects_i


# --- the generator -----------------------------------------------------------------------


def generate_channel(
    *,
    seed: int = 2027,
    scale: float = 1.0,
    granularity: Granularity = "segment",
    accounts: int = 14_000,
    named: int = 300,
    prospects: int = 150,
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
    prospects
        Candidates to recruit. Above 0 the channel is today's: every generated partner
        is ``current`` in a programme tier, the prospects are added (ids ``N001``...)
        and the partner table has ``status``, ``tier``, ``recruit_cost`` and
        ``exit_cost`` (see :mod:`selector.inputs.synth.prospects`); 0 gives the channel
        without them, identical to what earlier versions drew.

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
    seed, scale, granularity, accounts, named, prospects = _check_options(
        seed, scale, granularity, accounts, named, prospects
    )
    # Five streams; the first four are what SeedSequence(seed).spawn(4) gave before.
    streams = np.random.SeedSequence(seed).spawn(5)
    rng_partners, rng_customers, rng_coverage, rng_supply, rng_channel = (
        np.random.default_rng(s) for s in streams
    )
    counts = tuple(
        max(minimum, _round_half_up(base * scale))
        for base, minimum in zip(KIND_BASE, KIND_MIN, strict=True)
    )
    partners = draw_partners(rng_partners, counts)
    customers = draw_customers(rng_customers, accounts, named, partners)
    if granularity == "segment":
        segments, p_idx, s_idx = segment_level(rng_coverage, customers, partners)
    else:
        segments, p_idx, s_idx = account_level(rng_coverage, customers, partners)
    coverage = pairs_frame(
        p_idx, s_idx, partners.frame["id"], segments["id"], ("partner_id", "segment_id")
    )
    supply = draw_supply(rng_supply, partners)
    frame = partners.frame
    if prospects:
        frame, coverage, supply = add_prospects(
            rng_channel, partners, segments, coverage, supply, prospects, granularity
        )
        total, pool = programme_budget(frame)
        budget = _round_to(total, 10_000)
        distributor_budget = _round_to(pool, 10_000)
    else:
        budget = _round_to(float(frame["cost"].sum()) * _BUDGET_SHARE, 10_000)
        distributor_budget = _round_to(budget * _DISTRIBUTOR_POOL_SHARE, 10_000)
    return SyntheticChannel(
        partners=frame,
        segments=segments,
        coverage=coverage,
        supply=supply,
        budget_total=budget,
        distributor_budget=distributor_budget,
        seed=seed,
        scale=scale,
        granularity=granularity,
        accounts=accounts,
        named=named,
        prospects=prospects,
    )


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def _round_to(x: float, step: int) -> int:
    return max(step, _round_half_up(x / step) * step)
