"""Priority vectors of a complete judgment matrix: eigenvector and geometric mean.

Numeric kernels on numpy arrays that check nothing: the principal right (Perron)
eigenvector with its eigenvalue lambda_max, the row geometric means, and lambda_max
estimated from any positive weights (used with the geometric method).

Source: T. L. Saaty, *The Analytic Hierarchy Process*, McGraw-Hill, 1980; the relative
drink consumption example is from T. L. Saaty, "Decision making with the analytic
hierarchy process", *Int. J. Services Sciences* 1(1), 2008, 83-98.
"""

from __future__ import annotations

import numpy as np

from selector.ahp.scale import FloatArray

__all__ = [
    "METHODS",
]

METHODS: tuple[str, ...] = ("eigenvector", "geometric")


def perron(a: FloatArray) -> tuple[float, FloatArray]:
    """Perron root and vector (summing to 1) of a non-negative irreducible matrix."""
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    vec = np.asarray(vectors[:, k].real, dtype=np.float64)
    return float(values[k].real), vec / vec.sum()


def geometric_weights(a: FloatArray) -> FloatArray:
    """Row geometric means, normalized to sum 1."""
    g = np.exp(np.log(a).mean(axis=1))
    return np.asarray(g / g.sum(), dtype=np.float64)


def lambda_max_estimate(a: FloatArray, w: FloatArray) -> float:
    """Mean of (A w)_i / w_i: lambda_max estimated from any positive weights."""
    return float(np.mean((a @ w) / w))
