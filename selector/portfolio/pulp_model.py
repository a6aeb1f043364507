"""The portfolio model as a readable PuLP problem, for analysts who extend it.

:func:`pulp_model` gives the same model the fast path solves (the rows of
:func:`~selector.portfolio.model.build_model`, segments not merged) as a
``pulp.LpProblem`` with names a person can read:

- variables: ``x_<partner>`` (1 = selected), or ``x_<partner>_<tier>`` in a plan
  scenario (one per programme tier; at most one per partner is 1); the objective's
  helpers ``z_<partner>_<segment>`` (weighted_coverage: the segment counts at this
  partner's score) or ``y_<segment>`` (coverage: the segment is covered);
- constraints: ``budget``, ``pool_type_distributor``, ``conflict_R0009_R0055``,
  ``cap_<segment>``, ``min_partners_<segment>``, ``mix_<type>``, ``supply_<partner>``,
  ``one_level_<partner>``, ``quota_<tier>_share``, ``max_exits``, ``max_recruits``,
  ``keep_<account>``, ``rule_<rule id>`` (``rule_<id>_<partner>`` for a requires rule),
  and the objective links ``best_<segment>``, ``link_<partner>_<segment>``,
  ``covered_<segment>``. A row with both bounds becomes ``<name>_min`` and ``<name>_max``.

Ids are sanitised (anything but letters, digits and ``_`` becomes ``_``; a clash gets
a numeric suffix). The mapping returned beside the problem takes a partner id to its
variable, or, in a plan scenario, to the sum of its tier variables (an expression that
is 1 when the partner is active at any tier), so ``prob += x["R05"] <= x["D01"]`` reads
the same in both. In a plan the costs in ``budget``, pools and cost rules are net of the
exit costs of today's partners, which are taken off their right-hand sides, and a
``min_cost`` objective carries them as its constant.

Solve the problem with any PuLP solver and read it back with :func:`read_pulp`, or pass
a callback to :func:`selector.portfolio.solve` (``customize=``), which does both.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from selector.errors import ScenarioError, SolverError
from selector.inputs.scenario import Scenario
from selector.portfolio import pulp_compat
from selector.portfolio.instance import PortfolioInstance, evaluate, violations
from selector.portfolio.model import GROUPS, MipModel, build_model
from selector.portfolio.quality import scenario_instance
from selector.portfolio.result import PortfolioResult, assemble_result
from selector.portfolio.solvers.cbc import to_pulp

__all__ = ["pulp_model", "read_pulp", "solve_pulp", "write_model"]

_BAD = re.compile(r"[^A-Za-z0-9_]")
_MAX_NAME = 90


def _clean(text: object) -> str:
    return _BAD.sub("_", str(text))


def _unique(names: list[str]) -> list[str]:
    """Names made unique (a clash gets ``_2``, ``_3``, ...) and short enough for LP files."""
    seen: set[str] = set()
    next_k: dict[str, int] = {}
    out = []
    for name in names:
        base = name[:_MAX_NAME]
        candidate = base
        k = next_k.get(base, 2)
        while candidate in seen:
            candidate = f"{base}_{k}"
            k += 1
        next_k[base] = k
        seen.add(candidate)
        out.append(candidate)
    return out


def _instance_for(
    scenario: Scenario, scores: Mapping[str, float] | pd.Series | None, reference: Mapping[str, str] | None
) -> PortfolioInstance:
    return scenario_instance(scenario, scores, reference=reference, merge=False)


def _column_names(inst: PortfolioInstance, model: MipModel, scenario: Scenario) -> list[str]:
    seg_ids = np.asarray(scenario.segments.index.astype(str))
    first_segment = np.full(inst.n_rows, "", dtype=object)
    order = np.flatnonzero(inst.row_of_segment >= 0)[::-1]
    first_segment[inst.row_of_segment[order]] = seg_ids[order]
    own = [_clean(p) for p in inst.partner_ids]
    if inst.option_level is not None and inst.partner_names is not None and len(inst.level_names) > 1:
        own = [f"{o}_{_clean(inst.level_names[k])}" for o, k in zip(own, inst.option_level, strict=True)]
    names = [f"x_{o}" for o in own]
    for r, p in zip(model.aux_row, model.aux_partner, strict=True):
        seg = _clean(first_segment[r])
        names.append(f"y_{seg}" if p < 0 else f"z_{own[p]}_{seg}")
    return _unique(names)


def _row_names(inst: PortfolioInstance, model: MipModel, scenario: Scenario, cols: list[str]) -> list[str]:
    seg_ids = np.asarray(scenario.segments.index.astype(str))
    first_segment = np.full(inst.n_rows, "", dtype=object)
    order = np.flatnonzero(inst.row_of_segment >= 0)[::-1]
    first_segment[inst.row_of_segment[order]] = seg_ids[order]
    partners = inst.partner_names if inst.partner_names is not None else inst.partner_ids
    assert model.row_key is not None and model.row_sub is not None
    out: list[str] = []
    for g, key, sub in zip(model.row_group, model.row_key, model.row_sub, strict=True):
        group = GROUPS[g]
        if group == "objective_link":
            if sub == 0:
                name = f"best_{_clean(first_segment[key])}"
            elif sub == 1:
                name = "link_" + cols[model.n_x + key][2:]
            elif sub == 2:
                name = f"covered_{_clean(first_segment[key])}"
            else:
                name = "objective_floor"
        elif group == "budget":
            name = "budget"
        elif group == "pools":
            name = f"pool_{_clean(inst.pools[key][0])}"
        elif group == "requirements":
            name = f"min_partners_{_clean(first_segment[key])}"
        elif group == "caps":
            name = f"cap_{_clean(first_segment[key])}"
        elif group == "conflicts":
            pairs = inst.partner_conflicts if inst.partner_conflicts is not None else inst.conflicts
            a, b = pairs[key]
            name = f"conflict_{_clean(partners[a])}_{_clean(partners[b])}"
        elif group == "type_mix":
            name = f"mix_{_clean(inst.type_mix[key][0])}"
        elif group == "supply":
            name = "supply_" + cols[key][2:]
        elif group == "levels":
            name = f"one_level_{_clean(partners[key])}"
        elif group == "quotas":
            name = f"quota_{_clean(inst.quotas[key][0])}_{'share' if sub == 0 else 'count'}"
        elif group in ("exits", "recruits"):
            name = f"max_{group}"
        elif group == "continuity":
            name = f"keep_{_clean(inst.continuity_ids[key])}"
        else:  # rules
            rule = inst.rules[key]
            name = f"rule_{_clean(rule.id)}"
            if rule.kind == "requires" and len(rule.subjects) > 1:
                name += f"_{_clean(rule.subjects[sub])}"
        out.append(name)
    return _unique(out)


def _build(
    scenario: Scenario,
    scores: Mapping[str, float] | pd.Series | None,
    reference: Mapping[str, str] | None,
) -> tuple[Any, dict[str, Any], PortfolioInstance, list[str]]:
    import pulp

    inst = _instance_for(scenario, scores, reference)
    model = build_model(inst)
    cols = _column_names(inst, model, scenario)
    rows = _row_names(inst, model, scenario, cols)
    constant = inst.objective_offset
    prob, variables = to_pulp(
        model, name=_clean(scenario.name) or "portfolio", col_names=cols, row_names=rows, constant=constant
    )
    xs = variables[: inst.n_partners]
    mapping: dict[str, Any] = {}
    if inst.option_partner is None:
        mapping = {str(pid): v for pid, v in zip(inst.partner_ids, xs, strict=True)}
    else:
        assert inst.partner_names is not None
        for p, pid in enumerate(inst.partner_names):
            opts = np.flatnonzero(inst.option_partner == p)
            mapping[str(pid)] = (
                xs[opts[0]] if len(opts) == 1 else pulp.lpSum(xs[o] for o in opts)
            )
    return prob, mapping, inst, cols


def pulp_model(
    scenario: Scenario,
    *,
    scores: Mapping[str, float] | pd.Series | None = None,
    reference: Mapping[str, str] | None = None,
) -> tuple[Any, dict[str, Any]]:
    """The scenario's portfolio model as a readable PuLP problem (see the module notes).

    Returns
    -------
    (problem, partners)
        The ``pulp.LpProblem`` and a dict from partner id to its variable (in a plan
        scenario: the sum of its tier variables ``x_<partner>_<tier>``, which are in
        ``problem.variablesDict()``).

    Examples
    --------
    >>> prob, x = pulp_model(scenario)                      # doctest: +SKIP
    >>> prob += x["R0005"] <= x["D0001"], "my_R05_with_D01"  # doctest: +SKIP
    >>> stats = prob.solve(pulp.HiGHS(msg=False))           # doctest: +SKIP
    >>> result = read_pulp(scenario, prob, stats=stats)     # doctest: +SKIP
    """
    prob, mapping, _inst, _cols = _build(scenario, scores, reference)
    return prob, mapping


MSG_PULP_OPTIMAL = "The solver reports this portfolio optimal (by its own status, within its gap tolerance)."
MSG_NOT_SOLVED = "The PuLP problem has no solution to read (not solved, or the solver found none)."


def read_pulp(
    scenario: Scenario,
    prob: Any,
    *,
    scores: Mapping[str, float] | pd.Series | None = None,
    reference: Mapping[str, str] | None = None,
    solver: str = "pulp",
    wall_seconds: float = 0.0,
    stats: Any = None,
) -> PortfolioResult:
    """The usual :class:`PortfolioResult` from a solved PuLP problem of :func:`pulp_model`
    (also one read back from an MPS file: variables are matched by name).

    The status comes from the solver's own solution status (``prob.sol_status``), never
    from PuLP's status text, which says "Optimal" after a time limit too: 1 is
    ``optimal``, 2 (a solution, stopped early) ``time_limit``, infeasible ``infeasible``,
    anything else ``error``. ``objective`` is the scenario's objective at the portfolio
    found (whatever objective the problem was given); a portfolio that breaks a rule of
    the scenario is refused (``error``). Pass what ``prob.solve()`` returned as ``stats``:
    from PuLP 4.1 the status is there, not on the problem
    (:func:`selector.portfolio.pulp_compat.solution_status`).
    """

    inst = _instance_for(scenario, scores, reference)
    model = build_model(inst)
    cols = _column_names(inst, model, scenario)
    by_name = prob.variablesDict()
    # PuLP leaves out variables that appear in no row and not in the objective (and a
    # file written from the problem does too), so the solver gives them no value: those
    # read as their lower bound (0, or 1 for a partner that must be included). A problem
    # that has variables but none of this scenario's partners is another model.
    names = cols[: inst.n_partners]
    if any(v.startswith("x_") for v in by_name) and not any(c in by_name for c in names):
        raise ScenarioError(
            f"the PuLP problem has none of the variables {', '.join(names[:3])}, ...: it was not "
            "built by pulp_model for this scenario"
        )
    solved = [by_name[c].varValue if c in by_name else None for c in names]
    values = np.array(
        [float(model.col_lo[j]) if v is None else v for j, v in enumerate(solved)]
    )
    sol_status = pulp_compat.solution_status(prob, stats)
    status = pulp_compat.problem_status(prob, stats)
    kwargs: dict[str, Any] = {"solver": solver, "wall": wall_seconds, "build": 0.0, "heuristic": None}
    if sol_status == pulp_compat.SOLUTION_INFEASIBLE or status == pulp_compat.STATUS_INFEASIBLE:
        return assemble_result(scenario, inst, status="infeasible", x=None, objective=None, bound=None,
                       explanation=["The solver found the PuLP problem infeasible: no portfolio keeps "
                                    "every rule and every constraint added to it."], **kwargs)
    if sol_status not in (pulp_compat.SOLUTION_OPTIMAL, pulp_compat.SOLUTION_FEASIBLE):
        return assemble_result(scenario, inst, status="error", x=None, objective=None, bound=None,
                       explanation=[MSG_NOT_SOLVED + f" (PuLP status {pulp_compat.status_text(status)}, "
                                    f"solution status {sol_status})"], **kwargs)
    x = values > 0.5
    broken = violations(inst, x)
    if broken:
        return assemble_result(scenario, inst, status="error", x=None, objective=None, bound=None,
                       explanation=["The solver's portfolio breaks rules of the scenario: " + "; ".join(broken)],
                       **kwargs)
    obj = evaluate(inst, x)
    if sol_status == pulp_compat.SOLUTION_OPTIMAL:
        return assemble_result(scenario, inst, status="optimal", x=x, objective=obj, bound=obj,
                       explanation=[MSG_PULP_OPTIMAL], **kwargs)
    return assemble_result(scenario, inst, status="time_limit", x=x, objective=obj, bound=None,
                   explanation=["The solver stopped early (a limit) with this portfolio; how far it is from "
                                "the best possible was not read back."], **kwargs)


def write_model(
    scenario: Scenario,
    path: str,
    *,
    fmt: str | None = None,
    scores: Mapping[str, float] | pd.Series | None = None,
) -> str:
    """Write the readable model to ``path`` as an LP or MPS file (``fmt``: ``"lp"`` or
    ``"mps"``; default: from the file's suffix). Returns the format written.

    The MPS file carries the objective sense (OBJSENSE); read it back into PuLP with
    :func:`selector.portfolio.pulp_compat.read_mps` (PuLP's ``fromMPS`` ignores OBJSENSE),
    or give either file to HiGHS, CBC, GLPK or a commercial solver.
    """
    fmt = (fmt or path.rsplit(".", 1)[-1]).lower()
    if fmt not in ("lp", "mps"):
        raise ScenarioError(f"model format {fmt!r} is not known; accepted: lp, mps")
    prob, _ = pulp_model(scenario, scores=scores)
    if fmt == "lp":
        prob.writeLP(path)
    else:
        prob.writeMPS(path, with_objsense=True)
    return fmt


def solve_pulp(
    scenario: Scenario,
    customize: Callable[[Any, dict[str, Any]], Any] | None = None,
    *,
    solver: str = "cbc",
    time_limit: float = 60.0,
    gap: float = 1e-4,
    threads: int | None = None,
    scores: Mapping[str, float] | pd.Series | None = None,
    reference: Mapping[str, str] | None = None,
) -> PortfolioResult:
    """Build the readable model, let ``customize(problem, partners)`` add to it, solve it
    with CBC or HiGHS through PuLP and read the result back (:func:`read_pulp`).

    What :func:`selector.portfolio.solve` runs when given ``customize``.
    """
    import pulp

    t0 = time.perf_counter()
    prob, mapping = pulp_model(scenario, scores=scores, reference=reference)
    if customize is not None:
        customize(prob, mapping)
    if solver == "cbc":
        engine = pulp.COIN_CMD(path=pulp_compat.cbc_path(), msg=False, timeLimit=float(time_limit),
                               gapRel=float(gap), threads=threads)
    elif solver == "highs":
        engine = pulp.HiGHS(msg=False, timeLimit=float(time_limit), gapRel=float(gap), threads=threads)
    else:
        raise ScenarioError(f"solver {solver!r} is not known; accepted: cbc, highs")
    try:
        stats = prob.solve(engine)
    except pulp.PulpSolverError as exc:
        raise SolverError(f"{solver} failed: {exc}") from None
    wall = time.perf_counter() - t0
    return read_pulp(scenario, prob, scores=scores, reference=reference, solver=solver, wall_seconds=wall,
                     stats=stats)
