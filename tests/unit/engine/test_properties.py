"""Property tests: for any sequence of member actions and clock moves, reciprocity holds."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.model import (
    Accept,
    Command,
    Decline,
    DeliveryKind,
    Leave,
    Rejected,
    RoundSettings,
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
