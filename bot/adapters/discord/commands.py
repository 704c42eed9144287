"""The `/rapport` slash command group and what each command does.

Every reply is ephemeral. A command that changes something is committed before Discord hears
anything, then answered in one response within Discord's 3 seconds (`replies`); `/rapport
start` defers once the round is committed and edits its reply when the invitations are out.
Commands that only read, or may take long (`run-now`), defer first. If Discord doesn't take
the response in time, the member gets the reply by DM instead. Lead commands are refused for
anyone without Manage Server or the configured lead role, and nothing changes. Round and
schedule rules stay in the core: the reply is the service's own message whenever it refuses.
"""

from __future__ import annotations

import functools
import logging
import zoneinfo
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import discord
from discord import app_commands

from bot.adapters.discord import replies, wire
from bot.adapters.discord.activity import Activity
from bot.adapters.discord.reader import reading_for
from bot.adapters.discord.render import NO_MENTIONS, Reply, reply_kwargs, text_reply
from bot.adapters.discord.reports import add_report_commands
from bot.adapters.discord.sender import DiscordSender
from bot.adapters.discord.team import DiscordTeam
from bot.adapters.discord.team_commands import add_team_commands
from bot.bootstrap import Rapport
from bot.config import Settings
from bot.engine.model import RoundStatus
from bot.engine.presets import PaceChoice, parse_pace
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, N_, normalise
from bot.i18n.translate import _, ngettext, reading
from bot.identity import Member
from bot.messages.commands import HELP_TEXT, languages_listing
from bot.service.languages import LanguageView
from bot.service.members import MemberProfile, parse_pause
from bot.service.rounds import RoundSummary
from bot.service.schedules import LEAD_ONLY

log = logging.getLogger(__name__)

USAGE_LINES = (
    N_("**How to use /rapport**"),
    N_("• `/rapport start member` starts a round with them (`pace: gentle`, `open`, `daily`…)"),
    N_("• `/rapport start member second_member` pairs two other people (team leads)"),
    N_("• `/rapport status` shows your rounds and settings"),
    N_("• `/rapport stop` leaves every round you're in"),
    N_("• `/rapport pause 2w` takes a break (`3d`, `2w`; `off` ends it)"),
    N_("• `/rapport optout` / `/rapport optin` stops or allows new rounds with you"),
    N_("• `/rapport timezone Europe/Berlin` sets your time zone for daily prompts"),
    N_("• `/rapport language` chooses your language (or follows Discord's)"),
    N_("• `/rapport avoid member` keeps scheduled sessions from pairing you two (private)"),
    N_(
        "• `/rapport settings show` shows this server's settings; `/rapport questions "
        "suggest` suggests a question"
    ),
    N_("• `/rapport inbox` shows what I couldn't send you by DM (invitation, prompt, reveals)"),
    N_(
        "• Leads: `/rapport schedule add|list|pause|resume|remove|run-now`, "
        "`/rapport stats` (a chart; `digest: on` for a monthly one by DM)"
    ),
    N_(
        "• Leads: `/rapport settings edit|set|history`, "
        "`/rapport questions add|list|review|remove|export`"
    ),
)


def usage() -> str:
    """How to use /rapport, in the current reader's language."""
    return "\n".join(_(line) for line in USAGE_LINES)


DAYS = [
    app_commands.Choice(name=name, value=name[:3].lower())
    for name in (
        N_("Monday"),
        N_("Tuesday"),
        N_("Wednesday"),
        N_("Thursday"),
        N_("Friday"),
        N_("Saturday"),
        N_("Sunday"),
    )
]
LANGUAGE_CHOICES = [
    *(app_commands.Choice(name=LANGUAGE_NAMES[code], value=code) for code in LANGUAGES),
    app_commands.Choice(name=N_("Automatic (Discord's language)"), value="auto"),
]
PACE = Literal["live", "daily", "gentle", "standard", "open"]
Every = app_commands.Range[int, 1, 4]
Depth = app_commands.Range[int, 1, 4]


@dataclass(frozen=True)
class Later:
    """A reply that needs a wait after the commit: the response is deferred ("thinking…")
    until `text` is known."""

    text: Callable[[], Awaitable[str]]


Work = Callable[[], Awaitable["Reply | Later"]]
DM_CHECK_SHARE = 0.4  # of the response budget, for checking a partner's DMs before starting


@functools.cache
def _zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


async def zone_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete for IANA zone names (Discord shows at most 25)."""
    wanted = current.strip().lower().replace(" ", "_")
    found = [z for z in _zones() if wanted in z.lower()][:25]
    return [app_commands.Choice(name=z, value=z) for z in found]


class CommandHandlers:
    """What each /rapport command does, for the member who used it (always in a guild)."""

    def __init__(
        self,
        rapport: Rapport,
        settings: Settings,
        sender: DiscordSender,
        activity: Activity | None = None,
    ) -> None:
        self.rapport = rapport
        self.service = rapport.service
        self.settings = settings
        self.sender = sender
        self.activity = activity or Activity()
        self.languages = rapport.languages
        self.team = DiscordTeam(rapport, self.activity)

    async def respond(
        self, interaction: discord.Interaction, work: Work, *, defer_first: bool = False
    ) -> None:
        """Run `work` (it commits), then answer with its reply in one ephemeral response.

        With `defer_first` (reads, slow work) the response is deferred before `work` runs;
        a `Later` result defers after the commit, and so does a reply with a view or a file
        (they go in the deferred reply's edit). Either way the deferred reply is edited."""
        reader = self.member(interaction)
        async with self.activity.track(), reading_for(self.languages, interaction, reader):
            deadline = replies.Deadline()
            acked: bool | None = None
            if defer_first:
                acked = await self._defer(interaction, deadline)
            result = await work()
            if isinstance(result, Later):
                acked = await self._defer(interaction, deadline)
                result = await result.text()
            if acked is None and not isinstance(result, str):
                acked = await self._defer(interaction, deadline)
            if acked is None:
                text = str(result)
                acked = await replies.first_response(
                    interaction,
                    deadline,
                    lambda: interaction.response.send_message(ephemeral=True, **text_reply(text)),  # type: ignore[arg-type]
                )
            elif acked:
                acked = await replies.quietly(
                    "a command's reply",
                    interaction.edit_original_response(**reply_kwargs(result)),
                )
            if not acked:
                name = interaction.command.qualified_name if interaction.command else "rapport"
                said = result if isinstance(result, str) else str(result.get("content", ""))
                await replies.tell_by_dm(
                    interaction.user, _("About your `/{name}`: {said}", name=name, said=said)
                )

    @staticmethod
    async def _defer(interaction: discord.Interaction, deadline: replies.Deadline) -> bool:
        return await replies.first_response(
            interaction, deadline, lambda: interaction.response.defer(ephemeral=True, thinking=True)
        )

    @staticmethod
    def member(interaction: discord.Interaction) -> Member:
        return wire.member(interaction.guild_id or 0, interaction.user.id)

    async def is_lead(self, interaction: discord.Interaction) -> bool:
        return await self.team.is_lead(interaction)

    # --- rounds -----------------------------------------------------------------------------

    async def start(
        self,
        interaction: discord.Interaction,
        member: discord.User | discord.Member,
        second: discord.User | discord.Member | None,
        pace: str | None,
    ) -> str | Later:
        me = interaction.user
        if second is None:
            if member.id == me.id:
                return _("A round needs someone else: pick the person you'd like to get to know.")
            people, initiated = [me, member], True
        else:
            if not await self.is_lead(interaction):
                return _(
                    "Only team leads (Manage Server or the lead role) can pair two other people. "
                    "Pick one person to start a round with you instead."
                )
            if member.id == second.id:
                return _("Pick two different people to pair.")
            people, initiated = [member, second], False
        bot = next((p for p in people if p.bot), None)
        if bot is not None:
            return _("{mention} is a bot, so they can't take part in a round.", mention=bot.mention)
        guild_id = interaction.guild_id or 0
        members = [wire.member(guild_id, p.id) for p in people]
        invitees = members[1:] if initiated else members
        chosen = parse_pace(pace) if pace else None  # None: the workspace's default pace
        return await self._start(interaction, members, invitees, initiated, chosen)

    async def _start(
        self,
        interaction: discord.Interaction,
        members: list[Member],
        invitees: list[Member],
        initiated: bool,
        pace: PaceChoice | None,
    ) -> str | Later:
        check = replies.BUDGET * DM_CHECK_SHARE / len(invitees)
        for invitee in invitees:  # a DM channel that can't be opened: refuse before starting
            if not await self.sender.can_open_dm(invitee, timeout=check):
                return _unreachable_text(invitee, started=False)
        outcome = await self.service.start_round(
            members,
            initiator=members[0] if initiated else None,
            pace=pace,
            event_key=wire.interaction_key(interaction),
        )
        if outcome.duplicate:
            return _("Already on it: the invitation is out.")
        if not outcome.ok or outcome.round_id is None:
            return _(outcome.message)
        round_id = outcome.round_id
        return Later(lambda: self._confirm_invitations(round_id, invitees))

    async def _confirm_invitations(self, round_id: str, invitees: list[Member]) -> str:
        """Wait briefly for the outbox to deliver the invitations. One Discord refuses (DMs
        closed) has ended the round unstarted (`DiscordSender`); the initiator learns it here."""
        keys = [m.key for m in invitees]
        results = await self.sender.invitations.wait(
            round_id, keys, self.settings.discord_invite_wait
        )
        failed = [m for m in invitees if results.get(m.key) == "dms_closed"]
        if failed:
            return _unreachable_text(failed[0], started=True)
        invited = " and ".join(f"<@{m.user_id}>" for m in invitees)
        if len(invitees) > 1:
            return _("Paired {invited}. They each get an invitation by DM.", invited=invited)
        return _(
            "Invitation sent to {invited}. Your first prompt arrives as soon as they accept.",
            invited=invited,
        )

    async def status(self, interaction: discord.Interaction) -> str:
        member = self.member(interaction)
        summaries = await self.service.summaries(member)
        language = await self.rapport.languages.view(member)
        return status_text(summaries, await self.rapport.members.profile(member), language)

    async def language(self, interaction: discord.Interaction, code: str | None) -> str:
        """`/rapport language [code]`: show it, or choose it (answered in the new language)."""
        member = self.member(interaction)
        languages = self.rapport.languages
        if code is None:
            return language_text(await languages.view(member))
        outcome = await languages.choose(member, code)
        with reading(await languages.language_of(member)):
            return _(outcome.message)

    async def stop(self, interaction: discord.Interaction) -> str:
        member = self.member(interaction)
        return _((await self.service.leave_all(member, wire.interaction_key(interaction))).message)

    async def opt(self, interaction: discord.Interaction, opted_out: bool) -> str:
        outcome = await self.rapport.members.set_opted_out(self.member(interaction), opted_out)
        return _(outcome.message)

    async def pause(self, interaction: discord.Interaction, duration: str) -> str:
        member = self.member(interaction)
        if duration.strip().lower() in ("off", "end", "stop"):
            return _((await self.rapport.members.pause_until(member, None)).message)
        delta = parse_pause(duration)
        if delta is None:
            return _("Tell me how long to pause, like `3d` or `2w` (up to a year), or `off`.")
        until = self.service.clock.now() + delta
        return _((await self.rapport.members.pause_until(member, until)).message)

    async def timezone(self, interaction: discord.Interaction, name: str) -> str:
        return _((await self.rapport.members.set_timezone(self.member(interaction), name)).message)

    async def avoid(
        self, interaction: discord.Interaction, other: discord.User | discord.Member
    ) -> str:
        other_member = wire.member(interaction.guild_id or 0, other.id)
        outcome = await self.rapport.schedules.avoid(self.member(interaction), other_member)
        return _(outcome.message)

    # --- schedules --------------------------------------------------------------------------

    async def schedule_add(
        self,
        interaction: discord.Interaction,
        channel: discord.abc.GuildChannel,
        options: dict[str, object],
    ) -> str:
        text = " ".join(
            f"{key}:{_token(value)}" for key, value in options.items() if value is not None
        )
        outcome = await self.rapport.schedules.add(
            self.member(interaction), await self.is_lead(interaction), str(channel.id), text
        )
        if outcome.ok:
            await self.rapport.sync_session_jobs()
        return _(outcome.message)

    async def schedule_list(self, interaction: discord.Interaction) -> str:
        if not await self.is_lead(interaction):
            return _(LEAD_ONLY)
        views = await self.rapport.schedules.list_for(wire.PLATFORM, str(interaction.guild_id))
        if not views:
            return _("No schedules yet. Add one with `/rapport schedule add`.")
        lines = []
        for v in views:
            line = f"`{v.id}` <#{v.channel_id}> · {v.description} · {v.status}"
            if v.next_run:
                line += " · " + _("next {when}", when=v.next_run)
            if v.last_run:
                line += " · " + _(v.last_run)
            if v.last_skip:
                line += "\n  " + _("skipped {why}", why=v.last_skip)
            lines.append(line)
        return "\n".join(lines)

    async def schedule_status(
        self, interaction: discord.Interaction, schedule_id: str, action: str
    ) -> str:
        outcome = await self.rapport.schedules.set_status(
            self.member(interaction), await self.is_lead(interaction), schedule_id.strip(), action
        )
        if outcome.ok:
            await self.rapport.sync_session_jobs()
        return _(outcome.message)

    async def schedule_run_now(self, interaction: discord.Interaction, schedule_id: str) -> str:
        outcome = await self.rapport.schedules.run_now(
            self.member(interaction), await self.is_lead(interaction), schedule_id.strip()
        )
        return _(outcome.message)


def _token(value: object) -> str:
    """One `key:value` token for the schedule parser: inner spaces dropped ("10 : 00")."""
    return "".join(str(value).split())


def _unreachable_text(member: Member, *, started: bool) -> str:
    outcome = _("The round was called off") if started else _("The round hasn't started")
    return _(
        "I can't send direct messages to <@{user_id}>: they don't accept DMs from this "
        "server's members (or have blocked me). {outcome}, so nobody is left waiting. "
        "They can allow DMs in the server's Privacy Settings; then try again.",
        user_id=member.user_id,
        outcome=outcome,
    )


def status_text(
    summaries: list[RoundSummary], profile: MemberProfile, language: LanguageView | None = None
) -> str:
    lines = []
    for s in summaries:
        partners = ", ".join(f"<@{wire.user_id_of(k)}>" for k in s.others) or _("your partner")
        if s.status is RoundStatus.INVITED:
            state = _("waiting for everyone to accept")
        elif s.waiting_on_you:
            state = _("a prompt is waiting for your answer")
        elif s.waiting_on_others:
            state = _("your answer is held until your partner answers")
        else:
            state = _("the next prompt is on its way")
        lines.append(
            _(
                "• With {partners}: layer {layer} of {max_layer}, {shared} shared · {state}",
                partners=partners,
                layer=s.layer,
                max_layer=s.max_layer,
                shared=ngettext("{count} prompt", "{count} prompts", s.revealed),
                state=state,
            )
        )
    if not lines:
        lines.append(_("You're not in any round right now. Start one with `/rapport start`."))
    lines.append(_profile_line(profile))
    if language is not None:
        lines.append(language_line(language))
    return "\n".join(lines)


def language_line(language: LanguageView) -> str:
    """The member's language and where it comes from (a choice, Discord, the server)."""
    if language.chosen:
        return _(
            "Your language: {name} (your choice; `/rapport language auto` follows Discord)",
            name=language.name,
        )
    return _("Your language: {name} (`/rapport language` chooses another)", name=language.name)


def language_text(language: LanguageView) -> str:
    """`/rapport language` on its own."""
    return languages_listing(language_line(language))


def _profile_line(profile: MemberProfile) -> str:
    parts = [_("opted out") if profile.opted_out else _("open to rounds")]
    if profile.paused_until is not None:
        parts.append(_("paused until {until}", until=profile.paused_until.date()))
    zone = profile.timezone or _("not set (/rapport timezone)")
    parts.append(_("time zone {zone}", zone=zone))
    return _("Your settings: {settings}", settings=" · ".join(parts))


# --- the command group --------------------------------------------------------------------------


def build_group(handlers: CommandHandlers) -> app_commands.Group:
    """`/rapport …` and `/rapport schedule …`, usable in servers only."""
    rapport = app_commands.Group(
        name="rapport", description=N_("Getting-to-know-you rounds"), guild_only=True
    )
    _round_commands(rapport, handlers)
    _preference_commands(rapport, handlers)
    _lead_commands(rapport, handlers)
    add_report_commands(rapport, handlers)
    add_team_commands(rapport, handlers)
    return rapport


def _round_commands(group: app_commands.Group, h: CommandHandlers) -> None:
    @group.command(
        name="start", description=N_("Start a round with someone (leads: pair two people)")
    )
    @app_commands.describe(
        member=N_("Who to get to know"),
        second_member=N_("Leads only: pair `member` with this person instead of you"),
        pace=N_("live, daily, or a preset: gentle (slow, not deep), standard, open (deeper, live)"),
    )
    async def start(
        interaction: discord.Interaction,
        member: discord.Member,
        second_member: discord.Member | None = None,
        pace: PACE | None = None,
    ) -> None:
        await h.respond(interaction, lambda: h.start(interaction, member, second_member, pace))

    @group.command(name="status", description=N_("Your rounds and settings"))
    async def status(interaction: discord.Interaction) -> None:
        await h.respond(interaction, lambda: h.status(interaction), defer_first=True)

    @group.command(name="stop", description=N_("Leave every round you're in"))
    async def stop(interaction: discord.Interaction) -> None:
        await h.respond(interaction, lambda: h.stop(interaction))

    @group.command(name="help", description=N_("How Rapport works"))
    async def help_(interaction: discord.Interaction) -> None:
        async with h.activity.track():
            await interaction.response.send_message(
                f"{_(HELP_TEXT)}\n\n{usage()}", ephemeral=True, allowed_mentions=NO_MENTIONS
            )


def _preference_commands(group: app_commands.Group, h: CommandHandlers) -> None:
    @group.command(name="optout", description=N_("Nobody can start a round with you"))
    async def optout(interaction: discord.Interaction) -> None:
        await h.respond(interaction, lambda: h.opt(interaction, True))

    @group.command(name="optin", description=N_("Allow rounds with you again"))
    async def optin(interaction: discord.Interaction) -> None:
        await h.respond(interaction, lambda: h.opt(interaction, False))

    @group.command(name="pause", description=N_("Take a break from new rounds"))
    @app_commands.describe(duration=N_("How long, like 3d or 2w; 'off' ends a pause"))
    async def pause(interaction: discord.Interaction, duration: str) -> None:
        await h.respond(interaction, lambda: h.pause(interaction, duration))

    @group.command(name="timezone", description=N_("Your time zone, for daily prompts"))
    @app_commands.describe(name=N_("An IANA name like Europe/Berlin"))
    @app_commands.autocomplete(name=zone_choices)
    async def timezone(interaction: discord.Interaction, name: str) -> None:
        await h.respond(interaction, lambda: h.timezone(interaction, name))

    @group.command(name="language", description=N_("The language Rapport speaks with you"))
    @app_commands.describe(code=N_("Leave empty to see yours; auto follows Discord"))
    @app_commands.choices(code=LANGUAGE_CHOICES)
    async def language(interaction: discord.Interaction, code: str | None = None) -> None:
        await h.respond(interaction, lambda: h.language(interaction, code))

    @group.command(
        name="avoid", description=N_("Never pair me with this person (they aren't told)")
    )
    async def avoid(interaction: discord.Interaction, member: discord.Member) -> None:
        await h.respond(interaction, lambda: h.avoid(interaction, member))


def _lead_commands(group: app_commands.Group, h: CommandHandlers) -> None:
    schedule = app_commands.Group(
        name="schedule", description=N_("Leads: recurring sessions"), parent=group
    )

    @schedule.command(name="add", description=N_("Pair a channel's members on a schedule"))
    @app_commands.describe(
        channel=N_("Whose members to pair"),
        every=N_("Every how many weeks (1-4)"),
        day=N_("Weekday"),
        time=N_("Local time, 24-hour HH:MM"),
        tz=N_("IANA time zone like Europe/Berlin"),
        depth=N_("Deepest layer (1-4)"),
        bank=N_("Question bank"),
        pace=N_("daily (default), live, or a preset: gentle, standard, open"),
    )
    @app_commands.choices(day=DAYS)
    @app_commands.autocomplete(tz=zone_choices)
    async def add(
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        every: Every,
        day: app_commands.Choice[str],
        time: str,
        tz: str,
        depth: Depth | None = None,
        bank: str | None = None,
        pace: PACE | None = None,
    ) -> None:
        options: dict[str, object] = {
            "every": every,
            "day": day.value,
            "time": time,
            "tz": tz,
            "depth": depth,
            "bank": bank,
            "pace": pace,
        }
        await h.respond(interaction, lambda: h.schedule_add(interaction, channel, options))

    @schedule.command(name="list", description=N_("This server's schedules"))
    async def list_(interaction: discord.Interaction) -> None:
        await h.respond(interaction, lambda: h.schedule_list(interaction), defer_first=True)

    for action, text in (
        ("pause", N_("Pause a schedule")),
        ("resume", N_("Resume a paused schedule")),
        ("remove", N_("Remove a schedule")),
    ):
        schedule.add_command(_status_command(h, action, text))

    @schedule.command(name="run-now", description=N_("Run a schedule's session now"))
    @app_commands.describe(id=N_("The schedule id from /rapport schedule list"))
    async def run_now(interaction: discord.Interaction, id: str) -> None:
        await h.respond(interaction, lambda: h.schedule_run_now(interaction, id), defer_first=True)


def _status_command(h: CommandHandlers, action: str, description: str) -> app_commands.Command:
    async def change(interaction: discord.Interaction, id: str) -> None:
        await h.respond(interaction, lambda: h.schedule_status(interaction, id, action))

    command = app_commands.Command(name=action, description=description, callback=change)
    return app_commands.describe(id=N_("The schedule id from /rapport schedule list"))(command)


# --- the tree -----------------------------------------------------------------------------------


class RapportTree(app_commands.CommandTree):
    """Answers every failed command ephemerally, so no interaction is left without a reply."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        with reading(normalise(interaction.locale.value)):
            if isinstance(error, app_commands.TransformerError | app_commands.CheckFailure):
                log.warning("command refused: %s", error)
                text = _("I couldn't use that: {error}", error=error)
            else:
                log.exception("command %s failed", interaction.command, exc_info=error)
                text = _(
                    "Sorry, something went wrong on my side. Nothing was changed; please try again."
                )
        if interaction.response.is_done():  # deferred: replace the "thinking…" reply
            await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=NO_MENTIONS
            )


class CommandSync:
    """Registers /rapport at start-up: per guild (shown at once), globally, or not at all."""

    def __init__(self, tree: app_commands.CommandTree, mode: str) -> None:
        self.tree = tree
        self.mode = mode

    async def at_start(self, guilds: list[discord.Guild]) -> None:
        if self.mode == "global":
            await self.tree.sync()
        elif self.mode == "guild":
            for guild in guilds:
                await self.guild_joined(guild)

    async def guild_joined(self, guild: discord.abc.Snowflake) -> None:
        """Sync to one guild; the copy is dropped after, interactions fall back to the global."""
        if self.mode != "guild":
            return
        self.tree.copy_global_to(guild=guild)
        try:
            await self.tree.sync(guild=guild)
        finally:
            self.tree.clear_commands(guild=guild)
