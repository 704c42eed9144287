"""A channel directory that returns whatever members a test put in the channel."""

from __future__ import annotations

from bot.service.ports import ChannelMember


class FakeDirectory:
    def __init__(self) -> None:
        self.channels: dict[tuple[str, str], list[ChannelMember]] = {}
        self.calls = 0

    def put(self, workspace_id: str, channel_id: str, members: list[ChannelMember]) -> None:
        self.channels[(workspace_id, channel_id)] = members

    async def channel_members(self, workspace_id: str, channel_id: str) -> list[ChannelMember]:
        self.calls += 1
        return list(self.channels.get((workspace_id, channel_id), []))
