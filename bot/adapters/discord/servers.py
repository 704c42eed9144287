"""Which server a round belongs to, remembered: a click or a modal in a DM carries no guild.

A member who clicks in their DM is a member of the round's server (`wire.member_in_workspace_of`),
which only the round's row tells. A round never changes server, so once read it is kept
(a bounded number of rounds, least recently used dropped first), and the rounds asked about
while a read runs are read together in the next one: a burst of answers to a thousand rounds
costs a handful of statements, not a thousand connections' worth of reads before their acks.
"""

from __future__ import annotations

from collections import OrderedDict

from bot.adapters.discord import wire
from bot.identity import Member
from bot.service.batched_reads import BatchedReads
from bot.service.rounds import RoundService

KEPT = 50_000  # rounds remembered: a few MB at most
READ_BATCH = 500  # rounds read in one statement


class RoundServers:
    def __init__(self, rounds: RoundService, kept: int = KEPT) -> None:
        self.rounds = rounds
        self.kept = kept
        self._server_of: OrderedDict[str, str] = OrderedDict()
        self._reads: BatchedReads[str, str] = BatchedReads(
            rounds.workspaces_of, self._keep, READ_BATCH
        )

    async def member(self, round_id: str, user_id: int | str) -> Member | None:
        """`user_id` as a member of the round's server; None for an unknown round."""
        server = self._server_of.get(round_id)
        if server is None:
            server = await self._reads.get(round_id)
            if server is None:
                return None  # not remembered: a round made later under this id is found then
        self._server_of.move_to_end(round_id)
        return wire.member(server, user_id)

    def _keep(self, round_id: str, workspace: str | None) -> str | None:
        if workspace is None:
            return None
        server = workspace.split(":", 1)[1]
        self._server_of[round_id] = server
        while len(self._server_of) > self.kept:
            self._server_of.popitem(last=False)
        return server
