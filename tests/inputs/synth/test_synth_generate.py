"""Tests for selector.inputs.synth: shape, rules and reproducibility of the generated channel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selector.errors import ScenarioError
from selector.inputs.synth import SyntheticChannel, generate_channel

REGIONS = ("North", "Northeast", "East", "South", "Central", "Southwest", "Northwest")
INDUSTRIES = (
    "government", "finance", "telecom", "energy", "manufacturing",
    "education", "healthcare", "retail", "transport", "tax",
)  # fmt: skip
SIZES = ("enterprise", "midmarket", "smb")
CRITERIA = (
    "market_alignment", "value_complement", "culture_fit", "sales_headcount",
    "certified_engineers", "solution_skill", "service_level", "credit_rating",
    "overdue_ratio", "annual_revenue", "vendor_share", "dedicated_staff",
    "target_attainment", "satisfaction", "compliance_incidents", "market_share",
)  # fmt: skip
PARTNER_COLUMNS = (
    "id", "name", "type", "gtm_tier", "cost", "regions", "industries", "sizes",
    *CRITERIA, "importance_to_partner",
)  # fmt: skip
SEGMENT_COLUMNS = (
    "id", "region", "industry", "size", "value", "named", "min_partners", "max_partners",
)  # fmt: skip
TABLES = ("partners", "segments", "coverage", "supply")


@pytest.fixture(scope="module")
def vendor() -> SyntheticChannel:
    """The vendor-shape channel without prospects (the shape tests below)."""
    return generate_channel(seed=2027, prospects=0)


@pytest.fixture(scope="module")
def small_accounts() -> SyntheticChannel:
    return generate_channel(seed=5, scale=0.3, granularity="account", accounts=2000, prospects=0)


def members(cell: str, universe: tuple[str, ...]) -> set[str]:
    return set(universe) if cell == "*" else set(cell.split(";"))


def territory(partners: pd.DataFrame) -> dict[str, tuple[set[str], set[str], set[str]]]:
    return {
        pid: (members(r, REGIONS), members(i, INDUSTRIES), members(s, SIZES))
        for pid, r, i, s in zip(
            partners["id"], partners["regions"], partners["industries"], partners["sizes"],
            strict=True,
        )
    }  # fmt: skip


def covered_by(channel: SyntheticChannel) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for p, s in zip(channel.coverage["partner_id"], channel.coverage["segment_id"], strict=True):
        out.setdefault(str(s), set()).add(str(p))
    return out


# --- reproducibility ----------------------------------------------------------------------


def test_same_seed_gives_identical_tables(vendor: SyntheticChannel) -> None:
    again = generate_channel(seed=2027, prospects=0)
    assert vendor.equals(again)
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(vendor, table), getattr(again, table))


def test_same_seed_gives_identical_account_tables(small_accounts: SyntheticChannel) -> None:
    again = generate_channel(seed=5, scale=0.3, granularity="account", accounts=2000, prospects=0)
    assert small_accounts.equals(again)


def test_different_seed_gives_different_tables(vendor: SyntheticChannel) -> None:
    other = generate_channel(seed=2028, prospects=0)
    assert not vendor.equals(other)
    assert not vendor.partners.equals(other.partners)
    assert not vendor.segments.equals(other.segments)
    assert not vendor.coverage.equals(other.coverage)


def test_partners_do_not_depend_on_granularity(vendor: SyntheticChannel) -> None:
    accounts = generate_channel(seed=2027, granularity="account", prospects=0)
    pd.testing.assert_frame_equal(vendor.partners, accounts.partners)
    pd.testing.assert_frame_equal(vendor.supply, accounts.supply)


# --- partners -------------------------------------------------------------------------------


def test_partner_counts_by_kind_type_and_tier(vendor: SyntheticChannel) -> None:
    p = vendor.partners
    assert tuple(p.columns) == PARTNER_COLUMNS
    assert p["id"].is_unique and p["id"].is_monotonic_increasing
    assert p["name"].is_unique
    kind = p["id"].str[0]
    counts = (
        p.assign(kind=kind).groupby(["kind", "type", "gtm_tier"]).size().to_dict()
    )  # fmt: skip
    assert counts[("D", "distributor", 1)] == 26
    assert counts[("I", "distributor", 1)] == 10
    assert counts[("R", "reseller", 2)] == 436
    assert counts[("P", "si", 2)] + counts[("P", "isv", 2)] == 132
    assert counts[("P", "si", 2)] > 0 and counts[("P", "isv", 2)] > 0
    assert len(counts) == 5
    assert len(p) == 604
    assert p["id"].str.fullmatch(r"D\d{3}|I\d{3}|P\d{3}|R\d{4}").all()


def test_scale_multiplies_partner_counts() -> None:
    ch = generate_channel(seed=1, scale=2.0, named=10, accounts=500, prospects=0)
    kinds = ch.partners["id"].str[0].value_counts().to_dict()
    assert kinds == {"D": 52, "I": 20, "P": 264, "R": 872}


def test_partner_territories_follow_the_channel_shape(vendor: SyntheticChannel) -> None:
    p = vendor.partners
    kind = p["id"].str[0]
    n_regions = p["regions"].map(lambda c: len(members(c, REGIONS)))
    n_industries = p["industries"].map(lambda c: len(members(c, INDUSTRIES)))
    d, i, r, q = (kind == "D"), (kind == "I"), (kind == "R"), (kind == "P")
    assert (n_regions[d] == 1).all() and (p.loc[d, "industries"] == "*").all()
    assert (p.loc[d, "sizes"] == "midmarket;smb").all()
    per_region = p.loc[d, "regions"].value_counts()
    assert set(per_region.index) == set(REGIONS)
    assert per_region["East"] > per_region["Northwest"]
    assert (p.loc[i, "regions"] == "*").all() and (n_industries[i] == 1).all()
    assert set(p.loc[i, "industries"]) == set(INDUSTRIES)
    assert (p.loc[i, "sizes"] == "enterprise;midmarket").all()
    assert n_regions[r].between(1, 2).all() and (n_regions[r] == 1).mean() > 0.7
    assert n_industries[r].between(2, 6).all()
    assert (
        p.loc[r, "sizes"].str.contains("smb") | p.loc[r, "sizes"].str.contains("midmarket")
    ).all()
    assert n_regions[q].between(1, 3).all() and n_industries[q].between(1, 2).all()
    assert p.loc[q, "sizes"].str.startswith("enterprise").all()


def test_criteria_ranges_and_types(vendor: SyntheticChannel) -> None:
    p = vendor.partners
    for col in ("market_alignment", "value_complement", "culture_fit", "solution_skill",
                "service_level", "credit_rating", "satisfaction"):  # fmt: skip
        assert p[col].dtype == np.int64 and p[col].between(1, 5).all(), col
    for col in (
        "sales_headcount",
        "certified_engineers",
        "dedicated_staff",
        "compliance_incidents",
    ):
        assert p[col].dtype == np.int64 and (p[col] >= 0).all(), col
    assert (p["sales_headcount"] >= 1).all()
    for col in ("overdue_ratio", "vendor_share", "market_share", "importance_to_partner"):
        assert p[col].between(0, 1).all(), col
    assert p["target_attainment"].between(0.3, 1.8).all()
    assert (p["annual_revenue"] > 0).all()
    for col in ("overdue_ratio", "annual_revenue", "vendor_share", "target_attainment",
                "market_share", "importance_to_partner"):  # fmt: skip
        assert (p[col] == p[col].round(3)).all(), col
    kind = p["id"].str[0]
    cost = p["cost"]
    assert cost.dtype == np.int64 and (cost > 0).all()
    assert cost[kind.isin(["D", "I"])].between(150_000, 600_000).all()
    assert cost[kind == "R"].between(15_000, 90_000).all()
    assert cost[kind == "P"].between(40_000, 200_000).all()


def test_criteria_correlate_through_quality(vendor: SyntheticChannel) -> None:
    p = vendor.partners
    corr = p[[*CRITERIA, "importance_to_partner", "cost"]].corr(method="spearman")
    assert corr.loc["vendor_share", "importance_to_partner"] > 0.5
    assert corr.loc["market_alignment", "satisfaction"] > 0.1
    assert corr.loc["credit_rating", "overdue_ratio"] < -0.1
    assert corr.loc["target_attainment", "compliance_incidents"] < -0.1
    resellers = p[p["id"].str[0] == "R"]
    assert resellers["cost"].corr(resellers["target_attainment"], method="spearman") > 0.1


# --- segments ---------------------------------------------------------------------------------


def test_segments_shape(vendor: SyntheticChannel) -> None:
    s = vendor.segments
    assert tuple(s.columns) == SEGMENT_COLUMNS
    assert len(s) == 510 and s["id"].is_unique
    cells, named = s[~s["named"]], s[s["named"]]
    assert len(cells) == 210 and len(named) == 300
    assert set(zip(cells["region"], cells["industry"], cells["size"], strict=True)) == {
        (r, i, z) for r in REGIONS for i in INDUSTRIES for z in SIZES
    }
    code = {"enterprise": "ent", "midmarket": "mid", "smb": "smb"}
    expected = "S-" + cells["region"] + "-" + cells["industry"] + "-" + cells["size"].map(code)
    assert (cells["id"] == expected).all()
    assert list(named["id"]) == [f"K{i:03d}" for i in range(1, 301)]
    assert (named["size"] == "enterprise").all()
    assert (s["value"] > 0).all() and s["value"].dtype == np.int64
    assert s["min_partners"].isna().all() and s["max_partners"].isna().all()


def test_segment_values_aggregate_the_customers(vendor: SyntheticChannel) -> None:
    accounts = generate_channel(seed=2027, granularity="account", prospects=0)
    a, s = accounts.segments, vendor.segments
    assert len(a) == 14_000 == vendor.accounts
    assert a["value"].sum() == s["value"].sum()
    others = a[~a["named"]]
    by_cell = others.groupby(["region", "industry", "size"])["value"].sum()
    cells = s[~s["named"]].set_index(["region", "industry", "size"])["value"]
    pd.testing.assert_series_equal(
        by_cell.sort_index(), cells.sort_index(), check_names=False
    )  # fmt: skip
    np.testing.assert_array_equal(a.loc[a["named"], "value"], s.loc[s["named"], "value"])


def test_value_split_follows_the_channel_volume(vendor: SyntheticChannel) -> None:
    s = vendor.segments
    total = s["value"].sum()
    enterprise = s.loc[s["size"] == "enterprise", "value"].sum() / total
    assert 0.58 < enterprise < 0.72  # 60 : 30 industry : commercial
    accounts = generate_channel(seed=2027, granularity="account", prospects=0).segments
    per_size = accounts.groupby("size")["value"].mean()
    assert per_size["enterprise"] > 3 * per_size["midmarket"] > 9 * per_size["smb"]


# --- coverage and supply ---------------------------------------------------------------------


def test_every_segment_covered_and_rows_sorted(vendor: SyntheticChannel) -> None:
    cov = vendor.coverage
    assert list(cov.columns) == ["partner_id", "segment_id"]
    assert set(cov["segment_id"].astype(str)) == set(vendor.segments["id"])
    assert not cov.duplicated().any()
    pairs = list(zip(cov["partner_id"].astype(str), cov["segment_id"].astype(str), strict=True))
    assert pairs == sorted(pairs)


def test_cell_coverage_is_the_attribute_rule(vendor: SyntheticChannel) -> None:
    terr = territory(vendor.partners)
    got = covered_by(vendor)
    cells = vendor.segments[~vendor.segments["named"]]
    for sid, r, i, z in zip(
        cells["id"], cells["region"], cells["industry"], cells["size"], strict=True
    ):
        want = {p for p, (rs, ins, ss) in terr.items() if r in rs and i in ins and z in ss}
        assert got[sid] == want, sid


def test_named_accounts_have_a_few_matching_partners(vendor: SyntheticChannel) -> None:
    terr = territory(vendor.partners)
    got = covered_by(vendor)
    named = vendor.segments[vendor.segments["named"]]
    with_distributor = 0
    for sid, r, i in zip(named["id"], named["region"], named["industry"], strict=True):
        partners = got[sid]
        assert 2 <= len(partners) <= 6, sid
        for p in partners:
            rs, ins, ss = terr[p]
            assert r in rs and i in ins and "enterprise" in ss, (sid, p)
        assert any(p.startswith("P") for p in partners), sid
        with_distributor += any(p[0] in "DI" for p in partners)
    assert 0 < with_distributor < len(named) / 2


def test_supply_links_follow_territories(vendor: SyntheticChannel) -> None:
    terr = territory(vendor.partners)
    sup = vendor.supply
    assert list(sup.columns) == ["distributor_id", "reseller_id"]
    assert not sup.duplicated().any()
    pairs = list(zip(sup["distributor_id"], sup["reseller_id"], strict=True))
    assert pairs == sorted(pairs)
    ids = vendor.partners["id"]
    tier1 = set(ids[vendor.partners["gtm_tier"] == 1])
    tier2 = set(ids[vendor.partners["gtm_tier"] == 2])
    assert set(sup["distributor_id"]) == tier1  # every distributor supplies someone
    assert set(sup["reseller_id"]) == tier2  # every tier-2 partner has a supplier
    per_partner = sup.groupby("reseller_id").size()
    for d, t in pairs:
        if t.startswith("R"):
            assert d.startswith("D") and terr[d][0] & terr[t][0], (d, t)
        else:
            assert d.startswith("I") and terr[d][1] & terr[t][1], (d, t)
    assert per_partner[per_partner.index.str.startswith("R")].between(1, 3).all()
    assert per_partner[per_partner.index.str.startswith("P")].between(1, 2).all()


def test_coverage_matrix_matches_the_table(vendor: SyntheticChannel) -> None:
    m = vendor.coverage_matrix()
    assert m.shape == (604, 510) and m.nnz == len(vendor.coverage)
    per_segment = np.asarray(m.sum(axis=0)).ravel()
    counts = vendor.coverage["segment_id"].astype(str).value_counts()
    np.testing.assert_array_equal(per_segment, counts[vendor.segments["id"]].to_numpy())


# --- account granularity ------------------------------------------------------------------


def test_account_granularity_shape(small_accounts: SyntheticChannel) -> None:
    ch = small_accounts
    kinds = ch.partners["id"].str[0].value_counts().to_dict()
    assert kinds == {"D": 8, "I": 10, "P": 40, "R": 131}
    s = ch.segments
    assert tuple(s.columns) == SEGMENT_COLUMNS
    assert list(s["id"]) == [f"A{i:05d}" for i in range(1, 2001)]
    assert s["named"].to_numpy()[:300].all() and not s["named"].to_numpy()[300:].any()
    assert (s.loc[s["named"], "size"] == "enterprise").all()
    assert (s["value"] > 0).all()


def test_account_coverage_is_sparse_within_territories(small_accounts: SyntheticChannel) -> None:
    ch = small_accounts
    terr = territory(ch.partners)
    got = covered_by(ch)
    s = ch.segments
    assert set(got) == set(s["id"])  # every account covered
    expected, drawn, possible = [], [], []
    for sid, r, i, z in zip(s["id"], s["region"], s["industry"], s["size"], strict=True):
        eligible = {p for p, (rs, ins, ss) in terr.items() if r in rs and i in ins and z in ss}
        assert got[sid] <= eligible, sid
        expected.append(min(30.0, 0.85 * len(eligible)))
        drawn.append(len(got[sid]))
        possible.append(len(eligible))
    assert np.mean(drawn) == pytest.approx(np.mean(expected), rel=0.1)
    assert np.sum(drawn) < 0.9 * np.sum(possible)  # a subset of the territory, not all of it


def test_account_coverage_density_at_benchmark_shape() -> None:
    ch = generate_channel(seed=3, granularity="account", prospects=0)
    per_account = len(ch.coverage) / len(ch.segments)
    assert 20 <= per_account <= 40
    assert ch.coverage["segment_id"].nunique() == 14_000


# --- options ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"scale": 0}, "scale"),
        ({"scale": float("nan")}, "scale"),
        ({"granularity": "cell"}, "granularity"),
        ({"accounts": 100, "named": 200}, "named"),
        ({"accounts": 400, "named": 300}, "segment granularity"),
        ({"seed": -1}, "seed"),
        ({"named": True}, "named"),
        ({"prospects": -1}, "prospects"),
        ({"prospects": 2.5}, "prospects"),
    ],
)
def test_bad_options_are_rejected(options: dict[str, object], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        generate_channel(**options)  # type: ignore[arg-type]
