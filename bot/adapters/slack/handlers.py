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
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import blocks, commands, home, wire
from bot.adapters.slack.blocks import escape
from bot.adapters.slack.charts import send_stats
from bot.adapters.slack.client import failed_call
from bot.adapters.slack.directory import SlackDirectory
from bot.adapters.slack.listening import Activity, tracked
from bot.adapters.slack.team import SlackTeam
from bot.bootstrap import Rapport
from bot.config import Settings
from bot.engine.follow_ups import clean_follow_up
from bot.engine.model import (
    AskFollowUp,
    Rejected,
    SubmitAnswer,
)
from bot.engine.rules import clean_answer
from bot.i18n import N_
from bot.i18n.translate import _, reading
from bot.identity import Member
from bot.messages.buttons import SETTLED_NOTES, STALE_NOTE, command_for
from bot.messages.commands import HELP_TEXT
from bot.messages.model import Action
from bot.messages.rounds import FOLLOW_UP_FORM_EXPIRED, example_text, prompt_text
from bot.reports.texts import STATS_LEADS_ONLY
from bot.service.rounds import OpenPrompt, Outcome
from bot.service.schedules import LEAD_ONLY

log = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]
Body = Mapping[str, Any]
Reply = str | dict[str, Any]  # an ephemeral text, or `respond()` arguments with blocks

# refusals meaning the clicked message is out of date: its controls are removed
STALE_CODES = frozenset({"stale_prompt", "round_ended", "unknown_round", "not_invited"})
KEPT_AFTER_STAY = frozenset(
    wire.ACTION_IDS[a] for a in (Action.ANSWER, Action.EXAMPLE, Action.SWAP, Action.LEAVE)
)
# the closing message offers a rating and "Keep going together": choosing one keeps the other
KEPT_AFTER: dict[Action, frozenset[str]] = {
    Action.STAY: KEPT_AFTER_STAY,
    Action.RATE: frozenset({wire.ACTION_IDS[Action.KEEP_GOING]}),
    Action.KEEP_GOING: frozenset({wire.ACTION_IDS[Action.RATE]}),
}
# buttons that store nothing (a form to open, an example to show): acked first
FORM_ACTIONS = frozenset({Action.ANSWER, Action.FOLLOW_UP, Action.EXAMPLE})
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
FORM_UNAVAILABLE = N_(
    "I couldn't open the answer form just now. Please press Answer again in a "
    "moment, or simply reply here in our DM with your answer."
)
TRIGGER_BUDGET_SECONDS = 2.5  # views.open must use the trigger within 3 s of the click
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
PLATFORM_ERRORS = (SlackApiError, aiohttp.ClientError, TimeoutError)


class SlackHandlers:
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
        self._running: set[asyncio.Task[None]] = set()
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

    async def _as_reader(self, run: Awaitable[None], reader: Member | None) -> None:
        """`run` with everything it says in `reader`'s language."""
        language = await self.languages.language_of(reader) if reader else None
        with reading(language):
            await run

    async def drain(self) -> None:
        """Wait for the listeners still running (at shutdown, before the client closes)."""
        while self._running:
            await asyncio.wait(set(self._running))

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

    # ============================================================== DM replies

    @tracked
    async def on_message(
        self, ack: Respond, event: Body, body: Body, client: AsyncWebClient
    ) -> None:
        """A member's plain reply in their DM with Rapport answers the prompt waiting for them.

        Acked once the answer is committed: if that fails, Slack redelivers the event (up to
        three times), and its event id makes a redelivery after a commit change nothing."""
        if not _from_a_person_in_dm(event):
            await ack()
            return
        member = wire.member(wire.team_of(body), str(event["user"]))
        text = blocks.unescape(str(event.get("text", "")))
        outcome = await self.service.answer_from_dm(member, text, wire.event_key(body))
        await ack()
        if outcome.ok or outcome.duplicate:
            return  # the held confirmation or the reveal comes through the outbox
        await client.chat_postMessage(
            channel=str(event["channel"]), text=escape(_(outcome.message))
        )

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

    # ========================================================= buttons, select

    @tracked
    async def on_action(
        self, ack: Respond, body: Body, action: Body, respond: Respond, client: AsyncWebClient
    ) -> None:
        kind = wire.ACTION_BY_ID[str(action["action_id"])]
        target = wire.decode_target(_action_value(action))
        member = wire.member(wire.team_of(body), str(body["user"]["id"]))
        if target is None or kind in FORM_ACTIONS:
            await ack()  # nothing to store: a form or an example to show, or a refusal
            if target is None:
                await _tell(
                    respond, _("That button didn't carry a round I recognise, so nothing changed.")
                )
            elif kind is Action.EXAMPLE:
                await self._show_example(body, target, member, respond, client)
            elif kind is Action.FOLLOW_UP:
                await self._open_follow_up(body, target, member, respond, client)
            else:
                await self._open_answer(body, target, member, respond, client)
            return
        command = command_for(kind, member.key, target.number)
        outcome = await self.service.act(target.round_id, command, wire.click_key(body, action))
        await ack()
        await self._after_click(kind, target, outcome, body, respond, client)

    async def _after_click(
        self,
        kind: Action,
        target: wire.Target,
        outcome: Outcome,
        body: Body,
        respond: Respond,
        client: AsyncWebClient,
    ) -> None:
        if outcome.duplicate:
            return
        if not outcome.ok:
            await self._refused(outcome.code, _(outcome.message), body, respond, client)
            return
        if kind is Action.RATE:
            note = _("✓ You rated this round {number} out of 7. Thank you!", number=target.number)
        else:
            note = _(SETTLED_NOTES[kind])
        kept = KEPT_AFTER.get(kind, frozenset())
        await _settle(client, body, note, lambda a: a in kept)

    async def _refused(
        self, code: str | None, message: str, body: Body, respond: Respond, client: AsyncWebClient
    ) -> None:
        """Tell only the clicker; remove the controls only when the message is out of date."""
        await _tell(respond, message)
        if code in STALE_CODES:
            await _settle(client, body, _(STALE_NOTE))

    async def _open_prompt(
        self,
        body: Body,
        target: wire.Target,
        member: Member,
        respond: Respond,
        client: AsyncWebClient,
    ) -> OpenPrompt | None:
        """The prompt the clicker may answer now; None once they were told why not."""
        try:
            return await self.service.open_prompt(target.round_id, member, target.number)
        except Rejected as refused:
            await self._refused(refused.code, _(refused.message), body, respond, client)
            return None

    async def _show_example(
        self,
        body: Body,
        target: wire.Target,
        member: Member,
        respond: Respond,
        client: AsyncWebClient,
    ) -> None:
        """Only the member who asked sees the prompt's example answer; nothing changes."""
        prompt = await self._open_prompt(body, target, member, respond, client)
        if prompt is not None:
            await _tell(respond, example_text(prompt.example, prompt.bank, prompt.prompt_id))

    async def _open_answer(
        self,
        body: Body,
        target: wire.Target,
        member: Member,
        respond: Respond,
        client: AsyncWebClient,
    ) -> None:
        prompt = await self._open_prompt(body, target, member, respond, client)
        if prompt is None:
            return
        channel = str(body.get("container", {}).get("channel_id", ""))
        meta = wire.ModalMeta(prompt.round_id, prompt.step, channel)
        view = blocks.answer_modal(prompt_text(asdict(prompt)), meta)
        await self._open_modal(body, view, respond, client)

    async def _open_follow_up(
        self,
        body: Body,
        target: wire.Target,
        member: Member,
        respond: Respond,
        client: AsyncWebClient,
    ) -> None:
        try:
            opened = await self.service.open_follow_up(target.round_id, member, target.number)
        except Rejected as refused:
            await self._refused(refused.code, _(refused.message), body, respond, client)
            return
        channel = str(body.get("container", {}).get("channel_id", ""))
        meta = wire.ModalMeta(opened.round_id, opened.step, channel)
        view = blocks.follow_up_modal(prompt_text(asdict(opened), "prompt_text"), meta)
        await self._open_modal(body, view, respond, client)

    async def _open_modal(
        self, body: Body, view: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        try:
            # the client retries a 5xx once quickly; the trigger is dead after 3 s anyway
            async with asyncio.timeout(TRIGGER_BUDGET_SECONDS):
                await client.views_open(trigger_id=str(body["trigger_id"]), view=view)
        except PLATFORM_ERRORS as err:
            method, code = failed_call(err, "views.open")
            if code == "exchanged_trigger_id":  # an earlier try opened it; its answer was lost
                return
            log.warning("a form: %s failed: %s; the member was told", method, code)
            await _tell(respond, _(FORM_UNAVAILABLE))

    # ============================================================ answer modal

    @tracked
    async def on_answer_submitted(
        self, ack: Respond, body: Body, view: Body, client: AsyncWebClient
    ) -> None:
        text = _submitted_text(view)
        meta = wire.ModalMeta.decode(str(view.get("private_metadata", "")))
        try:
            clean_answer(text)
        except Rejected as invalid:
            await ack(response_action="errors", errors={wire.ANSWER_BLOCK: _(invalid.message)})
            return
        if meta is None:
            problem = _("This form has expired. Please press Answer on the prompt again.")
            await ack(response_action="errors", errors={wire.ANSWER_BLOCK: problem})
            return
        member = wire.member(wire.team_of(body), str(body["user"]["id"]))
        command = SubmitAnswer(member.key, text, meta.step)
        outcome = await self.service.act(meta.round_id, command, wire.view_key(view))
        await ack()  # closes the form, now that the answer is stored
        if not (outcome.ok or outcome.duplicate) and meta.channel_id:
            await client.chat_postMessage(channel=meta.channel_id, text=escape(_(outcome.message)))

    @tracked
    async def on_follow_up_submitted(
        self, ack: Respond, body: Body, view: Body, client: AsyncWebClient
    ) -> None:
        text = _submitted_text(view, wire.FOLLOW_UP_BLOCK, wire.FOLLOW_UP_INPUT)
        meta = wire.ModalMeta.decode(str(view.get("private_metadata", "")))
        try:
            clean_follow_up(text)
        except Rejected as invalid:
            await ack(response_action="errors", errors={wire.FOLLOW_UP_BLOCK: _(invalid.message)})
            return
        if meta is None:
            problem = _(FOLLOW_UP_FORM_EXPIRED)
            await ack(response_action="errors", errors={wire.FOLLOW_UP_BLOCK: problem})
            return
        member = wire.member(wire.team_of(body), str(body["user"]["id"]))
        command = AskFollowUp(member.key, text, meta.step)
        outcome = await self.service.act(meta.round_id, command, wire.view_key(view))
        await ack()  # closes the form, now that the question is stored
        if not (outcome.ok or outcome.duplicate) and meta.channel_id:
            await client.chat_postMessage(channel=meta.channel_id, text=escape(_(outcome.message)))


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


def _from_a_person_in_dm(event: Body) -> bool:
    """Ignore bot posts, edits, deletions, joins and file shares: only typed replies count."""
    return (
        event.get("channel_type") == "im"
        and "subtype" not in event
        and not event.get("bot_id")
        and bool(event.get("user"))
        and bool(event.get("channel"))
    )


def _action_value(action: Body) -> str:
    if action.get("value") is not None:
        return str(action["value"])
    return str((action.get("selected_option") or {}).get("value", ""))


def _submitted_text(
    view: Body, block: str = wire.ANSWER_BLOCK, element: str = wire.ANSWER_INPUT
) -> str:
    values = view.get("state", {}).get("values", {})
    field_ = values.get(block, {}).get(element, {})
    return str(field_.get("value") or "")


async def _tell(respond: Respond, text: str) -> None:
    """An ephemeral reply to the member who clicked; the message they clicked stays."""
    await respond(text=escape(text), response_type="ephemeral", replace_original=False)


async def _settle(
    client: AsyncWebClient, body: Body, note: str, keep: Callable[[str], bool] = lambda _: False
) -> None:
    """Replace the clicked message's controls with `note`, so they can't be pressed again."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    await client.chat_update(
        channel=str(container.get("channel_id")),
        ts=str(container.get("message_ts")),
        text=str(message.get("text") or note),
        blocks=blocks.settled(message.get("blocks") or [], escape(note), keep),
    )
