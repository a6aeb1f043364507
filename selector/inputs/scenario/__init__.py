"""Scenarios: a partner table, a segment table, a budget and the rules to respect.

A scenario is a TOML file that points at its data tables (paths relative to itself)::

    name = "FY27 baseline"
    currency = "EUR"                            # optional: ISO 4217 code of every amount
    model = "../models/partner-selection.toml"  # criteria model (optional, see below)
    partners = "vendor/partners.csv"            # .csv or .xlsx
    segments = "vendor/segments.csv"
    coverage = "vendor/coverage.csv"            # optional: partner_id,segment_id pairs
    supply = "vendor/supply.csv"                # optional: distributor_id,reseller_id pairs
    extends = "baseline.toml"                   # optional: inherit, then override

    [budget]
    total = 2_500_000
    pools = { "region:East" = 600_000, "type:distributor" = 900_000 }

    [objective]
    kind = "weighted_coverage"                  # or "coverage" or "min_cost"

    [constraints]
    must_include = ["P001"]
    must_exclude = []
    conflicts = [["P010", "P011"]]              # never both
    max_partners_per_segment = 3                # horizontal-conflict cap
    min_partners = { named = 2, default = 0 }   # required selected partners per segment
    type_mix = { distributor = { min = 2, max = 10 } }
    tier2_needs_distributor = true              # default: true when a supply table is given
    conflict_shared_value = 2_000_000           # also forbid pairs sharing segments worth more

    [tiers]                                     # programme tiers by score rank
    gold = 0.10                                 # top 10 %
    silver = 0.30                               # up to the top 30 %
    exit = 0.10                                 # bottom 10 %
    exclude_exit = false                        # true: exit-tier partners cannot be selected

    [positioning]
    importance_to_partner = "importance_to_partner"   # column: how much we matter to them

    [[rules]]                                   # strategists' rules (any number)
    id = "finance-sis"
    label = "At least 3 SIs in finance"
    kind = "count"                              # count | cost | coverage | requires | group
    where = { type = "si", industries = "finance" }
    min = 3

    [solve]                                     # defaults for solve(); callers may override
    solver = "highs"
    time_limit = 60
    gap = 0.0001

Partner table columns: ``id, name, type, gtm_tier (1|2), cost, regions, industries,
sizes`` (lists separated by ``;``, ``*`` = all), then one column per leaf criterion of
the criteria model, and an optional ``score`` (0..1) that overrides the computed score.
Segment table: ``id, region, industry, size, value, named`` and optional
``min_partners``, ``max_partners``. Without a coverage table a partner covers a segment
when the segment's region, industry and size are all among the partner's.

``model`` may be omitted when the partner table has a complete ``score`` column or the
objective does not use scores (``coverage``, ``min_cost``).

Scenario objects are frozen; make a what-if variant with :meth:`Scenario.with_changes`,
which takes the same shape of table as the TOML file and re-validates.

Code layout: :mod:`selector.inputs.scenario.scenario` holds :class:`Scenario` and puts
it together (:func:`load_scenario`, :func:`scenario_from_frames`,
:meth:`Scenario.with_changes`) from the parts beside it:
:mod:`selector.inputs.scenario.toml` (the TOML file, ``extends``, merging),
:mod:`selector.inputs.scenario.tables` (partner, segment, coverage and supply tables),
:mod:`selector.inputs.scenario.settings` (the ``[budget]``, ``[objective]``,
``[constraints]``, ``[tiers]``, ``[positioning]`` and ``[solve]`` sections) and
:mod:`selector.inputs.scenario.rules` (``[[rules]]``: the rule kinds and filter syntax).
The public names are re-exported here.
"""


from selector.inputs.scenario.rules import Rule
from selector.inputs.scenario.scenario import (
    Scenario,
    check_rules,
    describe,
    load_scenario,
    scenario_from_frames,
)
from selector.inputs.scenario.settings import OBJECTIVES, POOL_FIELDS, Budget, Constraints, TierRule
from selector.inputs.scenario.tables import PARTNER_COLUMNS, SEGMENT_COLUMNS

__all__ = [
    "OBJECTIVES",
    "PARTNER_COLUMNS",
    "POOL_FIELDS",
    "SEGMENT_COLUMNS",
    "Budget",
    "Constraints",
    "Rule",
    "Scenario",
    "TierRule",
    "check_rules",
    "describe",
    "load_scenario",
    "scenario_from_frames",
]
