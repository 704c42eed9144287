"""What a team owns on Discord: `/rapport settings …` and `/rapport questions …`, and the clicks
on the settings editor and the review list.

Who is a lead is decided here (Manage Server, Administrator, or the guild's `lead-role`
setting); whether a change is allowed and what it means is the service's, whose refusals are
shown as they are. The workspace always comes from the interaction's guild, never from a custom
id. Replies are ephemeral and ping nobody. A click or a form is acknowledged first (a deferred
update of the editor), then saved, then the editor is redrawn; only opening a form answers with
the modal itself, after two cached reads.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, cast

import discord
from discord import app_commands

from bot.adapters.discord import replies, wire
from bot.adapters.discord import team_views as tv
from bot.adapters.discord.activity import Activity
from bot.adapters.discord.reader import reading_for
from bot.adapters.discord.render import NO_MENTIONS, Reply
from bot.adapters.discord.views import MISSING_CONTROL
from bot.bootstrap import Rapport
from bot.i18n import N_
from bot.i18n.translate import _
from bot.identity import Member
from bot.service.team_questions import ACTIVE, PENDING, Draft
from bot.service.workspaces import LEAD_ONLY, TEAM_BANK

NOT_IN_A_SERVER = N_("Please use this in your server: team settings belong to a server.")
FORM_EXPIRED = N_("This form has expired. Please open it again with `/rapport settings edit`.")
HISTORY_LEADS_ONLY = N_("Only team leads can see the settings history.")
QUESTIONS_LEADS_ONLY = N_(
    "Only team leads can see and manage your team's questions. Anyone can suggest "
    "one with `/rapport questions suggest`."
)
MAX_CHOICES = 25
EXPORT_NAME = f"{TEAM_BANK}.yaml"  # the loader wants a bank file named after its bank


class DiscordTeam:
    """The team commands' bodies (each returns its reply) and the editor's click handlers."""

    def __init__(self, rapport: Rapport, activity: Activity) -> None:
        self.workspaces = rapport.service.workspaces
        self.questions = rapport.service.questions
        self.languages = rapport.languages
        self.activity = activity

    @staticmethod
    def member(interaction: discord.Interaction) -> Member | None:
        if interaction.guild_id is None:
            return None
        return wire.member(interaction.guild_id, interaction.user.id)

    async def is_lead(self, interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            return False
        return await wire.is_lead(
            interaction.user, interaction.permissions, self.workspaces, interaction.guild_id
        )

    @staticmethod
    def _actor(interaction: discord.Interaction) -> Member:
        """Who used a command: commands are guild-only, so it always has its guild."""
        return wire.member(interaction.guild_id or 0, interaction.user.id)

    def _workspace(self, interaction: discord.Interaction) -> str:
        return self._actor(interaction).workspace

    def _reading(self, interaction: discord.Interaction) -> AbstractAsyncContextManager[None]:
        return reading_for(self.languages, interaction, self.member(interaction))

    # --- /rapport settings ------------------------------------------------------------------

    async def settings_show(self, interaction: discord.Interaction) -> Reply:
        views = await self.workspaces.view(self._workspace(interaction))
        return tv.settings_text(views, await self.is_lead(interaction))

    async def settings_set(
        self, interaction: discord.Interaction, setting: str, value: str
    ) -> Reply:
        member = self._actor(interaction)
        is_lead = await self.is_lead(interaction)
        return _((await self.workspaces.change(member, is_lead, {setting: value})).message)

    async def settings_history(self, interaction: discord.Interaction) -> Reply:
        if not await self.is_lead(interaction):
            return _(HISTORY_LEADS_ONLY)
        return tv.history_text(await self.workspaces.history(self._workspace(interaction)))

    async def settings_edit(self, interaction: discord.Interaction) -> Reply:
        if not await self.is_lead(interaction):
            return _(LEAD_ONLY)
        views = await self.workspaces.view(self._workspace(interaction))
        note = _("Pick a setting below to change it.")
        return {"content": tv.editor_text(views, note), "view": tv.editor_view(views)}

    async def value_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Autocomplete for `value`: the chosen setting's values, the guild's roles for the lead
        role, else its current value (and whatever is typed)."""
        setting = str(getattr(interaction.namespace, "setting", "") or "")
        views = await self.workspaces.view(self._workspace(interaction))
        view = next((v for v in views if v.spec.name == setting), None)
        if view is None:
            return []
        if setting == tv.LEAD_ROLE:
            roles = interaction.guild.roles if interaction.guild else []
            options = ["none", *(r.name for r in roles if not r.is_default())]
        else:
            options = list(view.spec.choices) or [view.value]
        typed = current.strip()
        found = [o for o in options if typed.lower() in o.lower()]
        if typed and not view.spec.choices and typed not in found:
            found.insert(0, typed)
        return [app_commands.Choice(name=o[:100], value=o[:100]) for o in found[:MAX_CHOICES]]

    # --- the settings editor ----------------------------------------------------------------

    async def on_pick(self, interaction: discord.Interaction, setting: str) -> None:
        """A setting picked in the editor: its values under it, or a form for free text. The
        modal must be the first response, so only cached reads come before it."""
        async with self.activity.track(), self._reading(interaction):
            member = self.member(interaction)
            if member is None or not await self.is_lead(interaction):
                await _tell(interaction, _(LEAD_ONLY if member else NOT_IN_A_SERVER))
                return
            views = await self.workspaces.view(member.workspace)
            picked = next((v for v in views if v.spec.name == setting), None)
            if picked is None:
                await _tell(
                    interaction, _("There's no setting called '{setting}'.", setting=setting)
                )
            elif tv.picks_from_a_list(picked):
                note = _(
                    "Choose a new value for **{label}** ({help}).",
                    label=_(picked.spec.label),
                    help=_(picked.spec.help),
                )
                await interaction.response.edit_message(
                    content=tv.editor_text(views, note),
                    view=tv.editor_view(views, picked),
                    allowed_mentions=NO_MENTIONS,
                )
            else:
                await interaction.response.send_modal(tv.SettingModal(picked))

    async def on_value(self, interaction: discord.Interaction, setting: str, value: str) -> None:
        async with self.activity.track(), self._reading(interaction):
            if await acknowledge(interaction):
                await self._save(interaction, {setting: value})

    async def on_modal_submitted(self, interaction: discord.Interaction, setting: str) -> None:
        async with self.activity.track(), self._reading(interaction):
            if interaction.message is None:  # only the editor opens this form
                await _tell(interaction, _(FORM_EXPIRED))
                return
            if not await acknowledge(interaction):
                return
            typed = wire.modal_value(interaction.data, tv.VALUE_INPUT)
            await self._save(interaction, {setting: typed})

    async def _save(self, interaction: discord.Interaction, raw: Mapping[str, str]) -> None:
        """Change through the service; a refusal goes only to the clicker and the editor stays."""
        member = self.member(interaction)
        if member is None:
            await _follow_up(interaction, _(NOT_IN_A_SERVER))
            return
        result = await self.workspaces.change(member, await self.is_lead(interaction), raw)
        if not result.ok:
            await _follow_up(interaction, _(result.message))
            return
        views = await self.workspaces.view(member.workspace)
        await interaction.edit_original_response(
            content=tv.editor_text(views, f"✓ {_(result.message)}"),
            view=tv.editor_view(views),
            allowed_mentions=NO_MENTIONS,
        )

    async def on_missing_control(self, interaction: discord.Interaction) -> None:
        async with self.activity.track(), self._reading(interaction):
            await _tell(interaction, _(MISSING_CONTROL))

    # --- /rapport questions -----------------------------------------------------------------

    async def questions_add(self, interaction: discord.Interaction, draft: Draft) -> Reply:
        member = self._actor(interaction)
        return _((await self.questions.add(member, await self.is_lead(interaction), draft)).message)

    async def questions_suggest(self, interaction: discord.Interaction, draft: Draft) -> Reply:
        member = self._actor(interaction)
        return _((await self.questions.suggest(member, draft)).message)

    async def questions_list(self, interaction: discord.Interaction) -> Reply:
        if not await self.is_lead(interaction):
            return _(QUESTIONS_LEADS_ONLY)
        workspace = self._workspace(interaction)
        return tv.questions_text(await self.questions.listing(workspace, (ACTIVE, PENDING)))

    async def questions_review(self, interaction: discord.Interaction) -> Reply:
        if not await self.is_lead(interaction):
            return _(QUESTIONS_LEADS_ONLY)
        pending = await self.questions.listing(self._workspace(interaction), (PENDING,))
        return tv.review_reply(pending)

    async def questions_remove(self, interaction: discord.Interaction, prompt_id: str) -> Reply:
        member = self._actor(interaction)
        is_lead = await self.is_lead(interaction)
        return _((await self.questions.retire(member, is_lead, prompt_id.strip())).message)

    async def questions_export(self, interaction: discord.Interaction) -> Reply:
        """The team's questions as the same YAML the shipped banks use, attached to the reply."""
        if not await self.is_lead(interaction):
            return _(QUESTIONS_LEADS_ONLY)
        workspace = self._workspace(interaction)
        if not await self.questions.listing(workspace):
            return _(tv.NO_QUESTIONS)
        content = (await self.questions.export_yaml(workspace)).encode()
        return {
            "content": (
                _(
                    "Your team's own questions, in the same YAML as Rapport's banks. Keep the name "
                    "`{export_name}`: a bank file is named after its bank.",
                    export_name=EXPORT_NAME,
                )
            ),
            "attachments": [discord.File(io.BytesIO(content), filename=EXPORT_NAME)],
        }

    async def prompt_ids(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Autocomplete for `remove`: the team's questions in use (leads only)."""
        if not await self.is_lead(interaction):
            return []
        prompts = await self.questions.listing(self._workspace(interaction))
        typed = current.strip().lower()
        found = [t.prompt for t in prompts if typed in f"{t.prompt.id} {t.prompt.text}".lower()]
        return [
            app_commands.Choice(name=f"{p.id}: {p.text}"[:100], value=p.id)
            for p in found[:MAX_CHOICES]
        ]

    async def on_review(
        self, interaction: discord.Interaction, prompt_id: str, approve: bool
    ) -> None:
        """Add it / Decline: the service finds the prompt in the clicker's own guild only."""
        async with self.activity.track(), self._reading(interaction):
            if not await acknowledge(interaction):
                return
            member = self.member(interaction)
            if member is None:
                await _follow_up(interaction, _(NOT_IN_A_SERVER))
                return
            is_lead = await self.is_lead(interaction)
            result = await self.questions.decide(member, is_lead, prompt_id, approve)
            if not result.ok:
                await _follow_up(interaction, _(result.message))
                return
            pending = await self.questions.listing(member.workspace, (PENDING,))
            reply = tv.review_reply(pending, f"✓ {_(result.message)}")
            await interaction.edit_original_response(**reply, allowed_mentions=NO_MENTIONS)


async def acknowledge(interaction: discord.Interaction) -> bool:
    """Defer (an update of the clicked message) within Discord's 3 s; False if Discord did not
    take it (expired, or a duplicate delivery already answered): then nothing is done."""
    return await replies.first_response(
        interaction, replies.Deadline(), lambda: interaction.response.defer()
    )


async def _tell(interaction: discord.Interaction, text: str) -> None:
    await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def _follow_up(interaction: discord.Interaction, text: str) -> None:
    await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


# --- wiring into the client ---------------------------------------------------------------------


def attach_team(client: discord.Client, team: DiscordTeam) -> None:
    """Route the team components (after a restart too) to `team`."""
    extended: Any = client
    extended.rapport_team = team
    client.add_dynamic_items(*tv.TEAM_ITEMS)


async def on_team_interaction(interaction: discord.Interaction) -> None:
    """The part of `on_interaction` that is the team's: a submitted settings form (routed by
    custom id), and a click on a team control its message doesn't show (discord.py would drop
    it silently; it gets a refusal instead). Anything else is left alone."""
    data: Any = interaction.data or {}
    custom_id = str(data.get("custom_id", ""))
    if not custom_id.startswith(tv.TEAM + ":"):
        return
    team = cast(DiscordTeam, tv.team_of(interaction))
    if interaction.type is discord.InteractionType.modal_submit:
        match = re.fullmatch(tv.MODAL_TEMPLATE, custom_id)
        if match is not None:
            await team.on_modal_submitted(interaction, match["setting"])
    elif interaction.type is discord.InteractionType.component:
        known = any(re.fullmatch(t, custom_id) for t in tv.COMPONENT_TEMPLATES)
        if known and custom_id not in wire.shown_custom_ids(interaction.message):
            await team.on_missing_control(interaction)
