"""The generator: :func:`generate_channel` checks its options, seeds five streams and
runs the stages.

The model it draws from is described in :mod:`selector.inputs.synth`; the stages are the
modules beside this one (partners, segments, prospects) and the result is a
:class:`~selector.inputs.synth.channel.SyntheticChannel`.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from selector.errors import ScenarioError
from selector.inputs.synth.channel import Granularity, SyntheticChannel
from selector.inputs.synth.common import INDUSTRIES, REGIONS, SIZES, pairs_frame
from selector.inputs.synth.partners import KIND_BASE, KIND_MIN, draw_partners, draw_supply
from selector.inputs.synth.prospects import add_prospects, programme_budget
from selector.inputs.synth.segments import account_level, draw_customers, segment_level

__all__ = ["generate_channel"]


_BUDGET_SHARE: Final = 0.35
_DISTRIBUTOR_POOL_SHARE: Final = 0.40


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
