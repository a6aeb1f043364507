"""Synthetic partners: the four kinds, territories, criteria, cost and names; supply.

:func:`draw_partners` draws the partner table (and the arrays the later stages draw
from) from the partner stream, :func:`draw_supply` the distributor / tier-2 partner
pairs from the supply stream; the model is described in :mod:`selector.inputs.synth`.
"""

from __future__ import annotations

from collections.abc import Sequence
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

__all__ = [
    "INDUSTRY_DISTRIBUTOR",
    "INDUSTRY_PARTNER",
    "KIND_BASE",
    "KIND_MIN",
    "PARTNER_COLUMNS",
    "REGIONAL_DISTRIBUTOR",
    "RESELLER",
    "Partners",
    "draw_criteria",
    "draw_names",
    "draw_partners",
    "draw_supply",
    "list_cells",
    "with_extras",
]


# Partner kinds, in id (and table) order: regional distributors, industry distributors,
# industry partners, commercial resellers.
_KIND_PREFIX: Final = ("D", "I", "P", "R")
KIND_BASE: Final = (26, 10, 132, 436)
KIND_MIN: Final = (7, 10, 10, 7)
_KIND_WIDTH: Final = (3, 3, 3, 4)
REGIONAL_DISTRIBUTOR, INDUSTRY_DISTRIBUTOR, INDUSTRY_PARTNER, RESELLER = 0, 1, 2, 3


_CRITERIA: Final = (
    "market_alignment", "value_complement", "culture_fit", "sales_headcount",
    "certified_engineers", "solution_skill", "service_level", "credit_rating",
    "overdue_ratio", "annual_revenue", "vendor_share", "dedicated_staff",
    "target_attainment", "satisfaction", "compliance_incidents", "market_share",
)  # fmt: skip
PARTNER_COLUMNS: Final = (
    "id", "name", "type", "gtm_tier", "cost", "regions", "industries", "sizes",
    *_CRITERIA, "importance_to_partner",
)  # fmt: skip


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
    "csp": ("Cloud", "Cloud Services", "Hosting"),
    "msp": ("Managed Services", "Services", "Support"),
}


@dataclass(frozen=True)
class Partners:
    """Partner table plus the arrays the later stages draw from."""

    frame: pd.DataFrame
    kind: npt.NDArray[np.int8]
    quality: FloatArray
    regions: BoolArray  # n x 7
    industries: BoolArray  # n x 10
    sizes: BoolArray  # n x 3


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


def draw_partners(rng: np.random.Generator, counts: tuple[int, ...]) -> Partners:
    n_d, n_i, n_p, n_r = counts
    n = sum(counts)
    kind = np.repeat(np.arange(4, dtype=np.int8), counts)
    regions = np.zeros((n, len(REGIONS)), dtype=bool)
    industries = np.zeros((n, len(INDUSTRIES)), dtype=bool)
    sizes = np.zeros((n, len(SIZES)), dtype=bool)
    region_w = normalized(REGION_WEIGHTS)
    customer_w = normalized(INDUSTRY_CUSTOMERS)
    enterprise_w = normalized(
        np.asarray(INDUSTRY_CUSTOMERS) * INDUSTRY_ENTERPRISE * INDUSTRY_VALUE
    )
    starts = np.concatenate([[0], np.cumsum(counts)])
    d_rows, i_rows, p_rows, r_rows = (np.arange(starts[k], starts[k + 1]) for k in range(4))

    # Regional distributors: grouped by region, bigger regions get more.
    d_region = np.repeat(np.arange(len(REGIONS)), _allocate(n_d, region_w))
    regions[d_rows, d_region] = True
    industries[d_rows] = True
    sizes[d_rows, 1:] = True

    # Industry distributors: the ten industries in order, then by enterprise value.
    i_industry = np.concatenate(
        [
            np.arange(len(INDUSTRIES)),
            rng.choice(len(INDUSTRIES), n_i - len(INDUSTRIES), p=enterprise_w),
        ]
    )
    regions[i_rows] = True
    industries[i_rows, i_industry] = True
    sizes[i_rows, :2] = True

    # Industry partners: the first 70 take every (region, industry) cell once, so each
    # named account has an industry partner to work it.
    n_cells = len(REGIONS) * len(INDUSTRIES)
    strat = min(n_p, n_cells)
    k = np.arange(strat)
    r_perm = rng.permutation(len(REGIONS))
    i_perm = rng.permutation(len(INDUSTRIES))
    home_region = np.concatenate(
        [r_perm[k % len(REGIONS)], rng.choice(len(REGIONS), n_p - strat, p=region_w)]
    )
    home_industry = np.concatenate(
        [i_perm[k % len(INDUSTRIES)], rng.choice(len(INDUSTRIES), n_p - strat, p=enterprise_w)]
    )
    n_regions = rng.choice([1, 2, 3], n_p, p=[0.45, 0.35, 0.20])
    n_industries = rng.choice([1, 2], n_p, p=[0.65, 0.35])
    with_midmarket = rng.random(n_p) < 0.30
    for j, row in enumerate(p_rows):
        regions[row] = with_extras(rng, home_region[j], n_regions[j], region_w)
        industries[row] = with_extras(rng, home_industry[j], n_industries[j], enterprise_w)
    sizes[p_rows, 0] = True
    sizes[p_rows, 1] = with_midmarket
    is_isv = rng.random(n_p) < 0.35

    # Commercial resellers: the first seven take the seven regions once each.
    strat_r = min(n_r, len(REGIONS))
    r_home = np.concatenate(
        [
            rng.permutation(len(REGIONS))[:strat_r],
            rng.choice(len(REGIONS), n_r - strat_r, p=region_w),
        ]
    )
    r_two = rng.random(n_r) < 0.20
    r_n_ind = rng.choice([2, 3, 4, 5, 6], n_r, p=[0.10, 0.20, 0.25, 0.25, 0.20])
    size_options = np.array(
        [[False, False, True], [False, True, True], [False, True, False], [True, True, False]]
    )
    r_sizes = rng.choice(len(size_options), n_r, p=[0.30, 0.50, 0.12, 0.08])
    for j, row in enumerate(r_rows):
        regions[row] = with_extras(rng, r_home[j], 2 if r_two[j] else 1, region_w)
        chosen = rng.choice(len(INDUSTRIES), r_n_ind[j], replace=False, p=customer_w)
        industries[row, chosen] = True
    sizes[r_rows] = size_options[r_sizes]

    quality = rng.standard_normal(n)
    types = np.array(["distributor", "distributor", "si", "reseller"], dtype=object)[kind]
    types[p_rows[is_isv]] = "isv"
    criteria, cost = draw_criteria(rng, kind, quality, types == "si", types == "isv")
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
            "name": draw_names(rng, label),
            "type": types.astype(str),
            "gtm_tier": np.where(kind <= INDUSTRY_DISTRIBUTOR, 1, 2).astype(np.int64),
            "cost": cost,
            "regions": list_cells(regions, REGIONS),
            "industries": list_cells(industries, INDUSTRIES),
            "sizes": list_cells(sizes, SIZES),
            **criteria,
        }
    )
    return Partners(frame[list(PARTNER_COLUMNS)], kind, quality, regions, industries, sizes)


def with_extras(rng: np.random.Generator, home: int, total: int, weights: FloatArray) -> BoolArray:
    """A mask with ``home`` and ``total - 1`` more members drawn by ``weights``."""
    mask = np.zeros(len(weights), dtype=bool)
    mask[home] = True
    if total > 1:
        w = weights.copy()
        w[home] = 0.0
        mask[rng.choice(len(weights), total - 1, replace=False, p=w / w.sum())] = True
    return mask


def list_cells(mask: BoolArray, names: Sequence[str]) -> list[str]:
    return [
        "*" if row.all() else ";".join(n for n, m in zip(names, row, strict=True) if m)
        for row in mask
    ]


def _expit(x: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-x))


def draw_criteria(
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


def draw_names(
    rng: np.random.Generator, label: npt.NDArray[np.object_], taken: Sequence[str] = ()
) -> list[str]:
    """Unique company-like names: First+second word and a suffix by kind (numbered when
    the name is among ``taken`` or drawn before)."""
    n_combo = len(_NAME_FIRST) * len(_NAME_SECOND)
    combo = np.concatenate([rng.permutation(n_combo) for _ in range(-(-len(label) // n_combo))])
    pick = rng.random(len(label))
    names: list[str] = []
    seen: dict[str, int] = dict.fromkeys(taken, 1)
    for c, lab, u in zip(combo[: len(label)], label, pick, strict=True):
        first, second = divmod(int(c), len(_NAME_SECOND))
        suffixes = _NAME_SUFFIX[str(lab)]
        name = f"{_NAME_FIRST[first]}{_NAME_SECOND[second]} {suffixes[int(u * len(suffixes))]}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} {seen[name]}")
    return names


# --- supply ----------------------------------------------------------------------------------


def draw_supply(rng: np.random.Generator, partners: Partners) -> pd.DataFrame:
    kind = partners.kind
    pull = np.exp(0.8 * partners.quality)
    links: list[tuple[int, int]] = []
    supplied = np.zeros(len(kind), dtype=np.int64)
    plans = (
        (RESELLER, REGIONAL_DISTRIBUTOR, partners.regions, [1, 2, 3], [0.50, 0.35, 0.15]),
        (INDUSTRY_PARTNER, INDUSTRY_DISTRIBUTOR, partners.industries, [1, 2], [0.60, 0.40]),
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
    frame = pairs_frame(
        pairs[:, 0], pairs[:, 1], partners.frame["id"], partners.frame["id"],
        ("distributor_id", "reseller_id"),
    )  # fmt: skip
    return frame.astype(str)
