"""Partner scores, score bands and the positioning matrix.

A partner's score (0..1) is the sum over leaf criteria of the leaf's global AHP
weight times the partner's normalized value on that criterion. Normalization is the
criteria model's choice per leaf:

* ``minmax``  -- (x - min) / (max - min) over the partners (cost: reversed);
* ``ratio``   -- x / max (cost: min / x), the "ratio to the best";
* ``scale``   -- (x - low) / (high - low) on a rating scale such as 1..5 (cost: reversed).

Scores place partners in *score bands* by rank (default, after the sources: gold =
top 10 %, silver = up to the top 30 %, exit = bottom 10 %, standard the rest; the
scenario's ``[tiers]`` table sets the shares). A score band is a rank from the criteria
scores, not a partner's *programme tier* (its level in the vendor's programme today,
the partner table's ``tier`` column, or the level a plan proposes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from selector import ahp
from selector.errors import JudgmentError, ModelJudgmentError, ScenarioError
from selector.inputs.criteria import ROOT, CriteriaModel, Criterion, JudgmentSet
from selector.inputs.scenario import Scenario, TierRule

__all__ = [
    "BANDS",
    "QUADRANTS",
    "ModelWeights",
    "PartnerScores",
    "model_weights",
    "normalize",
    "positioning",
    "score_bands",
    "score_partners",
]

BANDS = ("gold", "silver", "standard", "exit")
QUADRANTS = {
    (True, True): "invest and develop",
    (True, False): "widen coverage, joint marketing, foster an alternative",
    (False, True): "train and enable more",
    (False, False): "transactional",
}
MSG_NO_MODEL = (
    "the scenario has no criteria model and its partner table has no complete 'score' "
    "column; give 'model = \"...toml\"' in the scenario or a score (0..1) for every partner"
)


@dataclass(frozen=True, eq=False)
class ModelWeights:
    """The weights of a criteria model: each parent's AHP result and the global leaf weights."""

    model: str
    method: str
    ri_table: str
    nodes: Mapping[str, ahp.AhpResult | ahp.GroupResult | None]
    global_weights: Mapping[str, float]
    node_weights: Mapping[str, float]

    @property
    def consistent(self) -> bool:
        """Every parent's judgments (each expert's, when merged) pass the CR threshold."""
        return all(not problems for problems in self.inconsistent_nodes().values())

    def inconsistent_nodes(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for parent, res in self.nodes.items():
            problems: list[str] = []
            if isinstance(res, ahp.AhpResult) and not res.consistent:
                problems.append(f"CR {res.cr:.3f}")
            elif isinstance(res, ahp.GroupResult):
                for expert, r in res.experts.items():
                    if not r.consistent:
                        problems.append(f"{expert}: CR {r.cr:.3f}")
            if problems:
                out[parent] = problems
        return out


@dataclass(frozen=True, eq=False)
class PartnerScores:
    """Scores (0..1) and score bands by partner id, with the table behind them."""

    score: pd.Series
    band: pd.Series
    normalized: pd.DataFrame
    weights: ModelWeights | None
    overridden: tuple[str, ...]

    @property
    def tier(self) -> pd.Series:
        """The score band under its earlier name (the optimizer's exit band reads it)."""
        return self.band

    def to_frame(self) -> pd.DataFrame:
        out = pd.DataFrame({"score": self.score, "band": self.band})
        out["rank"] = self.score.rank(ascending=False, method="first").astype(int)
        return out.sort_values("rank")


def model_weights(
    model: CriteriaModel,
    *,
    method: str | None = None,
    ri: str | None = None,
    merge: str = "aij",
) -> ModelWeights:
    """Local weights at every parent (one expert: weighed; several: merged) and the
    global leaf weights by distributive synthesis. A parent without judgments gives its
    children equal weights."""
    method = method or model.method
    ri = ri or model.ri
    nodes: dict[str, ahp.AhpResult | ahp.GroupResult | None] = {}
    local: dict[str, dict[str, float]] = {}
    for parent in model.parents:
        children = model.children(parent)
        sets = model.judgments_for(parent)
        if len(children) == 1 or not sets:
            nodes[parent] = None
            local[parent] = {c: 1.0 / len(children) for c in children}
            continue
        try:
            res: ahp.AhpResult | ahp.GroupResult = _weigh_parent(model, parent, children, sets, method=method, ri=ri, merge=merge)
        except JudgmentError as exc:
            entries = [k for k, js in enumerate(model.judgments, start=1) if js.parent == parent]
            which = (f"judgments entry {entries[0]}" if len(entries) == 1
                     else "judgments entries " + ", ".join(map(str, entries)))
            raise ModelJudgmentError(
                f"{which} (comparing the sub-criteria of '{parent}'): {exc}",
                file=model.source or model.name,
            ) from None
        nodes[parent] = res
        local[parent] = dict(res.weights)
    hierarchy = ahp.synthesize(local, root=ROOT)
    return ModelWeights(
        model=model.name,
        method=method,
        ri_table=ri,
        nodes=nodes,
        global_weights=dict(hierarchy.weights),
        node_weights=dict(hierarchy.node_weights),
    )


def _weigh_parent(
    model: CriteriaModel,
    parent: str,
    children: Sequence[str],
    sets: Sequence[JudgmentSet],
    *,
    method: str,
    ri: str,
    merge: str,
) -> ahp.AhpResult | ahp.GroupResult:
    if len({s.expert for s in sets}) == 1 and len(sets) == 1:
        return ahp.weigh(
            sets[0].as_mapping(), items=children, method=method, ri=ri, threshold=model.threshold
        )
    by_expert: dict[str, dict[tuple[str, str], float]] = {}
    expert_weight: dict[str, float] = {}
    for k, s in enumerate(sets):
        name = s.expert or f"expert {k + 1}"
        by_expert.setdefault(name, {}).update(s.as_mapping())
        expert_weight[name] = s.weight
    return ahp.merge(
        by_expert, expert_weight, method=merge, items=children, priority=method,
        ri=ri, threshold=model.threshold,
    )


def normalize(values: np.ndarray, criterion: Criterion) -> np.ndarray:
    """Map raw criterion values to 0..1 (1 = best), filling missing ones per the model."""
    x = np.asarray(values, dtype=float)
    missing = np.isnan(x)
    if missing.all():
        return np.zeros_like(x)
    benefit = criterion.direction == "benefit"
    if criterion.normalize == "scale":
        low, high = criterion.scale or (0.0, 1.0)
        out = (np.clip(x, low, high) - low) / (high - low)
        if not benefit:
            out = 1.0 - out
    elif criterion.normalize == "ratio":
        present = x[~missing]
        if benefit:
            top = present.max()
            out = x / top if top > 0 else np.ones_like(x)
        else:
            best = present.min()
            with np.errstate(divide="ignore"):
                out = np.where(x > 0, best / x, 1.0) if best > 0 else np.where(x <= 0, 1.0, 0.0)
        out = np.clip(out, 0.0, 1.0)
    else:
        present = x[~missing]
        lo, hi = present.min(), present.max()
        if hi == lo:
            # Every partner alike: the criterion does not tell them apart, whichever way.
            out = np.ones_like(x)
        else:
            out = (x - lo) / (hi - lo)
            if not benefit:
                out = 1.0 - out
    if missing.any():
        fill = {"worst": 0.0, "zero": 0.0, "mean": float(np.mean(out[~missing]))}.get(criterion.missing, 0.0)
        if criterion.missing == "zero" and criterion.normalize != "scale":
            fill = 0.0
        out = np.where(missing, fill, out)
    return np.asarray(out, dtype=float)


def score_bands(score: pd.Series, rule: TierRule | None = None) -> pd.Series:
    """Score band by rank: top ``gold`` share gold, up to ``silver`` silver, bottom
    ``exit`` exit, standard the rest.

    Ties are broken by partner id so the same data always gives the same bands.
    """
    rule = rule or TierRule()
    n = len(score)
    order = sorted(score.index, key=lambda pid: (-float(score[pid]), str(pid)))
    n_gold = int(round(rule.gold * n))
    n_silver = int(round(rule.silver * n))
    n_exit = min(int(round(rule.exit * n)), n - n_silver)
    bands: dict[Any, str] = {}
    for rank, pid in enumerate(order):
        if rank < n_gold:
            bands[pid] = "gold"
        elif rank < n_silver:
            bands[pid] = "silver"
        elif rank >= n - n_exit:
            bands[pid] = "exit"
        else:
            bands[pid] = "standard"
    return pd.Series(bands, name="band").reindex(score.index)


def score_partners(
    scenario: Scenario,
    *,
    weights: ModelWeights | Mapping[str, float] | None = None,
) -> PartnerScores:
    """Score every partner of a scenario and place it in a score band.

    Parameters
    ----------
    scenario
        A loaded scenario with a criteria model, or a partner table ``score`` column.
    weights
        Global leaf weights to use instead of the model's judgments (what-if).

    Raises
    ------
    ScenarioError
        Neither a model nor a complete score column is available.
    """
    partners = scenario.partners
    model = scenario.model
    given = partners["score"] if "score" in partners.columns else None
    if model is None:
        if given is None or given.isna().any():
            raise ScenarioError(MSG_NO_MODEL, file=scenario.source)
        score = given.astype(float).rename("score")
        return PartnerScores(
            score=score,
            band=score_bands(score, scenario.tiers),
            normalized=pd.DataFrame(index=partners.index),
            weights=None,
            overridden=tuple(map(str, partners.index)),
        )
    mw: ModelWeights | None
    if weights is None:
        mw = model_weights(model)
        leaf_weights = dict(mw.global_weights)
    elif isinstance(weights, ModelWeights):
        mw = weights
        leaf_weights = dict(weights.global_weights)
    else:
        mw = None
        leaf_weights = {k: float(v) for k, v in weights.items()}
        total = sum(leaf_weights.values())
        if total <= 0:
            raise ScenarioError("criterion weights must be positive and sum to more than 0")
        leaf_weights = {k: v / total for k, v in leaf_weights.items()}
    normalized = pd.DataFrame(index=partners.index)
    for leaf in model.leaves:
        column = leaf.column or leaf.id
        normalized[leaf.id] = normalize(partners[column].to_numpy(dtype=float), leaf)
    w = np.array([leaf_weights.get(leaf.id, 0.0) for leaf in model.leaves])
    computed = normalized.to_numpy() @ w
    score = pd.Series(computed, index=partners.index, name="score")
    overridden: tuple[str, ...] = ()
    if given is not None:
        mask = given.notna()
        score[mask] = given[mask].astype(float)
        overridden = tuple(map(str, partners.index[mask.to_numpy()]))
    score = score.clip(0.0, 1.0)
    return PartnerScores(
        score=score,
        band=score_bands(score, scenario.tiers),
        normalized=normalized,
        weights=mw,
        overridden=overridden,
    )


def positioning(scenario: Scenario, scores: PartnerScores | None = None) -> pd.DataFrame:
    """Positioning-matrix data: importance of the partner to us (its score) x importance
    of us to the partner (the scenario's ``importance_to_partner`` column), split at
    the medians into four quadrants with the sources' advice for each."""
    scores = scores or score_partners(scenario)
    column = scenario.importance_column
    if column is None:
        raise ScenarioError(
            "positioning needs a column saying how important we are to each partner: add "
            "'importance_to_partner' to the partner table, or name a column with "
            "[positioning] importance_to_partner = \"COLUMN\"",
            file=scenario.source,
        )
    them = scenario.partners[column].astype(float)
    us = scores.score
    high_us = us >= us.median()
    high_them = them >= them.median()
    quadrant = [QUADRANTS[(bool(a), bool(b))] for a, b in zip(high_us, high_them, strict=True)]
    return pd.DataFrame(
        {
            "name": scenario.partners["name"],
            "type": scenario.partners["type"],
            "importance_to_us": us,
            "importance_to_partner": them,
            "quadrant": quadrant,
            "band": scores.band,
        }
    )
