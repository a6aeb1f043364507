"""Writing a synthetic channel as a scenario: four CSV tables and a TOML file beside them.

:func:`write_scenario` (re-exported by :mod:`selector.inputs.synth`) writes what
:func:`~selector.inputs.synth.generate_channel` returned in the scenario format of
:mod:`selector.inputs.scenario`, with a budget, a distributor pool and a few rules.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from selector.errors import ScenarioError
from selector.inputs.currency import read_currency
from selector.inputs.synth.channel import SyntheticChannel
from selector.inputs.synth.common import INDUSTRIES, SIZES, TABLES
from selector.inputs.synth.prospects import PROGRAMME_TIERS, programme_limits
from selector.safe_output import replace_folder, staging_folder, write_bytes_atomic

__all__ = ["DEFAULT_MODEL", "write_scenario"]


#: The criteria model a written scenario names, relative to its TOML file.
DEFAULT_MODEL: Final = "../models/partner-selection.toml"


def _toml_string(text: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes; TOML also forbids raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _conflict_pair(channel: SyntheticChannel) -> tuple[str, str] | None:
    """Two single-region resellers of one region sharing the most cells (ties: lowest ids)."""
    p = channel.partners
    single = (p["type"] == "reseller") & ~p["regions"].str.contains(";") & (p["regions"] != "*")
    best: tuple[int, str, str] | None = None
    for _, group in p.loc[single].groupby("regions", sort=True):
        ind = np.array(
            [[x in cell.split(";") for x in INDUSTRIES] for cell in group["industries"]]
        )
        siz = np.array([[x in cell.split(";") for x in SIZES] for cell in group["sizes"]])
        shared = (ind.astype(np.int64) @ ind.T) * (siz.astype(np.int64) @ siz.T)
        shared[np.tril_indices(len(shared))] = -1
        # Ids are sorted within the group, so the first maximum in row-major order is
        # the pair with the lowest ids.
        a, b = divmod(int(np.argmax(shared)), len(shared))
        if a < b:
            ids = group["id"].to_numpy(dtype=str)
            candidate = (-int(shared[a, b]), str(ids[a]), str(ids[b]))
            if best is None or candidate < best:
                best = candidate
    return None if best is None else (best[1], best[2])


def _write_pairs(frame: pd.DataFrame, path: Path) -> None:
    """Write a two-column id table; four times faster than ``to_csv`` at millions of rows.

    Generated ids hold no commas or quotes, so no CSV quoting is needed.
    """
    left, right = (_as_objects(frame[c]) for c in frame.columns)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(",".join(frame.columns) + "\n")
        fh.writelines(f"{a},{b}\n" for a, b in zip(left, right, strict=True))


def _as_objects(column: pd.Series) -> npt.NDArray[np.object_]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = np.asarray(column.cat.categories, dtype=object)
        return np.asarray(categories[column.cat.codes.to_numpy()], dtype=object)
    return np.asarray(column.to_numpy(dtype=object), dtype=object)


def _segments_csv(segments: pd.DataFrame) -> pd.DataFrame:
    out = segments.copy()
    out["named"] = np.where(segments["named"].to_numpy(dtype=bool), "true", "false")
    return out


def write_scenario(
    channel: SyntheticChannel,
    directory: str | Path,
    *,
    name: str,
    description: str | None = None,
    model: str | None = DEFAULT_MODEL,
    currency: str | None = None,
    overwrite: bool = False,
    horizon: int | None = None,
) -> Path:
    """Write the channel's tables into ``directory`` and a scenario TOML beside it.

    ``partners.csv``, ``segments.csv``, ``coverage.csv`` and ``supply.csv`` go into
    ``directory``; the scenario goes to ``<directory>.toml`` in the parent folder
    (``scenarios/vendor/`` gives ``scenarios/vendor.toml``), naming the tables as
    ``vendor/partners.csv`` and so on. Its budget is the channel's suggestion with a
    ``type:distributor`` pool, objective ``weighted_coverage``, one conflict pair (two
    resellers of one region sharing the most segments), at most 4 selected partners per
    segment and at least one per named account.

    Parameters
    ----------
    channel
        What :func:`generate_channel` returned.
    directory
        Folder for the tables; created when missing.
    name
        The scenario's name.
    description
        Its description (default: one line on how the channel was generated).
    model
        Criteria model path as written, relative to the TOML file; ``None`` leaves
        ``model`` out.
    currency
        ISO 4217 code of every amount (``"CNY"``), written as ``currency``; ``None``
        leaves it out.
    overwrite
        Replace files that exist; otherwise an existing file is an error and nothing is
        written.
    horizon
        Years of a roadmap (1-5; a channel with prospects only): the scenario then gets
        a ``[horizon]`` (8 % discount, segments growing 3 % and the budget 4 % a year)
        and the programme a ramp (40 %, 80 %, then full value), an exit transition
        (half the value kept, 30 % of the tier's cost paid in the exit year) and one tier
        step a year. None: a one-year plan, as before.

    Returns
    -------
    Path
        The scenario TOML.

    Raises
    ------
    ScenarioError
        A file exists and ``overwrite`` is false, or ``directory`` is not a usable folder.
    """
    if horizon is not None and (
        isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= 5
        or "status" not in channel.partners.columns
    ):
        raise ScenarioError(
            f"horizon is {horizon!r}; accepted: 1 to 5 years, for a channel with prospects "
            "(today's channel in programme tiers)"
        )
    folder = Path(directory)
    if folder.name in ("", ".", ".."):
        folder = folder.resolve()
    if not folder.name:
        raise ScenarioError(
            "the scenario needs a named folder, not the file-system root", file=str(folder)
        )
    if folder.exists() and not folder.is_dir():
        raise ScenarioError(
            "exists and is not a folder; give a folder for the tables", file=str(folder)
        )
    if currency is not None:
        currency = read_currency({"currency": currency}, "--currency")
    toml_path = folder.with_name(f"{folder.name}.toml")
    targets = [folder / f"{t}.csv" for t in TABLES]
    if not overwrite:
        for path in (*targets, toml_path):
            if path.exists():
                raise ScenarioError(
                    "already exists; pass overwrite=True (--force on the command line) to replace it",
                    file=str(path),
                )
    # The tables are written into a folder beside the target and moved into place once
    # all are complete, the TOML last: an interrupted run leaves the old files (or none),
    # never a truncated table that looks valid or a mix of old and new.
    stage = staging_folder(folder)
    try:
        partners_csv, segments_csv, coverage_csv, supply_csv = (stage / p.name for p in targets)
        channel.partners.to_csv(partners_csv, index=False, lineterminator="\n")
        _segments_csv(channel.segments).to_csv(segments_csv, index=False, lineterminator="\n")
        _write_pairs(channel.coverage, coverage_csv)
        _write_pairs(channel.supply, supply_csv)
        text = _scenario_toml(
            channel, folder.name, name=name, description=description, model=model, currency=currency
        )
        if horizon is not None:
            text = _with_horizon(text, horizon)
        replace_folder(stage, folder)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    write_bytes_atomic(toml_path, text.encode("utf-8"))
    return toml_path


def _scenario_toml(
    channel: SyntheticChannel,
    folder: str,
    *,
    name: str,
    description: str | None,
    model: str | None,
    currency: str | None = None,
) -> str:
    partners = channel.partners
    has_plan = "status" in partners.columns
    if description is None:
        kinds = partners["id"].str[0].value_counts()
        d, i, r, p = (int(kinds.get(k, 0)) for k in "DIRP")
        n_current = len(partners) - int(kinds.get("N", 0))
        description = (
            f"Synthetic channel from selector.inputs.synth (seed {channel.seed}, scale "
            f"{channel.scale:g}): {n_current:,} partners ({d:,} regional and {i:,} "
            f"industry distributors, {r:,} resellers, {p:,} industry partners)"
        )
        if has_plan:
            prospects = partners.loc[partners["status"] == "prospect", "type"].value_counts()
            listed = ", ".join(f"{int(v):,} {k}" for k, v in sorted(prospects.items()))
            tiers = partners["tier"].value_counts()
            description += (
                " in programme tiers ("
                + ", ".join(f"{int(tiers.get(t.name, 0)):,} {t.name}" for t in PROGRAMME_TIERS[::-1])
                + f") and {int(prospects.sum()):,} prospects ({listed})"
            )
        description += (
            f"; {channel.accounts:,} customers, {channel.named:,} of them named accounts, "
            f"in {len(channel.segments):,} segments."
        )
    pair = _conflict_pair(channel)
    conflicts = "[]" if pair is None else f'[["{pair[0]}", "{pair[1]}"]]'
    lines = [
        f"# Generated by selector.inputs.synth: seed {channel.seed}, scale {channel.scale:g}, "
        f"{channel.granularity} granularity, {channel.accounts} accounts ({channel.named} named).",
        f"name = {_toml_string(name)}",
        f"description = {_toml_string(description)}",
        *([] if currency is None else [f"currency = {_toml_string(currency)}"]),
        *([] if model is None else [f"model = {_toml_string(model)}"]),
        *(f"{t} = {_toml_string(f'{folder}/{t}.csv')}" for t in TABLES),
        "",
        "[budget]",
        f"total = {channel.budget_total:_}",
        f'pools = {{ "type:distributor" = {channel.distributor_budget:_} }}',
        "",
        "[objective]",
        'kind = "weighted_coverage"',
        "",
        "[constraints]",
        "must_include = []",
        "must_exclude = []",
        f"conflicts = {conflicts}",
        # Today's channel has dozens of partners in a busy segment: no cap with a plan.
        *([] if has_plan else ["max_partners_per_segment = 6"]),
        "min_partners = { named = 1 }",
    ]
    if has_plan:
        lines += _programme_lines(partners)
    return "\n".join(lines) + "\n"


#: The programme's moves between years, written after its other keys in a roadmap.
_ROADMAP_PROGRAMME = (
    'stability = "fewest_changes"\n'
    "ramp = [0.4, 0.8, 1.0]\n"
    "exit_transition = { value = 0.5, cost = 0.3 }\n"
    "max_step = 1\n"
)


def _with_horizon(text: str, years: int) -> str:
    """The scenario as a roadmap: the programme's moves between years and the horizon."""
    text = text.replace('stability = "fewest_changes"\n', _ROADMAP_PROGRAMME, 1)
    return text + "\n".join([
        "",
        "[horizon]",
        f"years = {years}",
        "discount = 0.08",
        "segment_growth = 0.03",
        "budget = { growth = 0.04 }",
    ]) + "\n"


def _programme_lines(partners: pd.DataFrame) -> list[str]:
    max_exits, max_recruits = programme_limits(partners)
    lines = [
        "",
        "[programme]",
        f"tiers = [{', '.join(_toml_string(t.name) for t in PROGRAMME_TIERS)}]",
        f"max_exits = {max_exits}",
        f"max_recruits = {max_recruits}",
        "keep_named_accounts = true",
        'exit_band = "flag"',
        'stability = "fewest_changes"',
    ]
    for t in PROGRAMME_TIERS:
        cost = f"fixed = {t.fixed:_}, share = {t.share:g}" if t.fixed else f"share = {t.share:g}"
        lines += ["", f"[programme.{t.name}]", f"cost = {{ {cost} }}", f"multiplier = {t.multiplier:g}"]
        if t.max_share is not None:
            lines.append(f"max_share = {t.max_share:g}")
    return lines
