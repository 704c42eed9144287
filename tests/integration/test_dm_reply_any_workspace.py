"""A DM that belongs to no workspace (Discord) answers the user's waiting prompt in any of them."""

from __future__ import annotations

from bot.engine.model import Accept, RoundStatus
from bot.identity import Member
from bot.service.rounds import RoundService


async def _active(service: RoundService, a: Member, b: Member) -> str:
    started = await service.start_round([a, b], initiator=a)
    assert started.ok and started.round_id
    await service.act(started.round_id, Accept(b.key))
    return started.round_id


async def test_the_reply_finds_the_round_in_the_users_other_server(service: RoundService) -> None:
    sam_g1, kim_g1 = Member("discord", "111", "7"), Member("discord", "111", "8")
    sam_g2, lee_g2 = Member("discord", "222", "7"), Member("discord", "222", "9")
    first = await _active(service, sam_g1, kim_g1)
    second = await _active(service, lee_g2, sam_g2)
    await service.answer_from_dm(sam_g1, "answered in server one", "e-1")

    outcome = await service.answer_from_user_dm("discord", "7", "now server two", "e-2")

    assert outcome.ok and outcome.round_id == second
    state = await service.load(second)
    assert state is not None and state.current is not None
    assert state.current.answers[sam_g2.key].text == "now server two"
    assert (await service.load(first)).status is RoundStatus.ACTIVE  # type: ignore[union-attr]


async def test_two_waiting_prompts_in_two_servers_ask_for_the_button(
    service: RoundService,
) -> None:
    await _active(service, Member("discord", "111", "7"), Member("discord", "111", "8"))
    await _active(service, Member("discord", "222", "9"), Member("discord", "222", "7"))
    outcome = await service.answer_from_user_dm("discord", "7", "which one?", "e-3")
    assert outcome.code == "ambiguous"
    nobody = await service.answer_from_user_dm("discord", "70", "hello", "e-4")
    assert nobody.code == "no_prompt"
