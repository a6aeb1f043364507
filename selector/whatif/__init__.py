"""What-if: how the portfolio moves when the inputs move.

Takes a scenario and a question (a range of budgets, a spread of judgments and data, a
grid of settings); gives tables of solved portfolios: the budget frontier, Monte Carlo
robustness (how often each partner is picked) and scenario sweeps, run serially, on a
local process pool or on a Dask cluster.
"""

from selector.whatif.robustness import (
    FrontierPoint,
    FrontierResult,
    RobustnessResult,
    RunRecord,
    SweepResult,
    SweepRow,
    frontier,
    load_sweep,
    perturb_scenario,
    run_tasks,
    sweep,
)

__all__ = [
    "FrontierPoint",
    "FrontierResult",
    "RobustnessResult",
    "RunRecord",
    "SweepResult",
    "SweepRow",
    "frontier",
    "load_sweep",
    "perturb_scenario",
    "run_tasks",
    "sweep",
]
