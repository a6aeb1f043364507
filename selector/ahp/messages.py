"""The error messages of the AHP stage.

Every message is a module-level ``MSG_*`` template; each says what was found and what
is accepted. The modules of :mod:`selector.ahp` fill them in (numbers through
:func:`format_number`) and raise :class:`~selector.errors.JudgmentError` (judgments and options)
or :class:`~selector.errors.ScenarioError` (hierarchies, tables of alternatives).
"""

from __future__ import annotations

__all__ = [
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
]

MSG_BAD_INPUT = (
    "judgments are neither a matrix nor a mapping of pairs: found {found}; accepted: a "
    "square numpy array or nested list, or a mapping {{(a, b): value}}"
)
MSG_EMPTY = (
    "no items to weigh: found {found}; accepted: a matrix of at least one row, or pairs "
    "(or items) naming at least one item"
)
MSG_NOT_SQUARE = (
    "judgment matrix is not square: found {found}; accepted: an n x n array or nested "
    "list with n rows of n values each"
)
MSG_BAD_VALUE = (
    "judgment for ({row!r}, {col!r}) is not a number: found {value!r}; accepted: a "
    "positive finite number or a string such as '3' or '1/3'"
)
MSG_NOT_POSITIVE = (
    "judgment for ({row!r}, {col!r}) is not a positive finite number: found {value}; "
    "accepted: a number greater than 0 and finite"
)
MSG_DIAGONAL = (
    "diagonal judgment ({row!r}, {col!r}) is not 1: found {value}; accepted: 1 on the "
    "diagonal (each item is as important as itself)"
)
MSG_NOT_RECIPROCAL = (
    "judgments ({row!r}, {col!r}) and ({col!r}, {row!r}) are not reciprocal: found "
    "{a_ij} and {a_ji}, whose product is {product}; accepted: a_ji = 1 / a_ij within "
    "1e-6 relative"
)
MSG_OUT_OF_SCALE = (
    "judgment for ({row!r}, {col!r}) is outside the judgment scale: found {value}; "
    "accepted: values from {low} to {high}"
)
MSG_BAD_PAIR_KEY = (
    "pair key is not a pair of item names: found {key!r}; accepted: a tuple (a, b) of "
    "two item names (strings)"
)
MSG_SELF_PAIR = (
    "pair ({row!r}, {col!r}) compares an item with itself: found value {value!r}; "
    "accepted: pairs of two different items"
)
MSG_CONTRADICTORY_PAIR = (
    "pair ({row!r}, {col!r}) is given twice with contradicting values: found {value} for "
    "({row!r}, {col!r}) and {other} for ({col!r}, {row!r}); accepted: the pair once, or "
    "the reverse pair with the reciprocal value (within 1e-6 relative)"
)
MSG_UNKNOWN_ITEM = (
    "pair ({row!r}, {col!r}) names an unknown item: found {item!r}; accepted: one of "
    "the given items {items}"
)
MSG_BAD_ITEM_NAME = (
    "item name is not a non-empty string: found {found!r}; accepted: a sequence of unique strings"
)
MSG_DUPLICATE_NAMES = "{what} repeat: found {name!r} more than once; accepted: unique names"
MSG_ITEMS_LENGTH = (
    "items do not match the judgment matrix: found {found} names for a {n} x {n} "
    "matrix; accepted: exactly {n} names, one per row"
)
MSG_DISCONNECTED = (
    "judgments do not connect all items: found {count} separate groups {groups}; "
    "accepted: pairs that link every item to every other through a chain of comparisons"
)
MSG_UNKNOWN_OPTION = "unknown {option}: found {value!r}; accepted: {accepted}"
MSG_BAD_SCALE = (
    "judgment scale is not usable: found {found!r}; accepted: (low, high) with "
    "0 < low <= 1 <= high, both finite, e.g. (1/9, 9)"
)
MSG_BAD_THRESHOLD = (
    "consistency threshold is not usable: found {found!r}; accepted: a finite number "
    ">= 0 such as 0.10"
)
MSG_BAD_TOP = "number of revisions is not usable: found {found!r}; accepted: an integer >= 0"
MSG_NO_RI = (
    "no random index for n = {n} in table {table!r}: it covers n = 1 to {max_n}; "
    "accepted: at most {max_n} items, or ri='alonso_lamata', which covers any n"
)
MSG_NO_EXPERTS = (
    "no experts to merge: found {found}; accepted: a mapping expert name -> judgments "
    "with at least one expert"
)
MSG_EXPERT_ITEMS = (
    "expert {expert!r} compares other items than expert {first!r}: found {found}; "
    "accepted: the same items as {first!r}: {expected}"
)
MSG_EXPERT_WEIGHT_KEYS = (
    "expert weights do not match the experts: found weights for {found}; accepted: "
    "exactly one weight per expert: {expected}"
)
MSG_BAD_EXPERT_WEIGHT = (
    "weight of expert {expert!r} is not usable: found {value!r}; accepted: a positive "
    "finite number (weights are normalized to sum 1)"
)
MSG_ROOT_MISSING = (
    "hierarchy root {root!r} has no local weights: found parents {found}; accepted: "
    "local_weights with an entry for the root"
)
MSG_NO_CHILDREN = (
    "node {node!r} has no children in local_weights: found {found!r}; accepted: a "
    "non-empty mapping child -> local weight"
)
MSG_BAD_LOCAL_WEIGHT = (
    "local weight of {child!r} under {parent!r} is not usable: found {value!r}; "
    "accepted: a finite number >= 0"
)
MSG_LOCAL_SUM = (
    "local weights under {parent!r} do not sum to 1: found sum {total}; accepted: "
    "non-negative weights summing to 1 within 1e-6"
)
MSG_TREE_CYCLE = (
    "hierarchy has a cycle: found {child!r} below its own descendant {parent!r}; "
    "accepted: a tree below the root"
)
MSG_TREE_TWO_PARENTS = (
    "hierarchy node {child!r} has two parents: found it under {first!r} and {second!r}; "
    "accepted: a tree, each node under exactly one parent"
)
MSG_UNREACHABLE = (
    "local weights given for nodes that do not hang from root {root!r}: found {nodes}; "
    "accepted: only nodes reachable from the root"
)
MSG_BAD_WEIGHT = (
    "weight of criterion {criterion!r} is not usable: found {value!r}; accepted: a "
    "finite number >= 0"
)
MSG_WEIGHTS_SUM = (
    "criterion weights do not sum to 1: found sum {total}; accepted: non-negative "
    "weights summing to 1 within 1e-6"
)
MSG_WEIGHTS_LENGTH = (
    "criterion weights do not match the value columns: found {found} weights for "
    "{columns} columns; accepted: one weight per column"
)
MSG_VALUES_SHAPE = (
    "alternative values are not a 2-D table of numbers: found {found}; accepted: an "
    "array of shape (alternatives, criteria) with at least one row"
)
MSG_VALUES_RANGE = (
    "value of alternative {alternative!r} on criterion {criterion!r} is out of range: "
    "found {value}; accepted: {accepted}"
)
MSG_ZERO_COLUMN = (
    "criterion {criterion!r} has no positive value: found column {values}; accepted: "
    "at least one value > 0 so that the column can be normalized"
)
MSG_NAMES_LENGTH = (
    "{what} do not match the table: found {found} names for {expected} rows; "
    "accepted: exactly {expected} names"
)
MSG_BAD_K = (
    "top-k size is not usable: found {found!r}; accepted: an integer from 1 to the "
    "number of alternatives ({n})"
)
MSG_BAD_STEPS = "number of chart steps is not usable: found {found!r}; accepted: an integer >= 2"


def format_number(x: float) -> str:
    return f"{x:.6g}"
