"""Output helpers every ``selector`` command shares: strict JSON on stdout."""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["clean_json", "emit_json"]


def clean_json(value: Any) -> Any:
    """Make a value JSON-safe: NaN and infinities become null, tuples lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return clean_json(value.item())
    return value


def emit_json(value: Any) -> None:
    """Print one JSON document (strict: no NaN)."""
    print(json.dumps(clean_json(value), indent=2, allow_nan=False, ensure_ascii=False))
