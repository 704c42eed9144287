"""Builders for engine tests: a small in-code bank and a round driven step by step."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.engine.bank import Bank, Prompt
from bot.engine.model import (
    Accept,
    Command,
    Decision,
    Delivery,
    DeliveryKind,
    RoundSettings,
    RoundState,
    SubmitAnswer,
)
from bot.engine.rules import decide, start_round

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
A, B, C = "test:w:alice", "test:w:bob", "test:w:cleo"
TOPICS = ("food", "places", "habits")


def make_bank(per_topic: int = 2, layers: int = 4, unsafe: set[str] | None = None) -> Bank:
    prompts = tuple(
        Prompt(
            id=f"l{layer}-{topic}-{n}",
            layer=layer,
            topic=topic,
            text=f"Layer {layer} {topic} prompt {n}?",
            hierarchy_safe=f"l{layer}-{topic}-{n}" not in (unsafe or set()),
        )
        for layer in range(1, layers + 1)
        for topic in TOPICS
        for n in range(per_topic)
    )
    return Bank(name="test", title="Test", prompts=prompts, topics=TOPICS)


BANK = make_bank()


class Driver:
    """Applies commands in order and keeps every delivery, like a tiny chat platform."""

    def __init__(self, decision: Decision, bank: Bank = BANK) -> None:
        self.state: RoundState = decision.state
        self.bank = bank
        self.deliveries: list[Delivery] = list(decision.deliveries)
        self.now = decision.state.created_at

    def do(self, command: Command, now: datetime | None = None) -> Decision:
        self.now = now or self.now
        decision = decide(self.state, command, self.now, self.bank)
        self.state = decision.state
        self.deliveries.extend(decision.deliveries)
        return decision

    def of_kind(self, kind: DeliveryKind, to: str | None = None) -> list[Delivery]:
        return [d for d in self.deliveries if d.kind is kind and (to is None or d.to == to)]

    def answer_all(self, members: tuple[str, ...] | None = None) -> Decision:
        decision = None
        for m in members or self.state.members:
            decision = self.do(SubmitAnswer(m, f"answer from {m}"))
        assert decision is not None
        return decision


def started(
    members: tuple[str, ...] = (A, B),
    settings: RoundSettings | None = None,
    bank: Bank = BANK,
    excluded: frozenset[str] = frozenset(),
    timezones: dict[str, str] | None = None,
    initiator: str | None = A,
    first_round: bool = False,
) -> Driver:
    decision = start_round(
        round_id="r1",
        members=members,
        settings=settings or RoundSettings(bank="test"),
        now=T0,
        seed=7,
        initiator=initiator,
        excluded_prompts=excluded,
        timezones=timezones,
        first_round=first_round,
    )
    return Driver(decision, bank)


def active(members: tuple[str, ...] = (A, B), **kwargs: object) -> Driver:
    driver = started(members, **kwargs)  # type: ignore[arg-type]
    for m in members:
        if m not in driver.state.accepted:
            driver.do(Accept(m))
    return driver
