"""Pause durations as members type them."""

from datetime import timedelta

import pytest

from bot.service.members import parse_pause


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2w", timedelta(weeks=2)),
        ("3d", timedelta(days=3)),
        (" 1 week ", timedelta(weeks=1)),
        ("10 days", timedelta(days=10)),
    ],
)
def test_durations_are_understood(text: str, expected: timedelta) -> None:
    assert parse_pause(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "0d", "2y", "-1w", "999w", "2w3d"])
def test_anything_else_is_refused(text: str) -> None:
    assert parse_pause(text) is None
