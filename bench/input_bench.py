"""Input limits, timed: what the unit tests check by count, here in seconds and memory
against the plain approach each limit replaces, in one run.

* ``extends`` chain of ``--chain`` files (default 20,000): selector's ``load_scenario``
  refuses it after reading 100 files; the plain approach reads every file with
  ``tomllib`` and follows ``extends`` to the end.
* Workbook bomb: ``--bomb-mb`` MB of sheet XML (default 136, above the 128 MB accepted)
  in well under 1 MB on disk: selector's ``read_table`` refuses it from the zip
  directory; the plain approach is ``pandas.read_excel`` (openpyxl).
* Robustness with ``runs=1_000_000_000``: selector's ``robustness`` refuses it before
  making a seed; the plain approach makes one seed per run up front,
  ``SeedSequence(seed).spawn(runs)``, timed at ``--spawn`` runs (default 100,000; a
  billion would take that many times longer and more memory).

Each measurement runs in a fresh process (files are written beforehand) and is stopped
after ``--timeout`` seconds; seconds are the call alone, memory is the process's peak
resident size above what it held before the call.

    python bench/input_bench.py [--chain 20000] [--bomb-mb 136] [--timeout 60] [--spawn 100000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEACHING = ROOT / "scenarios" / "teaching.toml"
HUGE_RUNS = 1_000_000_000


# --- the six measurements (each runs in its own process) ----------------------------


def chain_selector(first: Path) -> Callable[[], str]:
    from selector.errors import ScenarioError
    from selector.inputs.scenario import load_scenario

    def run() -> str:
        try:
            load_scenario(first)
        except ScenarioError as exc:
            return f"refused: {exc.detail.split(';')[0]}"
        return "loaded"

    return run


def chain_plain(first: Path) -> Callable[[], str]:
    def run() -> str:
        layers = []
        path: Path | None = first
        while path is not None:
            with path.open("rb") as fh:
                layers.append(tomllib.load(fh))
            parent = layers[-1].get("extends")
            path = (path.parent / parent).resolve() if parent else None
        merged: dict[str, object] = {}
        for layer in reversed(layers):
            merged.update(layer)
        return f"read {len(layers):,} files"

    return run


def bomb_selector(path: Path) -> Callable[[], str]:
    from selector.errors import ScenarioError
    from selector.inputs.tables import read_table

    def run() -> str:
        try:
            frame = read_table(path)
        except ScenarioError as exc:
            return f"refused: {exc.detail.split(';')[0]}"
        return f"read {len(frame):,} rows"

    return run


def bomb_plain(path: Path) -> Callable[[], str]:
    import pandas as pd

    def run() -> str:
        frame = pd.read_excel(path, header=None, dtype=str, engine="openpyxl")
        return f"read {len(frame):,} rows"

    return run


def runs_selector(runs: int) -> Callable[[], str]:
    from selector.errors import ScenarioError
    from selector.inputs.scenario import load_scenario
    from selector.whatif import robustness

    scenario = load_scenario(TEACHING)

    def run() -> str:
        try:
            robustness(scenario, runs=runs, engine="serial")
        except ScenarioError as exc:
            return f"refused: {exc.detail.split(' (')[0]}"
        return "ran"

    return run


def runs_plain(runs: int) -> Callable[[], str]:
    import numpy as np

    def run() -> str:
        seeds = np.random.SeedSequence(2027).spawn(runs)
        return f"{len(seeds):,} seeds (runs=1e9: {HUGE_RUNS // runs:,}x as many)"

    return run


MEASUREMENTS: dict[str, Callable[..., Callable[[], str]]] = {
    "chain selector": chain_selector,
    "chain plain": chain_plain,
    "bomb selector": bomb_selector,
    "bomb plain": bomb_plain,
    "runs selector": runs_selector,
    "runs plain": runs_plain,
}


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"{field} not in /proc/self/status")


def _child(name: str, arg: object, conn: Connection) -> None:
    run = MEASUREMENTS[name](arg)
    # Reset the peak resident size (VmHWM) to the current one, so the peak is the call's.
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_mb("VmRSS")
    t0 = time.perf_counter()
    outcome = run()
    seconds = time.perf_counter() - t0
    peak = _status_mb("VmHWM")
    conn.send((seconds, max(0.0, peak - before), outcome))
    conn.close()


def measure(name: str, arg: object, timeout: float) -> dict[str, object]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(name, arg, child))
    proc.start()
    child.close()
    if parent.poll(timeout):
        seconds, memory, outcome = parent.recv()
        proc.join()
        return {"seconds": f"{seconds:.4f}", "memory MB": f"{memory:,.1f}", "outcome": outcome}
    proc.terminate()
    proc.join()
    return {"seconds": f"> {timeout:g}", "memory MB": "-", "outcome": f"stopped after {timeout:g} s"}


# --- inputs ---------------------------------------------------------------------------


def write_chain(folder: Path, n: int) -> Path:
    for i in range(n):
        target = f"s{i + 1}.toml" if i < n - 1 else TEACHING.as_posix()
        (folder / f"s{i}.toml").write_text(f'extends = "{target}"\n')
    return folder / "s0.toml"


def write_bomb(path: Path, sheet_mb: int) -> Path:
    """A one-column workbook whose sheet XML unpacks to about ``sheet_mb`` MB."""
    import pandas as pd

    pd.DataFrame({"id": ["a"], "cost": ["1"]}).to_excel(path, index=False)
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    rows = row * (sheet_mb * 2**20 // len(row))
    parts[sheet] = parts[sheet].replace(b"</sheetData>", rows + b"</sheetData>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chain", type=int, default=20_000, help="files in the extends chain")
    parser.add_argument("--bomb-mb", type=int, default=136, help="sheet XML of the bomb, MB")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a measurement is stopped")
    parser.add_argument("--spawn", type=int, default=100_000, help="seeds the plain approach makes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "chain").mkdir()
        first = write_chain(folder / "chain", args.chain)
        bomb = write_bomb(folder / "bomb.xlsx", args.bomb_mb)
        with zipfile.ZipFile(bomb) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
        cases = {
            "chain": (f"extends chain, {args.chain:,} files", first),
            "bomb": (f"workbook, {bomb.stat().st_size / 2**10:,.0f} kB -> {unpacked / 2**20:,.0f} MB", bomb),
            "runs": (f"robustness, runs={HUGE_RUNS:,}", HUGE_RUNS),
        }
        rows = []
        for key, (label, arg) in cases.items():
            for method in ("selector", "plain"):
                what = arg if (key, method) != ("runs", "plain") else args.spawn
                result = measure(f"{key} {method}", what, args.timeout)
                rows.append({"case": label, "method": _METHOD[key, method], **result})
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in keys}
    print("  ".join(k.ljust(widths[k]) for k in keys))
    for r in rows:
        print("  ".join(str(r[k]).ljust(widths[k]) for k in keys))


_METHOD = {
    ("chain", "selector"): "selector load_scenario",
    ("chain", "plain"): "plain tomllib, whole chain",
    ("bomb", "selector"): "selector read_table",
    ("bomb", "plain"): "plain pandas.read_excel",
    ("runs", "selector"): "selector robustness",
    ("runs", "plain"): "plain SeedSequence.spawn",
}


if __name__ == "__main__":
    main()
