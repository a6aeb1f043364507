"""Tests for selector/display.py: one way to write money and counts."""

from __future__ import annotations

import math

import pytest

from selector.display import money, money_compact, money_header, plural, signed_money


@pytest.mark.parametrize(
    ("amount", "exact", "compact"),
    [
        (44_690_750, "44,690,750", "44.7 M"),
        (44_740_000, "44,740,000", "44.7 M"),
        (896_400, "896,400", "896 k"),
        (49_260, "49,260", "49.3 k"),
        (999_600, "999,600", "1 M"),
        (12.4, "12", "12"),
        (0, "0", "0"),
        (-45_200, "-45,200", "-45.2 k"),
        (1.5e9, "1,500,000,000", "1.5 bn"),
    ],
)
def test_money_exact_and_compact(amount, exact, compact) -> None:
    assert money(amount) == exact
    assert money_compact(amount) == compact
    assert money(amount, "CNY") == (f"-CNY {exact[1:]}" if amount < 0 else f"CNY {exact}")
    assert money_compact(amount, "EUR") == f"EUR {compact}"


def test_no_amount_is_unlimited() -> None:
    assert money(None) == money(math.inf) == money_compact(None) == "unlimited"


def test_exact_money_keeps_the_slack_the_compact_one_hides() -> None:
    cost, budget = 44_690_750, 44_740_000
    assert money_compact(cost) == money_compact(budget)
    assert money(cost) != money(budget)
    assert money(budget - cost) == "49,250"


def test_signed_money_and_headers() -> None:
    assert signed_money(1200, "USD") == "+USD 1,200"
    assert signed_money(-300) == "-300" and signed_money(0) == "0"
    assert money_header("Cost", "CNY") == "Cost (CNY)" and money_header("Cost", None) == "Cost"


def test_plurals_in_words() -> None:
    assert plural(1, "change") == "1 change"
    assert plural(0, "change") == "0 changes"
    assert plural(3, "change") == "3 changes"
    assert plural(1_200, "partner") == "1,200 partners"
    assert plural(2, "company", "companies") == "2 companies"
