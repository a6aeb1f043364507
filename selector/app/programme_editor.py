"""The programme's settings as tables to edit, the way the rule editor edits rules.

Two small tables on the Portfolio page: the limits (max exits, max recruits, what the
exit score band does) and one row per programme tier (its annual cost, its effect on
quality, its quota). :func:`limit_rows` and :func:`tier_rows` give the scenario's
values as rows; :func:`programme_changes` turns edited rows back into the
``[programme]`` table of a what-if (only what differs from the scenario, in the
scenario-file shape), so a what-if saves and reopens with them. An empty cell is no
limit. The scenario loader checks the result, as it checks a file.

>>> from selector import load_scenario
>>> s = load_scenario("scenarios/teaching-plan.toml")
>>> limits = limit_rows(s.programme)
>>> limits[0]["max_exits"] = 1
>>> programme_changes(s.programme, limits, tier_rows(s.programme))
{'max_exits': 1}
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from selector import Scenario
from selector.app.shared import error_words, state
from selector.display import money_header
from selector.errors import ScenarioError
from selector.inputs.programme import EXIT_BANDS, Programme, ProgrammeTier

__all__ = [
    "LIMIT_COLUMNS",
    "TIER_COLUMNS",
    "limit_rows",
    "programme_changes",
    "programme_editor",
    "tier_rows",
]

LIMIT_COLUMNS = ("max_exits", "max_recruits", "exit_band")
TIER_COLUMNS = ("tier", "cost_column", "fixed", "share", "multiplier", "max_share", "max_count")
EXIT_BAND_WORDS = {
    "flag": "flag: shown in the plan, may stay",
    "force": "force: partners in the exit score band leave",
}


def limit_rows(programme: Programme) -> list[dict[str, Any]]:
    """The programme's limits as one row: ``max_exits``, ``max_recruits`` (None: no
    limit) and ``exit_band``."""
    return [
        {
            "max_exits": programme.max_exits,
            "max_recruits": programme.max_recruits,
            "exit_band": programme.exit_band,
        }
    ]


def tier_rows(programme: Programme) -> list[dict[str, Any]]:
    """One row per programme tier, highest first: its cost (a partner column, or fixed
    + share x the partner's cost), its multiplier on quality and its quotas (max share
    of the active partners in per cent, max count; None: no quota)."""
    return [_tier_row(t) for t in reversed(programme.tiers)]


def _tier_row(t: ProgrammeTier) -> dict[str, Any]:
    return {
        "tier": t.name,
        "cost_column": t.cost_column or "",
        "fixed": None if t.cost_column else t.fixed,
        "share": None if t.cost_column else t.share,
        "multiplier": t.multiplier,
        "max_share": None if t.max_share is None else 100 * t.max_share,
        "max_count": t.max_count,
    }


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _whole(value: Any) -> int | None:
    return None if _blank(value) else int(round(float(value)))


def _real(value: Any) -> float | None:
    return None if _blank(value) else float(value)


def programme_changes(
    programme: Programme, limits: Sequence[Mapping[str, Any]], tiers: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The ``[programme]`` settings that edited ``limits`` and ``tiers`` rows change, in
    the scenario-file shape (``{}`` when nothing changed). A cleared limit or quota is
    ``None`` (no limit); a tier priced by a partner column keeps that column."""
    out: dict[str, Any] = {}
    before = limit_rows(programme)[0]
    if limits:
        row = limits[0]
        for key in ("max_exits", "max_recruits"):
            value = _whole(row.get(key))
            if value != before[key]:
                out[key] = value
        band = row.get("exit_band") or before["exit_band"]
        if band != before["exit_band"]:
            out["exit_band"] = str(band)
    known = {t.name: _tier_row(t) for t in programme.tiers}
    for row in tiers:
        name = str(row.get("tier", ""))
        if name not in known:
            continue
        old = known[name]
        table: dict[str, Any] = {}
        if not old["cost_column"]:
            fixed = _real(row.get("fixed"))
            share = _real(row.get("share"))
            fixed = 0.0 if fixed is None else fixed
            share = 1.0 if share is None else share
            if (fixed, share) != (old["fixed"], old["share"]):
                table["cost"] = {"fixed": fixed, "share": share}
        multiplier = _real(row.get("multiplier"))
        multiplier = 1.0 if multiplier is None else multiplier
        if multiplier != old["multiplier"]:
            table["multiplier"] = multiplier
        share_pct = _real(row.get("max_share"))
        if share_pct != old["max_share"]:
            table["max_share"] = None if share_pct is None else share_pct / 100
        count = _whole(row.get("max_count"))
        if count != old["max_count"]:
            table["max_count"] = count
        if table:
            out[name] = table
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if _blank(v) else v) for k, v in rec.items()}
        for rec in frame.to_dict(orient="records")
    ]


def _version(rows: Any) -> str:
    return hashlib.sha1(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()[:10]


def programme_editor(base: Scenario) -> None:
    """The programme's limits and tiers as two editable tables; what they change goes
    to ``session_state.store["<fingerprint>:programme"]`` (read by
    :func:`selector.app.shared.portfolio_changes`) once the scenario loader accepts it."""
    programme = base.programme
    if programme is None or base.partners.get("status") is None:
        return
    fp = base.fingerprint
    store = state()["store"]
    limits = store.get(f"{fp}:programme_limits") or limit_rows(programme)
    tiers = store.get(f"{fp}:programme_tiers") or tier_rows(programme)
    error = store.get(f"{fp}:programme_error")
    changed = store.get(f"{fp}:programme") or {}
    title = "Programme: limits and tiers" + (" (edited)" if changed else "")
    with st.expander(title, icon=":material/tune:", expanded=bool(error)):
        st.caption(
            "The programme's limits and each tier's annual cost, effect and quota, as in "
            "the scenario's [programme] table. An empty cell is no limit. Changes are part "
            "of the what-if: they solve again and are saved with it."
        )
        new_limits = _records(
            st.data_editor(
                pd.DataFrame(limits, columns=list(LIMIT_COLUMNS)),
                key=f"w:{fp}:programme_limits:{_version(limits)}",
                hide_index=True,
                width="stretch",
                column_config={
                    "max_exits": st.column_config.NumberColumn(
                        "Max exits", min_value=0, step=1, format="%d",
                        help="Current partners the plan may exit (empty: no limit).",
                    ),
                    "max_recruits": st.column_config.NumberColumn(
                        "Max recruits", min_value=0, step=1, format="%d",
                        help="Prospects the plan may recruit (empty: no limit).",
                    ),
                    "exit_band": st.column_config.SelectboxColumn(
                        "Exit score band", options=list(EXIT_BANDS), required=True,
                        help="; ".join(EXIT_BAND_WORDS.values()),
                    ),
                },
            )
        )
        # The cost column only where a tier is priced by a partner column.
        shown = [c for c in TIER_COLUMNS if c != "cost_column" or any(r.get(c) for r in tiers)]
        edited = _records(
            st.data_editor(
                pd.DataFrame(tiers, columns=shown),
                key=f"w:{fp}:programme_tiers:{_version(tiers)}",
                hide_index=True,
                width="stretch",
                disabled=["tier", "cost_column"],
                column_config={
                    "tier": st.column_config.TextColumn("Programme tier"),
                    "cost_column": st.column_config.TextColumn(
                        "Cost column", help="A partner column giving this tier's annual cost "
                        "(then the fixed and share cells do not apply)."
                    ),
                    "fixed": st.column_config.NumberColumn(
                        money_header("Fixed a year", base.currency), min_value=0, format="localized",
                        help="Annual cost: this fixed amount plus share x the partner's cost.",
                    ),
                    "share": st.column_config.NumberColumn(
                        "× partner cost", min_value=0.0, step=0.05, format="%.2f",
                    ),
                    "multiplier": st.column_config.NumberColumn(
                        "Effect (× quality)", min_value=0.0, step=0.05, format="%.2f",
                        help="Scales the partner's quality in the weighted coverage (capped at 1).",
                    ),
                    "max_share": st.column_config.NumberColumn(
                        "Quota (% of today's partners)", min_value=0.0, max_value=100.0, format="%.1f",
                        help="At most this share of today's partners, as a count for the year (empty: none).",
                    ),
                    "max_count": st.column_config.NumberColumn(
                        "Quota (count)", min_value=0, step=1, format="%d",
                        help="At most this many partners in the tier (empty: none).",
                    ),
                },
            )
        )
        new_tiers = [{**old, **new} for old, new in zip(tiers, edited, strict=True)]
        if new_limits != limits or new_tiers != tiers:
            store[f"{fp}:programme_limits"] = new_limits
            store[f"{fp}:programme_tiers"] = new_tiers
            changes = programme_changes(programme, new_limits, new_tiers)
            try:
                if changes:
                    base.with_changes({"programme": changes})
            except ScenarioError as exc:
                store[f"{fp}:programme_error"] = error_words(exc)
            else:
                store[f"{fp}:programme"] = changes
                store[f"{fp}:programme_error"] = None
            st.rerun()
        if error:
            st.error(f"Not applied: {error}", icon=":material/error:")
