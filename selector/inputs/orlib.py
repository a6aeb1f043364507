"""OR-Library weighted set-covering instances (Beasley's ``scp*`` files) as scenarios.

Choosing the cheapest partner portfolio that covers every segment at least once is
weighted set covering: rows are segments, columns are partners, a column's cost is
the partner's cost. :func:`read_scp` reads an instance file, checking every count and
index on the way, and :func:`scp_scenario` turns it into a ``min_cost`` scenario that
:func:`selector.portfolio.solve` can solve, so the optimizer can be checked against
the optima published for these instances (:data:`KNOWN_OPTIMA`).

Two layouts are read (``layout=``):

``"beasley"``
    OR-Library's own layout: ``m n``; the ``n`` column costs; then for each row
    ``k j_1 .. j_k`` (how many columns cover the row, then those columns, 1-based).
``"row-weights"``
    ``m n``; **two blocks of m numbers where the costs should be**; then the same
    ``m`` rows: a weighted *maximum-coverage* variant seen in circulating copies of
    the library (the first block a row weight, the second ``(i mod 200) + 1``). Such a
    file carries no column costs, so it cannot be solved as weighted set covering
    without costs from elsewhere (``scp_scenario(..., costs=...)``).

The copies in ``shared/benchmarks/orlib-scp`` are genuine OR-Library files (Beasley
layout, with costs); ``hard/`` holds the larger ``scpnr*`` files gzip-compressed, which
:func:`read_scp` reads as they are.

``layout="auto"`` (the default) takes the Beasley layout when the file reads cleanly
that way, else the row-weights layout when it reads cleanly that way (text appended
after the last row is still an error, reported for that layout), else reports what
is wrong with the file read as the Beasley layout.

Examples
--------
>>> from selector.inputs.orlib import read_scp, scp_scenario
>>> inst = read_scp("../shared/benchmarks/orlib-scp/scp41.txt")  # doctest: +SKIP
>>> inst.m, inst.n, inst.layout, int(inst.costs.sum())  # doctest: +SKIP
(200, 1000, 'beasley', 50050)
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario
from selector.inputs.scenario.scenario import assemble

__all__ = [
    "KNOWN_OPTIMA",
    "LAYOUTS",
    "RESOLVED_HERE",
    "ScpInstance",
    "read_scp",
    "scp_scenario",
]

LAYOUTS = ("beasley", "row-weights")
Layout = Literal["auto", "beasley", "row-weights"]

#: Optimal costs from the literature, as listed in ``shared/benchmarks/orlib-scp/README.md``.
KNOWN_OPTIMA: Mapping[str, int] = MappingProxyType({
    "scp41": 429, "scp42": 512, "scp43": 516, "scp44": 494, "scp45": 512,
    "scp46": 560, "scp47": 430, "scp48": 492, "scp49": 641, "scp410": 514,
    "scp51": 253, "scp52": 302, "scp53": 226, "scp54": 242, "scp55": 211,
    "scp56": 213, "scp57": 293, "scp58": 288, "scp59": 279, "scp510": 265,
    "scp61": 138, "scp62": 146, "scp63": 145, "scp64": 131, "scp65": 161,
    "scpa1": 253, "scpa2": 252, "scpa3": 232, "scpa4": 234, "scpa5": 236,
    "scpb1": 69, "scpb2": 76, "scpb3": 80, "scpb4": 79, "scpb5": 72,
    "scpc1": 227, "scpc2": 219, "scpc3": 243, "scpc4": 219, "scpc5": 215,
    "scpd1": 60, "scpd2": 66, "scpd3": 72, "scpd4": 62, "scpd5": 61,
})

#: The instances whose optimum was re-solved on these machines (all of them, with plain
#: HiGHS; the times are in the README beside the files).
RESOLVED_HERE: frozenset[str] = frozenset(KNOWN_OPTIMA)

_DESCRIBE = {
    "beasley": "OR-Library layout: m n, n column costs, then per row k and k columns",
    "row-weights": "row-weights layout: m n, 2m row numbers, then per row k and k columns",
}
_MAX_DIGITS = 18  # anything longer does not fit an int64
_NOT_DIGIT = re.compile(rb"[^0-9\s]")
_TOKEN = re.compile(rb"\S+")


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class ScpInstance:
    """One set-covering instance: which columns cover which rows, at what cost.

    Attributes
    ----------
    name
        The file's stem (``"scp41"``).
    m, n
        Number of rows (segments to cover) and of columns (partners).
    costs
        Column costs, ``int64`` of length ``n``; ``None`` when the file carries none
        (the ``"row-weights"`` layout).
    coverage
        ``m x n`` CSR matrix, 1 where the column covers the row (read-only arrays).
    layout
        ``"beasley"`` or ``"row-weights"`` (see the module notes).
    row_weights, row_labels
        The two per-row blocks of the ``"row-weights"`` layout (``None`` otherwise):
        a maximum-coverage row weight, and ``(i mod 200) + 1`` in the shared copies.
        Set covering does not use them.
    source
        The path read.
    """

    name: str
    m: int
    n: int
    costs: np.ndarray | None
    coverage: sp.csr_matrix = field(repr=False)
    layout: str
    row_weights: np.ndarray | None = field(default=None, repr=False)
    row_labels: np.ndarray | None = field(default=None, repr=False)
    source: str = ""

    @property
    def nnz(self) -> int:
        """Number of (row, column) covering pairs."""
        return int(self.coverage.nnz)

    @property
    def density(self) -> float:
        """Share of the ``m x n`` pairs that cover."""
        return self.nnz / (self.m * self.n)

    @property
    def row_counts(self) -> np.ndarray:
        """How many columns cover each row (the ``k`` of each row in the file)."""
        return np.diff(self.coverage.indptr)


@dataclass(frozen=True)
class _Problem:
    """Why one reading of the file failed: a message and where (token index, row)."""

    message: str
    token: int
    row: int | None = None
    trailing_text: bool = False  # every row read; only text after the last one is wrong


@dataclass(frozen=True)
class _Parsed:
    block: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray


class _Tokens:
    """The file's whitespace-separated tokens, as integers up to the first non-integer."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.text = data.split()
        bad = _NOT_DIGIT.search(data)
        if bad is None:
            self.n_int = len(self.text)
        else:  # the token holding the first non-digit character
            self.n_int = len(data[: bad.start()].split())
            if bad.start() > 0 and not data[bad.start() - 1 : bad.start()].isspace():
                self.n_int -= 1
        long = [i for i in range(self.n_int) if len(self.text[i]) > _MAX_DIGITS]
        if long:
            self.n_int = long[0]
        self.ints = np.array(self.text[: self.n_int], dtype=np.int64) if self.n_int else np.zeros(
            0, dtype=np.int64
        )

    def __len__(self) -> int:
        return len(self.text)

    def show(self, i: int) -> str:
        word = self.text[i].decode("utf-8", errors="replace")
        return word if len(word) <= 30 else word[:27] + "..."

    def where(self, i: int) -> str:
        """``token 7 (line 2)``, 1-based, for token index ``i`` (or the end of file)."""
        if i >= len(self.text):
            lines = self.data.count(b"\n") + (0 if self.data.endswith(b"\n") else 1)
            return f"end of file (after token {len(self.text)}, line {max(lines, 1)})"
        for k, match in enumerate(_TOKEN.finditer(self.data)):
            if k == i:
                line = self.data.count(b"\n", 0, match.start()) + 1
                return f"token {i + 1} (line {line})"
        raise AssertionError("unreachable: token index past the tokens")  # pragma: no cover

    def need(self, start: int, count: int, what: str, row: int | None) -> _Problem | None:
        """A problem if tokens ``start .. start+count-1`` are not all integers."""
        stop = start + count
        if stop <= self.n_int:
            return None
        if self.n_int < len(self.text) and self.n_int < stop:
            i = max(self.n_int, start)
            text = self.show(i)
            if text.isdigit():
                reason = f"more than {_MAX_DIGITS} digits"
            elif re.fullmatch(r"-[0-9]+", text):
                reason = "negative"
            else:
                reason = "not a whole number"

            return _Problem(f"expected {what}, found '{text}' ({reason})", i, row)
        have = max(len(self.text) - start, 0)
        return _Problem(
            f"the file ends early: expected {count} {what} from token {start + 1}, "
            f"found {have}",
            len(self.text),
            row,
        )


def _walk(tok: _Tokens, m: int, n: int, block: int) -> _Parsed | _Problem:
    """Read the block of ``block`` numbers after the header and then ``m`` rows."""
    what = "column costs" if block == n else "row numbers"
    problem = tok.need(2, block, what, None)
    if problem is not None:
        return problem
    v = tok.ints
    indptr = np.zeros(m + 1, dtype=np.int64)
    pieces: list[np.ndarray] = []
    p = 2 + block
    for i in range(m):
        row = i + 1
        problem = tok.need(p, 1, f"the count of columns covering row {row}", row)
        if problem is not None:
            if problem.token >= len(tok):
                problem = _Problem(
                    f"the file ends after {i} of {m} rows: expected the count of columns "
                    f"covering row {row}",
                    len(tok),
                    row,
                )
            return problem
        k = int(v[p])
        if not 1 <= k <= n:
            return _Problem(
                f"row {row} lists {k} covering columns; expected 1..{n} (n)", p, row
            )
        problem = tok.need(p + 1, k, f"column indices for row {row}", row)
        if problem is not None:
            return problem
        cols = v[p + 1 : p + 1 + k]
        out = np.flatnonzero((cols < 1) | (cols > n))
        if out.size:
            j = int(out[0])
            return _Problem(
                f"column index {int(cols[j])} in row {row} is outside 1..{n} (n)", p + 1 + j, row
            )
        uniq, first = np.unique(cols, return_index=True)
        if uniq.size < k:
            seen = np.ones(k, dtype=bool)
            seen[first] = False
            j = int(np.flatnonzero(seen)[0])
            return _Problem(f"column {int(cols[j])} is listed twice in row {row}", p + 1 + j, row)
        pieces.append(cols - 1)
        indptr[row] = indptr[i] + k
        p += 1 + k
    if p < len(tok):
        more = len(tok) - p
        if p >= tok.n_int:
            return _Problem(
                f"text after the last row (row {m} ends at token {p}): '{tok.show(p)}' and "
                f"{more - 1} more tokens; expected the end of the file",
                p,
                trailing_text=True,
            )
        return _Problem(
            f"the number {int(v[p])} and {more - 1} more tokens after the last row (row "
            f"{m} ends at token {p}); the counts k do not add up to the file's length",
            p,
        )
    indices = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
    return _Parsed(block=v[2 : 2 + block].copy(), indptr=indptr, indices=indices)


def read_scp(path: str | Path, *, layout: Layout = "auto") -> ScpInstance:
    """Read an OR-Library set-covering file, checking it as it goes.

    Parameters
    ----------
    path
        An ``scp*.txt`` file (any line endings), or ``scp*.txt.gz`` (gzip).
    layout
        ``"beasley"`` (``m n``, ``n`` costs, rows), ``"row-weights"`` (``m n``, ``2m``
        row numbers, rows: the shared copies, which have no costs) or ``"auto"``.

    Returns
    -------
    ScpInstance
        Frozen; ``costs`` is ``None`` for the row-weights layout.

    Raises
    ------
    ScenarioError
        When the file cannot be read, or is not a consistent instance: a header that
        is not two positive whole numbers, a token that is not a whole number, the
        file ending early, a count ``k`` outside ``1..n``, a column index outside
        ``1..n`` or listed twice in a row, or anything left after the ``m``-th row.
        The message names the file, the token and line (and the row, also kept in
        ``.row``), what was found and what was expected.

    Examples
    --------
    >>> import tempfile, os, pathlib
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.txt")
    >>> _ = pathlib.Path(path).write_text("2 3\\n 4 5 6\\n 2 1 3\\n 1 2\\n")
    >>> inst = read_scp(path)
    >>> inst.m, inst.n, inst.costs.tolist(), inst.coverage.toarray().tolist()
    (2, 3, [4, 5, 6], [[1, 0, 1], [0, 1, 0]])
    """
    if layout not in ("auto", *LAYOUTS):
        raise ScenarioError(f"layout {layout!r} is not known; accepted: auto, {', '.join(LAYOUTS)}")
    file = str(path)
    try:
        data = Path(path).read_bytes()
        if file.endswith(".gz"):
            data = gzip.decompress(data)
    except (OSError, EOFError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ScenarioError(f"cannot be read ({reason})", file=file) from None
    tok = _Tokens(data)
    for i, what in enumerate(("m (the number of rows)", "n (the number of columns)")):
        problem = tok.need(i, 1, what, None)
        if problem is not None:
            raise ScenarioError(f"{tok.where(problem.token)}: {problem.message}", file=file)
        if tok.ints[i] < 1:
            raise ScenarioError(
                f"{tok.where(i)}: {what} is {int(tok.ints[i])}; expected a positive whole number",
                file=file,
            )
    m, n = int(tok.ints[0]), int(tok.ints[1])

    tried: dict[str, _Parsed | _Problem] = {}
    order = LAYOUTS if layout == "auto" else (layout,)
    chosen: str | None = None
    for name in order:
        tried[name] = _walk(tok, m, n, n if name == "beasley" else 2 * m)
        result = tried[name]
        if isinstance(result, _Parsed):
            chosen = name
            break
        if layout == "auto" and name == "row-weights" and result.trailing_text:
            chosen = name  # a log appended to an otherwise whole file (scp47.txt)
    if chosen is None:
        chosen = order[0]
    result = tried[chosen]
    if isinstance(result, _Problem):
        hint = f" (read as the {_DESCRIBE[chosen]})"
        raise ScenarioError(
            f"{tok.where(result.token)}: {result.message}{hint}", file=file, row=result.row
        )

    coverage = sp.csr_matrix(
        (np.ones(result.indices.size, dtype=np.int8), result.indices, result.indptr), shape=(m, n)
    )
    for arr in (coverage.data, coverage.indices, coverage.indptr):
        _readonly(arr)
    block = result.block
    return ScpInstance(
        name=Path(path).name.split(".")[0],
        m=m,
        n=n,
        costs=_readonly(block) if chosen == "beasley" else None,
        coverage=coverage,
        layout=chosen,
        row_weights=None if chosen == "beasley" else _readonly(block[:m].copy()),
        row_labels=None if chosen == "beasley" else _readonly(block[m:].copy()),
        source=file,
    )


def scp_scenario(
    instance: ScpInstance,
    *,
    costs: np.ndarray | None = None,
    name: str | None = None,
) -> Scenario:
    """The ``min_cost`` scenario of a set-covering instance.

    Columns become partners ``c1..cn`` (resellers, tier 1, selling everywhere, at the
    column's cost), rows become segments ``r1..rm`` (value 0, one partner required),
    and the file's covering pairs are the scenario's coverage table.

    Parameters
    ----------
    instance
        From :func:`read_scp`.
    costs
        Column costs to use instead of the file's (length ``n``, finite, >= 0). Needed
        for files without costs; ``numpy.ones(n)`` gives the unicost problem.
    name
        Scenario name (default: the instance's).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        When the instance has no costs and none are given, or the given costs do not
        fit (wrong length, negative or not finite).

    Examples
    --------
    >>> import tempfile, os, pathlib
    >>> from selector.portfolio import solve
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.txt")
    >>> _ = pathlib.Path(path).write_text("2 3\\n 4 5 6\\n 2 1 3\\n 2 2 3\\n")
    >>> r = solve(scp_scenario(read_scp(path)), time_limit=10)
    >>> r.status, r.objective, r.selected
    ('optimal', 6.0, ('c3',))
    """
    if costs is None:
        if instance.costs is None:
            raise ScenarioError(
                f"has no column costs ({_DESCRIBE.get(instance.layout, instance.layout)}), so "
                "it is not a weighted set-covering instance; pass costs= (numpy.ones(n) for "
                "the unicost problem), or use a copy in the OR-Library layout",
                file=instance.source or instance.name,
            )
        cost = np.asarray(instance.costs, dtype=float)
    else:
        cost = np.asarray(costs, dtype=float)
        if cost.shape != (instance.n,):
            raise ScenarioError(
                f"costs has shape {cost.shape}; expected ({instance.n},), one per column",
                file=instance.source or instance.name,
            )
        bad = np.flatnonzero(~np.isfinite(cost) | (cost < 0))
        if bad.size:
            j = int(bad[0])
            raise ScenarioError(
                f"cost of column {j + 1} is {cost[j]}; expected a finite number >= 0",
                file=instance.source or instance.name,
            )
    # The tables are built as the scenario loader's checks would leave them (typed,
    # indexed by id): the file was checked by read_scp, and re-checking 1,000s of ids
    # as text took longer than HiGHS takes on the smaller files (scp41: 26 ms of 60).
    # tests/inputs/test_orlib.py compares them with scenario_from_frames'.
    pid = pd.Index(np.array([f"c{j + 1}" for j in range(instance.n)], dtype=object), name="id")
    sid = pd.Index(np.array([f"r{i + 1}" for i in range(instance.m)], dtype=object), name="id")
    anywhere = ("*",)
    partners = pd.DataFrame({
        "name": pid.to_numpy(dtype=object), "type": np.full(instance.n, "reseller", dtype=object),
        "gtm_tier": np.ones(instance.n, dtype=np.int64), "cost": cost,
    }, index=pid)
    for col in ("regions", "industries", "sizes"):
        partners[col] = pd.Series([anywhere] * instance.n, index=pid, dtype=object)
    segments = pd.DataFrame({
        "region": np.full(instance.m, "any", dtype=object),
        "industry": np.full(instance.m, "any", dtype=object),
        "size": np.full(instance.m, "any", dtype=object),
        "value": np.zeros(instance.m), "named": np.zeros(instance.m, dtype=bool),
        "min_partners": np.full(instance.m, np.nan), "max_partners": np.full(instance.m, np.nan),
    }, index=sid)
    rows = np.repeat(np.arange(instance.m), instance.row_counts)
    coverage = pd.DataFrame({
        "partner_id": pid.to_numpy(dtype=object)[instance.coverage.indices],
        "segment_id": sid.to_numpy(dtype=object)[rows],
    })
    settings = {"name": name or instance.name, "objective": {"kind": "min_cost"}}
    return assemble(settings, file="<in-memory scenario>", sources=(),
                    frames=(partners, segments, coverage, None, None), coverage_given=True)
