"""Tests for selector.inputs.synth.prospects: today's channel (status, programme tiers,
one-off costs) and the prospects of a generated channel, and a plan solved on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import MODEL

from selector import solve
from selector.inputs.scenario import load_scenario
from selector.inputs.synth import SyntheticChannel, generate_channel, write_scenario

HISTORY = ("target_attainment", "satisfaction", "compliance_incidents")
BASE_COLUMNS = 25  # id ... importance_to_partner


@pytest.fixture(scope="module")
def vendor() -> SyntheticChannel:
    return generate_channel(seed=2027)


@pytest.fixture(scope="module")
def without() -> SyntheticChannel:
    return generate_channel(seed=2027, prospects=0)


def test_default_vendor_channel_has_today_and_prospects(vendor: SyntheticChannel) -> None:
    p = vendor.partners
    assert vendor.prospects == 150 and len(p) == 754
    assert list(p.columns[-4:]) == ["status", "tier", "recruit_cost", "exit_cost"]
    assert p["id"].is_unique and p["id"].is_monotonic_increasing and p["name"].is_unique
    assert (p["status"] == "current").sum() == 604
    pros = p[p["status"] == "prospect"]
    assert list(pros["id"]) == [f"N{i:03d}" for i in range(1, 151)]
    types = pros["type"].value_counts().to_dict()
    assert set(types) == {"distributor", "isv", "csp", "msp"}
    assert 2 <= types["distributor"] <= 6 and types["isv"] > 40
    assert (pros["gtm_tier"] == np.where(pros["type"] == "distributor", 1, 2)).all()


def test_current_partners_are_the_channel_without_prospects(
    vendor: SyntheticChannel, without: SyntheticChannel
) -> None:
    p = vendor.partners
    current = p[p["status"] == "current"].reset_index(drop=True)
    base = without.partners
    pd.testing.assert_frame_equal(
        current.iloc[:, :BASE_COLUMNS], base, check_dtype=False
    )  # satisfaction, compliance_incidents are nullable integers with prospects
    pd.testing.assert_frame_equal(vendor.segments, without.segments)
    ids = set(base["id"])
    cov = vendor.coverage.astype(str)
    cov = cov[cov["partner_id"].isin(ids)].reset_index(drop=True)
    pd.testing.assert_frame_equal(cov, without.coverage.astype(str))
    sup = vendor.supply
    old = sup[sup["distributor_id"].isin(ids) & sup["reseller_id"].isin(ids)]
    assert set(map(tuple, without.supply.to_numpy())) <= set(map(tuple, old.to_numpy()))
    assert vendor.equals(generate_channel(seed=2027))


def test_tier_shares_follow_the_source_and_favour_better_partners(vendor: SyntheticChannel) -> None:
    p = vendor.partners
    current = p[p["status"] == "current"]
    shares = current["tier"].value_counts(normalize=True)
    assert 0.08 <= shares["gold"] <= 0.10
    assert 0.16 <= shares["silver"] <= 0.20
    assert set(shares.index) == {"registered", "silver", "gold"}
    assert (p.loc[p["status"] == "prospect", "tier"] == "").all()
    kind = current["id"].str[0].replace({"I": "D"})
    for k in ("D", "P", "R"):  # every kind group has gold and silver partners
        assert set(current.loc[kind == k, "tier"]) == {"registered", "silver", "gold"}, k
    mean = current.groupby("tier")[["target_attainment", "satisfaction", "market_share"]].mean()
    for col in mean.columns:
        assert mean.loc["gold", col] > mean.loc["silver", col] > mean.loc["registered", col], col
    assert (
        current.groupby("tier")["compliance_incidents"].mean()["gold"]
        < current.groupby("tier")["compliance_incidents"].mean()["registered"]
    )


def test_prospects_have_no_performance_history(vendor: SyntheticChannel) -> None:
    p = vendor.partners
    pros = p["status"] == "prospect"
    for col in HISTORY:
        assert p.loc[pros, col].isna().all(), col
        assert p.loc[~pros, col].notna().all(), col
    rest = [c for c in p.columns[:BASE_COLUMNS] if c not in HISTORY]
    assert p.loc[:, rest].notna().all().all()


def test_one_off_costs(vendor: SyntheticChannel) -> None:
    p = vendor.partners
    pros = p["status"] == "prospect"
    assert p.loc[pros, "exit_cost"].isna().all() and p.loc[~pros, "recruit_cost"].isna().all()
    for col, rows in (("recruit_cost", pros), ("exit_cost", ~pros)):
        cost = p.loc[rows, col].astype(float)
        share = cost / p.loc[rows, "cost"]
        assert (cost >= 0).all() and (cost % 100 == 0).all(), col
        assert share.between(0.19, 0.41).all(), col
    assert (p["cost"] > 0).all()


def test_prospects_are_covered_and_supplied(vendor: SyntheticChannel) -> None:
    p = vendor.partners.set_index("id")
    pros = p.index[p["status"] == "prospect"]
    covered = set(vendor.coverage["partner_id"].astype(str))
    assert set(pros) <= covered
    sup = vendor.supply
    tier2 = [x for x in pros if p.loc[x, "gtm_tier"] == 2]
    current_d = set(p.index[(p["status"] == "current") & (p["gtm_tier"] == 1)])
    for x in tier2:  # a current distributor can supply every tier-2 prospect
        suppliers = set(sup.loc[sup["reseller_id"] == x, "distributor_id"])
        assert suppliers & current_d, x
        assert all(p.loc[d, "gtm_tier"] == 1 for d in suppliers)
    for d in pros[p.loc[pros, "gtm_tier"] == 1]:
        assert (sup["distributor_id"] == d).any(), d
    # ISVs buy from industry distributors, cloud and service providers from regional ones.
    kinds = sup.assign(t=sup["reseller_id"].map(p["type"]), d=sup["distributor_id"].str[0])
    assert set(kinds.loc[kinds["t"] == "isv", "d"]) <= {"I", "N"}
    assert set(kinds.loc[kinds["t"].isin(["csp", "msp"]), "d"]) <= {"D", "N"}


def test_account_granularity_with_prospects() -> None:
    ch = generate_channel(seed=5, scale=0.3, granularity="account", accounts=2000, prospects=20)
    p = ch.partners.set_index("id")
    s = ch.segments.set_index("id")
    pros = p.index[p["status"] == "prospect"]
    cov = ch.coverage.astype(str)
    cov = cov[cov["partner_id"].isin(pros)]
    assert len(cov) > 0
    for pid, sid in zip(cov["partner_id"], cov["segment_id"], strict=True):
        row, seg = p.loc[pid], s.loc[sid]
        for attr, col in (("region", "regions"), ("industry", "industries"), ("size", "sizes")):
            assert row[col] == "*" or seg[attr] in row[col].split(";"), (pid, sid)


def test_written_plan_scenario_loads_and_solves(tmp_path: Path) -> None:
    ch = generate_channel(seed=11, scale=0.3, accounts=1000, named=50, prospects=30)
    path = write_scenario(ch, tmp_path / "plan", name="Plan", model=str(MODEL))
    scenario = load_scenario(path)
    prog = scenario.programme
    assert prog is not None and prog.tier_names == ("registered", "silver", "gold")
    assert prog.max_exits and prog.max_recruits and prog.keep_named_accounts
    assert [t.max_share for t in prog.tiers] == [None, 0.2, 0.1]
    assert [t.multiplier for t in prog.tiers] == [0.85, 1.0, 1.15]
    assert scenario.constraints.max_partners_per_segment is None
    assert scenario.budget.total == ch.budget_total
    result = solve(scenario, time_limit=2)
    assert result.feasible and result.plan is not None and result.plan_summary is not None
    actions = {k for k, v in result.plan_summary["actions"].items() if v}
    assert {"keep", "exit", "recruit", "stay out"} <= actions
    assert actions & {"promote", "demote"}
    assert len(actions) >= 5
