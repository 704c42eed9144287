"""Slack listeners for what a team owns: `/rapport settings` and `/rapport questions`.

Leads change settings in a "Team settings" modal (or `/rapport settings depth 4`), see the
content-free history, add, retire and review questions; members see the settings and may suggest
a question when the workspace allows it. Who is a lead is decided here (workspace admins, or the
workspace's `leads` setting); what a change means, and whether it is allowed, is the service's.
A modal is answered only after its change is committed, so Slack's "received" means saved.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import team_blocks as tb
from bot.adapters.slack import wire
from bot.adapters.slack.blocks import escape
from bot.i18n import N_
from bot.i18n.translate import _, reading
from bot.identity import Member
from bot.service.languages import MemberLanguages
from bot.service.team_questions import TeamQuestions
from bot.service.workspaces import WorkspaceSettingsService

log = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]
Body = Mapping[str, Any]
Reply = str | dict[str, Any]
IsLead = Callable[[AsyncWebClient, Member], Awaitable[bool]]
DmChannel = Callable[[Member, AsyncWebClient], Awaitable[str]]

SETTINGS_USAGE = N_(
    "`/rapport settings` opens the team's settings (leads), `/rapport settings show` "
    "lists them, `/rapport settings history` shows who changed what, `/rapport "
    "settings depth 4` changes one."
)
QUESTIONS_USAGE = N_(
    "`/rapport questions add` (leads) or `/rapport questions suggest` opens a form; "
    "`list`, `review`, `remove <id>` and `export` manage your team's own questions."
)
PROMPT_ID = re.compile(r"^[a-z0-9-]{1,80}$")


Listener = TypeVar("Listener", bound=Callable[..., Awaitable[None]])


def _in_readers_language(listener: Listener) -> Listener:
    """A team listener answers the member who acted in their language."""

    @functools.wraps(listener)
    async def run(self: SlackTeam, *args: Any, **kwargs: Any) -> None:
        reader = wire.reader_of(kwargs)
        language = await self.languages.language_of(reader) if reader else None
        with reading(language):
            await listener(self, *args, **kwargs)

    return cast(Listener, run)


class SlackTeam:
    def __init__(
        self,
        languages: MemberLanguages,
        workspaces: WorkspaceSettingsService,
        questions: TeamQuestions,
        is_lead: IsLead,
        dm_channel: DmChannel,
    ) -> None:
        self.languages = languages
        self.workspaces = workspaces
        self.questions = questions
        self.is_lead = is_lead
        self.dm_channel = dm_channel

    # --- /rapport settings ------------------------------------------------------------------

    async def settings_command(
        self, args: tuple[str, ...], member: Member, command: Body, client: AsyncWebClient
    ) -> Reply:
        is_lead = await self.is_lead(client, member)
        action = args[0].lower() if args else ""
        if action == "show" and len(args) == 1:
            return tb.settings_text(await self.workspaces.view(member.workspace), is_lead)
        if action == "history" and len(args) == 1:
            if not is_lead:
                return _("Only team leads can see the settings history.")
            return tb.history_text(await self.workspaces.history(member.workspace))
        if not args:
            if not is_lead:
                return tb.settings_text(await self.workspaces.view(member.workspace), False)
            views = await self.workspaces.view(member.workspace)
            return await self._open(client, command, tb.settings_modal(views))
        if len(args) < 2:
            return _(
                "Give the setting and its new value.\n{settings_usage}",
                settings_usage=_(SETTINGS_USAGE),
            )
        result = await self.workspaces.change(member, is_lead, {args[0]: " ".join(args[1:])})
        return escape(_(result.message))

    @_in_readers_language
    async def on_settings_submitted(
        self, ack: Respond, body: Body, view: Body, client: AsyncWebClient
    ) -> None:
        """Save the modal's values (all or nothing), then answer Slack."""
        member = wire.member(wire.team_of(body), str(body["user"]["id"]))
        is_lead = await self.is_lead(client, member)
        result = await self.workspaces.change(member, is_lead, tb.submitted_settings(view))
        if not result.ok and result.setting:
            block = tb.SETTING_BLOCK.format(result.setting)
            await ack(response_action="errors", errors={block: _(result.message)})
            return
        title = _("Settings saved") if result.ok else _("Not saved")
        await ack(response_action="update", view=tb.done_view(title, _(result.message)))

    @_in_readers_language
    async def on_edit_settings(self, ack: Respond, body: Body, client: AsyncWebClient) -> None:
        """App Home's Edit button (leads only); answered once the modal is open."""
        member = wire.member(wire.team_of(body), str(body["user"]["id"]))
        if await self.is_lead(client, member):
            views = await self.workspaces.view(member.workspace)
            await _views_open(client, str(body["trigger_id"]), tb.settings_modal(views))
        await ack()

    async def home_blocks(self, member: Member) -> list[dict[str, Any]]:
        return tb.settings_home_blocks(await self.workspaces.view(member.workspace))

    # --- /rapport questions -----------------------------------------------------------------

    async def questions_command(
        self, args: tuple[str, ...], member: Member, command: Body, client: AsyncWebClient
    ) -> Reply:
        action = (
            args[0].lower()
            if args
            else ("add" if await self.is_lead(client, member) else "suggest")
        )
        rest = args[1:]
        if action in ("add", "suggest") and not rest:
            if action == "add" and not await self.is_lead(client, member):
                return _("Only team leads can add questions. Try `/rapport questions suggest`.")
            if action == "suggest":
                settings = await self.workspaces.settings_of(member.workspace)
                if not settings.allow_suggestions:
                    return _("Your team's leads have turned question suggestions off.")
            topics = sorted(
                {t.prompt.topic for t in await self.questions.listing(member.workspace)}
            )
            return await self._open(client, command, tb.question_modal(action, topics))
        if action in ("list", "review", "export") and not rest:
            if not await self.is_lead(client, member):
                return _("Only team leads can see your team's questions.")
            if action == "list":
                prompts = await self.questions.listing(member.workspace, ("active", "pending"))
                return tb.questions_text(prompts)
            if action == "review":
                return tb.review_blocks(
                    await self.questions.listing(member.workspace, ("pending",))
                )
            return await self._export(member, client)
        if action in ("remove", "retire") and len(rest) == 1 and PROMPT_ID.match(rest[0]):
            is_lead = await self.is_lead(client, member)
            return escape(_((await self.questions.retire(member, is_lead, rest[0])).message))
        return _("I didn't understand that.\n{questions_usage}", questions_usage=_(QUESTIONS_USAGE))

    @_in_readers_language
    async def on_question_submitted(
        self, ack: Respond, body: Body, view: Body, client: AsyncWebClient
    ) -> None:
        member = wire.member(wire.team_of(body), str(body["user"]["id"]))
        mode = tb.question_mode(view)
        draft = tb.submitted_question(view)
        if mode == "add":
            result = await self.questions.add(member, await self.is_lead(client, member), draft)
        elif mode == "suggest":
            result = await self.questions.suggest(member, draft)
        else:
            problem = _("This form has expired. Please open it again with /rapport questions.")
            await ack(response_action="errors", errors={tb.TEXT_BLOCK: problem})
            return
        if not result.ok:
            await ack(response_action="errors", errors={tb.TEXT_BLOCK: _(result.message)[:1900]})
            return
        title = _("Question sent") if mode == "suggest" else _("Question added")
        await ack(response_action="update", view=tb.done_view(title, _(result.message)))

    @_in_readers_language
    async def on_review(
        self, ack: Respond, body: Body, action: Body, respond: Respond, client: AsyncWebClient
    ) -> None:
        """Add it / Decline under a suggestion: the service checks the id is this workspace's."""
        member = wire.member(wire.team_of(body), str(body["user"]["id"]))
        approve = action.get("action_id") == tb.QUESTION_APPROVE
        is_lead = await self.is_lead(client, member)
        result = await self.questions.decide(member, is_lead, str(action.get("value", "")), approve)
        await ack()
        await respond(
            text=escape(_(result.message)), response_type="ephemeral", replace_original=False
        )

    async def _export(self, member: Member, client: AsyncWebClient) -> str:
        content = (await self.questions.export_yaml(member.workspace)).encode()
        try:
            await client.files_upload_v2(
                channel=await self.dm_channel(member, client),
                content=content,
                filename="team.yaml",  # a bank file is named after its bank (`bank: team`)
                title=_("Your team's questions"),
                initial_comment=_(
                    "Your team's own questions, in the same YAML as Rapport's banks."
                ),
            )
        except SlackApiError as err:
            log.warning("questions export: upload failed: %s", err.response.get("error"))
            return _("I couldn't send you the file just now. Please try again in a minute.")
        return _("I've sent you your team's questions as a YAML file. Check our DM.")

    async def _open(self, client: AsyncWebClient, command: Body, view: dict[str, Any]) -> str:
        opened = await _views_open(client, str(command.get("trigger_id", "")), view)
        return "" if opened else _("I couldn't open the form just now. Please try again.")


async def _views_open(client: AsyncWebClient, trigger_id: str, view: dict[str, Any]) -> bool:
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as err:
        log.warning("views.open failed: %s", err.response.get("error"))
        return False
    return True


def register_team(app: AsyncApp, team: SlackTeam) -> tuple[list[str], list[list[str]]]:
    """Attach the team listeners; returns (view callback ids, action ids by listener)."""
    app.view(tb.SETTINGS_CALLBACK)(team.on_settings_submitted)
    app.view(tb.QUESTION_CALLBACK)(team.on_question_submitted)
    app.action(tb.SETTINGS_EDIT)(team.on_edit_settings)
    app.action(re.compile(f"^(?:{tb.QUESTION_APPROVE}|{tb.QUESTION_DECLINE})$"))(team.on_review)
    return (
        [tb.SETTINGS_CALLBACK, tb.QUESTION_CALLBACK],
        [[tb.SETTINGS_EDIT], [tb.QUESTION_APPROVE, tb.QUESTION_DECLINE]],
    )
