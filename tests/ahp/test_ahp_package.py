"""Tests of the selector.ahp package: it re-exports every public name of its modules."""

from __future__ import annotations

import importlib
import pkgutil

from selector import ahp


def test_package_reexports_every_public_name_of_its_modules() -> None:
    defined: dict[str, str] = {}
    for info in pkgutil.iter_modules(ahp.__path__):
        module = importlib.import_module(f"selector.ahp.{info.name}")
        for name in module.__all__:
            assert name not in defined, f"{name} in both {defined.get(name)} and {info.name}"
            defined[name] = info.name
            assert getattr(ahp, name) is getattr(module, name)
    assert sorted(ahp.__all__) == sorted(defined)
    assert len(set(ahp.__all__)) == len(ahp.__all__)
