"""What every family of Slack listeners shares: the payload and reply types bolt hands them,
the platform errors a listener outlives, and the ephemeral reply to the member who acted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.adapters.slack.blocks import escape

Respond = Callable[..., Awaitable[Any]]
Body = Mapping[str, Any]
Reply = str | dict[str, Any]  # an ephemeral text, or `respond()` arguments with blocks
PLATFORM_ERRORS = (SlackApiError, aiohttp.ClientError, TimeoutError)


async def _tell(respond: Respond, text: str) -> None:
    """An ephemeral reply to the member who clicked; the message they clicked stays."""
    await respond(text=escape(text), response_type="ephemeral", replace_original=False)
