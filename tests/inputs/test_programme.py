"""Bad input for plans from today's channel (selector/inputs/programme.py).

Every mistake in the partner table's channel columns (status, tier, recruit_cost,
exit_cost) must give a ScenarioError naming the file, the spreadsheet row and the column;
every mistake in the ``[programme]`` table one naming the scenario file and the key.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from conftest import TEACHING_DATA

from selector import load_scenario

PROGRAMME: dict[str, Any] = {
    "tiers": ["registered", "silver", "gold"],
    "registered": {"cost": {"share": 1.0}, "multiplier": 0.9},
    "silver": {"cost": {"fixed": 10_000, "share": 1.1}, "multiplier": 1.0},
    "gold": {"cost": {"fixed": 20_000, "share": 1.2}, "multiplier": 1.2, "max_share": 0.3},
}


def plan_partners() -> pd.DataFrame:
    """The teaching plan's partner table as text cells (D01 is data row 0: sheet row 2)."""
    return pd.read_csv(TEACHING_DATA / "partners-plan.csv", dtype=str, keep_default_na=False)


def set_cell(frame: pd.DataFrame, row_id: str, column: str, value: str) -> pd.DataFrame:
    out = frame.copy()
    out.loc[out["id"] == row_id, column] = value
    return out


def row_of(frame: pd.DataFrame, row_id: str) -> int:
    return int(frame.index[frame["id"] == row_id][0]) + 2


def with_programme(**over: Any) -> dict[str, Any]:
    prog = {k: (dict(v) if isinstance(v, dict) else v) for k, v in PROGRAMME.items()}
    prog.update(over)
    return {"programme": prog, "budget": {"total": 900_000, "pools": {}}}


def test_the_base_case_loads(make_scenario: Any) -> None:
    path = make_scenario(partners=plan_partners(), settings=with_programme())
    s = load_scenario(path)
    assert s.programme is not None and s.programme.tier_names == ("registered", "silver", "gold")
    assert set(s.partners["status"]) == {"current", "prospect"}


# --- the partner table ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("row_id", "column", "value", "contains"),
    [
        ("R02", "tier", "platinum", ["'platinum'", "registered, silver, gold"]),
        ("R03", "tier", "Gold ", ["'Gold'"]),  # names are case-sensitive
        ("R04", "tier", "", ["current partner", "tier"]),
        ("R06", "tier", "silver", ["prospect", "'silver'"]),
        ("R05", "status", "active", ["'active'", "current", "prospect"]),
        ("R05", "status", "", ["empty"]),
        ("R06", "recruit_cost", "-5", ["-5"]),
        ("R01", "exit_cost", "-1000", ["-1000"]),
        ("R01", "exit_cost", "lots", ["lots"]),
    ],
)
def test_bad_channel_cell(
    make_scenario: Any, expect_error: Any, row_id: str, column: str, value: str,
    contains: list[str],
) -> None:
    frame = set_cell(plan_partners(), row_id, column, value)
    path = make_scenario(partners=frame, settings=with_programme())
    expect_error(
        load_scenario, path, file="partners.csv", row=row_of(frame, row_id), column=column,
        contains=contains,
    )


def test_unknown_status_without_programme(make_scenario: Any, expect_error: Any) -> None:
    frame = set_cell(plan_partners(), "R07", "status", "former")
    path = make_scenario(partners=frame, settings={"budget": {"total": 900_000, "pools": {}}})
    expect_error(load_scenario, path, file="partners.csv", row=row_of(frame, "R07"),
                 column="status", contains=["'former'"])


def test_prospect_with_tier_without_programme(make_scenario: Any, expect_error: Any) -> None:
    """Without [programme] a prospect still has no tier today."""
    frame = set_cell(plan_partners(), "R09", "tier", "gold")
    path = make_scenario(partners=frame, settings={"budget": {"total": 900_000, "pools": {}}})
    expect_error(load_scenario, path, file="partners.csv", row=row_of(frame, "R09"),
                 column="tier", contains=["prospect"])


def test_negative_value_in_a_tier_cost_column(make_scenario: Any, expect_error: Any) -> None:
    frame = plan_partners()
    frame["gold_cost"] = "100000"
    frame = set_cell(frame, "R08", "gold_cost", "-3")
    prog = with_programme()
    prog["programme"]["gold"] = {"cost": {"column": "gold_cost"}, "max_share": 0.3}
    path = make_scenario(partners=frame, settings=prog)
    expect_error(load_scenario, path, file="partners.csv", row=row_of(frame, "R08"),
                 column="gold_cost", contains=["gold"])


def test_missing_value_in_a_tier_cost_column(make_scenario: Any, expect_error: Any) -> None:
    frame = plan_partners()
    frame["gold_cost"] = "100000"
    frame = set_cell(frame, "D02", "gold_cost", "")
    prog = with_programme()
    prog["programme"]["gold"] = {"cost": {"column": "gold_cost"}, "max_share": 0.3}
    path = make_scenario(partners=frame, settings=prog)
    expect_error(load_scenario, path, file="partners.csv", row=row_of(frame, "D02"),
                 column="gold_cost")


# --- the [programme] table -----------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "contains"),
    [
        ({"colour": "blue"}, ["colour", "[programme]"]),
        ({"platinum": {"multiplier": 2.0}}, ["platinum", "[programme]"]),  # not in tiers
        ({"silver": {"cost": {"share": 1.0}, "quota": 3}}, ["quota", "programme.silver"]),
        ({"silver": {"cost": {"fixed": 1, "price": 2}}}, ["programme.silver.cost"]),
        ({"silver": {"cost": {"column": "gold_cost", "share": 1}}}, ["programme.silver.cost"]),
        ({"silver": {"cost": {"column": "no_such"}}}, ["no_such", "programme.silver.cost.column"]),
        ({"silver": {"cost": {"fixed": -10}}}, ["programme.silver.cost.fixed", "-10"]),
        ({"silver": {"cost": {"share": -0.5}}}, ["programme.silver.cost.share", "-0.5"]),
        ({"silver": {"multiplier": -1}}, ["programme.silver.multiplier"]),
        ({"gold": {"max_share": 1.5}}, ["programme.gold.max_share", "1.5"]),
        ({"gold": {"max_count": -1}}, ["programme.gold.max_count"]),
        ({"gold": {"max_count": 1.5}}, ["programme.gold.max_count"]),
        ({"tiers": []}, ["programme.tiers"]),
        ({"tiers": "gold"}, ["programme.tiers"]),
        ({"tiers": ["registered", "silver", "silver"]}, ["programme.tiers", "twice"]),
        ({"max_exits": -1}, ["programme.max_exits"]),
        ({"max_recruits": 2.5}, ["programme.max_recruits"]),
        ({"max_exits": True}, ["programme.max_exits"]),
        ({"keep_named_accounts": "yes"}, ["programme.keep_named_accounts"]),
        ({"exit_band": "drop"}, ["programme.exit_band", "flag", "force"]),
        ({"stability": "most"}, ["programme.stability", "fewest_changes"]),
    ],
)
def test_bad_programme_key(
    make_scenario: Any, expect_error: Any, over: dict[str, Any], contains: list[str]
) -> None:
    settings = with_programme(**over)
    path = make_scenario(partners=plan_partners(), settings=settings)
    expect_error(load_scenario, path, file=path, contains=contains)


@pytest.mark.parametrize(
    "shares",
    [
        {"registered": 0.5, "silver": 0.3, "gold": 0.1},
        {"registered": 0.0, "silver": 0.0, "gold": 0.0},
        {"registered": 0.6, "silver": 0.3, "gold": 0.09},
    ],
)
def test_quotas_that_cannot_hold(make_scenario: Any, expect_error: Any, shares: dict[str, float]) -> None:
    settings = with_programme()
    for tier, share in shares.items():
        settings["programme"][tier] = {**settings["programme"][tier], "max_share": share}
    path = make_scenario(partners=plan_partners(), settings=settings)
    expect_error(load_scenario, path, file=path, contains=["max_share", "quotas cannot hold"])


def test_quotas_adding_up_to_one_load(make_scenario: Any) -> None:
    settings = with_programme()
    for tier, share in {"registered": 0.5, "silver": 0.3, "gold": 0.2}.items():
        settings["programme"][tier] = {**settings["programme"][tier], "max_share": share}
    path = make_scenario(partners=plan_partners(), settings=settings)
    assert load_scenario(path).programme is not None


def test_programme_that_is_not_a_table(make_scenario: Any, expect_error: Any) -> None:
    path = make_scenario(
        partners=plan_partners(), settings={"budget": {"pools": {}}},
        toml_extra='programme = "gold"',
    )
    expect_error(load_scenario, path, file=path, contains=["programme"])


def test_what_if_with_a_bad_programme_key(make_scenario: Any, expect_error: Any) -> None:
    s = load_scenario(make_scenario(partners=plan_partners(), settings=with_programme()))
    expect_error(s.with_changes, {"programme": {"max_exit": 3}}, contains=["max_exit", "[programme]"])
    expect_error(s.with_changes, {"programme": {"gold": {"max_share": -0.1}}},
                 contains=["programme.gold.max_share"])


# --- bounds: every amount and count is refused beyond what a channel could hold ------


@pytest.mark.parametrize(
    ("row_id", "column", "value", "says"),
    [("D01", "exit_cost", "1e15", "is above 1e+12"),
     ("R06", "recruit_cost", "1e15", "is above 1e+12"),
     ("D01", "exit_cost", "1" + "0" * 400, "infinite or too large; accepted: a number from 0 to 1e+12")],
)
def test_one_off_costs_are_bounded(
    make_scenario: Any, expect_error: Any, row_id: str, column: str, value: str, says: str
) -> None:
    frame = set_cell(plan_partners(), row_id, column, value)
    path = make_scenario(partners=frame, settings=with_programme())
    expect_error(load_scenario, path, file="partners.csv", row=row_of(frame, row_id),
                 column=column, contains=[says])


@pytest.mark.parametrize(
    ("over", "contains"),
    [
        ({"gold": {"cost": {"fixed": 1e15}}}, ["programme.gold.cost.fixed is 1e+15", "1e+12"]),
        ({"gold": {"cost": {"fixed": 1.7e308}}}, ["programme.gold.cost.fixed is 1.7e+308"]),
        ({"gold": {"cost": {"fixed": 10**400}}}, ["programme.gold.cost.fixed", "401 digits"]),
        ({"gold": {"cost": {"share": 1e6}}}, ["programme.gold.cost.share", "1000"]),
        ({"gold": {"multiplier": 1e300}}, ["programme.gold.multiplier"]),
        ({"max_exits": 10**400}, ["programme.max_exits", "401 digits", "1,000,000,000"]),
        ({"gold": {"max_count": 2**64}}, ["programme.gold.max_count", "1,000,000,000"]),
    ],
)
def test_programme_numbers_are_bounded(
    make_scenario: Any, expect_error: Any, over: dict[str, Any], contains: list[str]
) -> None:
    path = make_scenario(partners=plan_partners(), settings=with_programme(**over))
    expect_error(load_scenario, path, file=path, contains=contains)


def test_a_tier_cost_above_the_bound_names_the_partner(make_scenario: Any, expect_error: Any) -> None:
    frame = set_cell(plan_partners(), "D02", "cost", "9e11")
    path = make_scenario(partners=frame, settings=with_programme(
        gold={"cost": {"fixed": 5e11, "share": 1.0}}))
    expect_error(load_scenario, path, file="partners.csv", row=row_of(frame, "D02"),
                 column="cost", contains=["programme tier gold", "1,400,000,000,000"])
    frame = plan_partners()
    frame["gold_cost"] = "100000"
    frame = set_cell(frame, "R08", "gold_cost", "5e12")
    prog = with_programme()
    prog["programme"]["gold"] = {"cost": {"column": "gold_cost"}, "max_share": 0.3}
    path = make_scenario(partners=frame, settings=prog)
    expect_error(load_scenario, path, file="partners.csv", row=row_of(frame, "R08"),
                 column="gold_cost", contains=["from 0 to 1e+12"])


def test_a_tier_without_a_status_column_says_the_status_is_missing(
    make_scenario: Any, expect_error: Any
) -> None:
    frame = plan_partners().drop(columns=["status"])
    path = make_scenario(partners=frame, settings=with_programme())
    msg = expect_error(load_scenario, path, file="partners.csv", row=2, column="status")
    assert "no status column" in msg and "add a status column" in msg
