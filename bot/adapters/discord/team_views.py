"""Discord components and text for what a team's leads manage: settings and their own questions.

Custom ids carry only a setting's name or a prompt id (`rapport:team:value:depth`,
`rapport:team:review:add:team-1-rituals-01`), never a workspace: the workspace always comes from
the guild the interaction happened in, and the service checks a prompt id belongs to it. The
components are `DynamicItem`s, so a click works after a restart; the value modal is routed by
its custom id (`team.on_team_interaction`). Only layout lives here: what a setting means and
which values it takes come from `bot.service.workspaces`.

Discord's limits shape it: at most 5 action rows and 25 select options per message, modal titles
and labels of at most 45 characters, option labels and descriptions of at most 100.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol, cast

import discord
from discord import ui
from discord.utils import escape_markdown

from bot.adapters.discord import wire
from bot.i18n import N_
from bot.i18n.translate import _, ngettext
from bot.messages.rounds import layer_name
from bot.service.team_questions import TeamPrompt
from bot.service.workspaces import HistoryEntry, SettingView

TEAM = f"{wire.PREFIX}:team"
SETTING = r"[a-z][a-z-]{0,30}"
PICK_ID = f"{TEAM}:pick"
VALUE_TEMPLATE = rf"{TEAM}:value:(?P<setting>{SETTING})"
MODAL_TEMPLATE = rf"{TEAM}:modal:(?P<setting>{SETTING})"
# 100 characters in a custom id: the prefix takes 28, a prompt id may take the rest
REVIEW_TEMPLATE = rf"{TEAM}:review:(?P<verdict>add|decline):(?P<prompt>[a-z0-9-]{{1,72}})"
COMPONENT_TEMPLATES = (PICK_ID, VALUE_TEMPLATE, REVIEW_TEMPLATE)
VALUE_INPUT = "value"
MODAL_TITLE_LIMIT = LABEL_LIMIT = 45
OPTION_TEXT_LIMIT = 100
MAX_OPTIONS = 25
MAX_REVIEW_ROWS = 5  # one action row (Add it, Decline) per suggestion
LEAD_ROLE = "lead-role"
ROLE_ID = re.compile(r"^\d{15,21}$")
NO_QUESTIONS = N_(
    "Your team has no questions of its own yet. Add one with `/rapport questions add`."
)


class HasTeam(Protocol):
    rapport_team: TeamComponents


class TeamComponents(Protocol):
    """What a click on a team component does (`team.DiscordTeam`)."""

    async def on_pick(self, interaction: discord.Interaction, setting: str) -> None: ...

    async def on_value(
        self, interaction: discord.Interaction, setting: str, value: str
    ) -> None: ...

    async def on_review(
        self, interaction: discord.Interaction, prompt_id: str, approve: bool
    ) -> None: ...


def team_of(interaction: discord.Interaction) -> TeamComponents:
    return cast(HasTeam, interaction.client).rapport_team


def _first(values: Sequence[str]) -> str:
    return values[0] if values else ""


# --- components ---------------------------------------------------------------------------------


class SettingPicker(ui.DynamicItem[ui.Select[Any]], template=PICK_ID):
    """The select of every setting: picking one offers its values (or opens a form)."""

    def __init__(self, options: Sequence[discord.SelectOption]) -> None:
        select: ui.Select[Any] = ui.Select(
            custom_id=PICK_ID,
            placeholder=_("Pick a setting to change"),
            options=list(options)[:MAX_OPTIONS],
            row=0,
        )
        super().__init__(select)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Item[Any], match: re.Match[str]
    ) -> SettingPicker:
        return cls(getattr(item, "options", None) or [])

    async def callback(self, interaction: discord.Interaction) -> None:
        await team_of(interaction).on_pick(interaction, _first(self.item.values))


class SettingValueSelect(ui.DynamicItem[ui.Select[Any]], template=VALUE_TEMPLATE):
    """The values a choice setting takes; choosing one saves it."""

    def __init__(self, setting: str, options: Sequence[discord.SelectOption]) -> None:
        select: ui.Select[Any] = ui.Select(
            custom_id=f"{TEAM}:value:{setting}",
            placeholder=_("Choose the new value"),
            options=list(options)[:MAX_OPTIONS],
            row=1,
        )
        super().__init__(select)
        self.setting = setting

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Item[Any], match: re.Match[str]
    ) -> SettingValueSelect:
        return cls(match["setting"], getattr(item, "options", None) or [])

    async def callback(self, interaction: discord.Interaction) -> None:
        await team_of(interaction).on_value(interaction, self.setting, _first(self.item.values))


class ReviewButton(ui.DynamicItem[ui.Button[Any]], template=REVIEW_TEMPLATE):
    """Add it / Decline under a suggested question."""

    def __init__(
        self, approve: bool, prompt_id: str, label: str | None = None, row: int | None = None
    ) -> None:
        verdict = "add" if approve else "decline"
        button: ui.Button[Any] = ui.Button(
            label=label or (_("Add it") if approve else _("Decline")),
            style=discord.ButtonStyle.success if approve else discord.ButtonStyle.secondary,
            custom_id=f"{TEAM}:review:{verdict}:{prompt_id}",
        )
        super().__init__(button, row=row)
        self.approve = approve
        self.prompt_id = prompt_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Item[Any], match: re.Match[str]
    ) -> ReviewButton:
        return cls(match["verdict"] == "add", match["prompt"], getattr(item, "label", None))

    async def callback(self, interaction: discord.Interaction) -> None:
        await team_of(interaction).on_review(interaction, self.prompt_id, self.approve)


TEAM_ITEMS = (SettingPicker, SettingValueSelect, ReviewButton)


class SettingModal(ui.Modal):
    """One free-text setting (reminder hours, expiry, quiet hours, lead role) in a text box.

    Routed by custom id, not kept in memory (`is_finished`), so a form opened before a restart
    still lands."""

    def __init__(self, view: SettingView) -> None:
        spec = view.spec
        super().__init__(
            title=_("Team settings · {label}", label=_(spec.label))[:MODAL_TITLE_LIMIT],
            custom_id=f"{TEAM}:modal:{spec.name}",
            timeout=None,
        )
        box: ui.TextInput[Any] = ui.TextInput(
            custom_id=VALUE_INPUT,
            default=view.value[:OPTION_TEXT_LIMIT],
            max_length=OPTION_TEXT_LIMIT,
            required=spec.name != LEAD_ROLE,  # empty clears the lead role
        )
        help_text = _(spec.help) + (_("; 'none' for no role") if spec.name == LEAD_ROLE else "")
        self.add_item(
            ui.Label(
                text=_(spec.label)[:LABEL_LIMIT],
                description=help_text[:OPTION_TEXT_LIMIT],
                component=box,
            )
        )

    def is_finished(self) -> bool:
        return True


def picks_from_a_list(view: SettingView) -> bool:
    """A setting chosen from a select (else typed in a modal)."""
    return 0 < len(view.spec.choices) <= MAX_OPTIONS


def editor_view(views: Sequence[SettingView], picked: SettingView | None = None) -> ui.View:
    """The settings select, and under it the picked setting's values."""
    view = ui.View(timeout=None)
    options = [
        discord.SelectOption(
            label=_(v.spec.label)[:OPTION_TEXT_LIMIT],
            value=v.spec.name,
            description=_described(v)[:OPTION_TEXT_LIMIT],
            default=picked is not None and v.spec.name == picked.spec.name,
        )
        for v in views
    ]
    view.add_item(SettingPicker(options))
    if picked is not None and picks_from_a_list(picked):
        choices = [
            discord.SelectOption(label=c, value=c, default=c == picked.value)
            for c in picked.spec.choices
        ]
        view.add_item(SettingValueSelect(picked.spec.name, choices))
    return view


def _described(view: SettingView) -> str:
    if view.customised:
        return _("now {value} · {help}", value=view.value, help=_(view.spec.help))
    return _("now {value} (default) · {help}", value=view.value, help=_(view.spec.help))


# --- text ---------------------------------------------------------------------------------------


def _shown_value(view: SettingView) -> str:
    if view.spec.name == LEAD_ROLE and ROLE_ID.match(view.value):
        return f"<@&{view.value}>"  # replies never ping (allowed_mentions none)
    return f"**{escape_markdown(view.value)}**"


def settings_text(views: Sequence[SettingView], is_lead: bool) -> str:
    lines = [_("**Team settings** (new rounds use them; rounds already running keep theirs)")]
    for view in views:
        marker = "" if view.customised else " " + _("(default)")
        lines.append(f"• {_(view.spec.label)}: {_shown_value(view)}{marker}")
    if is_lead:
        lines.append(
            _(
                "Change them with `/rapport settings edit` or `/rapport settings set`; `/rapport "
                "settings history` shows who changed what."
            )
        )
    else:
        lines.append(_("Only team leads can change them."))
    return "\n".join(lines)


def editor_text(views: Sequence[SettingView], note: str = "") -> str:
    text = settings_text(views, is_lead=True)
    return f"{note}\n\n{text}" if note else text


def history_text(entries: Sequence[HistoryEntry]) -> str:
    if not entries:
        return _("No setting has been changed yet: everything follows the defaults.")
    lines = [_("**Settings history** (newest first)")]
    for entry in entries:
        when = discord.utils.format_dt(entry.at, "f")
        lines.append(
            f"• {when} <@{entry.actor.user_id}> {entry.setting}: "
            f"{escape_markdown(entry.old)} → {escape_markdown(entry.new)}"
        )
    return "\n".join(lines)


def _prompt_line(team_prompt: TeamPrompt) -> str:
    prompt = team_prompt.prompt
    layer = layer_name(prompt.layer)
    return _(
        "`{id}` layer {layer} ({name}) · {topic}: {text}",
        id=prompt.id,
        layer=prompt.layer,
        name=layer,
        topic=escape_markdown(prompt.topic),
        text=escape_markdown(prompt.text),
    )


def questions_text(prompts: Sequence[TeamPrompt]) -> str:
    active = [t for t in prompts if t.status == "active"]
    pending = [t for t in prompts if t.status == "pending"]
    if not active and not pending:
        return _(NO_QUESTIONS)
    lines = [
        _(
            "**Your team's questions** ({active} in use, {pending} waiting for review)",
            active=len(active),
            pending=len(pending),
        )
    ]
    lines += [f"• {_prompt_line(t)}" for t in active]
    if pending:
        lines.append(_("Review suggestions with `/rapport questions review`."))
    return "\n".join(lines)


def review_reply(pending: Sequence[TeamPrompt], note: str = "") -> dict[str, Any]:
    """Keyword arguments for the review message: up to 5 suggestions, each with Add it / Decline
    (who suggested them stays private)."""
    head = f"{note}\n\n" if note else ""
    if not pending:
        return {
            "content": _("{head}No suggestions are waiting for review.", head=head),
            "view": None,
        }
    shown = pending[:MAX_REVIEW_ROWS]
    lines = [_("{head}**Suggested questions** (who suggested them stays private)", head=head)]
    view = ui.View(timeout=None)
    for number, team_prompt in enumerate(shown, start=1):
        lines.append(f"{number}. {_prompt_line(team_prompt)}")
        prompt_id = team_prompt.prompt.id
        for approve, label in (
            (True, _("Add it ({number})", number=number)),
            (False, _("Decline ({number})", number=number)),
        ):
            view.add_item(ReviewButton(approve, prompt_id, label, row=number - 1))
    if len(pending) > len(shown):
        lines.append(
            ngettext(
                "{count} more waits after these.",
                "{count} more wait after these.",
                len(pending) - len(shown),
            )
        )
    return {"content": "\n".join(lines), "view": view}
