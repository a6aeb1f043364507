"""Output that cannot hurt: spreadsheet-safe CSV cells, and files written whole.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in
some programs, a tab or carriage return) as a formula, so a partner named
``=HYPERLINK(...)`` in an uploaded table could act when a strategist opens an export.
:func:`to_csv_bytes` prefixes such *text* cells (and headers and index labels) with
``'``; numbers are written untouched. :func:`write_bytes_atomic` and
:func:`replace_folder` put a file or a folder in place only once it is complete, so an
interrupted run never leaves half of one.

This module sits outside the pipeline's layers (like :mod:`selector.errors`): every
stage that writes a table may use it; :mod:`selector.report` re-exports it.

>>> import pandas as pd
>>> to_csv_bytes(pd.DataFrame({"name": ["=1+1", "Acme"], "cost": [-5, 10]}), index=False)
b"name,cost\\n'=1+1,-5\\nAcme,10\\n"
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_PREFIXES",
    "neutralize",
    "neutralize_frame",
    "replace_folder",
    "staging_folder",
    "to_csv_bytes",
    "write_bytes_atomic",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")



def neutralize(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula.

    Anything that is not a string (numbers, booleans, dates, missing values) is
    returned unchanged.

    >>> neutralize("=SUM(A1:A9)"), neutralize("-3"), neutralize(-3), neutralize("Acme")
    ("'=SUM(A1:A9)", "'-3", -3, 'Acme')
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _safe_label(value: Any) -> Any:
    return neutralize(value) if isinstance(value, str) else value


def is_number_like(values: pd.Series | pd.Index) -> bool:
    dtype = values.dtype
    return bool(
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    )


def _safe_axis(axis: pd.Index) -> pd.Index:
    """An index or column axis with its text labels and level names neutralized (each
    level of a MultiIndex alike); number-like labels are kept as they are."""
    if isinstance(axis, pd.MultiIndex):
        levels = [lvl if is_number_like(lvl) else lvl.map(_safe_label) for lvl in axis.levels]
        return axis.set_levels(levels).set_names([_safe_label(n) for n in axis.names])
    if is_number_like(axis):
        return axis.rename(_safe_label(axis.name))
    return pd.Index([_safe_label(v) for v in axis], name=_safe_label(axis.name))


def neutralize_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell, column name and index label neutralized.

    Numeric columns are left exactly as they are.
    """
    out = df.copy()
    for column in out.columns:
        series = out[column]
        if is_number_like(series):
            continue
        out[column] = series.map(neutralize)
    out.columns = _safe_axis(out.columns)
    out.index = _safe_axis(out.index)
    return out


def to_csv_bytes(df: pd.DataFrame, *, index: bool = True) -> bytes:
    """``df`` as UTF-8 CSV bytes, safe to open in a spreadsheet program."""
    text: str = neutralize_frame(df).to_csv(index=index, lineterminator="\n")
    return text.encode("utf-8")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, moved into
    place: readers see the old file or the whole new one, never a part."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's files are private; a table is not
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def staging_folder(target: str | Path) -> Path:
    """A new empty folder beside ``target`` (same file system) to build its files in."""
    dst = Path(target)
    dst.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{dst.name}.", suffix=".part", dir=dst.parent))


def replace_folder(staged: str | Path, target: str | Path) -> None:
    """Move the complete folder ``staged`` (from :func:`staging_folder`) to ``target``.

    A new ``target`` is one rename. Into an existing one, each file is moved with
    ``os.replace`` (atomic; all files are complete before the first move), so no file
    is ever half written; files only ``target`` has are kept. ``staged`` is removed.
    """
    src, dst = Path(staged), Path(target)
    try:
        if not dst.exists():
            os.replace(src, dst)
            return
        for item in sorted(src.rglob("*")):
            if item.is_dir():
                continue
            final = dst / item.relative_to(src)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(item, final)
    finally:
        shutil.rmtree(src, ignore_errors=True)
