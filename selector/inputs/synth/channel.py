"""What the generator returns: :class:`SyntheticChannel`, the four tables and a budget.

:func:`~selector.inputs.synth.generate.generate_channel` makes one and
:func:`~selector.inputs.synth.write.write_scenario` writes one as a scenario; both import
it from here, so neither needs the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from selector.errors import ScenarioError
from selector.inputs.synth.common import TABLES

__all__ = ["Granularity", "SyntheticChannel"]


Granularity = Literal["segment", "account"]


@dataclass(frozen=True, eq=False, repr=False)
class SyntheticChannel:
    """A generated channel: the four tables of a scenario and a suggested budget.

    The frames have the columns of the scenario files (see :mod:`selector.inputs.scenario`);
    treat them as read-only. ``coverage`` holds ``partner_id, segment_id`` as
    categoricals over the partner and segment ids (light at account scale), sorted by
    partner id, then segment id.

    Attributes
    ----------
    partners, segments, coverage, supply
        The tables, partners sorted by id.
    budget_total
        Suggested total budget, rounded to 10,000: 35 % of the total partner cost; with
        prospects, what today's channel costs at today's programme tiers.
    distributor_budget
        Suggested cap of the ``type:distributor`` pool, rounded to 10,000: 40 % of
        ``budget_total``; with prospects, 102 % of today's distributors' cost.
    seed, scale, granularity, accounts, named, prospects
        The arguments the channel was generated from.
    """

    partners: pd.DataFrame
    segments: pd.DataFrame
    coverage: pd.DataFrame
    supply: pd.DataFrame
    budget_total: int
    distributor_budget: int
    seed: int
    scale: float
    granularity: Granularity
    accounts: int
    named: int
    prospects: int = 0

    def coverage_matrix(self) -> sp.csr_array:
        """Partners x segments 0/1 matrix, rows and columns in table order.

        Returns
        -------
        scipy.sparse.csr_array
            ``float64`` ones, ``int32`` indices, shape ``(len(partners), len(segments))``.
        """
        rows = _positions(self.coverage["partner_id"], self.partners["id"])
        cols = _positions(self.coverage["segment_id"], self.segments["id"])
        data = np.ones(len(rows), dtype=np.float64)
        shape = (len(self.partners), len(self.segments))
        return sp.csr_array((data, (rows, cols)), shape=shape)

    def equals(self, other: object) -> bool:
        """Whether ``other`` is a channel with the same tables and settings."""
        if not isinstance(other, SyntheticChannel):
            return False
        same_frames = all(getattr(self, name).equals(getattr(other, name)) for name in TABLES)
        settings = ("budget_total", "distributor_budget", "seed", "scale", "granularity",
                    "accounts", "named", "prospects")  # fmt: skip
        return same_frames and all(getattr(self, k) == getattr(other, k) for k in settings)

    def __repr__(self) -> str:
        return (
            f"SyntheticChannel(seed={self.seed}, scale={self.scale:g}, "
            f"granularity={self.granularity!r}, partners={len(self.partners)}, "
            f"prospects={self.prospects}, "
            f"segments={len(self.segments)}, coverage={len(self.coverage)}, "
            f"supply={len(self.supply)}, budget_total={self.budget_total})"
        )


def _positions(values: pd.Series, ids: pd.Series) -> npt.NDArray[np.int32]:
    """Positions of ``values`` among ``ids`` (fast path for matching categoricals)."""
    index = pd.Index(ids)
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.categories.equals(index):
        return np.asarray(values.cat.codes.to_numpy(), dtype=np.int32)
    pos = np.asarray(index.get_indexer(values), dtype=np.int64)
    if (pos < 0).any():
        missing = values.iloc[int(np.flatnonzero(pos < 0)[0])]
        raise ScenarioError(f"coverage names '{missing}', which is not in the table")
    return pos.astype(np.int32)
