"""Who is who: a member is (platform, workspace, user); the engine only sees its opaque key."""

from __future__ import annotations

from dataclasses import dataclass

CHANNEL_PREFIX = "#"


@dataclass(frozen=True)
class Member:
    platform: str
    workspace_id: str
    user_id: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.workspace_id}:{self.user_id}"

    @property
    def workspace(self) -> str:
        return f"{self.platform}:{self.workspace_id}"

    @property
    def is_channel(self) -> bool:
        """A channel recipient (for session summaries) rather than a person."""
        return self.user_id.startswith(CHANNEL_PREFIX)

    @property
    def channel_id(self) -> str:
        return self.user_id.removeprefix(CHANNEL_PREFIX)

    @classmethod
    def channel(cls, platform: str, workspace_id: str, channel_id: str) -> Member:
        return cls(platform, workspace_id, CHANNEL_PREFIX + channel_id)

    @classmethod
    def from_key(cls, key: str) -> Member:
        platform, workspace_id, user_id = key.split(":", 2)
        return cls(platform, workspace_id, user_id)
