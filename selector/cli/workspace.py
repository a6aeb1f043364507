"""``selector runs | scenarios | models | whatifs | round``: the team workspace.

Every command takes ``--db`` (a file path or a database URL; default ``$SELECTOR_DB``,
else the SQLite file in the user's data folder, created by the first save) and
``--json``. Commands that only read never create or change the database. Who saves is
never typed: it is the database login on PostgreSQL, the operating-system user for an
SQLite file; only a round's facilitator adopts or closes it, and a questionnaire is
imported by the participant it names.
"""

from __future__ import annotations

import argparse
import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

from selector.cli.output import emit_json
from selector.errors import ScenarioError
from selector.store import (
    ModelRecord,
    ScenarioRecord,
    Store,
    StoreError,
    open_store,
    round_result,
)
from selector.store.compare import diff_runs
from selector.store.questionnaire import questionnaire_bytes, read_questionnaire

__all__ = ["add_workspace_parsers"]


def _when(value: datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def _record(value: Any) -> dict[str, Any]:
    out = dataclasses.asdict(value)
    for key, v in out.items():
        if isinstance(v, datetime):
            out[key] = v.isoformat()
    return out


def _num(value: float | None, fmt: str = ",.0f") -> str:
    return "-" if value is None else format(value, fmt)


def _saved(kind: str, r: ScenarioRecord | ModelRecord, what: str) -> str:
    """What a save did: a new version, a new version repeating the newest one's content,
    or nothing (the same author saved the same content with no new note)."""
    if r.unchanged:
        return (f"Unchanged: {kind} version {r.id} ({what}, saved by {r.author} on "
                f"{_when(r.created_at)}) has this content; nothing new saved")
    same = f"; the same content as v{r.same_as}" if r.same_as is not None else ""
    return f"Saved {kind} version {r.id}: {what}{same}"


def _nothing(store: Store, what: str) -> None:
    """Say that there is nothing to list, and why when the workspace is not there yet."""
    where = "" if store.exists else f" (no workspace at {store.url} yet; the first save makes it)"
    print(f"No {what}{where}.")


# --- runs -------------------------------------------------------------------------------


def _runs_list(args: argparse.Namespace, store: Store) -> int:
    runs = store.runs(limit=args.limit)
    if args.json:
        emit_json([{k: v for k, v in _record(r).items() if k != "result"} for r in runs])
        return 0
    if not runs:
        _nothing(store, "saved runs")
        return 0
    print(f"{'id':>5}  {'when':16}  {'who':12}  {'status':10}  {'objective':>14}  {'gap':>8}  label")
    for r in runs:
        gap = "-" if r.gap is None else f"{r.gap:.2%}"
        print(f"{r.id:>5}  {_when(r.created_at):16}  {r.author[:12]:12}  {r.status:10}  "
              f"{_num(r.objective):>14}  {gap:>8}  {r.label}")
    return 0


def _runs_show(args: argparse.Namespace, store: Store) -> int:
    r = store.run(args.id)
    if args.json:
        emit_json(_record(r))
        return 0
    print(f"Run {r.id}: {r.label}")
    print(f"Saved      {_when(r.created_at)} by {r.author} (selector {r.package_version})")
    print(f"Input      fingerprint {r.fingerprint}"
          + (f", scenario version {r.scenario_version_id}" if r.scenario_version_id else ""))
    print(f"Options    {r.options}")
    gap = "-" if r.gap is None else f"{r.gap:.4%}"
    print(f"Status     {r.status}; objective {_num(r.objective)}, bound {_num(r.bound)}, gap {gap}")
    print(f"Time       {r.wall_seconds:.2f} s solving, {r.build_seconds:.2f} s building")
    print(f"Selected   {', '.join(r.selected) or '(none)'}")
    if r.plan:
        changes = [p for p in r.plan if p.get("action") not in ("keep", "stay out")]
        print(f"Plan       {len(r.plan)} partners, {len(changes)} changes")
        for p in changes:
            print(f"  {p.get('partner_id')}: {p.get('action')} ({p.get('today')} -> {p.get('proposed')})")
    return 0


def _runs_diff(args: argparse.Namespace, store: Store) -> int:
    d = diff_runs(store.run(args.a), store.run(args.b))
    if args.json:
        emit_json(d)
        return 0
    print(f"Run {args.a} -> run {args.b}"
          + (" (same input)" if d["same_input"] else " (different input)"))
    for n in d["numbers"]:
        if n["a"] != n["b"]:
            delta = "" if n["delta"] is None else f"  ({n['delta']:+,.4g})"
            print(f"  {n['name']:15} {n['a']} -> {n['b']}{delta}")
    print(f"  added    {', '.join(d['added']) or '-'}")
    print(f"  dropped  {', '.join(d['dropped']) or '-'}")
    for c in d["plan_changes"]:
        print(f"  plan {c['partner_id']}: {c['a_action']} ({c['a_proposed']}) -> "
              f"{c['b_action']} ({c['b_proposed']})")
    return 0


def _runs_solve(args: argparse.Namespace, store: Store) -> int:
    from selector.inputs.scenario import load_scenario
    from selector.portfolio import solve

    scenario = load_scenario(args.scenario)
    saved = store.save_scenario(scenario)
    options: dict[str, Any] = {}
    if args.time_limit is not None:
        options["time_limit"] = args.time_limit
    result = solve(scenario, **options)
    run = store.save_run(result, scenario_version=saved.id, options=options,
                         label=args.label or scenario.name)
    if args.json:
        emit_json({k: v for k, v in _record(run).items() if k != "result"})
    else:
        print(f"Saved run {run.id} ({run.status}) of scenario version {saved.id} "
              f"({saved.name} v{saved.version})")
    return 0


# --- scenarios, models, what-ifs ---------------------------------------------------------


def _scenarios_list(args: argparse.Namespace, store: Store) -> int:
    rows = store.scenarios(args.name)
    if args.json:
        emit_json([_record(r) for r in rows])
        return 0
    if not rows:
        _nothing(store, "saved scenarios")
    for r in rows:
        print(f"{r.id:>5}  {_when(r.created_at):16}  {r.author[:12]:12}  v{r.version:<3} "
              f"{r.fingerprint}  {r.name}" + (f"  ({r.note})" if r.note else ""))
    return 0


def _scenarios_save(args: argparse.Namespace, store: Store) -> int:
    from selector.inputs.scenario import load_scenario

    r = store.save_scenario(load_scenario(args.scenario), note=args.note, name=args.name)
    if args.json:
        emit_json(_record(r))
    else:
        print(_saved("scenario", r, f"{r.name} v{r.version} ({r.fingerprint})"))
    return 0


def _scenarios_export(args: argparse.Namespace, store: Store) -> int:
    folder = Path(args.folder)
    if folder.exists() and any(folder.iterdir()) and not args.force:
        raise ScenarioError("the folder is not empty; pass --force to write into it",
                            file=str(folder))
    path = store.export_scenario(args.id, folder)
    if args.json:
        emit_json({"scenario": str(path)})
    else:
        print(f"Wrote {path}")
    return 0


def _models_list(args: argparse.Namespace, store: Store) -> int:
    rows = store.models(args.name)
    if args.json:
        emit_json([_record(r) for r in rows])
        return 0
    if not rows:
        _nothing(store, "saved models")
    for r in rows:
        print(f"{r.id:>5}  {_when(r.created_at):16}  {r.author[:12]:12}  v{r.version:<3} {r.name}"
              + (f"  ({r.note})" if r.note else ""))
    return 0


def _models_save(args: argparse.Namespace, store: Store) -> int:
    from selector.inputs.criteria import load_model

    r = store.save_model(load_model(args.model), note=args.note)
    if args.json:
        emit_json(_record(r))
    else:
        print(_saved("model", r, f"{r.name} v{r.version}"))
    return 0


def _whatifs_list(args: argparse.Namespace, store: Store) -> int:
    rows = store.whatifs(args.name)
    if args.json:
        emit_json([_record(r) for r in rows])
        return 0
    if not rows:
        _nothing(store, "saved what-ifs")
    for r in rows:
        print(f"{r.id:>5}  {_when(r.created_at):16}  {r.author[:12]:12}  v{r.version:<3} "
              f"{r.name}: scenario version {r.scenario_version_id}, changes {r.changes}")
    return 0


# --- judgment rounds ---------------------------------------------------------------------


def _model_version(store: Store, ref: str) -> int:
    if ref.isascii() and ref.isdigit():
        return store.model_record(int(ref)).id
    from selector.inputs.criteria import load_model

    return store.save_model(load_model(ref)).id


def _round_open(args: argparse.Namespace, store: Store) -> int:
    r = store.open_round(_model_version(store, args.model), title=args.title)
    if args.json:
        emit_json(_record(r))
    else:
        print(f"Opened round {r.id}: {r.title} (model version {r.model_version_id}); "
              f"you, {r.facilitator}, facilitate it")
    return 0


def _round_list(args: argparse.Namespace, store: Store) -> int:
    rows = store.rounds()
    if args.json:
        emit_json([_record(r) for r in rows])
        return 0
    if not rows:
        _nothing(store, "judgment rounds")
    for r in rows:
        people = ", ".join(j.participant for j in store.judgments(r.id)) or "no judgments yet"
        print(f"{r.id:>5}  {_when(r.created_at):16}  {r.status:8}  {r.title}  ({people})")
    return 0


def _round_show(args: argparse.Namespace, store: Store) -> int:
    rnd = store.round(args.id)
    model = store.load_model(rnd.model_version_id)
    result = round_result(model, store.judgments(args.id), top=args.top)
    if args.json:
        emit_json({"round": _record(rnd), **result.to_dict()})
        return 0
    print(f"Round {rnd.id}: {rnd.title} ({rnd.status}); participants: "
          f"{', '.join(result.participants) or 'none yet'}")
    for p in result.parents:
        consensus = "-" if p.consensus is None else f"{p.consensus:.0%}"
        print(f"\n{p.parent}: consensus {consensus}")
        for who, r in p.participants.items():
            line = f"  {who:16} CR {r.cr:.3f}" + ("" if r.consistent else " (inconsistent)")
            if r.revisions:
                rev = r.revisions[0]
                line += (f"; revise {rev.row} vs {rev.col}: {rev.current:.3g} -> "
                         f"{rev.suggested:.3g} (CR {rev.cr_after:.3f})")
            print(line)
        for who, problem in p.problems.items():
            print(f"  {who:16} not used here: {problem}")
        if p.aij is not None and p.aip is not None:
            for item in p.items:
                print(f"    {item:28} AIJ {p.aij.weights[item]:.3f}   AIP {p.aip.weights[item]:.3f}")
    if result.disagreements:
        print("\nMost disputed pairs (largest / smallest judgment):")
        for d in result.disagreements:
            values = ", ".join(f"{k} {v:.3g}" for k, v in d.values.items())
            print(f"  {d.parent}: {d.a} vs {d.b}  x{d.spread:.3g}  ({values})")
    return 0


def _round_questionnaire(args: argparse.Namespace, store: Store) -> int:
    rnd = store.round(args.id)
    out = Path(args.output)
    if out.exists() and not args.force:
        raise ScenarioError("the file exists; pass --force to replace it", file=str(out))
    model = store.load_model(rnd.model_version_id)
    prefill = None
    if args.prefill:
        prefill = {(j.parent, a, b): v for j in model.judgments for a, b, v in j.pairs}
    out.write_bytes(questionnaire_bytes(model, participant=args.participant or store.user,
                                        round_id=rnd.id, title=rnd.title, prefill=prefill))
    if args.json:
        emit_json({"questionnaire": str(out)})
    else:
        print(f"Wrote {out}")
    return 0


def _round_import(args: argparse.Namespace, store: Store) -> int:
    rnd = store.round(args.id)
    model = store.load_model(rnd.model_version_id)
    q = read_questionnaire(args.file, model, participant=store.user)
    if q.round_id is not None and q.round_id != rnd.id:
        raise StoreError(f"{args.file}: the questionnaire is for round {q.round_id}, not {rnd.id}")
    sub = store.submit_judgments(rnd.id, q.pairs, participant=q.participant,
                                 source="questionnaire")
    if args.json:
        emit_json(_record(sub))
    else:
        print(f"Recorded {len(sub.pairs)} judgments of {sub.participant} in round {rnd.id}")
    return 0


def _round_close(args: argparse.Namespace, store: Store) -> int:
    r = store.close_round(args.id)
    if args.json:
        emit_json(_record(r))
    else:
        print(f"Closed round {r.id}: {r.title}; its judgments stay in the workspace")
    return 0


def _round_adopt(args: argparse.Namespace, store: Store) -> int:
    r = store.adopt_round(args.id)
    if args.json:
        emit_json(_record(r))
    else:
        print(f"Adopted the group judgments as model version {r.id} ({r.name} v{r.version})")
    return 0


# --- wiring ------------------------------------------------------------------------------


def _common(p: argparse.ArgumentParser, func: Any) -> argparse.ArgumentParser:
    p.add_argument("--db", default=None, help="database file or URL (default: $SELECTOR_DB)")
    p.add_argument("--json", action="store_true", help="print JSON")

    def run(args: argparse.Namespace) -> int:
        store = open_store(args.db)
        try:
            return int(func(args, store))
        finally:
            store.close()

    p.set_defaults(func=run)
    return p


def add_workspace_parsers(sub: Any) -> None:
    runs = sub.add_parser("runs", help="saved solve runs: list, show, diff, solve and save")
    rsub = runs.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = _common(rsub.add_parser("list", help="saved runs, newest first"), _runs_list)
    p.add_argument("--limit", type=int, default=None)
    p = _common(rsub.add_parser("show", help="one run"), _runs_show)
    p.add_argument("id", type=int)
    p = _common(rsub.add_parser("diff", help="what changed from run A to run B"), _runs_diff)
    p.add_argument("a", type=int)
    p.add_argument("b", type=int)
    p = _common(rsub.add_parser("solve", help="save a scenario, solve it, save the run"), _runs_solve)
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--label", default="")
    p.add_argument("--time-limit", type=float, default=None, metavar="S")

    scen = sub.add_parser("scenarios", help="saved scenario versions: list, save, export")
    ssub = scen.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = _common(ssub.add_parser("list", help="saved versions, newest first"), _scenarios_list)
    p.add_argument("--name", default=None)
    p = _common(ssub.add_parser("save", help="save a scenario file as a new version"), _scenarios_save)
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--name", default=None, help="save under this name (default: its own)")
    p.add_argument("--note", default="")
    p = _common(ssub.add_parser("export", help="write a saved version as TOML + tables"),
                _scenarios_export)
    p.add_argument("id", type=int, help="scenario version id")
    p.add_argument("folder")
    p.add_argument("--force", action="store_true", help="write into a folder that is not empty")

    models = sub.add_parser("models", help="saved criteria model versions: list, save")
    msub = models.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = _common(msub.add_parser("list", help="saved versions, newest first"), _models_list)
    p.add_argument("--name", default=None)
    p = _common(msub.add_parser("save", help="save a criteria model file"), _models_save)
    p.add_argument("model", help="criteria model TOML file")
    p.add_argument("--note", default="")

    whatifs = sub.add_parser("whatifs", help="saved named what-ifs")
    wsub = whatifs.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = _common(wsub.add_parser("list", help="saved what-ifs, newest first"), _whatifs_list)
    p.add_argument("--name", default=None)

    rnd = sub.add_parser("round", help="group judgment rounds and their Excel questionnaires")
    gsub = rnd.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = _common(gsub.add_parser("open", help="open a round on a model"), _round_open)
    p.add_argument("model", help="criteria model TOML file, or a saved model version id")
    p.add_argument("--title", default="")
    _common(gsub.add_parser("list", help="judgment rounds, newest first"), _round_list)
    p = _common(gsub.add_parser("show", help="each participant's CR, group weights, "
                                "consensus, disputed pairs"), _round_show)
    p.add_argument("id", type=int)
    p.add_argument("--top", type=int, default=5, help="disputed pairs to list")
    p = _common(gsub.add_parser("questionnaire", help="write the round's Excel questionnaire"),
                _round_questionnaire)
    p.add_argument("id", type=int)
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")
    p.add_argument("--participant", default=None,
                   help="whom it is for, printed on it (default: you); only they may import it")
    p.add_argument("--prefill", action="store_true", help="start from the model's judgments")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p = _common(gsub.add_parser("import", help="record a filled-in questionnaire"), _round_import)
    p.add_argument("id", type=int)
    p.add_argument("file")
    p = _common(gsub.add_parser("adopt", help="adopt the group judgments as a new model version "
                                "(the round's facilitator)"), _round_adopt)
    p.add_argument("id", type=int)
    p = _common(gsub.add_parser("close", help="close a round without adopting it "
                                "(the round's facilitator)"), _round_close)
    p.add_argument("id", type=int)
