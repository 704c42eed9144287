"""App Home and `/rapport status`: where your rounds stand and your settings, never any content.

Both are built from `RoundService.summaries` (layer, who still has to answer) and the member's
profile. Leads also see the workspace's schedules, each with Pause/Resume/Remove buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.adapters.slack.blocks import context, escape, plain, section
from bot.adapters.slack.wire import SCHEDULE_ACTIONS, mention
from bot.engine.model import RoundStatus
from bot.i18n import N_
from bot.i18n.translate import _, ngettext
from bot.messages.commands import HELP_TEXT, languages_listing
from bot.messages.rounds import layer_name
from bot.service.languages import LanguageView
from bot.service.members import MemberProfile
from bot.service.rounds import RoundSummary
from bot.service.schedules import ScheduleView

MAX_ROUNDS_SHOWN = 20
MAX_SCHEDULES_SHOWN = 25
SCHEDULES_TEXT = N_(
    "Recurring sessions that pair a channel's members are managed with `/rapport schedule`."
)
NO_SCHEDULES_TEXT = N_("No schedules yet. Add one with `/rapport schedule add #channel …`.")


def round_line(summary: RoundSummary) -> str:
    """One round in one line: with whom, how deep, and whose answer is pending."""
    partners = ", ".join(mention(k) for k in summary.others) or _("your partner")
    layer = _("Layer {layer} of {max_layer}", layer=summary.layer, max_layer=summary.max_layer)
    name = layer_name(summary.layer)
    if name:
        layer += f" ({escape(name)})"
    shared = ngettext("{count} prompt", "{count} prompts", summary.revealed)
    return _(
        "With {partners} · {layer} · {shared} shared · {where}",
        partners=partners,
        layer=layer,
        shared=shared,
        where=_where(summary),
    )


def _where(summary: RoundSummary) -> str:
    if summary.status is RoundStatus.INVITED:
        return _("waiting for the invitation to be accepted")
    if summary.waiting_on_you:
        return _("*your answer is waiting*")
    if summary.waiting_on_others:
        return _("waiting for your partner's answer")
    return _("the next prompt is on its way")


def language_line(language: LanguageView) -> str:
    """The member's language and where it comes from (a choice, Slack, the team)."""
    if language.chosen:
        return _(
            "Language: {name} (your choice; `/rapport language auto` follows Slack)",
            name=language.name,
        )
    return _("Language: {name} (`/rapport language de` chooses another)", name=language.name)


def language_text(language: LanguageView) -> str:
    """`/rapport language` on its own."""
    return languages_listing(language_line(language))


def settings_lines(profile: MemberProfile, language: LanguageView | None = None) -> list[str]:
    taking_part = _("no, you've opted out (`/rapport optin`)") if profile.opted_out else _("yes")
    lines = [_("Taking part in new rounds: {taking_part}", taking_part=taking_part)]
    if profile.paused_until is not None:
        until = profile.paused_until.date()
        lines.append(_("Paused until {until} (`/rapport pause off`)", until=until))
    zone = escape(profile.timezone) if profile.timezone else _("not set (`/rapport timezone …`)")
    lines.append(_("Time zone: {zone}", zone=zone))
    if language is not None:
        lines.append(language_line(language))
    return lines


def status_text(
    summaries: Sequence[RoundSummary],
    profile: MemberProfile,
    language: LanguageView | None = None,
) -> str:
    rounds = [f"• {round_line(s)}" for s in summaries[:MAX_ROUNDS_SHOWN]]
    if not rounds:
        rounds = [_("You're not in a round right now. Start one with `/rapport start @someone`.")]
    settings = [f"• {line}" for line in settings_lines(profile, language)]
    return "\n".join([_("*Your rounds*"), *rounds, "", _("*Your settings*"), *settings])


def schedule_line(view: ScheduleView) -> str:
    """One schedule in one line, as `/rapport schedule list` and App Home show it."""
    line = f"`{escape(view.id)}` <#{view.channel_id}> · {escape(view.description)} · {view.status}"
    if view.next_run:
        line += " · " + _("next {when}", when=escape(view.next_run))
    if view.last_run:
        line += " · " + escape(_(view.last_run))
    if view.last_skip:
        line += "\n    " + _("skipped {why}", why=escape(view.last_skip))
    return line


def schedules_text(views: Sequence[ScheduleView]) -> str:
    if not views:
        return _(NO_SCHEDULES_TEXT)
    return "\n".join([_("*Schedules*"), *(f"• {schedule_line(v)}" for v in views)])


def _schedule_buttons(view: ScheduleView) -> dict[str, Any]:
    by_action = {action: action_id for action_id, action in SCHEDULE_ACTIONS.items()}
    shown = {"pause": _("Pause")} if view.status == "active" else {"resume": _("Resume")}
    elements: list[dict[str, Any]] = [
        {
            "type": "button",
            "action_id": by_action[action],
            "text": plain(label),
            "value": view.id,
        }
        for action, label in shown.items()
    ]
    elements.append(
        {
            "type": "button",
            "action_id": by_action["remove"],
            "text": plain(_("Remove")),
            "value": view.id,
            "style": "danger",
            "confirm": {
                "title": plain(_("Remove this schedule?")),
                "text": plain(_("Its sessions stop. Rounds already started go on.")),
                "confirm": plain(_("Remove")),
                "deny": plain(_("Keep it")),
            },
        }
    )
    return {"type": "actions", "block_id": f"schedule_{view.id}", "elements": elements}


def _schedule_blocks(views: Sequence[ScheduleView]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [section(_(SCHEDULES_TEXT))]
    if not views:
        return [*blocks, section(_(NO_SCHEDULES_TEXT))]
    for view in views[:MAX_SCHEDULES_SHOWN]:
        blocks += [section(schedule_line(view)), _schedule_buttons(view)]
    return blocks


def home_view(
    summaries: Sequence[RoundSummary],
    profile: MemberProfile,
    *,
    is_lead: bool,
    schedules: Sequence[ScheduleView] = (),
    notice: str | None = None,
    team: Sequence[dict[str, Any]] = (),
    language: LanguageView | None = None,
) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Rapport"}},
        context(escape(_(HELP_TEXT))),
    ]
    if notice:
        blocks.append(section(escape(notice), "notice"))
    blocks += [
        {"type": "divider"},
        section(_("*Your rounds*"), "rounds"),
    ]
    if summaries:
        blocks += [section(round_line(s)) for s in summaries[:MAX_ROUNDS_SHOWN]]
    else:
        blocks.append(section(_("No rounds right now. Start one with `/rapport start @someone`.")))
    blocks += [
        {"type": "divider"},
        section(_("*Your settings*"), "settings"),
        section("\n".join(settings_lines(profile, language))),
    ]
    if is_lead:
        blocks += [
            {"type": "divider"},
            section("*Schedules*", "schedules"),
            *_schedule_blocks(schedules),
        ]
    if team:
        blocks += [{"type": "divider"}, *team]
    return {"type": "home", "blocks": blocks}
