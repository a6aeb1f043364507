"""Monte Carlo robustness: perturbation, seeding and partner frequencies.

The teaching scenario solves in a fraction of a second, so whole studies run here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from selector import load_scenario
from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario
from selector.whatif.montecarlo import SAATY_SCALE, perturb_scenario, robustness

REPO = Path(__file__).resolve().parents[2]
TEACHING = REPO / "scenarios" / "teaching.toml"


@pytest.fixture(scope="module")
def teaching() -> Scenario:
    return load_scenario(TEACHING)


def test_perturbation_moves_judgments_by_at_most_the_spread(teaching: Scenario) -> None:
    assert teaching.model is not None
    same = perturb_scenario(
        teaching, np.random.default_rng(1), judgment_spread=0, data_noise=0, value_noise=0
    )
    assert same.model is not None and same.model.judgments == teaching.model.judgments
    assert same.partners.equals(teaching.partners) and same.segments.equals(teaching.segments)
    log_scale = np.log(SAATY_SCALE)
    moved = perturb_scenario(teaching, np.random.default_rng(1), judgment_spread=1)
    assert moved.model is not None
    changed = 0
    for before, after in zip(teaching.model.judgments, moved.model.judgments, strict=True):
        for (a, b, v), (a2, b2, v2) in zip(before.pairs, after.pairs, strict=True):
            assert (a, b) == (a2, b2) and v2 in SAATY_SCALE
            k = int(np.argmin(abs(log_scale - math.log(v))))
            assert abs(SAATY_SCALE.index(v2) - k) <= 1
            changed += v2 != v
    assert changed > 0
    assert list(moved.partners.index) == list(teaching.partners.index)
    assert not moved.partners["sales_headcount"].equals(teaching.partners["sales_headcount"])
    assert moved.partners["cost"].equals(teaching.partners["cost"])  # not a criterion
    assert (moved.segments["value"] > 0).all()


def test_robustness_is_seeded_and_consistent(teaching: Scenario) -> None:
    a = robustness(teaching, runs=12, seed=7, engine="serial")
    b = robustness(teaching, runs=12, seed=7, engine="serial")
    assert a.runs == b.runs and a.frequency.equals(b.frequency)
    c = robustness(teaching, runs=12, seed=8, judgment_spread=2, engine="serial")
    assert [r.objective for r in c.runs] != [r.objective for r in a.runs]
    assert [r.run for r in a.runs] == list(range(12))
    assert a.status_counts == {"optimal": 12}
    freq = a.frequency
    assert ((freq >= 0) & (freq <= 1)).all()
    assert list(freq.to_numpy()) == sorted(freq.to_numpy(), reverse=True)
    assert set(freq.index) == set(teaching.partners.index)
    for pid, f in freq.items():
        assert f == pytest.approx(sum(pid in r.selected for r in a.runs) / 12)
    share = a.modal_count / a.feasible_runs
    assert a.modal_count == max(
        sum(tuple(sorted(r.selected)) == tuple(sorted(s.selected)) for r in a.runs) for s in a.runs
    )
    for pid in a.modal_portfolio:
        assert freq[pid] >= share - 1e-12
    for pid in set(freq.index) - set(a.modal_portfolio):
        assert freq[pid] <= 1 - share + 1e-12
    frame = a.to_frame()
    assert frame["frequency"].equals(freq.rename("frequency")) or list(frame["frequency"]) == list(freq)
    assert {"name", "type", "cost", "runs_selected", "in_modal"} <= set(frame.columns)
    assert set(a.spread.index) == {"covered_share", "covered_value", "cost", "objective"}
    assert (a.spread.loc["cost", "max"] <= 600_000 + 1e-6)
    assert len(a.runs_frame()) == 12
    d = json.loads(json.dumps(a.to_dict(), allow_nan=False))
    assert d["runs"] == 12 and d["feasible_runs"] == a.feasible_runs
    assert d["status_counts"] == {"optimal": 12}
    assert d["modal_portfolio"] == list(a.modal_portfolio) and d["modal_count"] == a.modal_count
    assert {f["partner_id"]: f["frequency"] for f in d["frequency"]} == pytest.approx(freq.to_dict())
    assert d["spread"]["cost"]["max"] == pytest.approx(a.spread.loc["cost", "max"])
    assert [r["selected"] for r in d["run_records"]] == [list(r.selected) for r in a.runs]


def test_heuristic_robustness_and_bad_options(teaching: Scenario) -> None:
    h = robustness(teaching, runs=4, heuristic=True, engine="serial")
    assert {r.status for r in h.runs} <= {"time_limit", "infeasible"}
    assert h.heuristic and h.feasible_runs == 4
    with pytest.raises(ScenarioError, match="runs is 0; accepted: a whole number >= 1"):
        robustness(teaching, runs=0, engine="serial")
    with pytest.raises(ScenarioError, match=r"data_noise is -0\.1"):
        robustness(teaching, runs=1, data_noise=-0.1, engine="serial")
    with pytest.raises(ScenarioError, match="judgment_spread"):
        robustness(teaching, runs=1, judgment_spread=1.5, engine="serial")  # type: ignore[arg-type]
