"""Counted words shown to people: one helper, so moving to CLDR plurals (Babel) is one change."""

from __future__ import annotations


def plural(count: int, one: str, many: str) -> str:
    """`plural(1, "group", "groups")` is "1 group"; any other count takes the plural form."""
    return f"{count} {one if count == 1 else many}"
