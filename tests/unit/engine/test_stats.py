"""Stats for leads are content-free and hidden for small groups."""

from __future__ import annotations

from datetime import timedelta

from bot.engine.model import Rate, SubmitAnswer, Tick
from bot.engine.stats import compute
from bot.stats_text import render
from tests.unit.engine.helpers import T0, active

MEMBERS = [f"test:w:m{i}" for i in range(6)]


def _rounds() -> list:
    finished = active((MEMBERS[0], MEMBERS[1]), initiator=None)
    for step in range(6):
        at = T0 + timedelta(hours=step)
        finished.do(SubmitAnswer(MEMBERS[0], "secret words zebra"), at)
        finished.do(SubmitAnswer(MEMBERS[1], "other words"), at + timedelta(minutes=30))
    finished.do(Rate(MEMBERS[0], 6))
    half = active((MEMBERS[2], MEMBERS[3]), initiator=None)
    half.do(SubmitAnswer(MEMBERS[2], "only one"))
    quiet = active((MEMBERS[4], MEMBERS[5]), initiator=None)
    quiet.do(Tick(), T0 + timedelta(days=8))
    return [finished.state, half.state, quiet.state]


def test_figures_cover_completion_reciprocation_depth_and_rating() -> None:
    stats = compute(_rounds())
    assert (stats.members, stats.started, stats.completed) == (6, 3, 1)
    assert stats.layers[0].opened == 3 and stats.layers[0].revealed == 2
    assert stats.median_reciprocation == timedelta(minutes=30)
    assert stats.average_rating == 6
    assert stats.average_depth == 1.0  # 3, 0 and 0


def test_the_report_has_a_bar_chart_and_no_answer_text() -> None:
    text = render(compute(_rounds()), 30)
    assert "█" in text and "L1" in text and "67%" in text
    assert "zebra" not in text and "only one" not in text


def test_groups_smaller_than_five_see_no_figures() -> None:
    small = compute(_rounds()[:2])
    assert "at least 5" in render(small, 30) and "Rounds started" not in render(small, 30)
