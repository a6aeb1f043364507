"""Saaty's judgment scale and the checks every AHP module shares.

Holds the scale itself (:data:`SAATY_SCALE`), the test whether a judgment lies within
an accepted ``(low, high)`` range and the snapping of a ratio to the nearest scale value,
plus the small helpers used across the stage: the float-array type, read-only copies of
result arrays, and the checks of option names, item names and the scale argument.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from selector.ahp.messages import (
    MSG_BAD_ITEM_NAME,
    MSG_BAD_SCALE,
    MSG_DUPLICATE_NAMES,
    MSG_UNKNOWN_OPTION,
)
from selector.errors import JudgmentError

__all__ = [
    "SAATY_SCALE",
]

FloatArray: TypeAlias = NDArray[np.float64]

#: Saaty's fundamental scale 1..9 and its reciprocals, ascending.
SAATY_SCALE: tuple[float, ...] = tuple(
    [1.0 / k for k in range(9, 1, -1)] + [float(k) for k in range(1, 10)]
)

SCALE_TOL = 1e-9


def readonly_copy(a: FloatArray) -> FloatArray:
    out = np.array(a, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out


def in_scale(value: float, low: float, high: float) -> bool:
    return low * (1 - SCALE_TOL) <= value <= high * (1 + SCALE_TOL)


def snap_to_scale(x: float, low: float, high: float) -> float:
    """Nearest value of Saaty's scale (in log distance) within [low, high]."""
    allowed = [s for s in SAATY_SCALE if low * (1 - SCALE_TOL) <= s <= high * (1 + SCALE_TOL)]
    lx = math.log(x)
    return min(allowed, key=lambda s: abs(math.log(s) - lx))


def check_option(option: str, value: object, accepted: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in accepted:
        raise JudgmentError(
            MSG_UNKNOWN_OPTION.format(option=option, value=value, accepted=", ".join(accepted))
        )
    return value


def check_scale(scale: object) -> tuple[float, float]:
    if isinstance(scale, Sequence) and not isinstance(scale, str) and len(scale) == 2:
        bounds: list[float] = []
        for v in scale:
            if isinstance(v, int | float | Fraction) and not isinstance(v, bool):
                bounds.append(float(v))
        if len(bounds) == 2:
            lo, hi = bounds
            if math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= 1 <= hi:
                return lo, hi
    raise JudgmentError(MSG_BAD_SCALE.format(found=scale))


def check_names(names: object, what: str, error: type[ValueError]) -> tuple[str, ...]:
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise error(MSG_BAD_ITEM_NAME.format(found=names))
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str) or not name:
            raise error(MSG_BAD_ITEM_NAME.format(found=name))
        if name in seen:
            raise error(MSG_DUPLICATE_NAMES.format(what=what, name=name))
        seen.add(name)
        out.append(name)
    return tuple(out)
