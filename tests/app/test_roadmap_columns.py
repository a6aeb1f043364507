"""The partners-by-year table of a roadmap fits the page at 1,400 px for every horizon
(selector/app/roadmap_view.py)."""

from __future__ import annotations

import pytest

from selector.app.roadmap_view import PARTNER_TABLE_WIDTH, partner_year_config


@pytest.mark.parametrize("years", [1, 2, 3, 4, 5])
def test_every_year_of_the_partner_table_fits_the_page(years: int) -> None:
    config = partner_year_config([f"year {t}" for t in range(1, years + 1)])
    shown = {k: v for k, v in config.items() if v is not None}
    assert [f"year {t}" for t in range(1, years + 1)] == [k for k in shown if k.startswith("year ")]
    assert sum(int(v["width"]) for v in shown.values()) <= PARTNER_TABLE_WIDTH
    # the reason is a column up to three years; beyond, it is read by clicking a row
    assert ("reason" in shown) == (years <= 3)
