"""Today's channel and the partner programme: the data a plan starts from.

Two optional parts of a scenario describe the channel the team has today, so that the
optimizer can answer the yearly question (keep, promote, demote or exit each partner;
recruit which prospects) instead of picking a portfolio from a blank sheet.

Partner columns (all optional, so scenarios without them load as before):

``status``
    ``current`` (a partner today) or ``prospect`` (a candidate to recruit).
``tier``
    Today's programme tier of a current partner (one of ``[programme] tiers``); empty
    for a prospect. Required for current partners when the programme has tiers.
``recruit_cost``
    One-off cost of recruiting a prospect (signing, enablement, certification); >= 0.
``exit_cost``
    One-off cost of exiting a current partner (termination, moving its customers); >= 0.

The ``[programme]`` table::

    [programme]
    tiers = ["registered", "silver", "gold"]    # lowest to highest
    max_exits = 40                              # onboarding / offboarding capacity
    max_recruits = 25
    keep_named_accounts = true                  # a named account keeps a current partner
    exit_band = "flag"                          # or "force": score-rank exit tier goes
    stability = "fewest_changes"                # or "none": no second stage
    ramp = [0.4, 0.8, 1.0]                      # roadmaps: a recruit's share of its value
                                                # in its 1st, 2nd, 3rd year (then 1.0)
    exit_transition = { value = 0.5, cost = 0.3 }  # roadmaps: in the year of its exit a
                                                # partner still yields this share of its
                                                # value and costs this share of its tier
    max_step = 1                                # roadmaps: most tiers a partner moves a year

    [programme.registered]
    cost = { share = 1.0 }                      # annual cost: share x the partner's cost
    multiplier = 1.0                            # on quality in weighted_coverage
    [programme.silver]
    cost = { fixed = 20_000, share = 1.0 }      # fixed fund + share of the partner's cost
    multiplier = 1.15
    max_share = 0.20                            # at most 20 % of today's partners (a count)
    [programme.gold]
    cost = { column = "gold_cost" }             # or a partner column per tier
    multiplier = 1.3
    max_share = 0.10

A tier's ``cost`` is ``{ column = "NAME" }`` (a numeric partner column), or
``{ fixed = F, share = S }`` (``F + S x cost``; either may be left out: fixed 0, share 1).
``multiplier`` scales the partner's quality (0..1) in ``weighted_coverage``; the product
is capped at 1, since a segment cannot yield more than its value. Quotas are
``max_share`` (of the partners active in the plan) and ``max_count``.

``ramp``, ``exit_transition`` and ``max_step`` shape a roadmap over several years (a
scenario with ``[horizon]``, :mod:`selector.inputs.horizon`) and are ignored by a
one-year plan. ``ramp`` lists shares in 0..1 (default ``[1.0]``: productive at once);
``exit_transition`` shares in 0..1 (default 0 and 0: an exit ends everything at once);
``max_step`` is a whole number >= 1 (default 1): a partner moves at most that many tiers
from one year to the next (recruits join, and exits leave, at any tier).

Without a ``[programme]`` table, a scenario with a ``status`` column has one level:
a current partner is kept or exited, a prospect recruited or left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from selector.errors import ScenarioError
from selector.inputs.tables import MAX_AMOUNT, MAX_COUNT, parse_number_column, sheet_row

__all__ = [
    "CHANNEL_COLUMNS",
    "EXIT_BANDS",
    "STABILITY",
    "STATUSES",
    "Programme",
    "ProgrammeTier",
    "channel_columns",
    "parse_programme",
    "tier_costs",
]

STATUSES = ("current", "prospect")
CHANNEL_COLUMNS = ("status", "tier", "recruit_cost", "exit_cost")
EXIT_BANDS = ("flag", "force")
STABILITY = ("fewest_changes", "none")
_TOP_KEYS = frozenset(
    {"tiers", "max_exits", "max_recruits", "keep_named_accounts", "exit_band", "stability",
     "ramp", "exit_transition", "max_step"}
)
#: Most years a ramp may list (the longest horizon).
MAX_RAMP = 5
_TIER_KEYS = frozenset({"cost", "multiplier", "max_share", "max_count"})
_COST_KEYS = frozenset({"column", "fixed", "share"})
#: The level name used when a scenario has a ``status`` column but no programme tiers.
SINGLE_LEVEL = "partner"
#: A tier costing more than this many times the partner's cost is a typo.
MAX_SHARE = 1000.0
#: A multiplier on quality beyond this is a typo (the product is capped at 1 anyway).
MAX_MULTIPLIER = 1000.0


@dataclass(frozen=True)
class ProgrammeTier:
    """One programme tier: how its annual cost is made, what it adds, its quota."""

    name: str
    cost_column: str | None = None
    fixed: float = 0.0
    share: float = 1.0
    multiplier: float = 1.0
    max_share: float | None = None
    max_count: int | None = None


@dataclass(frozen=True)
class Programme:
    """The partner programme: tiers lowest to highest and the yearly-change rules."""

    tiers: tuple[ProgrammeTier, ...] = (ProgrammeTier(SINGLE_LEVEL),)
    max_exits: int | None = None
    max_recruits: int | None = None
    keep_named_accounts: bool = True
    exit_band: str = "flag"
    stability: str = "fewest_changes"
    # Roadmaps only (a scenario with [horizon]): a recruit's share of its value in its
    # first years, what an exit keeps of its value and pays of its tier's cost in the year
    # it leaves, and the most tiers a partner moves from one year to the next.
    ramp: tuple[float, ...] = (1.0,)
    exit_value_share: float = 0.0
    exit_cost_share: float = 0.0
    max_step: int = 1

    def ramp_share(self, years_in: int) -> float:
        """A recruit's share of its value in its ``years_in``-th year (1 = the year it
        joins); 1.0 after the ramp's last year.

        >>> Programme(ramp=(0.4, 0.8)).ramp_share(1), Programme(ramp=(0.4, 0.8)).ramp_share(3)
        (0.4, 1.0)
        """
        return self.ramp[years_in - 1] if years_in <= len(self.ramp) else 1.0

    @property
    def tier_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tiers)

    @property
    def has_tiers(self) -> bool:
        return self.tier_names != (SINGLE_LEVEL,)


def _shown(value: Any) -> str:
    """``repr(value)``, with a float short and a very long whole number shortened."""
    text = f"{value:g}" if isinstance(value, float) else repr(value)
    return text if len(text) <= 30 else f"{text[:12]}... ({len(text)} digits)"


def _whole(value: Any, name: str, file: str, *, minimum: int = 0) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not minimum <= value <= MAX_COUNT
    ):
        raise ScenarioError(
            f"{name} is {_shown(value)}; accepted: a whole number from {minimum} to {MAX_COUNT:,}",
            file=file,
        )
    return int(value)


def _real(value: Any, name: str, file: str, *, low: float, high: float = math.inf) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))
        or not low <= value <= high
    ):
        upper = "" if high == math.inf else f" and <= {high:g}"
        raise ScenarioError(
            f"{name} is {_shown(value)}; accepted: a number >= {low:g}{upper}", file=file
        )
    return float(value)


def _tier(name: str, raw: Any, file: str, partner_columns: pd.Index | None) -> ProgrammeTier:
    where = f"programme.{name}"
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"[{where}] must be a table with {', '.join(sorted(_TIER_KEYS))}", file=file)
    unknown = sorted(set(raw) - _TIER_KEYS)
    if unknown:
        raise ScenarioError(
            f"unknown key(s) {', '.join(unknown)} in [{where}]; accepted: "
            f"{', '.join(sorted(_TIER_KEYS))}",
            file=file,
        )
    cost = raw.get("cost", {})
    if not isinstance(cost, Mapping) or set(cost) - _COST_KEYS:
        raise ScenarioError(
            f"{where}.cost is {cost!r}; accepted: {{ column = \"NAME\" }} or "
            "{ fixed = F, share = S }",
            file=file,
        )
    column = cost.get("column")
    if column is not None:
        if set(cost) != {"column"}:
            raise ScenarioError(f"{where}.cost: give either column, or fixed and share", file=file)
        if not isinstance(column, str) or not column:
            raise ScenarioError(f"{where}.cost.column is {column!r}; accepted: a column name", file=file)
        if partner_columns is not None and column not in partner_columns:
            raise ScenarioError(
                f"{where}.cost.column names '{column}', which the partner table does not have",
                file=file,
            )
    max_share = raw.get("max_share")
    max_count = raw.get("max_count")
    return ProgrammeTier(
        name=name,
        cost_column=column,
        fixed=_real(cost.get("fixed", 0.0), f"{where}.cost.fixed", file, low=0.0, high=MAX_AMOUNT),
        share=_real(cost.get("share", 0.0 if column else 1.0), f"{where}.cost.share", file,
                    low=0.0, high=MAX_SHARE),
        multiplier=_real(raw.get("multiplier", 1.0), f"{where}.multiplier", file, low=0.0,
                         high=MAX_MULTIPLIER),
        max_share=None
        if max_share is None
        else _real(max_share, f"{where}.max_share", file, low=0.0, high=1.0),
        max_count=None if max_count is None else _whole(max_count, f"{where}.max_count", file),
    )


def parse_programme(
    config: Mapping[str, Any], file: str, partner_columns: pd.Index | None = None
) -> Programme | None:
    """The ``[programme]`` table of a scenario's settings (``None`` when absent).

    Raises
    ------
    ScenarioError
        Naming the key and what is accepted: unknown keys, tier names that are not
        unique, costs or multipliers below 0, shares outside 0..1, and quotas that can
        never hold together (every tier capped, the shares adding up to less than 1).
    """
    raw = config.get("programme")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ScenarioError("[programme] must be a table (see the scenario format)", file=file)
    tier_names = raw.get("tiers", [SINGLE_LEVEL])
    if (
        not isinstance(tier_names, list)
        or not tier_names
        or not all(isinstance(t, str) and t.strip() for t in tier_names)
    ):
        raise ScenarioError(
            f"programme.tiers is {tier_names!r}; accepted: a list of tier names, lowest first, "
            'e.g. ["registered", "silver", "gold"]',
            file=file,
        )
    if len(set(tier_names)) != len(tier_names):
        raise ScenarioError(f"programme.tiers names a tier twice: {tier_names}", file=file)
    unknown = sorted(set(raw) - _TOP_KEYS - set(tier_names))
    if unknown:
        raise ScenarioError(
            f"unknown key(s) {', '.join(unknown)} in [programme]; accepted: "
            f"{', '.join(sorted(_TOP_KEYS))} and a table per tier named in programme.tiers "
            f"({', '.join(tier_names)})",
            file=file,
        )
    tiers = tuple(_tier(t, raw.get(t), file, partner_columns) for t in tier_names)
    shares = [t.max_share for t in tiers]
    if all(s is not None for s in shares) and sum(s for s in shares if s is not None) < 1 - 1e-9:
        raise ScenarioError(
            "programme quotas cannot hold: every tier has a max_share and they add up to "
            f"{sum(s for s in shares if s is not None):g} < 1, so no partner could be active; "
            "leave the lowest tier without a max_share",
            file=file,
        )
    keep = raw.get("keep_named_accounts", True)
    if not isinstance(keep, bool):
        raise ScenarioError(f"programme.keep_named_accounts is {keep!r}; accepted: true or false", file=file)
    band = raw.get("exit_band", "flag")
    if band not in EXIT_BANDS:
        raise ScenarioError(f"programme.exit_band is {band!r}; accepted: {', '.join(EXIT_BANDS)}", file=file)
    stability = raw.get("stability", "fewest_changes")
    if stability not in STABILITY:
        raise ScenarioError(
            f"programme.stability is {stability!r}; accepted: {', '.join(STABILITY)}", file=file
        )
    ramp = raw.get("ramp", [1.0])
    if (
        not isinstance(ramp, list)
        or not 1 <= len(ramp) <= MAX_RAMP
        or any(isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1 for v in ramp)
    ):
        raise ScenarioError(
            f"programme.ramp is {_shown(ramp)}; accepted: a list of 1 to {MAX_RAMP} shares "
            "from 0 to 1, a recruit's share of its value in its first, second, ... year "
            "(e.g. [0.4, 0.8, 1.0])",
            file=file,
        )
    transition = raw.get("exit_transition", {})
    if not isinstance(transition, Mapping) or set(transition) - {"value", "cost"}:
        raise ScenarioError(
            f"programme.exit_transition is {_shown(transition)}; accepted: "
            "{ value = V, cost = C }, the shares (0 to 1) of its value an exited partner "
            "still yields and of its tier's cost it still costs in the year it leaves",
            file=file,
        )
    step = raw.get("max_step", 1)
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise ScenarioError(
            f"programme.max_step is {_shown(step)}; accepted: a whole number >= 1, the most "
            "tiers a partner moves from one year to the next",
            file=file,
        )
    return Programme(
        ramp=tuple(float(v) for v in ramp),
        exit_value_share=_real(transition.get("value", 0.0), "programme.exit_transition.value",
                               file, low=0.0, high=1.0),
        exit_cost_share=_real(transition.get("cost", 0.0), "programme.exit_transition.cost",
                              file, low=0.0, high=1.0),
        max_step=int(step),
        tiers=tiers,
        max_exits=None if raw.get("max_exits") is None else _whole(raw["max_exits"], "programme.max_exits", file),
        max_recruits=None
        if raw.get("max_recruits") is None
        else _whole(raw["max_recruits"], "programme.max_recruits", file),
        keep_named_accounts=keep,
        exit_band=str(band),
        stability=str(stability),
    )


def channel_columns(
    raw: pd.DataFrame, file: str, programme: Programme | None
) -> dict[str, np.ndarray] | None:
    """Read ``status``, ``tier``, ``recruit_cost`` and ``exit_cost`` from a partner table.

    Returns ``None`` when the table has none of them and there is no programme (a
    scenario from before plans). Otherwise every partner gets a status (default
    ``prospect`` when the column is missing: a blank sheet), a tier (``""`` for
    prospects) and both one-off costs (default 0).

    Raises
    ------
    ScenarioError
        Naming file, row and column: an unknown status or tier name, a current partner
        without a tier when the programme has tiers, a prospect with a tier, a negative
        or non-numeric cost.
    """
    present = [c for c in CHANNEL_COLUMNS if c in raw.columns]
    if not present and programme is None:
        return None
    prog = programme or Programme()
    n = len(raw)
    if "status" in raw.columns:
        status = raw["status"].astype(str).str.strip().str.lower().to_numpy(dtype=object)
        bad = ~np.isin(status, STATUSES)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            found = raw["status"].iloc[i]
            raise ScenarioError(
                f"'{found}' is not a partner status; accepted: current (a partner today) or "
                "prospect (a candidate to recruit)"
                if found
                else "the cell is empty; accepted: current or prospect",
                file=file,
                row=sheet_row(i),
                column="status",
            )
    else:
        status = np.full(n, "prospect", dtype=object)
    current = status == "current"
    if "tier" in raw.columns:
        tier = raw["tier"].astype(str).str.strip().to_numpy(dtype=object)
    else:
        tier = np.full(n, "", dtype=object)
    tiered_prospect = ~current & (tier != "")
    if tiered_prospect.any() and "status" not in raw.columns:
        i = int(np.flatnonzero(tiered_prospect)[0])
        raise ScenarioError(
            f"the partner table gives today's tier ('{tier[i]}') but has no status column, "
            "so every partner counts as a prospect (a candidate, with no tier today); add a "
            "status column: current (a partner today) or prospect",
            file=file,
            row=sheet_row(i),
            column="status",
        )
    if tiered_prospect.any():
        i = int(np.flatnonzero(tiered_prospect)[0])
        raise ScenarioError(
            f"a prospect has no programme tier today (found '{tier[i]}'); leave the cell "
            "empty, or set status to current",
            file=file,
            row=sheet_row(i),
            column="tier",
        )
    names = prog.tier_names
    if prog.has_tiers:
        missing = current & (tier == "")
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise ScenarioError(
                f"a current partner needs today's programme tier; accepted: {', '.join(names)}",
                file=file,
                row=sheet_row(i),
                column="tier",
            )
    else:
        # One level: a tier column, if any, is informational for current partners.
        tier = np.where(current, SINGLE_LEVEL, "")
    unknown = current & ~np.isin(tier, names)
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise ScenarioError(
            f"'{tier[i]}' is not a programme tier; accepted: {', '.join(names)}",
            file=file,
            row=sheet_row(i),
            column="tier",
        )
    out: dict[str, np.ndarray] = {"status": status, "tier": tier}
    for col in ("recruit_cost", "exit_cost"):
        if col in raw.columns:
            values = parse_number_column(raw, col, file=file, allow_missing=True, minimum=0.0,
                                         maximum=MAX_AMOUNT)
            out[col] = np.nan_to_num(values, nan=0.0)
        else:
            out[col] = np.zeros(n)
    return out


def tier_costs(programme: Programme, partners: pd.DataFrame) -> np.ndarray:
    """Annual cost of every partner at every tier: an array partners x tiers.

    Raises
    ------
    ScenarioError
        When a tier's cost column holds a missing or negative value, or a partner's cost
        at a tier is above :data:`~selector.inputs.tables.MAX_AMOUNT`.
    """
    base = partners["cost"].to_numpy(dtype=float)
    out = np.empty((len(partners), len(programme.tiers)))
    for k, t in enumerate(programme.tiers):
        if t.cost_column is not None:
            col = pd.to_numeric(partners[t.cost_column], errors="coerce").to_numpy(dtype=float)
            bad = ~np.isfinite(col) | (col < 0) | (col > MAX_AMOUNT)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ScenarioError(
                    f"programme tier {t.name} takes its cost from this column, which holds "
                    f"{partners[t.cost_column].iloc[i]!r}; accepted: a number from 0 to "
                    f"{MAX_AMOUNT:g}",
                    row=sheet_row(i),
                    column=t.cost_column,
                )
            out[:, k] = col
        else:
            out[:, k] = t.fixed + t.share * base
            high = out[:, k] > MAX_AMOUNT
            if high.any():
                i = int(np.flatnonzero(high)[0])
                raise ScenarioError(
                    f"at programme tier {t.name} (fixed {t.fixed:g} + share {t.share:g} x "
                    f"cost) this partner would cost {out[i, k]:,.0f}; accepted: at most "
                    f"{MAX_AMOUNT:g}",
                    row=sheet_row(i),
                    column="cost",
                )
    return out
