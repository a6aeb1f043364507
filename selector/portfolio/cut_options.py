"""What the caller asks of the cut loop (:class:`selector.portfolio.cuts.CutLoop`):
:class:`CutOptions`, plain values resolved and checked by the caller, the same for the
loop's own small problems (its neighbourhood search, fill-in and a session frontier's
mixed plan)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CutOptions"]


@dataclass(frozen=True, kw_only=True)
class CutOptions:
    """What the caller asks of a :class:`CutLoop`, resolved and checked by the caller (the
    optimizer, from its arguments and the scenario's ``[solve]``).

    Attributes
    ----------
    time_limit : float
        Seconds for the whole loop, the master's construction included.
    gap : float
        Relative gap at which the best portfolio counts as optimal.
    seed : int
        HiGHS's ``random_seed``, and the neighbourhood search's.
    threads : int or None
        HiGHS's ``threads`` (None: its default).
    node_limit : int or None
        The branch-and-bound's nodes. With a limit the loop asks for an answer that does
        not depend on the machine's speed: the LP rounds run to the end, the search runs
        once, and neither the neighbourhood search nor the reduced-cost fixing runs.
    first_lp : str
        HiGHS's ``solver`` for the first, cold LP round ("ipm" or "choose"; later rounds
        use "choose", warm from its basis).
    neighbourhood : bool
        Spend a share of the time left after the LP rounds on a large-neighbourhood
        search from the best portfolio, guided by the last LP optimum.
    scaled : bool or None
        The master's theta columns scaled by their rows' weights (None: SCALED_MAIN).
    lp_share : float or None
        Share of the time limit the LP cut rounds may take (None: LP_SHARE).
    restart : bool
        HiGHS's ``mip_allow_restart`` in the search: whether it may presolve and solve
        its root again after the root fixed many columns (the route decides; see
        :data:`selector.portfolio.route.PLAN_RESTART`).
    fill_in : bool
        After the LP rounds, solve the small problem on the columns their last optimum
        leaves fractional or takes otherwise than the best portfolio (see :meth:`selector.portfolio.cuts.CutLoop.fill_in`).
    bound : float or None
        A bound on the objective proved elsewhere (a session's budget frontier,
        :mod:`selector.whatif.budget_hull`): the loop's bound starts there, and the
        search stops as soon as its best portfolio is within the gap of it.
    """

    time_limit: float
    gap: float
    seed: int
    threads: int | None = None
    node_limit: int | None = None
    first_lp: str = "ipm"
    neighbourhood: bool = False
    scaled: bool | None = None
    lp_share: float | None = None
    restart: bool = True
    fill_in: bool = False
    bound: float | None = None
