"""AHP: criteria weights from pairwise judgments.

Takes pairwise judgments on Saaty's 1-9 scale (a matrix, or a mapping of pairs, possibly
incomplete) for one node of a criteria hierarchy, several experts, or a whole tree; gives
priority weights with their consistency (CR, GCI), the judgments to revise first, group
merges (AIJ / AIP) with a consensus index, global weights down a hierarchy, and
sensitivity of a ranking to each criterion's weight.
"""

from selector.ahp.core import *  # noqa: F403
from selector.ahp.core import __all__ as __all__
