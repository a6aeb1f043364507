"""Incomplete judgments: filling in missing pairs, then deriving priorities.

Missing pairs are NaN in the judgment matrix. Harker's method fills them from the
Perron vector of a modified matrix; the lambda_max-optimal completion then moves the
missing entries (in log space, by BFGS) to the values minimizing lambda_max.
:func:`complete_and_weigh` completes a matrix if needed and weighs it with either priority method.

Sources
-------
* P. T. Harker, "Incomplete pairwise comparisons in the analytic hierarchy process",
  *Mathematical Modelling* 9(11), 1987, 837-848.
* S. Bozóki, J. Fülöp, L. Rónyai, "On optimal completion of incomplete pairwise
  comparison matrices", *Math. Comput. Modelling* 52(1-2), 2010, 318-333 (lambda_max is
  a convex function of the logarithms of the missing entries, so the optimum is found
  by a smooth local minimizer).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from selector.ahp.priorities import geometric_weights, lambda_max_estimate, perron
from selector.ahp.scale import FloatArray

__all__ = [
    "COMPLETIONS",
]

COMPLETIONS: tuple[str, ...] = ("harker", "lambda_min")


def _harker(a: FloatArray) -> FloatArray:
    """Complete NaN entries by Harker's method (1987)."""
    missing = np.isnan(a)
    b = np.where(missing, 0.0, a)
    b[np.diag_indices_from(b)] = 1.0 + missing.sum(axis=1)
    _, w = perron(b)
    return np.asarray(np.where(missing, w[:, None] / w[None, :], a), dtype=np.float64)


def _lambda_min(a: FloatArray, start: FloatArray) -> FloatArray:
    """Complete NaN entries of ``a`` so that lambda_max is minimal, from ``start``."""
    rows, cols = np.nonzero(np.triu(np.isnan(a), 1))
    base = np.array(start, dtype=np.float64, copy=True)
    # A sensible completion lies within the products of the given judgments along a
    # chain of at most n - 1 pairs. Outside that box (with margin) lambda_max is taken
    # at the box edge plus a quadratic penalty, which keeps exp() finite wherever the
    # line search probes while leaving the (interior) optimum unchanged.
    given = a[~np.isnan(a)]
    reach = (a.shape[0] - 1) * float(np.max(np.abs(np.log(given)))) + 5.0

    def build(x: FloatArray) -> FloatArray:
        m = base.copy()
        m[rows, cols] = np.exp(x)
        m[cols, rows] = np.exp(-x)
        return m

    def objective(x: FloatArray) -> tuple[float, FloatArray]:
        inside = np.clip(x, -reach, reach)
        m = build(inside)
        lam, w = perron(m)
        _, v = perron(m.T)
        # d lambda / d log a_ij, with a_ji = 1 / a_ij (the Perron root is simple).
        grad = (v[rows] * m[rows, cols] * w[cols] - v[cols] * m[cols, rows] * w[rows]) / (v @ w)
        grad = np.where(inside == x, grad, 0.0)
        over = x - inside
        return lam + float(over @ over), np.asarray(grad + 2.0 * over, dtype=np.float64)

    x0 = np.clip(np.log(base[rows, cols]), -reach, reach)
    res = minimize(objective, x0, jac=True, method="BFGS", options={"gtol": 1e-9})
    x = np.clip(np.asarray(res.x, dtype=np.float64), -reach, reach)
    if not np.all(np.isfinite(x)) or objective(x)[0] > objective(x0)[0]:
        x = x0
    return build(x)


def complete_and_weigh(
    a: FloatArray, method: str, completion: str
) -> tuple[FloatArray, FloatArray, float]:
    """Complete (if needed) and weigh: (completed matrix, weights, lambda_max)."""
    if np.isnan(a).any():
        full = _harker(a)
        if completion == "lambda_min":
            full = _lambda_min(a, full)
    else:
        full = a
    if method == "eigenvector":
        lam, w = perron(full)
    else:
        w = geometric_weights(full)
        lam = lambda_max_estimate(full, w)
    return full, w, lam
