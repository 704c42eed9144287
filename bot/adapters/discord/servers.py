"""Which server a round belongs to, remembered: a click or a modal in a DM carries no guild.

A member who clicks in their DM is a member of the round's server (`wire.member_in_workspace_of`),
which only the round's state tells. A round never changes server, so once read it is kept
(a bounded number of rounds, least recently used dropped first): the ack path then costs no
round read before the command is committed, where each read would queue on SQLite's one writer
beside the commits and the outbox's marks.
"""

from __future__ import annotations

from collections import OrderedDict

from bot.adapters.discord import wire
from bot.identity import Member
from bot.service.rounds import RoundService

KEPT = 50_000  # rounds remembered: a few MB at most


class RoundServers:
    def __init__(self, rounds: RoundService, kept: int = KEPT) -> None:
        self.rounds = rounds
        self.kept = kept
        self._server_of: OrderedDict[str, str] = OrderedDict()

    async def member(self, round_id: str, user_id: int | str) -> Member | None:
        """`user_id` as a member of the round's server; None for an unknown round."""
        server = self._server_of.get(round_id)
        if server is not None:
            self._server_of.move_to_end(round_id)
            return wire.member(server, user_id)
        state = await self.rounds.load(round_id)
        if state is None:
            return None  # not remembered: a round made later under this id is found then
        member = wire.member_in_workspace_of(state.members[0], user_id)
        self._server_of[round_id] = member.workspace_id
        if len(self._server_of) > self.kept:
            self._server_of.popitem(last=False)
        return member
