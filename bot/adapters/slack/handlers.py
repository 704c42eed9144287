"""slack-bolt listeners: turn the payload into a service call, ack once it is durable, answer.

Durable before acknowledged: a listener that changes anything (an answer, a click, a command)
acks only after the service committed it - a few milliseconds with the group commit - so what
Slack was told is received survives a crash. If the write fails, Slack gets no ack: it
redelivers an event, and a person sees their click or form fail and can try again. Listeners
that only read (Answer's modal, App Home, status) ack first. Every service call carries an
idempotency key (see `wire`), so Slack's retries, replayed envelopes and double clicks change
nothing the second time. Round rules stay in the engine: a refused command comes back as an
`Outcome` or `Rejected` whose message is shown to the member who acted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import home, wire
from bot.adapters.slack.client import failed_call
from bot.adapters.slack.command_handlers import CommandHandlers
from bot.adapters.slack.directory import SlackDirectory
from bot.adapters.slack.listening import Activity, tracked
from bot.adapters.slack.replies import PLATFORM_ERRORS, Body, Respond
from bot.adapters.slack.round_handlers import RoundHandlers
from bot.adapters.slack.team import SlackTeam
from bot.bootstrap import Rapport
from bot.config import Settings
from bot.i18n.translate import _, reading
from bot.identity import Member

log = logging.getLogger(__name__)


class SlackHandlers(CommandHandlers, RoundHandlers):
    """Every Slack listener: `/rapport` (`command_handlers`), a round's replies, buttons and forms
    (`round_handlers`) and App Home (here), with the state and the run they share."""

    def __init__(
        self,
        rapport: Rapport,
        settings: Settings,
        *,
        directory: SlackDirectory | None = None,
        bot_user_id: str | None = None,
    ) -> None:
        self.rapport = rapport
        self.service = rapport.service
        self.members = rapport.members
        self.languages = rapport.languages
        self.settings = settings
        self.directory = directory
        self.bot_user_id = bot_user_id
        self.activity = Activity()
        self._running: set[asyncio.Task[bool]] = set()
        self.team = SlackTeam(
            rapport.languages,
            rapport.service.workspaces,
            rapport.service.questions,
            self._is_lead,
            self._dm_channel,
        )

    async def _finish(self, run: Awaitable[None], acked: asyncio.Event) -> bool:
        """A listener's run; False if it failed. Errors are logged here (bolt doesn't see them):
        a platform error in one WARNING line naming the method and Slack's error code."""
        try:
            await run
            return True
        except PLATFORM_ERRORS as err:
            method, code = failed_call(err)
            log.warning("a Slack listener's %s call failed: %s", method, code)
            return False
        except Exception:
            when = "after acknowledging" if acked.is_set() else "before acknowledging"
            log.exception("a Slack listener failed %s", when)
            return False
        finally:
            await self.activity.done()

    async def _as_reader(
        self, run: Awaitable[None], reader: Member | None, ask_platform: bool = True
    ) -> None:
        """`run` with everything it says in `reader`'s language."""
        language = None
        if reader is not None:
            language = await self.languages.language_of(reader, ask_platform=ask_platform)
            if not ask_platform:
                self.languages.look_up_soon(reader)
        with reading(language):
            await run

    async def drain(self) -> None:
        """Wait for the listeners still running (at shutdown, before the client closes)."""
        while self._running:
            await asyncio.wait(set(self._running))

    # ================================================================ App Home

    @tracked
    async def on_home(self, ack: Respond, event: Body, body: Body, client: AsyncWebClient) -> None:
        await ack()  # only shows what is stored
        if event.get("tab", "home") != "home":
            return
        user_id = str(event["user"])
        await self._publish_home(wire.member(wire.team_of(body), user_id), client)

    async def _publish_home(
        self, member: Member, client: AsyncWebClient, notice: str | None = None
    ) -> None:
        is_lead = await self._is_lead(client, member)
        schedules = (
            await self.rapport.schedules.list_for(wire.PLATFORM, member.workspace_id)
            if is_lead
            else []
        )
        view = home.home_view(
            await self.service.summaries(member),
            await self.members.profile(member),
            is_lead=is_lead,
            schedules=schedules,
            notice=notice,
            team=await self.team.home_blocks(member) if is_lead else (),
            language=await self.languages.view(member),
        )
        await client.views_publish(user_id=member.user_id, view=view)

    @tracked
    async def on_schedule_button(
        self, ack: Respond, body: Body, action: Body, client: AsyncWebClient
    ) -> None:
        """Pause / Resume / Remove on a lead's App Home: change it, then show the new Home."""
        member = wire.member(wire.team_of(body), str(body["user"]["id"]))
        verb = wire.SCHEDULE_ACTIONS[str(action["action_id"])]
        is_lead = await self._is_lead(client, member)
        outcome = await self.rapport.schedules.set_status(
            member, is_lead, str(action.get("value", "")), verb
        )
        await ack()
        if outcome.ok:
            await self.rapport.sync_session_jobs()
        await self._publish_home(member, client, notice=_(outcome.message))
