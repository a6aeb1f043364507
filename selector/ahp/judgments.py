"""Reading pairwise judgments: a matrix or a mapping of named pairs, validated.

Turns what :func:`~selector.ahp.weigh` accepts (a square matrix, or ``{(a, b): value}``
pairs that may leave comparisons out) into a float matrix and the item names. Values may
be numbers or strings such as ``"1/3"``; every cell is checked (positive, finite, within
the judgment scale, diagonal 1, reciprocal within 1e-6) and the message names the cell.
Missing pairs become NaN, and the given pairs must connect all items.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from selector.ahp.messages import (
    MSG_BAD_INPUT,
    MSG_BAD_PAIR_KEY,
    MSG_BAD_VALUE,
    MSG_CONTRADICTORY_PAIR,
    MSG_DIAGONAL,
    MSG_DISCONNECTED,
    MSG_EMPTY,
    MSG_ITEMS_LENGTH,
    MSG_NOT_POSITIVE,
    MSG_NOT_RECIPROCAL,
    MSG_NOT_SQUARE,
    MSG_OUT_OF_SCALE,
    MSG_SELF_PAIR,
    MSG_UNKNOWN_ITEM,
    format_number,
)
from selector.ahp.scale import FloatArray, check_names, in_scale
from selector.errors import JudgmentError

__all__ = [
    "JudgmentValue",
    "Judgments",
]

JudgmentValue: TypeAlias = float | int | str | Fraction
PairJudgments: TypeAlias = Mapping[tuple[str, str], JudgmentValue]
MatrixJudgments: TypeAlias = Sequence[Sequence[JudgmentValue]] | NDArray[Any]
Judgments: TypeAlias = PairJudgments | MatrixJudgments

_RECIPROCAL_TOL = 1e-6
_DIAGONAL_TOL = 1e-6


def _parse_value(value: object, row: str, col: str) -> float:
    number: float
    if isinstance(value, bool | np.bool_ | complex | np.complexfloating):
        raise JudgmentError(MSG_BAD_VALUE.format(row=row, col=col, value=value))
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(Fraction(text))
        except (ValueError, ZeroDivisionError):
            try:
                number = float(text)
            except ValueError:
                raise JudgmentError(MSG_BAD_VALUE.format(row=row, col=col, value=value)) from None
    elif isinstance(value, int | float | Fraction | np.integer | np.floating):
        number = float(value)
    else:
        raise JudgmentError(MSG_BAD_VALUE.format(row=row, col=col, value=value))
    if not (math.isfinite(number) and number > 0):
        raise JudgmentError(MSG_NOT_POSITIVE.format(row=row, col=col, value=format_number(number)))
    return number


def _check_cell_scale(value: float, row: str, col: str, low: float, high: float) -> None:
    if not in_scale(value, low, high):
        raise JudgmentError(
            MSG_OUT_OF_SCALE.format(
                row=row,
                col=col,
                value=format_number(value),
                low=format_number(low),
                high=format_number(high),
            )
        )


def _matrix_input(
    judgments: MatrixJudgments, items: Sequence[str] | None, low: float, high: float
) -> tuple[FloatArray, tuple[str, ...]]:
    """Validate a full judgment matrix; returns it exactly reciprocal, and the names."""
    if isinstance(judgments, np.ndarray):
        if judgments.ndim != 2 or judgments.shape[0] != judgments.shape[1]:
            raise JudgmentError(MSG_NOT_SQUARE.format(found=f"an array of shape {judgments.shape}"))
        rows: list[Sequence[object]] = [list(r) for r in judgments]
        n = judgments.shape[0]
    else:
        n = len(judgments)
        rows = []
        for r, row in enumerate(judgments):
            if isinstance(row, str) or not isinstance(row, Sequence | np.ndarray):
                raise JudgmentError(
                    MSG_NOT_SQUARE.format(
                        found=f"row {r + 1} of {n} is {row!r}, not a list of values"
                    )
                )
            if len(row) != n:
                raise JudgmentError(
                    MSG_NOT_SQUARE.format(
                        found=f"row {r + 1} has {len(row)} values in a matrix of {n} rows"
                    )
                )
            rows.append(list(row))
    if n == 0:
        raise JudgmentError(MSG_EMPTY.format(found="an empty matrix"))
    if items is None:
        names = tuple(str(i) for i in range(n))
    else:
        names = check_names(items, "item names", JudgmentError)
        if len(names) != n:
            raise JudgmentError(MSG_ITEMS_LENGTH.format(found=len(names), n=n))
    a = np.empty((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(n):
            a[i, j] = _parse_value(rows[i][j], names[i], names[j])
    for i in range(n):
        if abs(a[i, i] - 1.0) > _DIAGONAL_TOL:
            raise JudgmentError(
                MSG_DIAGONAL.format(row=names[i], col=names[i], value=format_number(a[i, i]))
            )
    for i in range(n):
        for j in range(i + 1, n):
            product = a[i, j] * a[j, i]
            if abs(product - 1.0) > _RECIPROCAL_TOL:
                raise JudgmentError(
                    MSG_NOT_RECIPROCAL.format(
                        row=names[i],
                        col=names[j],
                        a_ij=format_number(a[i, j]),
                        a_ji=format_number(a[j, i]),
                        product=format_number(product),
                    )
                )
    for i in range(n):
        for j in range(n):
            if i != j:
                _check_cell_scale(a[i, j], names[i], names[j], low, high)
    iu = np.triu_indices(n, 1)
    a[np.diag_indices(n)] = 1.0
    a[(iu[1], iu[0])] = 1.0 / a[iu]
    return a, names


def _pair_input(
    judgments: PairJudgments, items: Sequence[str] | None, low: float, high: float
) -> tuple[FloatArray, tuple[str, ...]]:
    """Validate named pairs; returns the matrix with NaN where no pair was given."""
    keys: list[tuple[str, str]] = []
    for key in judgments:
        if (
            not isinstance(key, tuple)
            or len(key) != 2
            or not all(isinstance(x, str) and x for x in key)
        ):
            raise JudgmentError(MSG_BAD_PAIR_KEY.format(key=key))
        if key[0] == key[1]:
            raise JudgmentError(MSG_SELF_PAIR.format(row=key[0], col=key[1], value=judgments[key]))
        keys.append(key)
    if items is None:
        order: list[str] = []
        for a_name, b_name in keys:
            for x in (a_name, b_name):
                if x not in order:
                    order.append(x)
        names = tuple(order)
    else:
        names = check_names(items, "item names", JudgmentError)
        known = set(names)
        for key in keys:
            for x in key:
                if x not in known:
                    raise JudgmentError(
                        MSG_UNKNOWN_ITEM.format(row=key[0], col=key[1], item=x, items=list(names))
                    )
    n = len(names)
    if n == 0:
        raise JudgmentError(MSG_EMPTY.format(found="no pairs and no items"))
    index = {name: k for k, name in enumerate(names)}
    a = np.full((n, n), np.nan)
    a[np.diag_indices(n)] = 1.0
    given: dict[tuple[int, int], float] = {}
    for key in keys:
        row, col = key
        value = _parse_value(judgments[key], row, col)
        _check_cell_scale(value, row, col, low, high)
        i, j = index[row], index[col]
        if (j, i) in given:
            other = given[(j, i)]
            if abs(value * other - 1.0) > _RECIPROCAL_TOL:
                raise JudgmentError(
                    MSG_CONTRADICTORY_PAIR.format(
                        row=row, col=col, value=format_number(value), other=format_number(other)
                    )
                )
        given[(i, j)] = value
        a[i, j] = value
        a[j, i] = 1.0 / value
    if n > 1:
        adjacency = csr_array((~np.isnan(a)).astype(np.int8))
        count, labels = connected_components(adjacency, directed=False)
        if count > 1:
            groups: list[list[str]] = []
            seen_labels: dict[int, int] = {}
            for k, name in enumerate(names):
                lab = int(labels[k])
                if lab not in seen_labels:
                    seen_labels[lab] = len(groups)
                    groups.append([])
                groups[seen_labels[lab]].append(name)
            raise JudgmentError(MSG_DISCONNECTED.format(count=count, groups=groups))
    return a, names


def read_judgments(
    judgments: object, items: Sequence[str] | None, low: float, high: float
) -> tuple[FloatArray, tuple[str, ...]]:
    if isinstance(judgments, Mapping):
        return _pair_input(judgments, items, low, high)
    if isinstance(judgments, np.ndarray) or (
        isinstance(judgments, Sequence) and not isinstance(judgments, str | bytes)
    ):
        return _matrix_input(judgments, items, low, high)
    raise JudgmentError(MSG_BAD_INPUT.format(found=type(judgments).__name__))
