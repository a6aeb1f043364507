"""The scenario's ``currency``: an ISO 4217 code every page, export and command names.

``currency = "CNY"`` at the top of a scenario file says what its budget and costs are
counted in. It is optional: without it amounts are shown as plain numbers.

>>> read_currency({"currency": "cny"}, "s.toml")
'CNY'
>>> read_currency({}, "s.toml") is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selector.errors import ScenarioError

__all__ = ["ISO_4217", "read_currency"]

#: Active ISO 4217 currency codes (funds and precious metals left out).
ISO_4217 = frozenset(
    {
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD",
        "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN",
        "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF",
        "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
        "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
        "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW",
        "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA",
        "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD",
        "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN",
        "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD",
        "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT",
        "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VES",
        "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
    }
)


def read_currency(config: Mapping[str, Any], file: str) -> str | None:
    """The scenario's ``currency`` setting, upper-cased, or None when it is not given.

    Raises
    ------
    ScenarioError
        The value is not a three-letter ISO 4217 code; the message names the file and
        the setting, what was found and what is accepted.
    """
    raw = config.get("currency")
    if raw is None:
        return None
    code = raw.strip().upper() if isinstance(raw, str) else None
    if code is None or code not in ISO_4217:
        hint = (
            f"{raw!r} is not a currency code"
            if not isinstance(raw, str) or len(raw.strip()) != 3
            else f"{raw!r} is not an ISO 4217 code"
        )
        raise ScenarioError(
            f"currency is {raw!r}: {hint}; accepted: a three-letter ISO 4217 code such as "
            '"CNY", "USD" or "EUR"',
            file=file,
        )
    return code
