"""Synthetic customers and segments, and which partner covers which segment.

:func:`draw_customers` draws the customers from the customer stream;
:func:`segment_level` and :func:`account_level` turn them into the segment table and
the partner / segment index pairs of the coverage, drawing from the coverage stream, at
the two granularities described in :mod:`selector.inputs.synth`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import gammaincinv

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
)
from selector.inputs.synth.partners import INDUSTRY_DISTRIBUTOR, INDUSTRY_PARTNER, Partners

__all__ = ["account_level", "draw_customers", "segment_level"]


_SIZE_CODES: Final = ("ent", "mid", "smb")
_ENTERPRISE_SHARE: Final = 0.034  # times the industry factor: ~4.5 % overall
_MIDMARKET_SHARE: Final = 0.225
# Per-customer value: log-normal (median, sigma) for enterprise, mid-market, smb, named.
_VALUE_MEDIAN: Final = (240_000.0, 42_000.0, 5_800.0, 450_000.0)
_VALUE_SIGMA: Final = (0.8, 0.7, 0.8, 0.8)


_SEGMENT_COLUMNS: Final = (
    "id", "region", "industry", "size", "value", "named", "min_partners", "max_partners",
)  # fmt: skip


_ACCOUNT_COVERAGE_TARGET: Final = 30.0  # partners an account expects (account level),
_ACCOUNT_COVERAGE_SHARE: Final = 0.85  # or this share of its candidates when smaller
_APPETITE_SHAPE: Final = 4.0  # Gamma shape of an account's pull (mean 1)


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
        return (self.region * len(INDUSTRIES) + self.industry) * len(SIZES) + self.size


def draw_customers(
    rng: np.random.Generator, accounts: int, named: int, partners: Partners
) -> _Customers:
    n_reg, n_ind, n_size = len(REGIONS), len(INDUSTRIES), len(SIZES)
    region_w = normalized(REGION_WEIGHTS)
    # Named accounts go where an industry partner can work them.
    p_rows = partners.kind == INDUSTRY_PARTNER
    served = (partners.regions[p_rows, :, None] & partners.industries[p_rows, None, :]).any(axis=0)
    named_w = region_w[:, None] * (np.asarray(INDUSTRY_CUSTOMERS) * INDUSTRY_ENTERPRISE)[None, :]
    named_w = (named_w * served).ravel()
    named_cell = rng.choice(n_reg * n_ind, named, p=named_w / named_w.sum())

    others = accounts - named
    n_cells = n_reg * n_ind * n_size
    strat = min(others, n_cells)
    first = rng.permutation(n_cells)[:strat]
    rest = others - strat
    rest_region = rng.choice(n_reg, rest, p=region_w)
    rest_industry = rng.choice(n_ind, rest, p=normalized(INDUSTRY_CUSTOMERS))
    p_ent = _ENTERPRISE_SHARE * np.asarray(INDUSTRY_ENTERPRISE)[rest_industry]
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
    median = np.asarray(_VALUE_MEDIAN)[value_class] * np.asarray(INDUSTRY_VALUE)[industry]
    sigma = np.asarray(_VALUE_SIGMA)[value_class]
    value = np.maximum(1, np.rint(median * np.exp(sigma * rng.standard_normal(accounts))))
    return _Customers(
        region=region.astype(np.int64),
        industry=industry.astype(np.int64),
        size=size.astype(np.int64),
        value=value.astype(np.int64),
        named=named,
    )


# --- segments and coverage -----------------------------------------------------------------


def _cell_cover(partners: Partners) -> BoolArray:
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
            "region": np.asarray(REGIONS)[region],
            "industry": np.asarray(INDUSTRIES)[industry],
            "size": np.asarray(SIZES)[size],
            "value": value.astype(np.int64),
            "named": named,
            "min_partners": missing,
            "max_partners": missing.copy(),
        }
    )
    return frame[list(_SEGMENT_COLUMNS)]


def segment_level(
    rng: np.random.Generator, customers: _Customers, partners: Partners
) -> tuple[pd.DataFrame, IntArray, IntArray]:
    n_ind, n_size = len(INDUSTRIES), len(SIZES)
    n_cells = len(REGIONS) * n_ind * n_size
    k = customers.named
    cell = np.arange(n_cells)
    cell_value = np.zeros(n_cells, dtype=np.int64)
    np.add.at(cell_value, customers.cell[k:], customers.value[k:])
    width = max(3, len(str(k)))
    cell_ids = [
        f"S-{REGIONS[c // (n_ind * n_size)]}-{INDUSTRIES[c // n_size % n_ind]}-{_SIZE_CODES[c % n_size]}"
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
    pull = np.exp(partners.quality) * np.where(partners.kind <= INDUSTRY_DISTRIBUTOR, 0.25, 1.0)
    fits = partners.sizes[:, 0]
    for a in range(k):
        eligible = (
            fits
            & partners.regions[:, customers.region[a]]
            & partners.industries[:, customers.industry[a]]
        )
        industry_partners = np.flatnonzero(eligible & (partners.kind == INDUSTRY_PARTNER))
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


def account_level(
    rng: np.random.Generator, customers: _Customers, partners: Partners
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
