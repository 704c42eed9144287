"""`/rapport settings show|set|history|edit` and `/rapport questions add|suggest|list|review|
remove|export`: the slash commands of what a team owns, registered under `/rapport`.

Each defers first and replies ephemerally with what `DiscordTeam` returns (the service's own
message when it refuses).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice

from bot.adapters.discord import wire
from bot.engine.bank import LAYER_NAMES
from bot.i18n import N_
from bot.service.team_questions import Draft

if TYPE_CHECKING:
    from bot.adapters.discord.commands import CommandHandlers

LAYERS = [
    Choice(name=N_("{layer} · {name}", layer=n, name=name), value=n)
    for n, name in sorted(LAYER_NAMES.items())
]
DRAFT_OPTIONS = {
    "layer": N_("How deep: 1 Hello, 2 How I tick, 3 What matters to me, 4 You & me"),
    "topic": N_("A short lowercase word, like hobbies or work-style"),
    "text": N_("One open question ending with '?'"),
    "example": N_("Optional: a short sample answer members can ask to see"),
    "hierarchy_safe": N_("Fine to ask between a manager and their report (default: yes)"),
}


def add_team_commands(group: app_commands.Group, h: CommandHandlers) -> None:
    _settings_commands(group, h)
    _question_commands(group, h)


def _settings_commands(group: app_commands.Group, h: CommandHandlers) -> None:
    team = h.team
    settings = app_commands.Group(
        name="settings", description=N_("This server's Rapport settings"), parent=group
    )
    specs = team.workspaces.specs_for(wire.PLATFORM)

    @settings.command(name="show", description=N_("This server's Rapport settings"))
    async def show(interaction: discord.Interaction) -> None:
        await h.respond(interaction, lambda: team.settings_show(interaction))

    @settings.command(name="set", description=N_("Leads: change one setting"))
    @app_commands.describe(setting=N_("Which setting"), value=N_("Its new value"))
    @app_commands.choices(setting=[Choice(name=s.label, value=s.name) for s in specs])
    @app_commands.autocomplete(value=team.value_choices)
    async def set_(interaction: discord.Interaction, setting: Choice[str], value: str) -> None:
        await h.respond(interaction, lambda: team.settings_set(interaction, setting.value, value))

    @settings.command(name="history", description=N_("Leads: who changed which setting, and when"))
    async def history(interaction: discord.Interaction) -> None:
        await h.respond(interaction, lambda: team.settings_history(interaction))

    @settings.command(name="edit", description=N_("Leads: change the settings with menus"))
    async def edit(interaction: discord.Interaction) -> None:
        await h.respond(interaction, lambda: team.settings_edit(interaction))


def _question_commands(group: app_commands.Group, h: CommandHandlers) -> None:
    team = h.team
    questions = app_commands.Group(
        name="questions", description=N_("Your team's own questions"), parent=group
    )
    questions.add_command(_draft_command(h, "add", N_("Leads: add a question to your team's bank")))
    questions.add_command(
        _draft_command(h, "suggest", N_("Suggest a question for leads to review"))
    )

    @questions.command(name="list", description=N_("Leads: your team's questions"))
    async def list_(interaction: discord.Interaction) -> None:
        await h.respond(interaction, lambda: team.questions_list(interaction))

    @questions.command(name="review", description=N_("Leads: add or decline suggested questions"))
    async def review(interaction: discord.Interaction) -> None:
        await h.respond(interaction, lambda: team.questions_review(interaction))

    @questions.command(name="remove", description=N_("Leads: stop drawing one of your questions"))
    @app_commands.describe(id=N_("The question's id from /rapport questions list"))
    @app_commands.autocomplete(id=team.prompt_ids)
    async def remove(interaction: discord.Interaction, id: str) -> None:
        await h.respond(interaction, lambda: team.questions_remove(interaction, id))

    @questions.command(name="export", description=N_("Leads: your team's questions as a YAML file"))
    async def export(interaction: discord.Interaction) -> None:
        await h.respond(interaction, lambda: team.questions_export(interaction))


DraftCommand = app_commands.Command[Any, ..., None]


def _draft_command(h: CommandHandlers, name: str, description: str) -> DraftCommand:
    """`add` (leads) and `suggest` (anyone) take the same question."""
    team = h.team
    work = team.questions_add if name == "add" else team.questions_suggest

    async def callback(
        interaction: discord.Interaction,
        layer: Choice[int],
        topic: str,
        text: str,
        example: str | None = None,
        hierarchy_safe: bool = True,
    ) -> None:
        draft = Draft(layer.value, topic.strip().lower(), text, hierarchy_safe, example or None)
        # the first draft's lint reads every shipped prompt's features: it may take a moment
        await h.respond(interaction, lambda: work(interaction, draft), defer_first=True)

    command: DraftCommand = app_commands.Command(
        name=name, description=description, callback=callback
    )
    command = app_commands.choices(layer=LAYERS)(command)
    return app_commands.describe(**DRAFT_OPTIONS)(command)
