"""Lead figures for the balance guard, follow-ups and keeping going: counts, never content."""

from __future__ import annotations

from dataclasses import replace

from bot.engine.model import (
    AskFollowUp,
    ChooseDepth,
    KeepGoing,
    RoundSettings,
    RoundStatus,
    SkipFollowUp,
    SubmitAnswer,
)
from bot.engine.stats import compute_reciprocity
from bot.engine.together import continue_round
from bot.reports.texts import reciprocity_lines
from tests.unit.engine.helpers import BANK, active

M = [f"test:w:m{i}" for i in range(6)]
SETTINGS = RoundSettings(bank="test", max_layer=2, balance_guard=True, follow_ups=True)


def _rounds() -> list:
    held = active((M[0], M[1]), settings=SETTINGS, initiator=None)
    held.do(SubmitAnswer(M[0], "z" * 300))
    held.do(SubmitAnswer(M[1], "no"))
    held.do(AskFollowUp(M[0], "secret question zebra?"))
    held.do(AskFollowUp(M[1], "why?"))
    held.do(SubmitAnswer(M[0], "because"))
    held.do(SubmitAnswer(M[1], "yes"))
    held.do(SubmitAnswer(M[0], "z" * 300))
    held.do(SubmitAnswer(M[1], "no"))
    held.do(SkipFollowUp(M[1]))
    held.do(ChooseDepth(M[0], deeper=True))
    held.do(ChooseDepth(M[1], deeper=False))
    done = active((M[2], M[3]), settings=replace(SETTINGS, follow_ups=False), initiator=None)
    while done.state.status is RoundStatus.ACTIVE:
        done.answer_all()
    done.do(KeepGoing(M[2]))
    done.do(KeepGoing(M[3]))
    kept, _next = continue_round(
        done.state,
        round_id="r9",
        settings=done.state.settings,
        now=done.now,
        seed=1,
        excluded_prompts=frozenset(),
        bank=BANK,
    )
    alone = active((M[4], M[5]), settings=replace(SETTINGS, follow_ups=False), initiator=None)
    while alone.state.status is RoundStatus.ACTIVE:
        alone.answer_all()
    return [held.state, kept, alone.state]


def test_figures_count_check_ins_choices_follow_ups_and_keeping_going() -> None:
    figures = compute_reciprocity(_rounds())
    assert (figures.rounds, figures.rounds_held, figures.check_ins) == (3, 1, 1)
    assert (figures.chose_deeper, figures.chose_stay, figures.silent) == (1, 1, 0)
    assert (figures.follow_ups_offered, figures.follow_ups_exchanged) == (2, 1)
    assert figures.follow_up_rate == 0.5
    assert (figures.completed, figures.kept_going) == (2, 1)


def test_the_lines_show_rates_and_no_content() -> None:
    text = "\n".join(reciprocity_lines(compute_reciprocity(_rounds())))
    assert "1 round of 3" in text and "deeper 1 · stay 1" in text
    assert "50%" in text and "(1/2 completed rounds)" in text
    assert "zebra" not in text and "test:w" not in text


def test_small_groups_get_no_reciprocity_figures() -> None:
    assert reciprocity_lines(compute_reciprocity(_rounds()[:2])) == []
