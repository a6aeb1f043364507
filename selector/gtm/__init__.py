"""Go-to-market map: the channel as a networkx graph.

Takes a scenario and, optionally, a selected portfolio; gives the map vendor ->
distributors -> tier-2 partners -> customer segments as a ``networkx.DiGraph``, checks of
its structure (supply cycles, tier-2 partners with no distributor, unreachable segments),
analysis of a portfolio (routes, distributor load, single points of failure, the conflict
graph of partners chasing the same customers) and drawings (Graphviz DOT, PNG / SVG / PDF).
"""

from selector.gtm.graph import *  # noqa: F403
from selector.gtm.graph import __all__ as __all__
