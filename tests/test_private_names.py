"""A leading underscore means private to its module: no module imports another's `_name`.

A helper that other modules use gets a public name inside its package (kept out of the
package's ``__all__`` unless it belongs to the API). This test parses every module under
``selector/`` and lists each ``from selector.X import _name`` of another module, at module
level or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import selector

ROOT = Path(selector.__file__).parent

# Packages whose private names are still being given public ones: an import is not
# reported when either side lies in one of these. The lead engineer will empty this
# tuple once that work has landed.
PENDING: tuple[str, ...] = ()


def _pending(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in PENDING)


def _private_imports(text: str, here: str, *, is_package: bool = False) -> list[str]:
    """``line: from X import _name`` for each private name module ``here`` imports."""
    package = here.split(".") if is_package else here.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:  # relative import: resolve it against this module's package
            base = package[: len(package) - (node.level - 1)]
            source = ".".join([*base, node.module] if node.module else base)
        else:
            source = node.module or ""
        if source != "selector" and not source.startswith("selector."):
            continue
        if source == here or _pending(here) or _pending(source):
            continue
        found += [
            f"{node.lineno}: from {source} import {alias.name}"
            for alias in node.names
            if alias.name.startswith("_") and not alias.name.startswith("__")
        ]
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        here = ".".join(parts[:-1] if is_package else parts)
        text = path.read_text(encoding="utf-8")
        found += [
            f"{path.relative_to(ROOT.parent)}:{hit}"
            for hit in _private_imports(text, here, is_package=is_package)
        ]
    assert not found, "private names imported across modules:\n" + "\n".join(found)


def test_the_check_sees_function_level_and_relative_imports() -> None:
    text = (
        "from selector.gtm.graph import VENDOR, _hidden\n"
        "def f():\n"
        "    from selector.gtm.analysis import _inner\n"
        "    from selector.gtm.drawing import _own\n"
        "    from .views import _relative\n"
        "    from selector.inputs.synth import _elsewhere\n"
    )
    assert _private_imports(text, "selector.gtm.drawing") == [
        "1: from selector.gtm.graph import _hidden",
        "3: from selector.gtm.analysis import _inner",
        "5: from selector.gtm.views import _relative",
        "6: from selector.inputs.synth import _elsewhere",
    ]
