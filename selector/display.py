"""How amounts and counts read to people: one place for every page, command and export.

Money is written in the scenario's currency (``Scenario.currency``, an ISO 4217 code,
or none) and in one of two ways:

* :func:`money` is exact, to the unit: ``"CNY 44,690,750"``. Tables, the command line
  and any figure that stands alone use it, so a slack of 49,250 is never rounded away.
* :func:`money_compact` is short: ``"CNY 44.7 M"``. Only where the exact figure sits
  beside it (a caption next to an input, an axis, a tooltip's companion).

A missing or infinite amount is ``"unlimited"`` (a budget with no cap). Counts carry
their noun in the right number: :func:`plural` gives ``"1 change"`` and ``"3 changes"``,
never ``"change(s)"``.

>>> money(44_690_750, "CNY"), money_compact(44_690_750, "CNY")
('CNY 44,690,750', 'CNY 44.7 M')
>>> money(896_400.4), money_compact(896_400.4), money(None)
('896,400', '896 k', 'unlimited')
>>> plural(1, "change"), plural(3, "change"), plural(2, "company", "companies")
('1 change', '3 changes', '2 companies')
>>> money_header("Cost", "EUR"), money_header("Cost", None)
('Cost (EUR)', 'Cost')
"""

from __future__ import annotations

import math

__all__ = ["UNLIMITED", "money", "money_compact", "money_header", "plural", "signed_money"]

UNLIMITED = "unlimited"


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(float(x))


def _with_code(text: str, currency: str | None) -> str:
    return f"{currency} {text}" if currency else text


def money(x: float | None, currency: str | None = None) -> str:
    """The exact amount to the unit, with the currency code in front when there is one."""
    if x is None or not _finite(x):
        return UNLIMITED
    value = round(float(x))
    text = f"{abs(value):,}"
    return ("-" if value < 0 else "") + _with_code(text, currency)


def signed_money(x: float, currency: str | None = None) -> str:
    """An exact change of amount: ``"+CNY 1,200"``, ``"-CNY 300"``, ``"CNY 0"``."""
    value = round(float(x))
    sign = "+" if value > 0 else "-" if value < 0 else ""
    return sign + _with_code(f"{abs(value):,}", currency)


def money_compact(x: float | None, currency: str | None = None) -> str:
    """The amount to three significant figures with k / M / bn (shown beside the exact one)."""
    if x is None or not _finite(x):
        return UNLIMITED
    value = float(x)
    size = abs(value)
    for step, unit in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if size >= step * 0.9995:
            scaled = value / step
            digits = 0 if abs(scaled) >= 99.95 else 1 if abs(scaled) >= 9.995 else 2
            text = f"{scaled:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{scaled:,.0f}"
            return _with_code(f"{text} {unit}", currency)
    return _with_code(f"{value:,.0f}", currency)


def money_header(label: str, currency: str | None) -> str:
    """A money column's heading: ``"Cost (CNY)"`` (just ``label`` without a currency)."""
    return f"{label} ({currency})" if currency else label


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and its noun: ``1 partner``, ``2 partners`` (``many``: an irregular plural)."""
    noun = word if n == 1 else (many if many is not None else f"{word}s")
    return f"{n:,} {noun}"
