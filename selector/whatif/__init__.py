"""What-if: how the portfolio moves when the inputs move.

Takes a scenario and a question (a range of budgets, a spread of judgments and data, a
grid of settings); gives tables of solved portfolios: the budget frontier, Monte Carlo
robustness (how often each partner is picked) and scenario sweeps, run serially, on a
local process pool or on a Dask cluster; and a :class:`Session` that answers one what-if
after another from what the earlier answers left.
"""

from selector.whatif.budget_frontier import FrontierPoint, FrontierResult, frontier
from selector.whatif.carry import FRONTIER_COLUMNS, monotone_frontier, still_best
from selector.whatif.engines import EngineError, Progress, Study, TaskLog, run_tasks
from selector.whatif.montecarlo import (
    SAATY_SCALE,
    RobustnessResult,
    RunRecord,
    perturb_scenario,
    robustness,
)
from selector.whatif.session import Session
from selector.whatif.sweeps import (
    SWEEP_KEYS,
    SweepResult,
    SweepRow,
    load_sweep,
    sweep,
    write_csv,
)

__all__ = [
    "FRONTIER_COLUMNS",
    "SAATY_SCALE",
    "SWEEP_KEYS",
    "EngineError",
    "FrontierPoint",
    "FrontierResult",
    "Progress",
    "RobustnessResult",
    "RunRecord",
    "Session",
    "Study",
    "SweepResult",
    "SweepRow",
    "TaskLog",
    "frontier",
    "load_sweep",
    "monotone_frontier",
    "perturb_scenario",
    "robustness",
    "run_tasks",
    "still_best",
    "sweep",
    "write_csv",
]
