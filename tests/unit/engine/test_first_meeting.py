"""Prompts phrased for a first meeting (`first_meeting: true`) are drawn only in a pair's first
round: never again once the pair has met, through draws and swaps alike."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.engine.bank import Bank
from bot.engine.model import DeliveryKind, Rejected, RoundSettings, Swap
from tests.unit.engine.helpers import Driver, active, make_bank


def bank_with_first_meeting(flagged: set[str]) -> Bank:
    base = make_bank(per_topic=2, layers=1)
    prompts = tuple(replace(p, first_meeting=p.id in flagged) for p in base.prompts)
    return Bank(name="test", title="Test", prompts=prompts, topics=base.topics)


# every layer-1 prompt but one is for a first meeting
FLAGGED = {p.id for p in make_bank(per_topic=2, layers=1).prompts} - {"l1-places-0"}
BANK = bank_with_first_meeting(FLAGGED)
ONE_LAYER = RoundSettings(bank="test", max_layer=1, prompts_per_layer=1)


def asked(driver: Driver) -> list[str]:
    return [str(d.data["prompt_id"]) for d in driver.of_kind(DeliveryKind.PROMPT)]


def swap_through(driver: Driver) -> None:
    """Swap until the bank has nothing else to offer."""
    with pytest.raises(Rejected):
        for _ in range(len(BANK.prompts) + 1):
            driver.do(Swap(driver.state.members[0]))


def test_a_pair_that_met_before_never_gets_a_first_meeting_prompt() -> None:
    driver = active(bank=BANK, settings=ONE_LAYER, first_round=False)
    swap_through(driver)
    assert set(asked(driver)) == {"l1-places-0"}


def test_a_first_round_draws_first_meeting_prompts_too() -> None:
    driver = active(bank=BANK, settings=ONE_LAYER, first_round=True)
    swap_through(driver)
    assert set(asked(driver)) == {p.id for p in BANK.prompts}


def test_a_pair_that_met_before_moves_on_when_only_first_meeting_prompts_are_left() -> None:
    bank = bank_with_first_meeting({p.id for p in make_bank(layers=1).prompts})
    driver = active(bank=bank, settings=ONE_LAYER, first_round=False)
    assert asked(driver) == []
    assert driver.state.status.is_open is False  # ran out: the round closes, nothing asked


def test_first_round_is_kept_in_the_round_state() -> None:
    assert active(bank=BANK, first_round=True).state.first_round is True
    assert active(bank=BANK).state.first_round is False  # the safe default
