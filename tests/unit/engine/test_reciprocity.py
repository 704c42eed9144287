"""One test per rule of issue 16: follow-up questions, the balance guard, keep going together
and pace presets."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.engine import presets
from bot.engine.balance import is_uneven, layer_totals
from bot.engine.model import (
    MAX_FOLLOW_UP_CHARS,
    AskFollowUp,
    ChooseDepth,
    DeliveryKind,
    KeepGoing,
    Pace,
    PacePreset,
    Rejected,
    RoundSettings,
    RoundStatus,
    SkipFollowUp,
    StepOutcome,
    SubmitAnswer,
    Swap,
    Tick,
)
from bot.engine.together import continue_round
from tests.unit.engine.helpers import BANK, A, B, C, Driver, active

GUARDED = RoundSettings(bank="test", balance_guard=True)
ASKING = RoundSettings(bank="test", follow_ups=True)
LONG, SHORT = "x" * 200, "ok"


def _reveal_with(driver: Driver, texts: dict[str, str]) -> None:
    for member, text in texts.items():
        driver.do(SubmitAnswer(member, text))


def _uneven_layer(driver: Driver) -> None:
    for _ in range(driver.state.settings.prompts_per_layer):
        _reveal_with(driver, {A: LONG, B: SHORT})


# --- the balance guard ----------------------------------------------------------------------


def test_uneven_lengths_hold_the_round_and_everyone_gets_the_same_check_in() -> None:
    driver = active(settings=GUARDED)
    _uneven_layer(driver)
    assert driver.state.layer == 1
    assert driver.state.current is None
    check_ins = driver.of_kind(DeliveryKind.CHECK_IN)
    assert sorted(d.to for d in check_ins) == [A, B]
    assert check_ins[0].data == check_ins[1].data  # blame-free: nobody is singled out
    assert set(check_ins[0].data) == {"round_id", "layer", "layer_name"}  # no lengths, no names


def test_the_guard_goes_deeper_only_when_every_member_chooses_deeper() -> None:
    driver = active(settings=GUARDED)
    _uneven_layer(driver)
    decision = driver.do(ChooseDepth(A, deeper=True))
    assert decision.deliveries == () and driver.state.layer == 1
    driver.do(ChooseDepth(B, deeper=True))
    assert driver.state.layer == 2
    assert driver.of_kind(DeliveryKind.PROMPT)[-1].data["reason"] == "deeper"
    assert driver.state.check_ins[-1].went_deeper


def test_one_stay_choice_gives_one_more_prompt_here_then_the_same_check() -> None:
    driver = active(settings=GUARDED)
    _uneven_layer(driver)
    driver.do(ChooseDepth(A, deeper=True))
    driver.do(ChooseDepth(B, deeper=False))
    prompt = driver.of_kind(DeliveryKind.PROMPT)[-1]
    assert prompt.data["layer"] == 1 and prompt.data["reason"] == "same_depth"
    assert driver.state.check_ins[-1].went_deeper is False
    # even answers now: the guard still holds this layer, so the same check comes again
    _reveal_with(driver, {A: LONG, B: LONG})
    assert driver.state.layer == 1
    assert len(driver.of_kind(DeliveryKind.CHECK_IN)) == 4


def test_silence_at_a_check_in_never_means_deeper() -> None:
    driver = active(settings=GUARDED)
    _uneven_layer(driver)
    driver.do(ChooseDepth(A, deeper=True))
    driver.do(Tick(), driver.now + GUARDED.choice_window)
    assert driver.state.layer == 1
    assert driver.state.check_ins[-1].silent == 1
    assert driver.state.current is not None and driver.state.current.layer == 1


def test_two_brief_answerers_are_not_uneven() -> None:
    driver = active(settings=GUARDED)
    for _ in range(2):
        _reveal_with(driver, {A: "pizza, mostly", B: "ok"})
    assert driver.state.layer == 2
    assert driver.of_kind(DeliveryKind.CHECK_IN) == []


def test_a_workspace_can_turn_the_guard_off() -> None:
    driver = active(settings=replace(GUARDED, balance_guard=False))
    _uneven_layer(driver)
    assert driver.state.layer == 2


def test_the_ratio_is_the_workspaces_threshold() -> None:
    totals = {A: 100, B: 30}
    assert not is_uneven(totals, ratio=0.25, floor=50)
    assert is_uneven(totals, ratio=0.4, floor=50)
    assert not is_uneven(totals, ratio=0.4, floor=120)


def test_lengths_count_only_the_layer_just_finished_and_never_follow_ups() -> None:
    driver = active(settings=replace(GUARDED, follow_ups=True))
    _reveal_with(driver, {A: LONG, B: SHORT})
    driver.do(AskFollowUp(A, "why?"))
    driver.do(AskFollowUp(B, "how?"))
    _reveal_with(driver, {A: "a" * 500, B: "b"})
    assert layer_totals(driver.state, 1) == {A: 200, B: 2}


def test_choosing_twice_or_without_a_check_in_is_refused() -> None:
    driver = active(settings=GUARDED)
    with pytest.raises(Rejected) as err:
        driver.do(ChooseDepth(A, deeper=True))
    assert err.value.code == "no_check_in"
    _uneven_layer(driver)
    driver.do(ChooseDepth(A, deeper=False))
    with pytest.raises(Rejected) as err:
        driver.do(ChooseDepth(A, deeper=True))
    assert err.value.code == "already_chosen"


def test_a_held_layer_that_runs_out_completes_instead_of_going_deeper() -> None:
    layer_one = [p.id for p in BANK.in_layer(1)]
    driver = active(settings=GUARDED, excluded=frozenset(layer_one[2:]))
    _uneven_layer(driver)
    driver.do(ChooseDepth(A, deeper=False))
    driver.do(ChooseDepth(B, deeper=False))
    assert driver.state.status is RoundStatus.COMPLETED
    assert driver.state.layer == 1


# --- follow-up questions --------------------------------------------------------------------


def test_a_reveal_offers_a_follow_up_and_the_next_prompt_waits() -> None:
    driver = active(settings=ASKING)
    driver.answer_all()
    reveal = driver.of_kind(DeliveryKind.REVEAL)[-1]
    assert reveal.data["follow_up"] is True
    assert driver.state.current is None and driver.state.follow_up is not None
    assert len(driver.of_kind(DeliveryKind.PROMPT)) == 2  # only the first prompt, to both


def test_follow_ups_are_delivered_only_when_every_member_asked_one() -> None:
    driver = active((A, B, C), settings=ASKING)
    driver.answer_all()
    driver.do(AskFollowUp(A, "What made it special?"))
    driver.do(AskFollowUp(B, "Where was that?"))
    assert driver.of_kind(DeliveryKind.FOLLOW_UP_QUESTIONS) == []
    driver.do(AskFollowUp(C, "Would you go back?"))
    delivered = {
        d.to: d.data["questions"] for d in driver.of_kind(DeliveryKind.FOLLOW_UP_QUESTIONS)
    }
    assert {q["text"] for q in delivered[A]} == {"Where was that?", "Would you go back?"}
    assert all(q["member"] != A for q in delivered[A])  # never your own question back
    assert driver.state.current is not None and driver.state.current.is_follow_up


def test_a_pass_tells_everyone_the_same_kind_note_and_nobody_who_passed() -> None:
    driver = active(settings=ASKING)
    driver.answer_all()
    driver.do(AskFollowUp(A, "A secret question?"))
    decision = driver.do(SkipFollowUp(B))
    notes = [d for d in decision.deliveries if d.kind is DeliveryKind.FOLLOW_UPS_PASSED]
    assert sorted(d.to for d in notes) == [A, B]
    assert all(set(d.data) == {"round_id"} for d in notes)
    assert "A secret question?" not in str(driver.deliveries)
    assert driver.of_kind(DeliveryKind.PROMPT)[-1].data["reason"] == "next"


def test_the_follow_up_window_timing_out_is_a_pass() -> None:
    driver = active(settings=ASKING)
    driver.answer_all()
    driver.do(AskFollowUp(A, "Tell me more?"))
    driver.do(Tick(), driver.now + ASKING.choice_window - timedelta(seconds=1))
    assert driver.of_kind(DeliveryKind.FOLLOW_UPS_PASSED) == []
    driver.do(Tick(), driver.now + timedelta(seconds=1))
    assert len(driver.of_kind(DeliveryKind.FOLLOW_UPS_PASSED)) == 2
    assert driver.state.follow_up is None and driver.state.current is not None


def test_follow_up_answers_are_gated_revealed_and_do_not_count_towards_depth() -> None:
    driver = active(settings=ASKING)
    driver.answer_all()
    driver.do(AskFollowUp(A, "Why that one?"))
    driver.do(AskFollowUp(B, "Since when?"))
    held = driver.do(SubmitAnswer(A, "Since school."))
    assert [d.kind for d in held.deliveries] == [DeliveryKind.ANSWER_HELD]
    driver.do(SubmitAnswer(B, "It smells of home."))
    reveals = driver.of_kind(DeliveryKind.FOLLOW_UP_REVEAL)
    assert sorted(d.to for d in reveals) == [A, B]
    assert {a["text"] for a in reveals[0].data["answers"]} == {
        "Since school.",
        "It smells of home.",
    }
    assert {q["text"] for q in reveals[0].data["questions"]} == {"Why that one?", "Since when?"}
    assert driver.state.revealed_in_layer == 1
    assert driver.state.history[-1].outcome is StepOutcome.FOLLOWED_UP
    assert driver.state.current is not None and driver.state.current.layer == 1


def test_a_follow_up_question_has_the_answer_rules_and_a_300_character_limit() -> None:
    driver = active(settings=ASKING)
    driver.answer_all()
    for text, code in (("   ", "empty_follow_up"), ("x" * 301, "follow_up_too_long")):
        with pytest.raises(Rejected) as err:
            driver.do(AskFollowUp(A, text))
        assert err.value.code == code
    driver.do(AskFollowUp(A, "y" * MAX_FOLLOW_UP_CHARS))
    with pytest.raises(Rejected) as err:
        driver.do(AskFollowUp(A, "again?"))
    assert err.value.code == "already_asked"


def test_no_follow_up_is_offered_on_the_reveal_that_ends_the_round() -> None:
    driver = active(settings=replace(ASKING, max_layer=1, prompts_per_layer=1))
    driver.answer_all()
    assert driver.of_kind(DeliveryKind.REVEAL)[-1].data["follow_up"] is False
    assert driver.state.status is RoundStatus.COMPLETED


def test_a_follow_up_can_not_be_swapped_and_its_reminder_carries_the_question() -> None:
    driver = active(settings=ASKING)
    driver.answer_all()
    driver.do(AskFollowUp(A, "Which book?"))
    driver.do(AskFollowUp(B, "Which city?"))
    with pytest.raises(Rejected) as err:
        driver.do(Swap(A))
    assert err.value.code == "follow_up_swap"
    driver.do(SubmitAnswer(B, "Lisbon"))
    driver.do(Tick(), driver.now + ASKING.reminder_after)
    (reminder,) = driver.of_kind(DeliveryKind.REMINDER)
    assert reminder.to == A and reminder.data["text"] == "Which city?"


def test_a_question_on_an_old_reveal_is_refused() -> None:
    driver = active(settings=ASKING)
    driver.answer_all()
    step = driver.state.follow_up.after_step  # type: ignore[union-attr]
    with pytest.raises(Rejected) as err:
        driver.do(AskFollowUp(A, "late?", step=step + 5))
    assert err.value.code == "no_follow_up"


# --- keep going together --------------------------------------------------------------------


def _completed() -> Driver:
    driver = active(settings=RoundSettings(bank="test", max_layer=2))
    while driver.state.status is RoundStatus.ACTIVE:
        driver.answer_all()
    return driver


def test_completion_offers_keep_going_and_it_needs_everyone_silently() -> None:
    driver = _completed()
    assert all(d.data["keep_going"] for d in driver.of_kind(DeliveryKind.COMPLETED))
    first = driver.do(KeepGoing(A))
    assert first.deliveries == () and first.keep_going is False
    both = driver.do(KeepGoing(B))
    assert both.keep_going is True and both.deliveries == ()


def test_the_next_round_starts_at_the_depth_reached_without_an_invitation() -> None:
    driver = _completed()
    driver.do(KeepGoing(A))
    driver.do(KeepGoing(B))
    seen = frozenset({"l3-food-0"})
    old, decision = continue_round(
        driver.state,
        round_id="r2",
        settings=driver.state.settings,
        now=driver.now,
        seed=3,
        excluded_prompts=seen,
        bank=BANK,
    )
    new = decision.state
    assert old.continued_as == "r2" and new.continued_from == driver.state.id
    assert new.status is RoundStatus.ACTIVE and new.accepted == {A, B}
    assert new.layer == driver.state.layer == 2
    kinds = [d.kind for d in decision.deliveries]
    assert DeliveryKind.INVITATION not in kinds and kinds.count(DeliveryKind.PROMPT) == 2
    assert new.current is not None and new.current.prompt_id not in driver.state.excluded_prompts
    assert seen <= new.excluded_prompts


def test_keep_going_never_starts_past_the_cap() -> None:
    driver = _completed()
    _old, decision = continue_round(
        driver.state,
        round_id="r2",
        settings=replace(driver.state.settings, max_layer=1),
        now=driver.now,
        seed=3,
        excluded_prompts=frozenset(),
        bank=BANK,
    )
    assert decision.state.layer == 1


def test_keep_going_is_refused_before_completion_twice_and_long_after() -> None:
    driver = active()
    with pytest.raises(Rejected) as err:
        driver.do(KeepGoing(A))
    assert err.value.code == "not_completed"
    done = _completed()
    done.do(KeepGoing(A))
    with pytest.raises(Rejected) as err:
        done.do(KeepGoing(A))
    assert err.value.code == "already_chosen"
    with pytest.raises(Rejected) as err:
        done.do(KeepGoing(B), done.now + done.state.settings.expire_after + timedelta(days=1))
    assert err.value.code == "too_late"


# --- pace presets ---------------------------------------------------------------------------


def test_presets_bundle_depth_prompts_and_pace() -> None:
    team = RoundSettings(bank="test", max_layer=3, prompts_per_layer=2)
    gentle = presets.apply(team, PacePreset.GENTLE)
    assert (gentle.prompts_per_layer, gentle.max_layer, gentle.pace) == (3, 2, Pace.DAILY)
    opened = presets.apply(team, PacePreset.OPEN)
    assert (opened.prompts_per_layer, opened.max_layer, opened.pace) == (2, 4, Pace.LIVE)
    standard = presets.apply(replace(team, max_layer=4), PacePreset.STANDARD)
    assert (standard.prompts_per_layer, standard.max_layer, standard.pace) == (2, 4, Pace.LIVE)
    assert presets.apply(gentle, Pace.LIVE).preset is None


def test_pace_words_parse_any_case_and_refuse_others() -> None:
    assert presets.parse_pace("Gentle") is PacePreset.GENTLE
    assert presets.parse_pace("daily") is Pace.DAILY
    assert presets.parse_pace("fast") is None


def test_the_invitation_carries_the_preset_for_plain_words() -> None:
    settings = presets.apply(RoundSettings(bank="test"), PacePreset.GENTLE)
    driver = active((A, B, C), settings=settings, initiator=None)
    invitation = driver.of_kind(DeliveryKind.INVITATION)[0].data
    assert invitation["preset"] == "gentle" and invitation["prompts_per_layer"] == 3
