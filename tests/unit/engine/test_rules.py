"""One test per rule of the round semantics in DESIGN.md."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.engine.model import (
    Accept,
    Decline,
    DeliveryKind,
    Leave,
    Pace,
    Rate,
    Rejected,
    RoundSettings,
    RoundStatus,
    Stay,
    SubmitAnswer,
    Swap,
    Tick,
)
from bot.engine.rules import decide
from tests.unit.engine.helpers import BANK, T0, A, B, C, active, make_bank, started

# --- invitation and consent -----------------------------------------------------------------


def test_invitation_goes_to_everyone_except_the_initiator() -> None:
    driver = started((A, B))
    invites = driver.of_kind(DeliveryKind.INVITATION)
    assert [d.to for d in invites] == [B]
    assert driver.state.status is RoundStatus.INVITED
    assert driver.state.accepted == {A}


def test_scheduled_round_invites_every_member() -> None:
    driver = started((A, B, C), initiator=None)
    assert sorted(d.to for d in driver.of_kind(DeliveryKind.INVITATION)) == sorted([A, B, C])
    assert driver.state.accepted == frozenset()


def test_nobody_receives_a_prompt_before_everyone_accepted() -> None:
    driver = started((A, B, C), initiator=None)
    driver.do(Accept(A))
    driver.do(Accept(B))
    assert driver.of_kind(DeliveryKind.PROMPT) == []
    driver.do(Accept(C))
    assert sorted(d.to for d in driver.of_kind(DeliveryKind.PROMPT)) == sorted([A, B, C])


def test_answer_before_the_round_started_is_refused() -> None:
    driver = started((A, B))
    with pytest.raises(Rejected) as err:
        driver.do(SubmitAnswer(A, "hello"))
    assert err.value.code == "not_started"


def test_decline_ends_the_round_kindly() -> None:
    driver = started((A, B))
    decision = driver.do(Decline(B))
    assert driver.state.status is RoundStatus.DECLINED
    assert [d.to for d in driver.of_kind(DeliveryKind.DECLINED)] == [A]
    assert decision.reply and "No problem" in decision.reply


def test_accepting_twice_changes_nothing() -> None:
    driver = active()
    before = driver.state
    with pytest.raises(Rejected):
        driver.do(Accept(B))
    assert driver.state == before


# --- prompts, privacy and the reveal --------------------------------------------------------


def test_every_member_gets_the_same_prompt() -> None:
    driver = active((A, B, C))
    prompts = driver.of_kind(DeliveryKind.PROMPT)
    assert len(prompts) == 3
    assert len({d.data["prompt_id"] for d in prompts}) == 1
    assert prompts[0].data["layer"] == 1


def test_an_answer_stays_private_until_everyone_answered() -> None:
    driver = active()
    decision = driver.do(SubmitAnswer(A, "my secret"))
    assert [d.kind for d in decision.deliveries] == [DeliveryKind.ANSWER_HELD]
    assert decision.deliveries[0].to == A
    assert all("my secret" not in str(d.data) for d in decision.deliveries)


def test_the_reveal_reaches_every_member_at_once_with_every_answer() -> None:
    driver = active()
    driver.do(SubmitAnswer(A, "alpha"))
    decision = driver.do(SubmitAnswer(B, "beta"))
    reveals = [d for d in decision.deliveries if d.kind is DeliveryKind.REVEAL]
    assert sorted(d.to for d in reveals) == sorted([A, B])
    for reveal in reveals:
        assert {a["text"] for a in reveal.data["answers"]} == {"alpha", "beta"}


def test_a_trio_reveals_only_when_all_three_answered() -> None:
    driver = active((A, B, C))
    driver.do(SubmitAnswer(A, "one"))
    driver.do(SubmitAnswer(B, "two"))
    assert driver.of_kind(DeliveryKind.REVEAL) == []
    driver.do(SubmitAnswer(C, "three"))
    assert len(driver.of_kind(DeliveryKind.REVEAL)) == 3


# --- depth ----------------------------------------------------------------------------------


def test_layer_rises_only_after_prompts_per_layer_reveals() -> None:
    driver = active()
    driver.answer_all()
    assert driver.state.layer == 1
    driver.answer_all()
    assert driver.state.layer == 2
    last_prompt = driver.of_kind(DeliveryKind.PROMPT)[-1]
    assert last_prompt.data["layer"] == 2 and last_prompt.data["reason"] == "deeper"


def test_layer_never_rises_while_a_member_has_not_answered() -> None:
    driver = active()
    driver.answer_all()
    driver.do(SubmitAnswer(A, "only me"))
    assert driver.state.layer == 1
    assert driver.state.revealed_in_layer == 1


def test_round_never_goes_past_max_layer_and_then_completes() -> None:
    driver = active(settings=RoundSettings(bank="test", max_layer=2))
    for _ in range(4):
        driver.answer_all()
    assert driver.state.status is RoundStatus.COMPLETED
    assert max(d.data["layer"] for d in driver.of_kind(DeliveryKind.PROMPT)) == 2
    assert len(driver.of_kind(DeliveryKind.COMPLETED)) == 2


def test_a_layer_the_bank_has_run_out_of_is_skipped() -> None:
    layer_one_ids = frozenset(p.id for p in BANK.in_layer(1))
    driver = active(excluded=layer_one_ids)
    assert driver.of_kind(DeliveryKind.PROMPT)[0].data["layer"] == 2


# --- swap -----------------------------------------------------------------------------------


def test_swap_draws_a_different_topic_of_the_same_layer_without_blame() -> None:
    driver = active()
    first = driver.of_kind(DeliveryKind.PROMPT)[-1].data
    decision = driver.do(Swap(B))
    swapped = [d for d in decision.deliveries if d.kind is DeliveryKind.PROMPT]
    assert sorted(d.to for d in swapped) == sorted([A, B])
    new = swapped[0].data
    assert new["layer"] == first["layer"]
    assert new["topic"] != first["topic"]
    assert new["reason"] == "swap"
    assert all(B not in str(d.data) for d in swapped)


def test_a_swapped_prompt_is_never_asked_again_and_does_not_count() -> None:
    driver = active()
    swapped_id = driver.state.current.prompt_id  # type: ignore[union-attr]
    driver.do(SubmitAnswer(A, "dropped answer"))
    driver.do(Swap(B))
    assert driver.state.revealed_in_layer == 0
    assert driver.state.current.answers == {}  # type: ignore[union-attr]
    assert swapped_id in driver.state.excluded_prompts
    for _ in range(6):
        driver.answer_all()
    asked = [d.data["prompt_id"] for d in driver.of_kind(DeliveryKind.PROMPT, to=A)]
    assert asked.count(swapped_id) == 1
    assert all("dropped answer" not in str(d.data) for d in driver.of_kind(DeliveryKind.REVEAL))


def test_swap_falls_back_to_the_same_topic_then_refuses_when_nothing_is_left() -> None:
    bank = make_bank(per_topic=1)
    others = frozenset(p.id for p in bank.in_layer(1)[1:])
    driver = active(bank=bank, excluded=others)
    with pytest.raises(Rejected) as err:
        driver.do(Swap(A))
    assert err.value.code == "no_alternative"


# --- stay and leave -------------------------------------------------------------------------


def test_stay_keeps_the_round_at_the_current_depth() -> None:
    driver = active(settings=RoundSettings(bank="test", max_layer=4))
    driver.do(Stay(B))
    assert len(driver.of_kind(DeliveryKind.STAY)) == 2
    driver.answer_all()
    driver.answer_all()
    assert driver.state.status is RoundStatus.COMPLETED
    assert driver.state.layer == 1


def test_leave_ends_the_round_and_tells_the_others_kindly() -> None:
    driver = active((A, B, C))
    driver.do(Leave(C))
    assert driver.state.status is RoundStatus.LEFT
    assert sorted(d.to for d in driver.of_kind(DeliveryKind.PARTNER_LEFT)) == sorted([A, B])
    assert [d.to for d in driver.of_kind(DeliveryKind.LEFT)] == [C]


def test_leave_is_possible_while_still_invited() -> None:
    driver = started((A, B))
    driver.do(Leave(A))
    assert driver.state.status is RoundStatus.LEFT


# --- follow-ups -----------------------------------------------------------------------------


def test_reminders_go_only_to_members_who_have_not_answered_at_most_twice() -> None:
    driver = active()
    driver.do(SubmitAnswer(A, "done"))
    driver.do(Tick(), T0 + timedelta(hours=23))
    assert driver.of_kind(DeliveryKind.REMINDER) == []
    for hours in (24, 48, 72, 96):
        driver.do(Tick(), T0 + timedelta(hours=hours))
    reminders = driver.of_kind(DeliveryKind.REMINDER)
    assert [d.to for d in reminders] == [B, B]
    assert [d.data["reminder_no"] for d in reminders] == [1, 2]


def test_reminders_land_in_the_members_daytime() -> None:
    driver = active(timezones={B: "Asia/Tokyo"})
    driver.do(Tick(), T0 + timedelta(hours=24))  # 10:00 UTC is 19:00 in Tokyo: daytime
    tokyo = driver.of_kind(DeliveryKind.REMINDER, to=B)[0]
    assert tokyo.not_before == T0 + timedelta(hours=24)
    driver = active(timezones={B: "America/Los_Angeles"})
    driver.do(Tick(), T0 + timedelta(hours=24))  # 02:00 in Los Angeles: held until 08:00
    late = driver.of_kind(DeliveryKind.REMINDER, to=B)[0]
    assert late.not_before == datetime(2026, 3, 3, 16, 0, tzinfo=UTC)


def test_a_round_expires_after_a_quiet_week() -> None:
    driver = active()
    driver.do(Tick(), T0 + timedelta(days=6, hours=23))
    assert driver.state.status is RoundStatus.ACTIVE
    driver.do(Tick(), T0 + timedelta(days=7))
    assert driver.state.status is RoundStatus.EXPIRED
    assert len(driver.of_kind(DeliveryKind.EXPIRED)) == 2
    assert driver.state.due_at is None


def test_an_unanswered_invitation_expires_too() -> None:
    driver = started((A, B))
    driver.do(Tick(), T0 + timedelta(days=7))
    assert driver.state.status is RoundStatus.EXPIRED


def test_paced_round_sends_the_next_prompt_the_next_morning() -> None:
    settings = RoundSettings(bank="test", pace=Pace.DAILY)
    driver = active(settings=settings, timezones={A: "Europe/Berlin", B: "Europe/Berlin"})
    driver.answer_all()
    assert driver.state.current is None
    assert driver.state.next_prompt_at == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 Berlin
    driver.do(Tick(), datetime(2026, 3, 3, 7, 59, tzinfo=UTC))
    assert len(driver.of_kind(DeliveryKind.PROMPT)) == 2
    driver.do(Tick(), datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    assert len(driver.of_kind(DeliveryKind.PROMPT)) == 4


# --- completion and rating ------------------------------------------------------------------


def test_completion_sends_a_closing_message_and_accepts_a_rating() -> None:
    driver = active(settings=RoundSettings(bank="test", max_layer=1))
    driver.answer_all()
    driver.answer_all()
    closing = driver.of_kind(DeliveryKind.COMPLETED)
    assert sorted(d.to for d in closing) == sorted([A, B])
    assert closing[0].data["prompts_revealed"] == 2
    driver.do(Rate(A, 6))
    assert driver.state.ratings == {A: 6}


@pytest.mark.parametrize("rating", [0, 8, -1])
def test_a_rating_outside_one_to_seven_is_refused(rating: int) -> None:
    driver = active(settings=RoundSettings(bank="test", max_layer=1))
    driver.answer_all()
    driver.answer_all()
    with pytest.raises(Rejected):
        driver.do(Rate(A, rating))


def test_rating_before_completion_is_refused() -> None:
    with pytest.raises(Rejected):
        active().do(Rate(A, 5))


def test_no_prompt_is_repeated_for_the_same_pair_across_rounds() -> None:
    first = active(settings=RoundSettings(bank="test", max_layer=2))
    for _ in range(4):
        first.answer_all()
    asked = frozenset(first.state.excluded_prompts)
    second = active(excluded=asked, settings=RoundSettings(bank="test", max_layer=2))
    for _ in range(4):
        second.answer_all()
    again = {d.data["prompt_id"] for d in second.of_kind(DeliveryKind.PROMPT)}
    assert again and not (again & asked)


def test_hierarchy_safe_rounds_draw_only_safe_prompts() -> None:
    unsafe = {p.id for p in BANK.prompts if p.topic != "food"}
    bank = make_bank(unsafe=unsafe)
    settings = RoundSettings(bank="test", hierarchy_safe_only=True, max_layer=1)
    driver = active(settings=settings, bank=bank)
    driver.answer_all()
    driver.answer_all()
    assert {d.data["topic"] for d in driver.of_kind(DeliveryKind.PROMPT)} == {"food"}


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_answer"),
        ("   \n\t ", "empty_answer"),
        ("x" * 3001, "answer_too_long"),
        ("bell\x07here", "control_characters"),
    ],
)
def test_bad_answers_get_a_clear_message_and_change_nothing(text: str, code: str) -> None:
    driver = active()
    before = driver.state
    with pytest.raises(Rejected) as err:
        driver.do(SubmitAnswer(A, text))
    assert err.value.code == code and err.value.message
    assert driver.state == before


def test_an_answer_of_exactly_3000_characters_is_kept_whole() -> None:
    driver = active()
    driver.do(SubmitAnswer(A, "y" * 3000))
    assert driver.state.current.answers[A].text == "y" * 3000  # type: ignore[union-attr]


def test_an_answer_to_a_prompt_that_is_not_current_is_refused() -> None:
    driver = active()
    stale = driver.state.current.number  # type: ignore[union-attr]
    driver.do(Swap(A))
    with pytest.raises(Rejected) as err:
        driver.do(SubmitAnswer(B, "late", step=stale))
    assert err.value.code == "stale_prompt"


def test_answering_twice_is_refused() -> None:
    driver = active()
    driver.do(SubmitAnswer(A, "first"))
    with pytest.raises(Rejected) as err:
        driver.do(SubmitAnswer(A, "second"))
    assert err.value.code == "already_answered"


@pytest.mark.parametrize(
    "command", [SubmitAnswer(C, "hi"), Swap(C), Stay(C), Leave(C), Accept(C), Rate(C, 5)]
)
def test_someone_outside_the_round_changes_nothing(command: object) -> None:
    driver = active()
    before = driver.state
    with pytest.raises(Rejected) as err:
        driver.do(command)  # type: ignore[arg-type]
    assert err.value.code == "not_member"
    assert driver.state == before


@pytest.mark.parametrize("command", [SubmitAnswer(A, "hi"), Swap(A), Stay(A), Leave(A)])
def test_actions_on_a_finished_round_change_nothing(command: object) -> None:
    driver = active()
    driver.do(Leave(B))
    with pytest.raises(Rejected) as err:
        driver.do(command)  # type: ignore[arg-type]
    assert err.value.code == "round_ended"


def test_decide_is_pure() -> None:
    driver = active()
    state = driver.state
    first = decide(state, SubmitAnswer(A, "same"), T0, BANK)
    second = decide(state, SubmitAnswer(A, "same"), T0, BANK)
    assert first == second
    assert driver.state == state
    assert replace(state) == state
