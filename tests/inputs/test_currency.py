"""The scenario's optional ``currency``: an ISO 4217 code, or an error naming the file
and the setting."""

from __future__ import annotations

import pytest

from selector.inputs.scenario import load_scenario


def test_currency_is_optional(make_scenario):
    assert load_scenario(make_scenario()).currency is None


@pytest.mark.parametrize(("given", "kept"), [("CNY", "CNY"), ("usd", "USD"), (" EUR ", "EUR")])
def test_currency_is_read_as_its_iso_code(make_scenario, given, kept):
    scenario = load_scenario(make_scenario(settings={"currency": given}))
    assert scenario.currency == kept
    # A what-if keeps it, and may change it.
    assert scenario.with_changes({"budget": {"total": 1}}).currency == kept
    assert scenario.with_changes({"currency": "GBP"}).currency == "GBP"


@pytest.mark.parametrize("bad", ["RMB", "EURO", "€", "", 978, True])
def test_a_bad_currency_names_the_file_and_the_setting(make_scenario, expect_error, bad):
    path = make_scenario(settings={"currency": bad})
    expect_error(load_scenario, path, file=path,
                 contains=["currency is", "three-letter ISO 4217 code"])
