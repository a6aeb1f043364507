"""Scenario settings: constraints naming partners, and bad [budget], [objective],
[constraints], [tiers], [positioning] or [solve] values named with what is accepted."""

from __future__ import annotations

import pytest
from conftest import TEACHING_TOML, teaching_settings

from selector.inputs.scenario import load_scenario

# --- constraints naming partners -----------------------------------------------------------


@pytest.mark.parametrize("key", ["must_include", "must_exclude"])
def test_unknown_partner_in_include_exclude(make_scenario, expect_error, key):
    path = make_scenario(settings={"constraints": {key: ["R01", "P999"]}})
    expect_error(load_scenario, path, file=path,
                 contains=[f"constraints.{key}", "'P999' is not a partner id"])


def test_unknown_partner_in_conflicts(make_scenario, expect_error):
    path = make_scenario(settings={"constraints": {"conflicts": [["R02", "R10"], ["R01", "X1"]]}})
    expect_error(load_scenario, path, file=path,
                 contains=["constraints.conflicts pair 2", "'X1' is not a partner id"])


def test_partner_both_included_and_excluded(make_scenario, expect_error):
    path = make_scenario(settings={"constraints": {"must_include": ["R01", "R03"],
                                                   "must_exclude": ["R03"]}})
    expect_error(load_scenario, path, file=path,
                 contains=["R03 both in must_include and must_exclude"])


@pytest.mark.parametrize("pair", [["R02", "R02"], ["R01", "R02", "R03"], ["R01"]])
def test_conflict_pair_must_be_two_different_ids(make_scenario, expect_error, pair):
    path = make_scenario(settings={"constraints": {"conflicts": [pair]}})
    expect_error(load_scenario, path, file=path,
                 contains=["constraints.conflicts pair 1", repr(pair), "two different partner ids"])


def test_include_and_exclude_loaded(make_scenario):
    s = load_scenario(make_scenario(settings={"constraints": {
        "must_include": ["D01"], "must_exclude": ["R10"], "type_mix": {"si": {"min": 1, "max": 3}},
        "min_partners": {"named": 2, "default": 1}}}))
    assert s.constraints.must_include == ("D01",)
    assert s.constraints.must_exclude == ("R10",)
    assert s.constraints.type_mix == (("si", 1, 3),)
    assert s.constraints.min_partners_named == 2
    assert s.constraints.min_partners_default == 1


# --- settings errors -----------------------------------------------------------------------


def test_unknown_top_level_key(make_scenario, expect_error):
    path = make_scenario(settings={"budgt": {"total": 5}})
    expect_error(load_scenario, path, file=path,
                 contains=["unknown setting(s) budgt", "accepted:", "budget", "constraints"])


def test_unknown_constraints_key(make_scenario, expect_error):
    path = make_scenario(settings={"constraints": {"max_partners": 2}})
    expect_error(load_scenario, path, file=path,
                 contains=["constraints: unknown key(s) max_partners", "max_partners_per_segment"])


def test_bad_objective_kind(make_scenario, expect_error):
    path = make_scenario(settings={"objective": {"kind": "profit"}})
    expect_error(load_scenario, path, file=path,
                 contains=["objective.kind is 'profit'", "weighted_coverage, coverage, min_cost"])


@pytest.mark.parametrize(
    ("key", "fragments"),
    [("colour:red", ["budget pool 'colour:red'", "FIELD:VALUE", "region, industry, size, type, tier"]),
     ("East", ["budget pool 'East'", "FIELD:VALUE"]),
     ("region:", ["budget pool 'region:'"]),
     ("region:Mars", ["no partner has region 'Mars'", "accepted: East, North, South"]),
     ("type:wholesaler", ["no partner has type 'wholesaler'", "distributor"]),
     ("tier:3", ["no partner has tier '3'", "accepted: 1, 2"])],
)
def test_bad_budget_pool_key(make_scenario, expect_error, key, fragments):
    path = make_scenario(settings={"budget": {"pools": {key: 1000}}})
    expect_error(load_scenario, path, file=path, contains=fragments)


@pytest.mark.parametrize(
    ("budget", "fragment"),
    [({"total": -1}, "budget.total is -1"), ({"total": "lots"}, "budget.total is 'lots'"),
     ({"pools": {"type:si": -5}}, "budget pool 'type:si' is -5"),
     ({"limit": 5}, "budget: unknown key(s) limit")],
)
def test_bad_budget_values(make_scenario, expect_error, budget, fragment):
    path = make_scenario(settings={"budget": budget})
    expect_error(load_scenario, path, file=path, contains=[fragment])


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [("total = nan", "budget.total is nan"), ("total = inf", "budget.total is inf"),
     ('pools = { "type:si" = nan }', "budget pool 'type:si' is nan")],
)
def test_budget_must_be_finite(make_scenario, expect_error, extra, fragment):
    # TOML has nan and inf literals; a nan budget would pass "< 0" checks unnoticed
    path = make_scenario(drop=["budget"], toml_extra=f"[budget]\n{extra}\n")
    expect_error(load_scenario, path, file=path, contains=[fragment, "accepted: a number >= 0"])


@pytest.mark.parametrize(
    ("constraints", "fragment"),
    [({"max_partners_per_segment": 0}, "max_partners_per_segment is 0"),
     ({"max_partners_per_segment": 1.5}, "max_partners_per_segment is 1.5"),
     ({"min_partners": {"named": -1}}, "min_partners.named is -1"),
     ({"min_partners": {"every": 1}}, "min_partners accepts"),
     ({"type_mix": {"vad": {"min": 1}}}, "no partner has type 'vad'"),
     ({"type_mix": {"si": {"min": 3, "max": 1}}}, "min 3 is above max 1"),
     ({"tier2_needs_distributor": "yes"}, "tier2_needs_distributor must be true or false"),
     ({"must_include": "R01"}, "must_include must be a list")],
)
def test_bad_constraint_values(teaching, expect_error, constraints, fragment):
    # checked as a what-if of the teaching scenario: the same checks, no tables re-read
    expect_error(teaching.with_changes, {"constraints": constraints},
                 file=TEACHING_TOML, contains=[fragment])


@pytest.mark.parametrize(
    ("section", "fragment"),
    [({"tiers": {"gold": 0.5, "silver": 0.3}}, "gold <= silver"),
     ({"tiers": {"exclude_exit": "no"}}, "tiers.exclude_exit is 'no'"),
     ({"tiers": {"platinum": 0.01}}, "[tiers] accepts"),
     ({"solve": {"solver": "gurobi"}}, "solve.solver is 'gurobi'; accepted: highs, cbc"),
     ({"solve": {"time_limit": 0}}, "solve.time_limit is 0"),
     ({"positioning": {"importance_to_partner": "nope"}}, "names column 'nope'"),
     ({"positioning": {"importance_to_partner": "name"}}, "names column 'name'"),
     ({"name": 5}, "'name' must be text")],
)
def test_bad_other_settings(teaching, expect_error, section, fragment):
    expect_error(teaching.with_changes, section, file=TEACHING_TOML, contains=[fragment])


@pytest.mark.parametrize("section", [{"tiers": {"gold": 0.5, "silver": 0.3}}, {"partners": 5}])
def test_bad_settings_in_the_file(make_scenario, expect_error, section):
    path = make_scenario(settings=section)
    expect_error(load_scenario, path, file=path, contains=["accepted" if "tiers" in section
                                                           else "'partners' must be a file path"])


def test_settings_are_read(make_scenario):
    s = load_scenario(make_scenario(settings={
        "tiers": {"gold": 0.2, "silver": 0.5, "exit": 0.2, "exclude_exit": True},
        "solve": {"solver": "cbc", "time_limit": 5, "gap": 0.01},
        "budget": {"pools": {"region:East": 300_000}}}))
    assert s.tiers.gold == 0.2 and s.tiers.exclude_exit is True
    assert dict(s.solve_options) == {"solver": "cbc", "time_limit": 5.0, "gap": 0.01}
    assert s.budget.pools[-1] == ("region:East", 300_000.0)
    assert s.budget.pools[:-1] == tuple(
        (k, float(v)) for k, v in teaching_settings()["budget"]["pools"].items())


def test_name_defaults_to_file_stem(make_scenario):
    s = load_scenario(make_scenario(drop=["name"]))
    assert s.name == "scenario"


def test_unknown_objective_key_is_refused(make_scenario, expect_error):
    # issue 16: a typo such as kid = "min_cost" quietly solved weighted_coverage
    path = make_scenario(settings={"objective": {"kid": "min_cost"}})
    expect_error(load_scenario, path, file=path, contains=["objective: unknown key(s) kid", "accepted: kind"])


# --- numbers beyond what a float or a count can hold are one clear line ----------------


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"budget": {"total": 10**400}}, "budget.total is 100000000000..."),
        ({"budget": {"pools": {"type:si": 10**400}}}, "budget pool 'type:si'"),
        ({"constraints": {"conflict_shared_value": 1e15}}, "from 0 to 1e+12"),
        ({"constraints": {"max_partners_per_segment": 10**400}}, "from 0 to 1,000,000,000"),
        ({"constraints": {"min_partners": {"named": 2**70}}}, "constraints.min_partners.named"),
        ({"constraints": {"type_mix": {"si": {"max": 10**400}}}}, "constraints.type_mix.si.max"),
        ({"solve": {"node_limit": 10**400}}, "solve.node_limit"),
        ({"solve": {"time_limit": 10**400}}, "solve.time_limit"),
    ],
)
def test_huge_numbers_in_settings_are_refused(make_scenario, expect_error, settings, fragment):
    path = make_scenario(settings=settings)
    expect_error(load_scenario, path, file=path, contains=[fragment])
