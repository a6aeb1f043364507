"""Opening the files a scenario names, with messages a user can act on.

:func:`check_file` says what a path is when it is not a readable regular file (missing,
a folder, a pipe or a device: reading a pipe would block, a device never end);
:func:`read_toml` reads a TOML file within a size and nesting limit (a deeply nested
document makes Python's TOML reader recurse until it fails).
"""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path
from typing import Any

from selector.errors import ScenarioError

__all__ = ["MAX_NESTING", "MAX_TOML_BYTES", "check_file", "nesting_depth", "parse_toml", "read_toml"]

MAX_TOML_BYTES = 16 * 1024 * 1024
MAX_NESTING = 64


def check_file(path: str | Path, *, name: str | None = None, what: str = "file") -> Path:
    """Return ``path`` when it is a regular file; otherwise raise naming what it is."""
    p = Path(path)
    label = name or str(p)
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise ScenarioError(f"{what} not found", file=label) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise ScenarioError(f"cannot open the {what}: {getattr(exc, 'strerror', None) or exc}", file=label) from None
    if stat.S_ISDIR(mode):
        raise ScenarioError(f"this is a folder, not a {what}", file=label)
    if not stat.S_ISREG(mode):
        kind = "a pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if (
            stat.S_ISCHR(mode) or stat.S_ISBLK(mode)) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
        raise ScenarioError(f"this is {kind}, not a {what}; name a regular file", file=label)
    return p


def nesting_depth(value: Any, limit: int = MAX_NESTING) -> int:
    """How deeply tables and arrays nest in ``value`` (counted without recursion;
    stops counting past ``limit``)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > limit:
            return depth
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def parse_toml(text: str, *, name: str) -> dict[str, Any]:
    """Parse TOML text; every failure is a ScenarioError naming ``name``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", file=name) from None
    except RecursionError:
        raise ScenarioError(
            f"not accepted: arrays or tables nested too deeply (at most {MAX_NESTING} levels)",
            file=name,
        ) from None
    if nesting_depth(data) > MAX_NESTING:
        raise ScenarioError(
            f"not accepted: arrays or tables nested more than {MAX_NESTING} levels deep", file=name
        )
    where = _nul_key(data)
    if where is not None:
        raise ScenarioError(f"'{where}' holds a NUL character (\\u0000); remove it", file=name)
    return data


def _nul_key(data: dict[str, Any]) -> str | None:
    """The dotted key of the first text value (or key) holding a NUL character."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str) and "\x00" in item:
            return where or "(top)"
        if isinstance(item, dict):
            for k, v in item.items():
                key = f"{where}.{k}" if where else str(k)
                if "\x00" in str(k):
                    return key
                stack.append((key, v))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(item))
    return None


def read_toml(path: str | Path, *, name: str | None = None, what: str = "file") -> dict[str, Any]:
    """Read a UTF-8 TOML file (at most :data:`MAX_TOML_BYTES`)."""
    label = name or str(path)
    p = check_file(path, name=label, what=what)
    try:
        with p.open("rb") as fh:
            raw = fh.read(MAX_TOML_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror or exc}", file=label) from None
    if len(raw) > MAX_TOML_BYTES:
        raise ScenarioError(
            f"the file is larger than {MAX_TOML_BYTES // (1024 * 1024)} MB; a scenario or model "
            "file is a few kB (tables belong in CSV or XLSX files)",
            file=label,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"not valid TOML: not UTF-8 text (byte {exc.start}); save the file as UTF-8", file=label
        ) from None
    return parse_toml(text, name=label)
