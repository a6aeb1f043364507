"""Consistency of judgments: random index tables, CI, CR and GCI.

Holds the published random consistency indices (:data:`RI_TABLES`) and
:func:`random_index` to read them, the consistency index and ratio
``CI = (lambda_max - n) / (n - 1)``, ``CR = CI / RI``, and the geometric consistency
index with its thresholds (:data:`GCI_THRESHOLDS`).

Sources
-------
* CI, CR, Saaty's RI 1980: T. L. Saaty, *The Analytic Hierarchy Process*, McGraw-Hill,
  1980.
* RI tables: see :data:`RI_TABLES` (each table names its source next to its values).
* GCI: J. Aguarón, J. M. Moreno-Jiménez, "The geometric consistency index: approximated
  thresholds", *EJOR* 147(1), 2003, 137-145.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from selector.ahp.messages import MSG_BAD_THRESHOLD, MSG_EMPTY, MSG_NO_RI
from selector.ahp.scale import FloatArray, check_option
from selector.errors import JudgmentError

__all__ = [
    "GCI_THRESHOLDS",
    "RI_TABLES",
    "random_index",
]

#: Random consistency indices RI(n), by table name. n = 1 and 2 are 0 in every table.
# fmt: off
RI_TABLES: Mapping[str, Mapping[int, float]] = MappingProxyType(
    {
        # Saaty (1980), The Analytic Hierarchy Process, n = 1..10. The n = 11..15
        # values (1.51, 1.48, 1.56, 1.57, 1.59) are those widely reproduced as Saaty's
        # extension of the table; UNCERTAIN: the non-monotone 1.48 at n = 12 is as
        # commonly reproduced, not re-checked against the printed book.
        "saaty1980": MappingProxyType(
            {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45,
             10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}
        ),
        # Saaty (2005), Theory and Applications of the Analytic Network Process, RWS
        # Publications, p. 31 (as transcribed in the AHPy library, PhilipGriffith/AHPy).
        "saaty2005": MappingProxyType(
            {1: 0.0, 2: 0.0, 3: 0.52, 4: 0.89, 5: 1.11, 6: 1.25, 7: 1.35, 8: 1.40, 9: 1.45,
             10: 1.49, 11: 1.52, 12: 1.54, 13: 1.56, 14: 1.58, 15: 1.59}
        ),
        # Alonso & Lamata (2006), "Consistency in the analytic hierarchy process: a new
        # approach", IJUFKS 14(4), 445-459: simulated RI for n = 3..15 (values as used
        # in public implementations citing the paper). For n > 15 their linear fit of
        # the mean random lambda_max, lambda = 2.7699 n - 4.3513, gives
        # RI(n) = (1.7699 n - 4.3513) / (n - 1); Goepel (2018, IJAHP 10(3), eq. 5)
        # writes the same fit as CR = (lambda - n) / (2.7699 n - 4.3513 - n).
        "alonso_lamata": MappingProxyType(
            {1: 0.0, 2: 0.0, 3: 0.5247, 4: 0.8816, 5: 1.1086, 6: 1.2479, 7: 1.3417, 8: 1.4057,
             9: 1.4499, 10: 1.4854, 11: 1.5140, 12: 1.5365, 13: 1.5551, 14: 1.5713, 15: 1.5838}
        ),
        # Donegan & Dodd (1991), "A note on Saaty's random indexes", Math. Comput.
        # Modelling 15(10), 135-137 (as transcribed in AHPy; single secondary source).
        # Between tabulated n (20 < n < 100) RI is linearly interpolated, which is not
        # a published value. UNCERTAIN: 1.6213 at n = 90 is below n = 80 as transcribed.
        "donegan_dodd": MappingProxyType(
            {1: 0.0, 2: 0.0, 3: 0.4914, 4: 0.8286, 5: 1.0591, 6: 1.1797, 7: 1.2519, 8: 1.3171,
             9: 1.3733, 10: 1.4055, 11: 1.4213, 12: 1.4497, 13: 1.4643, 14: 1.4822, 15: 1.4969,
             16: 1.5078, 17: 1.5153, 18: 1.5262, 19: 1.5313, 20: 1.5371, 25: 1.5619,
             30: 1.5772, 40: 1.5976, 50: 1.6102, 60: 1.6178, 70: 1.6237, 80: 1.6277,
             90: 1.6213, 100: 1.6339}
        ),
    }
)
# fmt: on

#: GCI thresholds of Aguarón & Moreno-Jiménez (2003): n = 3, n = 4, n > 4.
GCI_THRESHOLDS: Mapping[int, float] = MappingProxyType({3: 0.31, 4: 0.35, 5: 0.37})


def ci_and_cr(n: int, lam: float, ri: float) -> tuple[float, float]:
    if n <= 2:
        return 0.0, 0.0
    ci = (lam - n) / (n - 1)
    return ci, ci / ri


def geometric_consistency_index(a: FloatArray, w: FloatArray) -> float:
    """Geometric consistency index with weights ``w`` (row geometric means)."""
    n = a.shape[0]
    if n < 3:
        return 0.0
    lw = np.log(w)
    e = np.log(a) - lw[:, None] + lw[None, :]
    iu = np.triu_indices(n, 1)
    return float(2.0 * np.sum(e[iu] ** 2) / ((n - 1) * (n - 2)))


def check_threshold(threshold: object) -> float:
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not math.isfinite(threshold)
        or threshold < 0
    ):
        raise JudgmentError(MSG_BAD_THRESHOLD.format(found=threshold))
    return float(threshold)


def random_index(n: int, *, table: str = "saaty1980") -> float:
    """Random consistency index RI(n) from a named table.

    Parameters
    ----------
    n
        Matrix size, >= 1.
    table
        ``"saaty1980"``, ``"saaty2005"``, ``"alonso_lamata"`` or ``"donegan_dodd"``
        (sources in :data:`RI_TABLES`).

    Returns
    -------
    float
        RI(n); 0 for n <= 2. ``alonso_lamata`` uses its linear fit for n > 15;
        ``donegan_dodd`` interpolates linearly between tabulated n up to 100.

    Raises
    ------
    JudgmentError
        Unknown table, n < 1, or n outside the table's range.
    """
    check_option("random index table", table, tuple(RI_TABLES))
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise JudgmentError(MSG_EMPTY.format(found=f"n = {n!r}"))
    values = RI_TABLES[table]
    if n in values:
        return values[n]
    max_n = max(values)
    if table == "alonso_lamata":
        return (1.7699 * n - 4.3513) / (n - 1)
    if table == "donegan_dodd" and n < max_n:
        known = sorted(values)
        upper = next(m for m in known if m > n)
        lower = max(m for m in known if m < n)
        frac = (n - lower) / (upper - lower)
        return values[lower] + frac * (values[upper] - values[lower])
    raise JudgmentError(MSG_NO_RI.format(n=n, table=table, max_n=max_n))
