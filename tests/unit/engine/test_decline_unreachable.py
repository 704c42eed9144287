"""An invitation that cannot be delivered (DMs closed) ends the round unstarted."""

from __future__ import annotations

import pytest

from bot.engine.model import Accept, Decline, DeliveryKind, Rejected, RoundStatus
from tests.unit.engine.helpers import A, B, C, started


def test_an_unreachable_partner_ends_the_round_and_the_initiator_is_told_why() -> None:
    driver = started((A, B))
    decision = driver.do(Decline(B, unreachable=True))
    assert driver.state.status is RoundStatus.DECLINED
    [notice] = decision.deliveries
    assert (notice.to, notice.kind, notice.data["unreachable"]) == (A, DeliveryKind.DECLINED, True)


def test_in_a_scheduled_round_everyone_else_hears_it() -> None:
    driver = started((A, B, C), initiator=None)
    driver.do(Accept(A))
    decision = driver.do(Decline(B, unreachable=True))
    assert sorted(d.to for d in decision.deliveries) == sorted([A, C])
    assert all(d.data["unreachable"] for d in decision.deliveries)


def test_an_unreachable_member_who_already_accepted_cannot_be_declined() -> None:
    driver = started((A, B), initiator=None)
    driver.do(Accept(B))
    with pytest.raises(Rejected) as refused:
        driver.do(Decline(B, unreachable=True))
    assert refused.value.code == "already_accepted"
