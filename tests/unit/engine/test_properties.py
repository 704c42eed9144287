"""Property tests: for any sequence of member actions and clock moves, reciprocity holds."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.model import (
    Accept,
    AskFollowUp,
    ChooseDepth,
    Command,
    Decline,
    DeliveryKind,
    Leave,
    Rejected,
    RoundSettings,
    SkipFollowUp,
    Stay,
    SubmitAnswer,
    Swap,
    Tick,
)
from tests.unit.engine.helpers import A, B, C, started

MEMBERS = (A, B, C)


def _command(kind: str, member: str, text: str) -> Command:
    return {
        "accept": Accept(member),
        "decline": Decline(member),
        "answer": SubmitAnswer(member, text),
        "swap": Swap(member),
        "stay": Stay(member),
        "leave": Leave(member),
    }[kind]


actions = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(
                ["accept", "answer", "answer", "answer", "swap", "stay", "leave", "decline"]
            ),
            st.sampled_from(MEMBERS),
            st.text(min_size=0, max_size=12),
        ),
        st.tuples(st.just("tick"), st.integers(min_value=1, max_value=60 * 60 * 30), st.just("")),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(
    trio=st.booleans(),
    scheduled=st.booleans(),
    max_layer=st.integers(1, 4),
    steps=actions,
)
def test_no_answer_is_seen_early_and_depth_waits_for_everyone(
    trio: bool, scheduled: bool, max_layer: int, steps: list[tuple[str, object, str]]
) -> None:
    members = MEMBERS if trio else (A, B)
    driver = started(
        members,
        settings=RoundSettings(bank="test", max_layer=max_layer),
        initiator=None if scheduled else A,
    )
    submitted: dict[str, set[tuple[int, str]]] = {m: set() for m in members}
    for kind, who, text in steps:
        before = driver.state
        if kind == "tick":
            command: Command = Tick()
            now = driver.now + timedelta(seconds=int(who))  # type: ignore[call-overload]
        else:
            command = _command(kind, str(who), text)
            now = driver.now
        try:
            decision = driver.do(command, now)
        except Rejected:
            assert driver.state == before
            continue
        if isinstance(command, SubmitAnswer) and before.current is not None:
            submitted[command.member].add((before.current.number, command.text.strip()))
        for delivery in decision.deliveries:
            if delivery.kind is DeliveryKind.REVEAL:
                step = delivery.data["step"]
                # the recipient submitted to this very prompt before seeing anyone's answer
                assert any(n == step for n, _ in submitted.get(delivery.to, set()))
            assert delivery.to in members
        if driver.state.layer > before.layer:
            assert before.current is not None
            assert set(before.current.answers) | {getattr(command, "member", None)} >= set(members)
            assert before.revealed_in_layer + 1 >= before.settings.prompts_per_layer
        assert driver.state.layer <= max_layer


# --- follow-ups and the balance guard (issue 16) --------------------------------------------

RECIPROCAL = RoundSettings(bank="test", follow_ups=True, balance_guard=True, max_layer=4)
LENGTHS = (1, 5, 40, 150, 400)  # brief and long answers, so the guard holds some layers


def _reciprocal_command(kind: str, member: str, size: int) -> Command:
    return {
        "answer": SubmitAnswer(member, "x" * size),
        "ask": AskFollowUp(member, "q" * min(size, 300)),
        "skip": SkipFollowUp(member),
        "deeper": ChooseDepth(member, deeper=True),
        "here": ChooseDepth(member, deeper=False),
        "swap": Swap(member),
        "stay": Stay(member),
    }[kind]


# leaving is left out: it ends the round, and the first property covers it
RECIPROCAL_KINDS = (
    ["answer"] * 8 + ["ask"] * 4 + ["skip", "deeper", "deeper", "deeper", "here", "swap"]
)
reciprocal_actions = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(RECIPROCAL_KINDS),
            st.sampled_from(MEMBERS),
            st.sampled_from(LENGTHS),
        ),
        st.tuples(st.just("tick"), st.integers(min_value=1, max_value=60 * 60 * 30), st.just(0)),
    ),
    min_size=30,
    max_size=150,
)


@settings(max_examples=300, deadline=None)
@given(trio=st.booleans(), steps=reciprocal_actions)
def test_nobody_sees_a_follow_up_or_answer_before_giving_their_own_and_the_guard_holds(
    trio: bool, steps: list[tuple[str, object, int]]
) -> None:
    members = MEMBERS if trio else (A, B)
    driver = started(members, settings=RECIPROCAL, initiator=None)
    for member in members:
        driver.do(Accept(member))
    answered: dict[str, set[int]] = {m: set() for m in members}
    asked: dict[str, set[int]] = {m: set() for m in members}  # by the reveal asked about
    for kind, who, size in steps:
        before = driver.state
        if kind == "tick":
            command: Command = Tick()
            now = driver.now + timedelta(seconds=int(who))  # type: ignore[call-overload]
        else:
            command = _reciprocal_command(kind, str(who), size)
            now = driver.now
        try:
            decision = driver.do(command, now)
        except Rejected:
            assert driver.state == before
            continue
        if isinstance(command, SubmitAnswer) and before.current is not None:
            answered[command.member].add(before.current.number)
        if isinstance(command, AskFollowUp) and before.follow_up is not None:
            asked[command.member].add(before.follow_up.after_step)
        for delivery in decision.deliveries:
            if delivery.kind in (DeliveryKind.REVEAL, DeliveryKind.FOLLOW_UP_REVEAL):
                assert delivery.data["step"] in answered[delivery.to]
            if delivery.kind is DeliveryKind.FOLLOW_UP_QUESTIONS:
                # the questions reach you only once you asked yours, about that very reveal
                assert before.follow_up is not None
                assert before.follow_up.after_step in asked[delivery.to]
                assert all(q["member"] != delivery.to for q in delivery.data["questions"])
        if driver.state.layer > before.layer and before.check_in is not None:
            # the guard held: only every member choosing deeper takes the round down a layer
            chosen = {**before.check_in.choices}
            assert isinstance(command, ChooseDepth) and command.deeper
            chosen[command.member] = True
            assert all(chosen.get(m) is True for m in members)
        if driver.state.layer > before.layer and before.held_layer == before.layer:
            assert before.check_in is not None
        assert driver.state.layer <= RECIPROCAL.max_layer
