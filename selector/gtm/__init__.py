"""Go-to-market map: the channel as a networkx graph.

Takes a scenario and, optionally, a selected portfolio; gives the map vendor ->
distributors -> tier-2 partners -> customer segments as a ``networkx.DiGraph``, checks of
its structure (supply cycles, tier-2 partners with no distributor, unreachable segments),
analysis of a portfolio (routes, distributor load, single points of failure, the conflict
graph of partners chasing the same customers) and drawings (Graphviz DOT, PNG / SVG / PDF).

Modules: :mod:`~selector.gtm.graph` (building the map, :class:`Finding`, the messages),
:mod:`~selector.gtm.analysis` (checks, routes, distributor load, single points of
failure, the conflict graph), :mod:`~selector.gtm.drawing` (DOT text, pictures) and
:mod:`~selector.gtm.views` (value flows, a layered network and one partner's view as
tables for interactive pictures).
"""

from selector.gtm.analysis import (
    check_graph,
    conflict_graph,
    conflict_pairs_above,
    distributor_load,
    routes,
    single_points_of_failure,
    uncovered_segments,
)
from selector.gtm.drawing import AGGREGATE_FIELDS, PICTURE_FORMATS, to_dot, write_picture
from selector.gtm.graph import (
    CYCLE_MESSAGE,
    DOT_FAILED_MESSAGE,
    DOT_MISSING_MESSAGE,
    IDLE_DISTRIBUTOR_MESSAGE,
    NO_DISTRIBUTOR_MESSAGE,
    NO_RESULT_MESSAGE,
    NO_SEGMENT_MESSAGE,
    OVERWRITE_MESSAGE,
    RESULT_FORMAT_MESSAGE,
    UNKNOWN_PARTNERS_MESSAGE,
    UNREACHABLE_SEGMENT_MESSAGE,
    VENDOR,
    Finding,
    build_graph,
    nodes_of,
    selected_ids,
)
from selector.gtm.views import (
    FLOW_COLUMNS,
    NO_DISTRIBUTOR,
    network_layout,
    partner_shares,
    partner_view,
    value_flows,
)

__all__ = [
    "AGGREGATE_FIELDS",
    "CYCLE_MESSAGE",
    "DOT_FAILED_MESSAGE",
    "DOT_MISSING_MESSAGE",
    "FLOW_COLUMNS",
    "IDLE_DISTRIBUTOR_MESSAGE",
    "NO_DISTRIBUTOR",
    "NO_DISTRIBUTOR_MESSAGE",
    "NO_RESULT_MESSAGE",
    "NO_SEGMENT_MESSAGE",
    "OVERWRITE_MESSAGE",
    "PICTURE_FORMATS",
    "RESULT_FORMAT_MESSAGE",
    "UNKNOWN_PARTNERS_MESSAGE",
    "UNREACHABLE_SEGMENT_MESSAGE",
    "VENDOR",
    "Finding",
    "build_graph",
    "check_graph",
    "conflict_graph",
    "conflict_pairs_above",
    "distributor_load",
    "network_layout",
    "nodes_of",
    "partner_shares",
    "partner_view",
    "routes",
    "selected_ids",
    "single_points_of_failure",
    "to_dot",
    "uncovered_segments",
    "value_flows",
    "write_picture",
]
