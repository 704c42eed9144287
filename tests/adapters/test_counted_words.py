"""Both adapters' round summaries count prompts with the one plural helper ("1 prompt")."""

from __future__ import annotations

from bot.adapters.discord.commands import status_text
from bot.adapters.slack.home import round_line
from bot.engine.model import RoundStatus
from bot.service.members import MemberProfile
from bot.service.rounds import RoundSummary


def _summary(revealed: int) -> RoundSummary:
    return RoundSummary("r1", RoundStatus.ACTIVE, ("x:1:2",), 1, 3, revealed, True, 0)


def test_slack_home_says_one_prompt_shared() -> None:
    assert "· 1 prompt shared ·" in round_line(_summary(1))
    assert "· 2 prompts shared ·" in round_line(_summary(2))


def test_discord_status_says_one_prompt_shared() -> None:
    assert "layer 1 of 3, 1 prompt shared ·" in status_text([_summary(1)], MemberProfile())
    assert "layer 1 of 3, 0 prompts shared ·" in status_text([_summary(0)], MemberProfile())
