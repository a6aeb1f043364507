"""What the stages of the synthetic channel share: the market, array types, two helpers.

The seven regions, ten industries and three company sizes, with the weights the draws
use (what they mean is described in :mod:`selector.inputs.synth`); the names of the
four tables; :func:`normalized` weights and :func:`pairs_frame`, which turns index
pairs into a table of categorical ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "INDUSTRIES",
    "INDUSTRY_CUSTOMERS",
    "INDUSTRY_ENTERPRISE",
    "INDUSTRY_VALUE",
    "REGIONS",
    "REGION_WEIGHTS",
    "SIZES",
    "TABLES",
    "BoolArray",
    "FloatArray",
    "IntArray",
    "normalized",
    "pairs_frame",
]


IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


REGIONS: Final = ("North", "Northeast", "East", "South", "Central", "Southwest", "Northwest")
REGION_WEIGHTS: Final = (0.16, 0.09, 0.24, 0.20, 0.12, 0.11, 0.08)
INDUSTRIES: Final = (
    "government", "finance", "telecom", "energy", "manufacturing",
    "education", "healthcare", "retail", "transport", "tax",
)  # fmt: skip
# Share of customers by industry, how much likelier an enterprise is in it than on
# average, and how much more a customer in it is worth.
INDUSTRY_CUSTOMERS: Final = (0.10, 0.09, 0.05, 0.05, 0.22, 0.10, 0.10, 0.17, 0.07, 0.05)
INDUSTRY_ENTERPRISE: Final = (2.2, 2.4, 3.0, 2.6, 0.8, 0.8, 0.9, 0.5, 1.2, 1.8)
INDUSTRY_VALUE: Final = (1.15, 1.3, 1.25, 1.2, 1.0, 0.8, 0.9, 0.85, 0.95, 1.1)
SIZES: Final = ("enterprise", "midmarket", "smb")


TABLES: Final = ("partners", "segments", "coverage", "supply")


def normalized(values: Sequence[float] | FloatArray) -> FloatArray:
    w = np.asarray(values, dtype=np.float64)
    return np.asarray(w / w.sum(), dtype=np.float64)


def pairs_frame(
    left: IntArray,
    right: IntArray,
    left_ids: pd.Series,
    right_ids: pd.Series,
    columns: tuple[str, str],
) -> pd.DataFrame:
    """Index pairs as a frame of categorical ids, sorted by left id, then right id."""
    left_rank = np.argsort(np.argsort(left_ids.to_numpy(dtype=str), kind="stable"))
    right_rank = np.argsort(np.argsort(right_ids.to_numpy(dtype=str), kind="stable"))
    key = left_rank[left] * np.int64(len(right_ids)) + right_rank[right]
    order = np.argsort(key, kind="stable")
    left_cats = pd.Index(left_ids.to_numpy(dtype=str))
    right_cats = pd.Index(right_ids.to_numpy(dtype=str))
    return pd.DataFrame(
        {
            columns[0]: pd.Categorical.from_codes(
                left[order].astype(np.int32), categories=left_cats
            ),
            columns[1]: pd.Categorical.from_codes(
                right[order].astype(np.int32), categories=right_cats
            ),
        }
    )
