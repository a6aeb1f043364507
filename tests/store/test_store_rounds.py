"""A judgment round in the workspace: three participants, their CRs, the group weights,
consensus, the pairs they disagree on, and adopting the group result."""

from __future__ import annotations

from pathlib import Path

import pytest

from selector import load_model, model_weights
from selector.ahp import merge
from selector.store import RoleError, StoreError, open_store, round_result

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "partner-selection.toml"
GOAL = ("strategic_fit", "capability", "financial_health", "commitment", "performance")


def goal_pairs(values: dict[tuple[str, str], float]) -> list[tuple[str, str, str, float]]:
    return [("goal", a, b, v) for (a, b), v in values.items()]


def full(first: float, rest: float = 1.0) -> dict[tuple[str, str], float]:
    """All ten goal pairs: strategic fit ``first`` times each other, the rest ``rest``."""
    out = {}
    for i, a in enumerate(GOAL):
        for b in GOAL[i + 1:]:
            out[(a, b)] = first if a == "strategic_fit" else rest
    return out


def test_three_person_round_end_to_end(db_url: str) -> None:
    # Each person has their own store: who saves is the store's, never an argument.
    store = open_store(db_url, user="fran")
    people = {who: open_store(db_url, user=who) for who in ("ana", "bo", "cy", "dee")}
    model = load_model(MODEL)
    mv = store.save_model(model)
    assert mv.author == "fran"
    rnd = store.open_round(mv.id, title="FY27 weights")
    assert rnd.status == "open" and rnd.title == "FY27 weights" and rnd.facilitator == "fran"
    ana = full(3)
    bo = full(5)
    cy = full(1 / 3)
    cy[("capability", "financial_health")] = 7  # inconsistent with her other judgments
    cy[("financial_health", "commitment")] = 7
    for who, pairs in (("ana", ana), ("bo", bo), ("cy", cy)):
        people[who].submit_judgments(rnd.id, goal_pairs(pairs), source="app")
    people["ana"].submit_judgments(rnd.id, goal_pairs(full(4)), source="app")  # supersedes
    # Nobody submits or replaces another's judgments, nor adopts a round they did not open.
    with pytest.raises(RoleError, match=f"judgment round {rnd.id}: only ana may submit or "
                       "replace ana's judgments; you are bo"):
        people["bo"].submit_judgments(rnd.id, goal_pairs(full(9)), participant="ana")
    with pytest.raises(RoleError, match=r"only its facilitator, fran, may adopt it; you are ana"):
        people["ana"].adopt_round(rnd.id)
    with pytest.raises(RoleError, match=r"only its facilitator, fran, may close it; you are cy"):
        people["cy"].close_round(rnd.id)
    subs = store.judgments(rnd.id)
    assert [s.participant for s in subs] == ["ana", "bo", "cy"]
    assert len(store.judgments(rnd.id, latest=False)) == 4

    result = round_result(store.load_model(mv.id), subs)
    goal = next(p for p in result.parents if p.parent == "goal")
    assert set(goal.participants) == {"ana", "bo", "cy"}
    assert goal.participants["ana"].cr == pytest.approx(0.0, abs=1e-9)
    assert goal.participants["cy"].cr > 0.1 and goal.participants["cy"].revisions
    expected = merge({"ana": full(4), "bo": full(5), "cy": cy}, items=GOAL)
    assert goal.aij is not None and goal.aip is not None
    assert goal.aij.weights == pytest.approx(expected.weights)
    assert 0 <= goal.aij.consensus < 1
    # Strategic fit is where they disagree most: 5 (bo) against 1/3 (cy).
    top = result.disagreements[0]
    assert (top.parent, top.a) == ("goal", "strategic_fit")
    assert top.spread == pytest.approx(15)
    assert result.to_dict()["parents"][0]["participants"]["cy"]["revision"] is not None

    adopted = store.adopt_round(rnd.id)
    assert adopted.version == 2 and adopted.parent_id == mv.id and adopted.author == "fran"
    assert store.round(rnd.id).status == "adopted"
    assert store.round(rnd.id).adopted_model_version_id == adopted.id
    new_model = store.load_model(adopted.id)
    experts = {j.expert for j in new_model.judgments_for("goal")}
    assert experts == {"ana", "bo", "cy"}
    node = model_weights(new_model).nodes["goal"]
    assert node is not None and node.weights == pytest.approx(goal.aij.weights)
    # Other parents keep the model's own judgments.
    assert new_model.judgments_for("capability") == model.judgments_for("capability")
    with pytest.raises(StoreError, match="not open"):
        people["dee"].submit_judgments(rnd.id, goal_pairs(full(2)))
    with pytest.raises(StoreError, match="adopted, not open"):
        store.close_round(rnd.id)
    for other in people.values():
        other.close()
    store.close()


def test_the_facilitator_closes_a_round_without_adopting(tmp_path: Path) -> None:
    store = open_store(tmp_path / "w.db", user="fran")
    rnd = store.open_round(store.save_model(load_model(MODEL)).id)
    ana = open_store(tmp_path / "w.db", user="ana")
    ana.submit_judgments(rnd.id, goal_pairs(full(3)))
    closed = store.close_round(rnd.id)
    assert closed.status == "closed" and store.round(rnd.id).adopted_model_version_id is None
    assert [j.participant for j in store.judgments(rnd.id)] == ["ana"]  # kept
    with pytest.raises(StoreError, match="closed, not open"):
        ana.submit_judgments(rnd.id, goal_pairs(full(2)))
    ana.close()
    store.close()


def test_judgments_are_checked_against_the_model(tmp_path: Path) -> None:
    store = open_store(tmp_path / "w.db")
    mv = store.save_model(load_model(MODEL))
    rnd = store.open_round(mv.id)
    with pytest.raises(StoreError, match="not two sub-criteria of 'goal'"):
        store.submit_judgments(rnd.id, [("goal", "strategic_fit", "culture_fit", 3)])
    with pytest.raises(StoreError, match="outside Saaty's scale"):
        store.submit_judgments(rnd.id, [("goal", "strategic_fit", "capability", 12)])
    with pytest.raises(StoreError, match="the user name is empty"):
        open_store(tmp_path / "w.db", user=" ")
    with pytest.raises(StoreError, match="no judgments to adopt"):
        store.adopt_round(rnd.id)
    store.close()
