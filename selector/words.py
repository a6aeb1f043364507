"""Words for numbers in messages people read: ``1 partner``, ``3 partners``."""

from __future__ import annotations

__all__ = ["count_of"]

_IRREGULAR = {"company": "companies", "was": "were", "is": "are", "has": "have", "it": "they"}


def count_of(n: int, word: str, plural: str | None = None) -> str:
    """``n`` and ``word`` in the number that agrees with it.

    >>> count_of(1, "partner"), count_of(3, "partner"), count_of(0, "change")
    ('1 partner', '3 partners', '0 changes')
    >>> count_of(2, "company"), count_of(1_200, "segment")
    ('2 companies', '1,200 segments')
    """
    if n == 1:
        return f"1 {word}"
    return f"{n:,} {plural or _IRREGULAR.get(word, word + 's')}"
