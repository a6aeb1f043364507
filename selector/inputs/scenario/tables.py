"""The data tables of a scenario: partners, segments, coverage pairs and supply pairs.

Turns the text cells :mod:`selector.inputs.tables` reads into the typed frames
:class:`~selector.inputs.scenario.Scenario` holds, checking ids, go-to-market tiers,
numbers and the criterion columns of the criteria model on the way. Without a coverage
table, :func:`coverage_by_attributes` derives coverage from the partners' regions,
industries and sizes. Errors are :class:`~selector.errors.ScenarioError` naming file,
row and column; anything worth a warning is appended to the scenario's ``problems``.
The columns are described in :mod:`selector.inputs.scenario`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from selector.errors import ScenarioError
from selector.inputs.criteria import CriteriaModel
from selector.inputs.tables import (
    parse_bool_column,
    parse_list_cell,
    parse_number_column,
    require_columns,
    sheet_row,
    unique_ids,
)

__all__ = [
    "PARTNER_COLUMNS",
    "SEGMENT_COLUMNS",
    "coverage_by_attributes",
    "coverage_problems",
    "coverage_table",
    "partner_table",
    "segment_table",
    "supply_table",
]


PARTNER_COLUMNS = ("id", "name", "type", "gtm_tier", "cost", "regions", "industries", "sizes")
SEGMENT_COLUMNS = ("id", "region", "industry", "size", "value")



# Larger amounts (a value or cost of 1e308) overflow the objective or fall outside what
# the solvers take as finite (HiGHS: 1e20); a trillion is far beyond any channel.
MAX_AMOUNT = 1e12

def partner_table(
    raw: pd.DataFrame, file: str, model: CriteriaModel | None, objective: str
) -> pd.DataFrame:
    require_columns(raw, PARTNER_COLUMNS, file=file)
    unique_ids(list(raw["id"]), file=file)
    out = pd.DataFrame(index=pd.Index(raw["id"].to_numpy(dtype=object), name="id"))
    for col in ("name", "type"):
        empty = (raw[col] == "").to_numpy()
        if empty.any():
            i = int(np.flatnonzero(empty)[0])
            raise ScenarioError("the cell is empty; text is required", file=file, row=sheet_row(i), column=col)
        out[col] = raw[col].to_numpy(dtype=object)
    tier = raw["gtm_tier"]
    bad = ~tier.isin(["1", "2"]).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ScenarioError(
            f"'{tier.iloc[i]}' is not a go-to-market tier; accepted: 1 (buys from the vendor) "
            "or 2 (buys from a distributor)",
            file=file,
            row=sheet_row(i),
            column="gtm_tier",
        )
    out["gtm_tier"] = tier.astype(int).to_numpy()
    out["cost"] = parse_number_column(raw, "cost", file=file, minimum=0.0, maximum=MAX_AMOUNT)
    for col in ("regions", "industries", "sizes"):
        out[col] = [parse_list_cell(c) for c in raw[col]]
    has_score = "score" in raw.columns
    if model is not None:
        for leaf in model.leaves:
            column = leaf.column or leaf.id
            if column not in raw.columns:
                raise ScenarioError(
                    f"column for criterion '{leaf.id}' ({leaf.label}) of model "
                    f"'{model.name}' is missing; add it, or remove the criterion from the model",
                    file=file,
                    column=column,
                )
            low, high = leaf.scale if leaf.normalize == "scale" and leaf.scale else (None, None)
            # a rating outside the model's scale (50 on 1..5) is a typo, not a top score
            values = parse_number_column(raw, column, file=file, allow_missing=True,
                                         minimum=low, maximum=high)
            if leaf.missing == "error" and np.isnan(values).any():
                i = int(np.flatnonzero(np.isnan(values))[0])
                raise ScenarioError(
                    f"no value for criterion '{leaf.id}'; fill it in, or set "
                    "missing = \"worst\" | \"mean\" | \"zero\" for this criterion in the model",
                    file=file,
                    row=sheet_row(i),
                    column=column,
                )
            out[column] = values
    if has_score:
        scores = parse_number_column(
            raw, "score", file=file, allow_missing=model is not None, minimum=0.0, maximum=1.0
        )
        out["score"] = scores
    elif model is None and objective == "weighted_coverage":
        raise ScenarioError(
            "objective weighted_coverage needs partner scores: give a criteria 'model' in the "
            "scenario, or a 'score' column (0..1) in the partner table",
            file=file,
            column="score",
        )
    # Keep every other column too (numbers where they parse), nothing is dropped.
    for col in raw.columns:
        if col not in out.columns and col != "id":
            numeric = pd.to_numeric(raw[col], errors="coerce")
            if numeric.notna().sum() == (raw[col] != "").sum() and not np.isinf(numeric).any():
                out[col] = numeric.to_numpy(dtype=float)
            else:
                out[col] = raw[col].to_numpy(dtype=object)
    return out


def segment_table(raw: pd.DataFrame, file: str) -> pd.DataFrame:
    require_columns(raw, SEGMENT_COLUMNS, file=file)
    unique_ids(list(raw["id"]), file=file)
    out = pd.DataFrame(index=pd.Index(raw["id"].to_numpy(dtype=object), name="id"))
    for col in ("region", "industry", "size"):
        out[col] = raw[col].to_numpy(dtype=object)
    out["value"] = parse_number_column(raw, "value", file=file, minimum=0.0, maximum=MAX_AMOUNT)
    out["named"] = (
        parse_bool_column(raw, "named", file=file) if "named" in raw.columns else np.zeros(len(raw), dtype=bool)
    )
    for col in ("min_partners", "max_partners"):
        if col in raw.columns:
            out[col] = parse_number_column(
                raw, col, file=file, allow_missing=True, minimum=0.0, integer=True
            )
        else:
            out[col] = np.full(len(raw), np.nan)
    for col in raw.columns:
        if col not in out.columns and col != "id":
            out[col] = raw[col].to_numpy(dtype=object)
    return out


def _check_ids(
    values: pd.Series, known: pd.Index, *, file: str, column: str, what: str
) -> None:
    bad = ~values.isin(known).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ScenarioError(
            f"'{values.iloc[i]}' is not a {what} id in the {what} table"
            f" ({bad.sum()} such row(s) in all)",
            file=file,
            row=sheet_row(i),
            column=column,
        )


def coverage_table(
    raw: pd.DataFrame,
    file: str,
    partners: pd.DataFrame,
    segments: pd.DataFrame,
    problems: list[str],
) -> pd.DataFrame:
    require_columns(raw, ("partner_id", "segment_id"), file=file)
    _check_ids(raw["partner_id"], partners.index, file=file, column="partner_id", what="partner")
    _check_ids(raw["segment_id"], segments.index, file=file, column="segment_id", what="segment")
    pairs = raw[["partner_id", "segment_id"]]
    dup = pairs.duplicated().to_numpy()
    if dup.any():
        rows = [sheet_row(int(i)) for i in np.flatnonzero(dup)[:5]]
        problems.append(
            f"{file}: {int(dup.sum())} repeated partner/segment pair(s) counted once "
            f"(rows {', '.join(map(str, rows))}{'...' if dup.sum() > 5 else ''})"
        )
    return pairs.loc[~dup].reset_index(drop=True)


def coverage_by_attributes(partners: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Partner covers segment when region, industry and size all match (``*`` = all)."""
    cells = segments[["region", "industry", "size"]].drop_duplicates()
    pairs_p: list[np.ndarray] = []
    pairs_c: list[np.ndarray] = []
    cell_region = cells["region"].to_numpy()
    cell_industry = cells["industry"].to_numpy()
    cell_size = cells["size"].to_numpy()
    for pos, (regions, industries, sizes) in enumerate(
        zip(partners["regions"], partners["industries"], partners["sizes"], strict=True)
    ):
        ok = np.ones(len(cells), dtype=bool)
        for allowed, values in ((regions, cell_region), (industries, cell_industry), (sizes, cell_size)):
            if allowed != ("*",):
                ok &= np.isin(values, allowed)
        idx = np.flatnonzero(ok)
        pairs_p.append(np.full(len(idx), pos))
        pairs_c.append(idx)
    p_pos = np.concatenate(pairs_p) if pairs_p else np.zeros(0, dtype=int)
    c_pos = np.concatenate(pairs_c) if pairs_c else np.zeros(0, dtype=int)
    cell_pairs = pd.DataFrame(
        {
            "partner_id": partners.index.to_numpy()[p_pos],
            "region": cell_region[c_pos],
            "industry": cell_industry[c_pos],
            "size": cell_size[c_pos],
        }
    )
    seg = segments[["region", "industry", "size"]].reset_index()
    merged = cell_pairs.merge(seg, on=["region", "industry", "size"], how="inner")
    merged = merged.rename(columns={"id": "segment_id"})[["partner_id", "segment_id"]]
    order_p = pd.Index(partners.index).get_indexer(merged["partner_id"])
    order_s = pd.Index(segments.index).get_indexer(merged["segment_id"])
    merged = merged.iloc[np.lexsort((order_s, order_p))]
    return merged.reset_index(drop=True)


def supply_table(
    raw: pd.DataFrame, file: str, partners: pd.DataFrame, problems: list[str]
) -> pd.DataFrame:
    require_columns(raw, ("distributor_id", "reseller_id"), file=file)
    _check_ids(raw["distributor_id"], partners.index, file=file, column="distributor_id", what="partner")
    _check_ids(raw["reseller_id"], partners.index, file=file, column="reseller_id", what="partner")
    tier = partners["gtm_tier"]
    for pos, (d, r) in enumerate(zip(raw["distributor_id"], raw["reseller_id"], strict=True)):
        if tier[d] != 1:
            raise ScenarioError(
                f"'{d}' supplies '{r}' but is a tier-{tier[d]} partner; only tier-1 partners "
                "(gtm_tier = 1) can supply others",
                file=file,
                row=sheet_row(pos),
                column="distributor_id",
            )
        if tier[r] != 2:
            raise ScenarioError(
                f"'{r}' is a tier-1 partner; only tier-2 partners (gtm_tier = 2) buy from a distributor",
                file=file,
                row=sheet_row(pos),
                column="reseller_id",
            )
    pairs = raw[["distributor_id", "reseller_id"]]
    dup = pairs.duplicated().to_numpy()
    if dup.any():
        problems.append(f"{file}: {int(dup.sum())} repeated supply pair(s) counted once")
    return pairs.loc[~dup].reset_index(drop=True)


def _not_in(ids: pd.Index, used: pd.Series) -> pd.Index:
    """The ``ids`` not among ``used``, sorted (as ``Index.difference`` gives them)."""
    seen = set(used.unique().tolist())
    return pd.Index(sorted(i for i in ids.tolist() if i not in seen), dtype=ids.dtype)


def coverage_problems(
    partners: pd.DataFrame, segments: pd.DataFrame, coverage: pd.DataFrame
) -> list[str]:
    out: list[str] = []
    # Sets, not Index.difference: its sort of text ids was 25 ms of a fresh process's
    # first call (pyarrow's kernels loading), longer than solving a 200-row set cover.
    idle = _not_in(partners.index, coverage["partner_id"])
    if len(idle):
        out.append(
            f"{len(idle)} partner(s) cover no segment: {', '.join(map(str, idle[:8]))}"
            f"{'...' if len(idle) > 8 else ''}"
        )
    lonely = _not_in(segments.index, coverage["segment_id"])
    if len(lonely):
        value = float(segments.loc[lonely, "value"].sum())
        out.append(
            f"{len(lonely)} segment(s) worth {value:,.0f} are covered by no partner: "
            f"{', '.join(map(str, lonely[:8]))}{'...' if len(lonely) > 8 else ''}"
        )
    return out
