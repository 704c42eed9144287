"""`/rapport` on Slack: the member's own commands, the leads' schedules and stats, and the
forget-me question's buttons. Part of `SlackHandlers` (see `handlers`), which holds the state.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import blocks, commands, home, wire
from bot.adapters.slack.blocks import escape
from bot.adapters.slack.charts import send_stats
from bot.adapters.slack.directory import SlackDirectory
from bot.adapters.slack.listening import tracked
from bot.adapters.slack.replies import Body, Reply, Respond, _tell
from bot.adapters.slack.team import SlackTeam
from bot.bootstrap import Rapport
from bot.i18n import N_
from bot.i18n.translate import _, reading
from bot.identity import Member
from bot.messages.commands import HELP_TEXT
from bot.reports.texts import STATS_LEADS_ONLY
from bot.service.languages import MemberLanguages
from bot.service.members import MemberDirectory
from bot.service.rounds import Outcome, RoundService
from bot.service.schedules import LEAD_ONLY

log = logging.getLogger(__name__)

NOT_A_PERSON = frozenset({"USLACKBOT"})
FORGET_QUESTION = N_(
    "*Delete everything Rapport stores about you?*\nYour settings, your avoid list, "
    "your answers and the messages waiting for you go. You leave the rounds you're "
    "in (your partners are told kindly, as when anyone leaves), and those rounds "
    "keep only that someone left. This can't be undone."
)
FORGET_CANCELLED = N_("Nothing was deleted.")
EXPORT_COMMENT = N_("Here is everything Rapport stores about you, as a JSON file.")
NOT_IN_CHANNEL = N_(
    "I'm not in <#{channel}>. Invite me first (`/invite @Rapport` in the channel), "
    "so I can see who's there and post each session's summary."
)
CHANNEL_UNREACHABLE = N_(
    "I can't see <#{channel}>. For a private channel, invite me first (`/invite @Rapport`)."
)
# only read (or only show a question): acked first, as nothing they do needs to be durable
READ_ONLY_COMMANDS = (
    commands.Status,
    commands.Help,
    commands.ForgetMe,
    commands.Export,
    commands.ScheduleList,
    commands.Stats,
    commands.Usage,
    commands.Language,
)


class CommandHandlers:
    """The `/rapport` listeners; mixed into `SlackHandlers`."""

    rapport: Rapport
    service: RoundService
    members: MemberDirectory
    languages: MemberLanguages
    directory: SlackDirectory | None
    bot_user_id: str | None
    team: SlackTeam

    # ================================================================= /rapport

    @tracked
    async def on_command(
        self, ack: Respond, command: Body, respond: Respond, client: AsyncWebClient
    ) -> None:
        request = commands.parse(str(command.get("text", "")))
        member = wire.member(wire.team_of(command), str(command["user_id"]))
        if isinstance(request, READ_ONLY_COMMANDS):
            await ack()
            reply = await self._run_command(request, member, command, client)
        else:  # it changes something: committed before Slack hears back
            reply = await self._run_command(request, member, command, client)
            await ack()
        if isinstance(reply, str):
            await respond(text=reply, response_type="ephemeral")
        else:
            await respond(response_type="ephemeral", **reply)

    async def _run_command(
        self, request: commands.Request, member: Member, command: Body, client: AsyncWebClient
    ) -> Reply:
        match request:
            case commands.Start():
                return await self._start(request, member, command, client)
            case commands.Status():
                return await self._status(member)
            case commands.Stop():
                return _((await self.service.leave_all(member, wire.command_key(command))).message)
            case commands.Help():
                return f"{escape(_(HELP_TEXT))}\n\n{commands.usage()}"
            case commands.OptOut(opted_out):
                return _((await self.members.set_opted_out(member, opted_out)).message)
            case commands.Pause(duration):
                until = None if duration is None else self.service.clock.now() + duration
                return _((await self.members.pause_until(member, until)).message)
            case commands.Language(code):
                return await self._language(member, code)
            case commands.Timezone(name):
                return escape(_((await self.members.set_timezone(member, name)).message))
            case commands.Avoid(user_id):
                return await self._avoid(member, user_id, client)
            case commands.ForgetMe():
                return _forget_question(member)
            case commands.Export():
                return await self._export(member, client)
            case (
                commands.ScheduleAdd()
                | commands.ScheduleList()
                | commands.ScheduleStatus()
                | commands.ScheduleRunNow()
                | commands.Stats()
                | commands.StatsDigest()
            ):
                return await self._lead_command(request, member, client)
            case commands.TeamSettings(args):
                return await self.team.settings_command(args, member, command, client)
            case commands.TeamQuestions(args):
                return await self.team.questions_command(args, member, command, client)
            case commands.Usage():
                return request.text
        raise AssertionError(request)

    # ============================================================ lead commands

    async def _lead_command(
        self, request: commands.Request, member: Member, client: AsyncWebClient
    ) -> str:
        """Schedules and stats: a non-lead gets a clear refusal and nothing changes."""
        if not await self._is_lead(client, member):
            if isinstance(request, commands.Stats | commands.StatsDigest):
                return _(STATS_LEADS_ONLY)
            return _(LEAD_ONLY)
        schedules = self.rapport.schedules
        match request:
            case commands.ScheduleAdd(channel_id, options):
                problem = await self._check_channel(member.workspace_id, channel_id)
                if problem:
                    return problem
                outcome = await schedules.add(member, True, channel_id, options)
                if outcome.ok:
                    await self.rapport.sync_session_jobs()
                    return _(
                        "{outcome} Sessions pair <#{channel_id}>'s members.",
                        outcome=escape(_(outcome.message)),
                        channel_id=channel_id,
                    )
                return escape(_(outcome.message))
            case commands.ScheduleList():
                views = await schedules.list_for(wire.PLATFORM, member.workspace_id)
                return home.schedules_text(views)
            case commands.ScheduleStatus(schedule_id, action):
                outcome = await schedules.set_status(member, True, schedule_id, action)
                if outcome.ok:
                    await self.rapport.sync_session_jobs()
                return escape(_(outcome.message))
            case commands.ScheduleRunNow(schedule_id):
                return escape(_((await schedules.run_now(member, True, schedule_id)).message))
            case commands.Stats(channel_id):
                dm = functools.partial(self._dm_channel, member, client)
                return await send_stats(self.rapport.reports, member, channel_id, dm, client)
            case commands.StatsDigest(on):
                return escape(_((await self.rapport.reports.set_digest(member, True, on)).message))
        raise AssertionError(request)

    async def _check_channel(self, workspace_id: str, channel_id: str) -> str | None:
        """The bot must see the channel's members and be able to post the summary there."""
        if self.directory is None:
            return None
        try:
            member_ids = await self.directory.member_ids(workspace_id, channel_id)
        except SlackApiError as err:
            log.info("schedule add: channel %s: %s", channel_id, err.response.get("error"))
            return _(CHANNEL_UNREACHABLE, channel=channel_id)
        bot_user_id = await self.directory.bot_user_id(workspace_id) or self.bot_user_id
        if bot_user_id and bot_user_id not in member_ids:
            return _(NOT_IN_CHANNEL, channel=channel_id)
        return None

    # ============================================================ your data

    async def _avoid(self, member: Member, user_id: str, client: AsyncWebClient) -> str:
        """Private: only the member who asked is answered; the other person is never told."""
        other = wire.member(member.workspace_id, user_id)
        return escape(_((await self.rapport.schedules.avoid(member, other)).message))

    async def _export(self, member: Member, client: AsyncWebClient) -> str:
        """DM the member a JSON file of their data (files.uploadV2); its content is never logged."""
        data = await self.rapport.privacy.export(member)
        content = self.rapport.privacy.export_json(data).encode()
        try:
            channel = await self._dm_channel(member, client)
            await client.files_upload_v2(
                channel=channel,
                content=content,
                filename=f"rapport-export-{self.service.clock.now():%Y-%m-%d}.json",
                title=_("Your Rapport data"),
                initial_comment=_(EXPORT_COMMENT),
            )
        except SlackApiError as err:
            log.warning("export: upload failed: %s", err.response.get("error"))
            return _("I couldn't send you the file just now. Please try again in a minute.")
        return _("I've sent you a file with everything Rapport stores about you. Check our DM.")

    async def _dm_channel(self, member: Member, client: AsyncWebClient) -> str:
        known = await self.members.dm_channel(member)
        if known:
            return known
        opened = await client.conversations_open(users=member.user_id)
        channel = str(opened["channel"]["id"])
        await self.members.remember_dm_channel(member, channel)
        return channel

    @tracked
    async def on_forget_answer(
        self, ack: Respond, body: Body, action: Body, respond: Respond
    ) -> None:
        """The buttons under `/rapport forget-me`'s question: delete only after a yes."""
        user_id = str(body["user"]["id"])
        if str(action.get("value")) != user_id:
            await ack()
            await _tell(respond, _("This question was meant for someone else, so nothing changed."))
            return
        if action.get("action_id") != wire.FORGET_CONFIRM:
            await ack()
            await respond(text=_(FORGET_CANCELLED), replace_original=True)
            return
        outcome = await self.rapport.privacy.forget_me(wire.member(wire.team_of(body), user_id))
        await ack()
        await respond(text=escape(_(outcome.message)), replace_original=True)

    async def _status(self, member: Member) -> str:
        summaries = await self.service.summaries(member)
        language = await self.languages.view(member)
        return home.status_text(summaries, await self.members.profile(member), language)

    async def _language(self, member: Member, code: str | None) -> str:
        """`/rapport language [code]`: show it, or choose it (answered in the new language)."""
        if code is None:
            return home.language_text(await self.languages.view(member))
        outcome = await self.languages.choose(member, code)
        with reading(await self.languages.language_of(member)):
            return escape(_(outcome.message))

    async def _start(
        self, request: commands.Start, member: Member, command: Body, client: AsyncWebClient
    ) -> str:
        others = [u for u in request.user_ids if u != member.user_id]
        initiator: Member | None = member
        if not others:
            return _("A round needs someone else: mention the person you'd like to get to know.")
        if len(others) == 2:
            if not await self._is_lead(client, member):
                return _("Only team leads can pair two other people. Mention one person instead.")
            initiator = None
        user_ids = others if initiator is None else [member.user_id, *others]
        problem = await self._check_people(client, member.workspace_id, user_ids)
        if problem:
            return problem
        people = [wire.member(member.workspace_id, u) for u in user_ids]
        outcome = await self.service.start_round(
            people, initiator=initiator, pace=request.pace, event_key=wire.command_key(command)
        )
        return _start_reply(outcome, others, initiator is None)

    async def _check_people(
        self, client: AsyncWebClient, team_id: str, user_ids: list[str]
    ) -> str | None:
        """Refuse bots, deactivated or unknown accounts; adopt Slack's time zone if none is set
        and note Slack's language (so their invitation is in it without another call)."""
        for user_id in user_ids:
            try:
                user = (await client.users_info(user=user_id, include_locale=True))["user"]
            except SlackApiError:
                return _("I couldn't find <@{user_id}> in this workspace.", user_id=user_id)
            if user.get("is_bot") or user.get("is_app_user") or user_id in NOT_A_PERSON:
                return _(
                    "<@{user_id}> is a bot, so they can't take part in a round.", user_id=user_id
                )
            if user.get("deleted"):
                return _("<@{user_id}>'s account is deactivated.", user_id=user_id)
            person = wire.member(team_id, user_id)
            await self._adopt_timezone(person, user.get("tz"))
            await self.languages.observe(person, user.get("locale"))
        return None

    async def _adopt_timezone(self, member: Member, zone: str | None) -> None:
        if zone and (await self.members.profile(member)).timezone is None:
            await self.members.set_timezone(member, zone)

    async def _is_lead(self, client: AsyncWebClient, member: Member) -> bool:
        """Leads: the workspace's `leads` setting (by default RAPPORT_SLACK_LEADS), or the
        workspace's admins and owners."""
        user_id = member.user_id
        if user_id in (await self.service.workspaces.settings_of(member.workspace)).lead_users:
            return True
        try:
            user = (await client.users_info(user=user_id))["user"]
        except SlackApiError as err:
            log.warning("users.info %s failed: %s", user_id, err.response.get("error"))
            return False
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


# --- small helpers ----------------------------------------------------------------------------


def _forget_question(member: Member) -> dict[str, Any]:
    buttons = [
        {
            "type": "button",
            "action_id": wire.FORGET_CONFIRM,
            "text": blocks.plain(_("Yes, delete my data")),
            "style": "danger",
            "value": member.user_id,
        },
        {
            "type": "button",
            "action_id": wire.FORGET_CANCEL,
            "text": blocks.plain(_("Cancel")),
            "value": member.user_id,
        },
    ]
    return {
        "text": _("Delete everything Rapport stores about you?"),
        "blocks": [
            blocks.section(_(FORGET_QUESTION), "rapport_forget_question"),
            {"type": "actions", "block_id": "rapport_forget", "elements": buttons},
        ],
    }


def _start_reply(outcome: Outcome, others: list[str], paired_by_lead: bool) -> str:
    if outcome.duplicate:
        return _("Already on it: the invitation is out.")
    if not outcome.ok:
        return escape(_(outcome.message))
    invited = " and ".join(f"<@{u}>" for u in others)
    if paired_by_lead:
        return _("Paired {invited}. They each get an invitation by DM.", invited=invited)
    return _(
        "Invitation sent to {invited}. Your first prompt arrives as soon as they accept.",
        invited=invited,
    )
