"""AHP: criteria weights from pairwise judgments.

Takes pairwise judgments on Saaty's 1-9 scale (a matrix, or a mapping of pairs, possibly
incomplete) for one node of a criteria hierarchy, several experts, or a whole tree; gives
priority weights with their consistency (CR, GCI), the judgments to revise first, group
merges (AIJ / AIP) with a consensus index, global weights down a hierarchy, and
sensitivity of a ranking to each criterion's weight.

Modules, bottom up: ``messages`` (the ``MSG_*`` error templates), ``scale`` (Saaty's
scale, shared checks), ``judgments`` (reading matrices and pairs), ``priorities``
(eigenvector, geometric mean), ``consistency`` (RI tables, CR, GCI), ``completion``
(missing pairs), ``revisions``, ``weighing`` (:func:`weigh`), ``group`` (:func:`merge`),
``synthesis`` (:func:`synthesize`, :func:`score_alternatives`) and
``weight_sensitivity`` (:func:`sensitivity`). Numeric kernels (such as
``priorities.perron``) are plain functions on numpy arrays that check nothing; like the
other helpers the modules share, they stay out of ``__all__``. The public entry points
validate their input and return frozen dataclasses.
"""

from selector.ahp.completion import COMPLETIONS
from selector.ahp.consistency import GCI_THRESHOLDS, RI_TABLES, random_index
from selector.ahp.group import MERGE_METHODS, GroupResult, merge
from selector.ahp.judgments import Judgments, JudgmentValue
from selector.ahp.messages import (
    MSG_BAD_EXPERT_WEIGHT,
    MSG_BAD_INPUT,
    MSG_BAD_ITEM_NAME,
    MSG_BAD_K,
    MSG_BAD_LOCAL_WEIGHT,
    MSG_BAD_PAIR_KEY,
    MSG_BAD_SCALE,
    MSG_BAD_STEPS,
    MSG_BAD_THRESHOLD,
    MSG_BAD_TOP,
    MSG_BAD_VALUE,
    MSG_BAD_WEIGHT,
    MSG_CONTRADICTORY_PAIR,
    MSG_DIAGONAL,
    MSG_DISCONNECTED,
    MSG_DUPLICATE_NAMES,
    MSG_EMPTY,
    MSG_EXPERT_ITEMS,
    MSG_EXPERT_WEIGHT_KEYS,
    MSG_ITEMS_LENGTH,
    MSG_LOCAL_SUM,
    MSG_NAMES_LENGTH,
    MSG_NO_CHILDREN,
    MSG_NO_EXPERTS,
    MSG_NO_RI,
    MSG_NOT_POSITIVE,
    MSG_NOT_RECIPROCAL,
    MSG_NOT_SQUARE,
    MSG_OUT_OF_SCALE,
    MSG_ROOT_MISSING,
    MSG_SELF_PAIR,
    MSG_TREE_CYCLE,
    MSG_TREE_TWO_PARENTS,
    MSG_UNKNOWN_ITEM,
    MSG_UNKNOWN_OPTION,
    MSG_UNREACHABLE,
    MSG_VALUES_RANGE,
    MSG_VALUES_SHAPE,
    MSG_WEIGHTS_LENGTH,
    MSG_WEIGHTS_SUM,
    MSG_ZERO_COLUMN,
)
from selector.ahp.priorities import METHODS
from selector.ahp.revisions import Revision
from selector.ahp.scale import SAATY_SCALE
from selector.ahp.synthesis import (
    MODES,
    HierarchyResult,
    ScoreResult,
    score_alternatives,
    synthesize,
)
from selector.ahp.weighing import AhpResult, weigh
from selector.ahp.weight_sensitivity import CriterionSensitivity, SensitivityResult, sensitivity

__all__ = [
    "COMPLETIONS",
    "GCI_THRESHOLDS",
    "MERGE_METHODS",
    "METHODS",
    "MODES",
    "MSG_BAD_EXPERT_WEIGHT",
    "MSG_BAD_INPUT",
    "MSG_BAD_ITEM_NAME",
    "MSG_BAD_K",
    "MSG_BAD_LOCAL_WEIGHT",
    "MSG_BAD_PAIR_KEY",
    "MSG_BAD_SCALE",
    "MSG_BAD_STEPS",
    "MSG_BAD_THRESHOLD",
    "MSG_BAD_TOP",
    "MSG_BAD_VALUE",
    "MSG_BAD_WEIGHT",
    "MSG_CONTRADICTORY_PAIR",
    "MSG_DIAGONAL",
    "MSG_DISCONNECTED",
    "MSG_DUPLICATE_NAMES",
    "MSG_EMPTY",
    "MSG_EXPERT_ITEMS",
    "MSG_EXPERT_WEIGHT_KEYS",
    "MSG_ITEMS_LENGTH",
    "MSG_LOCAL_SUM",
    "MSG_NAMES_LENGTH",
    "MSG_NOT_POSITIVE",
    "MSG_NOT_RECIPROCAL",
    "MSG_NOT_SQUARE",
    "MSG_NO_CHILDREN",
    "MSG_NO_EXPERTS",
    "MSG_NO_RI",
    "MSG_OUT_OF_SCALE",
    "MSG_ROOT_MISSING",
    "MSG_SELF_PAIR",
    "MSG_TREE_CYCLE",
    "MSG_TREE_TWO_PARENTS",
    "MSG_UNKNOWN_ITEM",
    "MSG_UNKNOWN_OPTION",
    "MSG_UNREACHABLE",
    "MSG_VALUES_RANGE",
    "MSG_VALUES_SHAPE",
    "MSG_WEIGHTS_LENGTH",
    "MSG_WEIGHTS_SUM",
    "MSG_ZERO_COLUMN",
    "RI_TABLES",
    "SAATY_SCALE",
    "AhpResult",
    "CriterionSensitivity",
    "GroupResult",
    "HierarchyResult",
    "JudgmentValue",
    "Judgments",
    "Revision",
    "ScoreResult",
    "SensitivityResult",
    "merge",
    "random_index",
    "score_alternatives",
    "sensitivity",
    "synthesize",
    "weigh",
]
