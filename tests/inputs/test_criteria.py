"""Criteria models: structure checks with messages that name the file and the entry."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import MODEL

from selector.errors import ScenarioError
from selector.inputs.criteria import (
    ROOT,
    CriteriaModel,
    load_model,
    model_from_dict,
    parse_judgment,
)

SMALL: dict[str, Any] = {
    "name": "Small",
    "criteria": [
        {"id": "fit"},
        {"id": "money"},
        {"id": "reach", "parent": "fit"},
        {"id": "skill", "parent": "fit", "column": "skill_score", "normalize": "scale", "scale": [1, 5]},
        {"id": "debt", "parent": "money", "direction": "cost"},
    ],
    "judgments": [
        {"parent": "goal", "pairs": [["fit", "money", 3]]},
        {"parent": "fit", "pairs": [["reach", "skill", "1/2"]]},
    ],
}


def small(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SMALL)
    data.update(changes)
    return data


def write_model(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "model.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def load_error(tmp_path: Path, data: dict[str, Any]) -> ScenarioError:
    """Load ``data`` from a file; return the error, which must name that file."""
    path = write_model(tmp_path, data)
    with pytest.raises(ScenarioError) as info:
        load_model(path)
    err = info.value
    assert err.file == str(path)
    assert str(err).startswith(f"{path}: ")
    assert "\n" not in str(err)
    return err


# --- the bundled model -------------------------------------------------------------------------


def test_bundled_model():
    model = load_model(MODEL)
    assert isinstance(model, CriteriaModel)
    assert model.name == "Partner selection"
    assert model.source == str(MODEL)
    assert len(model.leaves) == 16
    assert len(model.parents) == 6
    assert model.parents == ("goal", "strategic_fit", "capability", "financial_health",
                             "commitment", "performance")
    assert len(model.criteria) == 21
    assert model.children(ROOT) == ("strategic_fit", "capability", "financial_health",
                                    "commitment", "performance")
    assert model.children("commitment") == ("vendor_share", "dedicated_staff")
    assert all(leaf.column == leaf.id for leaf in model.leaves)
    assert {c.id for c in model.leaves}.isdisjoint(model.parents)
    assert model.node("overdue_ratio").direction == "cost"
    assert model.node("market_alignment").scale == (1.0, 5.0)
    assert model.node("capability").column is None and not model.node("capability").is_leaf
    assert (model.method, model.ri, model.threshold) == ("eigenvector", "saaty1980", 0.10)
    # one judgment set per parent, "1/2" read as a fraction
    assert [j.parent for j in model.judgments] == list(model.parents)
    (commitment,) = model.judgments_for("commitment")
    assert commitment.pairs == (("vendor_share", "dedicated_staff", 0.5),)
    assert commitment.expert == "channel director"
    assert len(model.judgments_for(ROOT)[0].pairs) == 10   # 5 choose 2


def test_leaves_in_tree_order():
    model = model_from_dict(small())
    assert [c.id for c in model.in_tree_order()] == ["fit", "reach", "skill", "money", "debt"]
    assert [c.id for c in model.leaves] == ["reach", "skill", "debt"]
    assert model.node("skill").column == "skill_score"
    assert model.node("reach").column == "reach"
    assert model.parents == ("goal", "fit", "money")
    assert model.source is None
    with pytest.raises(KeyError):
        model.node("nope")


def test_name_defaults_to_the_file_stem(tmp_path):
    data = small()
    del data["name"]
    assert load_model(write_model(tmp_path, data)).name == "model"


# --- structure errors --------------------------------------------------------------------------


def test_unknown_parent(tmp_path):
    data = small()
    data["criteria"][2]["parent"] = "fitt"
    err = load_error(tmp_path, data)
    assert "criterion 'reach': parent 'fitt' is not a criterion id" in str(err)
    assert "known: goal, debt, fit, money, reach, skill" in str(err)


def test_cycle(tmp_path):
    data = small()
    data["criteria"] += [{"id": "a", "parent": "b"}, {"id": "b", "parent": "a"},
                         {"id": "c", "parent": "a"}]
    err = load_error(tmp_path, data)
    assert "criteria a, b, c form a cycle and never reach the goal" in str(err)


def test_own_parent(tmp_path):
    data = small()
    data["criteria"].append({"id": "loop", "parent": "loop"})
    assert "criteria loop form a cycle" in str(load_error(tmp_path, data))


@pytest.mark.parametrize("dup", ["reach", "goal", " reach "])
def test_duplicate_or_reserved_id(tmp_path, dup):
    data = small()
    data["criteria"].append({"id": dup, "parent": "money"})
    err = load_error(tmp_path, data)
    assert f"criterion '{dup.strip()}': id used twice (or is the reserved 'goal')" in str(err)


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"parent": "fit"}, "criteria entry 6 has no 'id'"),
        ({"id": "x", "direction": "up"}, "criterion 'x': direction 'up'; accepted: benefit, cost"),
        ({"id": "x", "normalize": "zscore"}, "normalize 'zscore'; accepted: minmax, ratio, scale"),
        ({"id": "x", "missing": "skip"}, "missing 'skip'; accepted: error, worst, mean, zero"),
        ({"id": "x", "normalize": "scale"}, "criterion 'x': normalize = \"scale\" needs scale = [low, high]"),
        ({"id": "x", "scale": [5, 1]}, "criterion 'x': scale [5, 1]; accepted: [low, high] with low < high"),
        ({"id": "x", "label": 7}, "criterion 'x': 'label' must be text, found 7"),
    ],
)
def test_bad_criterion_entry(tmp_path, entry, fragment):
    data = small()
    data["criteria"].append(entry)
    assert fragment in str(load_error(tmp_path, data))


def test_inner_node_with_a_column(tmp_path):
    data = small()
    data["criteria"][0]["column"] = "fit_col"
    assert "criterion 'fit' has sub-criteria and a column" in str(load_error(tmp_path, data))


def test_no_criteria(tmp_path):
    assert "no [[criteria]] entries" in str(load_error(tmp_path, {"name": "Empty"}))


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [({"method": "mean"}, "settings.method is 'mean'; accepted: eigenvector, geometric"),
     ({"ri": "mine"}, "settings.ri is 'mine'"),
     ({"threshold": 0}, "settings.threshold is 0"),
     ({"threshold": float("nan")}, "settings.threshold is nan")],
)
def test_bad_settings(tmp_path, settings, fragment):
    assert fragment in str(load_error(tmp_path, small(settings=settings)))


def test_missing_model_file(tmp_path):
    with pytest.raises(ScenarioError, match=r"nope\.toml: criteria model file not found$"):
        load_model(tmp_path / "nope.toml")


def test_invalid_toml(tmp_path):
    path = tmp_path / "model.toml"
    path.write_text("[[criteria]\nid = 1\n")
    with pytest.raises(ScenarioError, match=r"model\.toml: not valid TOML: .*line 1"):
        load_model(path)


def test_model_file_not_utf8(tmp_path):
    path = tmp_path / "model.toml"
    path.write_bytes('name = "Müller"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError, match=r"model\.toml: not valid TOML: not UTF-8 text"):
        load_model(path)


# --- judgments ---------------------------------------------------------------------------------


def test_judgment_naming_a_non_sibling(tmp_path):
    data = small()
    data["judgments"][1]["pairs"] = [["reach", "debt", 2]]   # debt belongs to money
    err = load_error(tmp_path, data)
    assert "judgments entry 2: 'debt' is not a sub-criterion of 'fit' (accepted: reach, skill)" in str(err)


def test_judgment_naming_an_unknown_criterion(tmp_path):
    data = small()
    data["judgments"][0]["pairs"] = [["fit", "mony", 2]]
    assert "'mony' is not a sub-criterion of 'goal'" in str(load_error(tmp_path, data))


def test_judgment_of_a_criterion_with_itself(tmp_path):
    data = small()
    data["judgments"][0]["pairs"] = [["fit", "fit", 3]]
    assert "judgments entry 1: compares 'fit' with itself" in str(load_error(tmp_path, data))


def test_judgment_for_a_leaf_parent(tmp_path):
    data = small()
    data["judgments"].append({"parent": "reach", "pairs": [["a", "b", 2]]})
    err = load_error(tmp_path, data)
    assert "judgments entry 3: parent 'reach' has no sub-criteria to compare (parents: fit, goal, money)" in str(err)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("abc", "judgment 'abc' is not a number"), (0, "judgment 0 must be a positive finite number"),
     (-2, "judgment -2 must be a positive finite number"), ("1/0", "judgment '1/0' is not a number"),
     (True, "judgment True is not a number"), ("-1/3", "must be a positive"),
     (float("inf"), "must be a positive finite number")],
)
def test_bad_judgment_value_names_file_and_entry(tmp_path, value, fragment):
    data = small()
    data["judgments"][1]["pairs"] = [["reach", "skill", value]]
    err = load_error(tmp_path, data)
    assert fragment in str(err)
    assert "(judgments entry 2, pair 1)" in str(err)


@pytest.mark.parametrize(("text", "number"), [("1/3", 1 / 3), (" 1/3 ", 1 / 3), ("3", 3.0),
                                              ("0.5", 0.5), ("7/2", 3.5), (4, 4.0), (0.25, 0.25)])
def test_parse_judgment_accepts_numbers_and_fractions(text, number):
    assert parse_judgment(text) == pytest.approx(number)


def test_parse_judgment_error_without_place():
    with pytest.raises(ScenarioError) as info:
        parse_judgment("x")
    assert info.value.file is None
    assert str(info.value) == 'judgment \'x\' is not a number; accepted: a positive number or a fraction such as "1/3"'


def test_fraction_strings_in_a_file(tmp_path):
    data = small()
    data["judgments"][0]["pairs"] = [["fit", "money", "1/3"]]
    model = load_model(write_model(tmp_path, data))
    assert model.judgments_for(ROOT)[0].as_mapping() == {("fit", "money"): pytest.approx(1 / 3)}


def test_matrix_form(tmp_path):
    data = small()
    data["criteria"].append({"id": "speed", "parent": "fit"})
    data["judgments"][1] = {
        "parent": "fit", "expert": "sales", "weight": 2,
        "items": ["reach", "skill", "speed"],
        "matrix": [[1, 2, "1/3"], ["1/2", 1, 4], [3, "1/4", 1]],
    }
    model = load_model(write_model(tmp_path, data))
    (fit,) = model.judgments_for("fit")
    assert fit.expert == "sales" and fit.weight == 2.0
    assert fit.as_mapping() == {
        ("reach", "skill"): 2.0, ("reach", "speed"): pytest.approx(1 / 3), ("skill", "speed"): 4.0}


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"parent": "fit", "items": ["reach", "skill"], "matrix": [[1, 2]]},
         "judgments entry 2: matrix must be 2 x 2 to match 'items'"),
        ({"parent": "fit", "matrix": [[1, 2], [0.5, 1]]}, "'matrix' needs 'items'"),
        ({"parent": "fit", "items": ["reach", "debt"], "matrix": [[1, 2], [0.5, 1]]},
         "'debt' is not a sub-criterion of 'fit'"),
        ({"parent": "fit", "items": ["reach", "skill"], "matrix": [[1, "x"], [1, 1]]},
         "judgment 'x' is not a number; accepted: a positive number or a fraction such as \"1/3\" (judgments entry 2, reach/skill)"),
        ({"parent": "fit"}, "give 'pairs' or 'items' and 'matrix'"),
        ({"parent": "fit", "pairs": [["reach", "skill"]]}, "pair 1: ['reach', 'skill']; accepted"),
        ({"parent": "fit", "weight": 0, "pairs": [["reach", "skill", 2]]}, "weight 0 must be a positive"),
        ({"parent": "fit", "weight": float("nan"), "pairs": [["reach", "skill", 2]]},
         "weight nan must be a positive"),
        ({"parent": "fit", "weight": float("inf"), "pairs": [["reach", "skill", 2]]},
         "weight inf must be a positive"),
    ],
)
def test_bad_judgment_entries(tmp_path, entry, fragment):
    data = small()
    data["judgments"][1] = entry
    assert fragment in str(load_error(tmp_path, data))


def test_several_experts_are_kept():
    data = small()
    data["judgments"].append({"parent": "goal", "expert": "cfo", "weight": 0.5,
                              "pairs": [["money", "fit", 2]]})
    model = model_from_dict(data)
    experts = model.judgments_for(ROOT)
    assert [(j.expert, j.weight) for j in experts] == [("", 1.0), ("cfo", 0.5)]
    assert experts[1].pairs == (("money", "fit", 2.0),)


def test_model_from_dict_errors_name_a_placeholder():
    data = small()
    data["criteria"][2]["parent"] = "nowhere"
    with pytest.raises(ScenarioError, match=r"^<criteria model>: criterion 'reach': parent 'nowhere'"):
        model_from_dict(data)
