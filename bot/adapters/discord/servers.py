"""Which server a round belongs to, remembered: a click or a modal in a DM carries no guild.

A member who clicks in their DM is a member of the round's server (`wire.member_in_workspace_of`),
which only the round's row tells. A round never changes server, so once read it is kept
(a bounded number of rounds, least recently used dropped first), and the rounds asked about
while a read runs are read together in the next one: a burst of answers to a thousand rounds
costs a handful of statements, not a thousand connections' worth of reads before their acks.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import OrderedDict

from bot.adapters.discord import wire
from bot.identity import Member
from bot.service.rounds import RoundService

KEPT = 50_000  # rounds remembered: a few MB at most
READ_BATCH = 500  # rounds read in one statement


class RoundServers:
    def __init__(self, rounds: RoundService, kept: int = KEPT) -> None:
        self.rounds = rounds
        self.kept = kept
        self._server_of: OrderedDict[str, str] = OrderedDict()
        self._waiting: dict[str, asyncio.Future[str | None]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def member(self, round_id: str, user_id: int | str) -> Member | None:
        """`user_id` as a member of the round's server; None for an unknown round."""
        server = self._server_of.get(round_id)
        if server is None:
            server = await asyncio.shield(self._waiting.get(round_id) or self._read(round_id))
            if server is None:
                return None  # not remembered: a round made later under this id is found then
        self._server_of.move_to_end(round_id)
        return wire.member(server, user_id)

    def _read(self, round_id: str) -> asyncio.Future[str | None]:
        waiting = asyncio.get_running_loop().create_future()
        self._waiting[round_id] = waiting
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_waiting())
        return waiting

    async def _read_waiting(self) -> None:
        while self._waiting:
            round_ids = list(itertools.islice(self._waiting, READ_BATCH))
            try:
                found = await self.rounds.workspaces_of(round_ids)
            except Exception as err:  # every click waiting hears of it
                for round_id in round_ids:
                    self._waiting.pop(round_id).set_exception(err)
                continue
            for round_id in round_ids:
                workspace = found.get(round_id)
                server = workspace.split(":", 1)[1] if workspace else None
                if server is not None:
                    self._server_of[round_id] = server
                self._waiting.pop(round_id).set_result(server)
            while len(self._server_of) > self.kept:
                self._server_of.popitem(last=False)
