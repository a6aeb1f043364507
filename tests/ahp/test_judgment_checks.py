"""Judgments are never dropped in silence, and AHP errors name the model file and the
judgments entry (issue 16 items 12 and 17)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MODEL, check_error

from selector.errors import JudgmentError, ModelJudgmentError, ScenarioError
from selector.inputs.criteria import load_model
from selector.inputs.scenario import load_scenario
from selector.scoring import model_weights

HEAD = """name = "m"
[settings]
threshold = {threshold}
[[criteria]]
id = "a"
[[criteria]]
id = "b"
[[criteria]]
id = "c"
"""


def _model(tmp_path: Path, judgments: str, threshold: str = "0.1") -> Path:
    path = tmp_path / "model.toml"
    path.write_text(HEAD.format(threshold=threshold) + judgments)
    return path


def test_same_pair_twice_is_refused(tmp_path: Path, expect_error) -> None:
    path = _model(tmp_path, '[[judgments]]\npairs = [["a", "b", 3], ["b", "c", 2], ["b", "a", 5]]\n')
    expect_error(load_model, path, file=path,
                 contains=["judgments entry 1, pair 3", "already compared in pair 1"])


def test_same_pair_in_two_entries_of_one_expert_is_refused(tmp_path: Path, expect_error) -> None:
    path = _model(tmp_path, '[[judgments]]\nexpert = "x"\npairs = [["a", "b", 3]]\n'
                            '[[judgments]]\nexpert = "x"\npairs = [["a", "b", 5], ["a", "c", 2]]\n')
    expect_error(load_model, path, file=path, contains=["judgments entry 2", "entry 1"])


def test_unnamed_experts_may_repeat_a_pair(tmp_path: Path) -> None:
    path = _model(tmp_path, '[[judgments]]\npairs = [["a", "b", 3], ["a", "c", 2]]\n'
                            '[[judgments]]\npairs = [["a", "b", 5], ["a", "c", 2]]\n')
    assert model_weights(load_model(path)).global_weights


def test_matrix_lower_triangle_must_be_reciprocal(tmp_path: Path, expect_error) -> None:
    path = _model(tmp_path, '[[judgments]]\nitems = ["a", "b"]\nmatrix = [[1, 0.5], [9, 1]]\n')
    expect_error(load_model, path, file=path, contains=["judgments entry 1", "b/a", "reciprocals"])


def test_matrix_diagonal_must_be_one(tmp_path: Path, expect_error) -> None:
    path = _model(tmp_path, '[[judgments]]\nitems = ["a", "b"]\nmatrix = [[7, 0.5], [2, 7]]\n')
    expect_error(load_model, path, file=path, contains=["diagonal", "a/a"])


def test_reciprocal_matrix_still_loads(tmp_path: Path) -> None:
    path = _model(tmp_path, '[[judgments]]\nitems = ["a", "b", "c"]\n'
                            'matrix = [[1, 3, 5], ["1/3", 1, 2], [0.2, 0.5, 1]]\n')
    assert model_weights(load_model(path)).consistent


def test_rating_outside_the_scale_is_refused(make_scenario, expect_error) -> None:
    def bad(frame):
        frame = frame.copy()
        frame["market_alignment"] = frame["market_alignment"].astype(object)
        frame.loc[frame.index[2], "market_alignment"] = 50
        return frame

    path = make_scenario(partners=bad)
    expect_error(load_scenario, path, row=4, column="market_alignment", contains=["above 5"])


@pytest.mark.parametrize("judgments, words", [
    ('[[judgments]]\npairs = [["a", "b", 30], ["a", "c", 2]]\n', ["30"]),
    ('[[judgments]]\npairs = [["a", "b", 3]]\n', ["connect"]),
])
def test_ahp_errors_name_the_model_file_and_entry(tmp_path: Path, judgments: str, words: list[str]) -> None:
    path = _model(tmp_path, judgments)
    with pytest.raises(JudgmentError) as info:
        model_weights(load_model(path))
    assert isinstance(info.value, ModelJudgmentError) and isinstance(info.value, ScenarioError)
    msg = check_error(info.value, file=path, contains=["judgments entry 1"])
    for w in words:
        assert w in msg


def test_n_too_large_for_the_ri_table_names_the_file(tmp_path: Path) -> None:
    n = 40
    crit = "".join(f'[[criteria]]\nid = "c{i}"\n' for i in range(n))
    pairs = ", ".join(f'["c0", "c{i}", 2]' for i in range(1, n))
    path = tmp_path / "big.toml"
    path.write_text(f'name = "big"\n{crit}[[judgments]]\npairs = [{pairs}]\n')
    with pytest.raises(ScenarioError) as info:
        model_weights(load_model(path))
    check_error(info.value, file=path, contains=["judgments entry 1", "n = 40"])


def test_infinite_threshold_is_refused(tmp_path: Path, expect_error) -> None:
    path = _model(tmp_path, '[[judgments]]\npairs = [["a", "b", 3], ["a", "c", 2]]\n', threshold="inf")
    expect_error(load_model, path, file=path, contains=["threshold"])


def test_bundled_model_still_weighs() -> None:
    assert model_weights(load_model(MODEL)).global_weights
