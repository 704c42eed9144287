"""Each workspace's own settings: what its leads chose, over the operator's defaults.

A workspace (a Slack team, a Discord guild) stores only the settings its leads changed; every other
setting follows the environment (`RAPPORT_MAX_LAYER` and friends), so an operator's new default
reaches every workspace that never touched it. The service layer asks one port, `settings_of`,
which is cached and invalidated on change: the answer path never pays a query for it. Rounds
freeze the settings they started with (`RoundSettings` is part of the round's state).

Every setting is described once in `SETTINGS` (label, how to parse and show it), so both
adapters render and validate them the same way, and every change is recorded content-free
(who, when, which setting, old -> new).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from bot.clock import Clock
from bot.engine import presets
from bot.engine.model import Pace, RoundSettings
from bot.engine.presets import PACE_WORDS, PaceChoice
from bot.engine.timing import DAY_ENDS, DAY_STARTS
from bot.i18n import N_
from bot.identity import Member
from bot.service.shared_cache import SharedCache
from bot.store.database import Database
from bot.store.tables import workspace_settings, workspace_settings_history

CACHE_SECONDS = 30.0  # another process's change shows here within this long
LANGUAGES = ("en", "de", "es", "fr", "pt-BR")
QUESTION_MODES = ("mixed", "own")
TEAM_BANK = "team"  # the name a workspace's own bank goes by when it is used alone
LEAD_ONLY = N_("Only team leads can change the team's settings. Ask a lead (or a workspace admin).")


@dataclass(frozen=True)
class WorkspaceSettings:
    """The settings a workspace's rounds start with."""

    default_bank: str = "workplace"
    max_layer: int = 3
    prompts_per_layer: int = 2
    default_pace: PaceChoice = Pace.LIVE  # live, daily, or a preset (gentle, standard, open)
    reminder_hours: float = 24.0
    max_reminders: int = 2
    expire_days: float = 7.0
    quiet_from: time = DAY_ENDS
    quiet_until: time = DAY_STARTS
    lead_role: str | None = None  # Discord: a role (id or exact name) whose members are leads
    lead_users: tuple[str, ...] = ()  # Slack: user ids who are leads besides admins
    language: str = "en"
    allow_suggestions: bool = True
    question_mode: str = "mixed"  # mixed: own prompts join the bank; own: the team bank alone
    balance_guard: bool = True
    balance_ratio: float = 0.25
    follow_ups: bool = True

    def round_settings(
        self,
        *,
        bank: str | None = None,
        pace: PaceChoice | None = None,
        max_layer: int | None = None,
        hierarchy_safe_only: bool = False,
    ) -> RoundSettings:
        """A new round's settings; a chosen pace or preset wins over the team's default, and
        an explicit depth (a schedule's) wins over a preset's cap."""
        settings = presets.apply(self._base(bank, hierarchy_safe_only), pace or self.default_pace)
        if max_layer is not None:
            settings = replace(settings, max_layer=min(max_layer, 4))
        return settings

    def _base(self, bank: str | None, hierarchy_safe_only: bool) -> RoundSettings:
        own_alone = self.question_mode == "own" and bank is None
        return RoundSettings(
            bank=TEAM_BANK if own_alone else (bank or self.default_bank),
            max_layer=min(self.max_layer, 4),
            prompts_per_layer=self.prompts_per_layer,
            hierarchy_safe_only=hierarchy_safe_only,
            reminder_after=timedelta(hours=self.reminder_hours),
            max_reminders=self.max_reminders,
            expire_after=timedelta(days=self.expire_days),
            quiet_from=self.quiet_from,
            quiet_until=self.quiet_until,
            team_prompts=not own_alone,
            balance_guard=self.balance_guard,
            balance_ratio=self.balance_ratio,
            follow_ups=self.follow_ups,
        )


class SettingError(ValueError):
    """A value a lead gave that the setting can't take; the message names the setting."""


@dataclass(frozen=True)
class SettingSpec:
    """One setting as a lead sees it: its chat name, label, help and how to read a value."""

    name: str  # what a lead types: `/rapport settings depth 4`
    field: str  # the WorkspaceSettings attribute
    label: str
    help: str
    parse: Callable[[str], Any]
    show: Callable[[Any], str] = str
    choices: tuple[str, ...] = ()
    platform: str | None = None  # only meaningful on this platform


def _whole(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        if not re.fullmatch(r"\d+", raw.strip()) or not low <= int(raw) <= high:
            raise SettingError(N_("a whole number from {low} to {high}", low=low, high=high))
        return int(raw)

    return parse


def _number(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise SettingError(
                N_("a number from {low} to {high}", low=f"{low:g}", high=f"{high:g}")
            ) from None
        if not low <= value <= high:
            raise SettingError(
                N_("a number from {low} to {high}", low=f"{low:g}", high=f"{high:g}")
            )
        return value

    return parse


def _choice(options: Sequence[str]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        for option in options:
            if value.lower() == option.lower():
                return option
        raise SettingError(N_("one of {options}", options=", ".join(options)))

    return parse


def _yes_no(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("on", "yes", "true", "allow", "1"):
        return True
    if value in ("off", "no", "false", "deny", "0"):
        return False
    raise SettingError(N_("on or off"))


def _pace(raw: str) -> PaceChoice:
    choice = presets.parse_pace(raw)
    if choice is None:
        raise SettingError(N_("one of {options}", options=", ".join(PACE_WORDS)))
    return choice


def _show_yes_no(value: bool) -> str:
    return "on" if value else "off"


QUIET_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")


def parse_quiet_hours(raw: str) -> tuple[time, time]:
    match = QUIET_HOURS.match(raw)
    if match is None:
        raise SettingError(N_("two times like 21:00-08:00"))
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise SettingError(N_("two times like 21:00-08:00 (hours 0-23, minutes 0-59)"))
    return time(h1, m1), time(h2, m2)


def show_quiet_hours(value: tuple[time, time]) -> str:
    start, end = value
    return f"{start:%H:%M}-{end:%H:%M}"


def _optional_text(raw: str) -> str | None:
    value = raw.strip()
    if value.lower() in ("", "none", "off", "-"):
        return None
    if len(value) > 100:
        raise SettingError(N_("a role name or id of at most 100 characters, or 'none'"))
    return value


SLACK_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|^([UW][A-Z0-9]{2,})$")


def _slack_users(raw: str) -> tuple[str, ...]:
    if raw.strip().lower() in ("", "none", "-"):
        return ()
    users = []
    for token in re.split(r"[\s,]+", raw.strip()):
        match = SLACK_USER.search(token)
        if match is None:
            raise SettingError(N_("Slack members like @alex @sam (or 'none')"))
        users.append(match.group(1) or match.group(2))
    return tuple(dict.fromkeys(users))


def _show_users(value: tuple[str, ...]) -> str:
    return " ".join(f"<@{u}>" for u in value) or "none"


def _show_optional(value: str | None) -> str:
    return value or "none"


def _setting_specs(bank_names: Collection[str]) -> tuple[SettingSpec, ...]:
    banks = tuple(sorted(bank_names))
    return (
        SettingSpec(
            "bank",
            "default_bank",
            N_("Question bank"),
            N_("the bank new rounds draw from"),
            _choice(banks),
            choices=banks,
        ),
        SettingSpec(
            "questions",
            "question_mode",
            N_("Our questions"),
            N_("mixed: your own questions join the bank; own: your questions alone"),
            _choice(QUESTION_MODES),
            choices=QUESTION_MODES,
        ),
        SettingSpec(
            "depth",
            "max_layer",
            N_("Depth cap"),
            N_("how deep rounds may go (1-4)"),
            _whole(1, 4),
            choices=("1", "2", "3", "4"),
        ),
        SettingSpec(
            "prompts",
            "prompts_per_layer",
            N_("Prompts per layer"),
            N_("prompts revealed before a round goes deeper (1-5)"),
            _whole(1, 5),
            choices=("1", "2", "3", "4", "5"),
        ),
        SettingSpec(
            "pace",
            "default_pace",
            N_("Default pace"),
            N_(
                "live: next prompt right after a reveal; daily: one a day; gentle: 3 prompts a "
                "layer, up to layer 2, daily; standard: the team's depth, live; open: up to "
                "layer 4, live"
            ),
            _pace,
            lambda p: p.value,
            choices=PACE_WORDS,
        ),
        SettingSpec(
            "reminder",
            "reminder_hours",
            N_("Reminder after (hours)"),
            N_("hours before a gentle reminder to whoever hasn't answered (1-168)"),
            _number(1, 168),
            lambda v: f"{v:g}",
        ),
        SettingSpec(
            "reminders",
            "max_reminders",
            N_("Reminders at most"),
            N_("how many reminders per prompt (0-3)"),
            _whole(0, 3),
            choices=("0", "1", "2", "3"),
        ),
        SettingSpec(
            "expiry",
            "expire_days",
            N_("Expiry (days)"),
            N_("a round nobody touched for this many days ends (1-60)"),
            _number(1, 60),
            lambda v: f"{v:g}",
        ),
        SettingSpec(
            "quiet",
            "quiet_hours",
            N_("Quiet hours"),
            N_("members' local hours with no prompts or reminders, like 21:00-08:00"),
            parse_quiet_hours,
            show_quiet_hours,
        ),
        SettingSpec(
            "language",
            "language",
            N_("Language"),
            N_("the team's default language"),
            _choice(LANGUAGES),
            choices=LANGUAGES,
        ),
        SettingSpec(
            "suggestions",
            "allow_suggestions",
            N_("Member suggestions"),
            N_("whether members may suggest questions for leads to approve"),
            _yes_no,
            _show_yes_no,
            choices=("on", "off"),
        ),
        SettingSpec(
            "balance-guard",
            "balance_guard",
            N_("Balance check-in"),
            N_(
                "when one member shared much less than another in a layer, ask everyone before "
                "going deeper"
            ),
            _yes_no,
            _show_yes_no,
            choices=("on", "off"),
        ),
        SettingSpec(
            "balance-ratio",
            "balance_ratio",
            N_("Balance threshold"),
            N_("check in when one member wrote less than this share of another's (0.1-0.5)"),
            _number(0.1, 0.5),
            lambda v: f"{v:g}",
            choices=("0.1", "0.2", "0.25", "0.3", "0.4", "0.5"),
        ),
        SettingSpec(
            "follow-ups",
            "follow_ups",
            N_("Follow-up questions"),
            N_("after a reveal, members may ask each other one short follow-up question"),
            _yes_no,
            _show_yes_no,
            choices=("on", "off"),
        ),
        SettingSpec(
            "lead-role",
            "lead_role",
            N_("Lead role"),
            N_("members with this role are leads, besides those who can manage the server"),
            _optional_text,
            _show_optional,
            platform="discord",
        ),
        SettingSpec(
            "leads",
            "lead_users",
            N_("Leads"),
            N_("members who are leads, besides workspace admins"),
            _slack_users,
            _show_users,
            platform="slack",
        ),
    )


# a check across settings: None, or (the setting it is about, what is wrong)
Validator = Callable[[str, "WorkspaceSettings"], Awaitable[tuple[str, str] | None]]


@dataclass(frozen=True)
class ChangeResult:
    ok: bool
    message: str
    changed: tuple[str, ...] = ()
    setting: str | None = None  # the setting a refusal is about, for a form to point at


@dataclass(frozen=True)
class HistoryEntry:
    actor: Member
    at: datetime
    setting: str
    old: str
    new: str


@dataclass(frozen=True)
class SettingView:
    spec: SettingSpec
    value: str
    customised: bool


class WorkspaceSettingsService:
    """The port: `settings_of(workspace)`, `change(...)` by a lead, `history(...)`."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        defaults: WorkspaceSettings,
        bank_names: Collection[str],
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.db = db
        self.clock = clock
        self.defaults = defaults
        self.specs = _setting_specs(bank_names)
        self._by_name = {spec.name: spec for spec in self.specs}
        self._cache: SharedCache[str, tuple[WorkspaceSettings, dict[str, str]]] = SharedCache(
            clock, timedelta(seconds=cache_seconds), self._read
        )
        # checks that need more than one value (e.g. the team's own bank is big enough)
        self.validators: list[Validator] = []

    def specs_for(self, platform: str) -> tuple[SettingSpec, ...]:
        return tuple(s for s in self.specs if s.platform in (None, platform))

    def cached(self, workspace: str) -> WorkspaceSettings | None:
        """The settings last loaded for this workspace, without a query (None: not loaded)."""
        entry = self._cache.peek(workspace)
        return entry[0] if entry else None

    async def settings_of(self, workspace: str) -> WorkspaceSettings:
        settings, _ = await self._load(workspace)
        return settings

    async def view(self, workspace: str) -> list[SettingView]:
        """Every setting of this workspace as shown to a person (custom or default)."""
        settings, stored = await self._load(workspace)
        platform = workspace.split(":", 1)[0]
        return [
            SettingView(spec, _shown(spec, settings), spec.name in stored)
            for spec in self.specs_for(platform)
        ]

    async def change(self, actor: Member, is_lead: bool, raw: Mapping[str, str]) -> ChangeResult:
        """A lead changes settings of their own workspace: every value is validated first, then
        they are all applied, or nothing."""
        if not is_lead:
            return ChangeResult(False, LEAD_ONLY)
        workspace = actor.workspace
        platform = workspace.split(":", 1)[0]
        current, stored = await self._load(workspace, fresh=True)
        parsed: dict[str, Any] = {}
        for name, value in raw.items():
            spec = self._by_name.get(name.strip().lower())
            if spec is None or spec.platform not in (None, platform):
                known = ", ".join(s.name for s in self.specs_for(platform))
                return ChangeResult(
                    False,
                    N_(
                        "There's no setting called '{name}'. Settings: {known}.",
                        name=name,
                        known=known,
                    ),
                )
            try:
                parsed[spec.name] = spec.parse(value)
            except SettingError as err:
                return ChangeResult(
                    False,
                    N_(
                        "{label} must be {expected} (you gave '{value}'). Nothing changed.",
                        label=spec.label,
                        expected=err.args[0],
                        value=value,
                    ),
                    setting=spec.name,
                )
        updated = _apply(current, {self._by_name[n]: v for n, v in parsed.items()})
        for validate in self.validators:
            problem = await validate(workspace, updated)
            if problem:
                setting, message = problem
                return ChangeResult(
                    False, N_("{problem} Nothing changed.", problem=message), setting=setting
                )
        changes = [
            (name, _shown(self._by_name[name], current), _shown(self._by_name[name], updated))
            for name in parsed
        ]
        changes = [c for c in changes if c[1] != c[2]]
        if not changes:
            return ChangeResult(True, N_("Those are already the settings. Nothing changed."))
        new_stored = dict(stored)
        for name, _old, new in changes:
            new_stored[name] = new
        await self._save(workspace, actor, new_stored, changes)
        self._cache.forget(workspace)
        summary = "; ".join(f"{self._by_name[n].label}: {old} → {new}" for n, old, new in changes)
        return ChangeResult(
            True,
            N_("Saved. {summary}. New rounds use it.", summary=summary),
            tuple(n for n, *_ in changes),
        )

    async def history(self, workspace: str, limit: int = 20) -> list[HistoryEntry]:
        t = workspace_settings_history
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(t).where(t.c.workspace == workspace).order_by(t.c.id.desc()).limit(limit)
            )
            return [
                HistoryEntry(Member.from_key(r.actor), r.at, r.setting, r.old or "", r.new or "")
                for r in rows
            ]

    # --- storage --------------------------------------------------------------------------

    async def _load(
        self, workspace: str, fresh: bool = False
    ) -> tuple[WorkspaceSettings, dict[str, str]]:
        return await (self._cache.fresh(workspace) if fresh else self._cache.get(workspace))

    async def _read(self, workspace: str) -> tuple[WorkspaceSettings, dict[str, str]]:
        async with self.db.read() as conn:
            raw = await conn.scalar(
                sa.select(workspace_settings.c["values"]).where(
                    workspace_settings.c.workspace == workspace
                )
            )
        stored: dict[str, str] = json.loads(raw) if raw else {}
        return self._from_stored(stored), stored

    def _from_stored(self, stored: Mapping[str, str]) -> WorkspaceSettings:
        values: dict[SettingSpec, Any] = {}
        for name, shown in stored.items():
            spec = self._by_name.get(name)
            if spec is None:
                continue
            try:
                values[spec] = spec.parse(shown)
            except SettingError:  # e.g. a bank the operator has since removed: use the default
                continue
        return _apply(self.defaults, values)

    async def _save(
        self,
        workspace: str,
        actor: Member,
        stored: Mapping[str, str],
        changes: Sequence[tuple[str, str, str]],
    ) -> None:
        now = self.clock.now()
        t = workspace_settings
        async with self.db.transaction() as conn:
            updated = await conn.execute(
                t.update()
                .where(t.c.workspace == workspace)
                .values(
                    {
                        "values": json.dumps(dict(stored)),
                        "updated_at": now,
                        "version": t.c.version + 1,
                    }
                )
            )
            if updated.rowcount == 0:
                await conn.execute(
                    t.insert().values(
                        {
                            "workspace": workspace,
                            "values": json.dumps(dict(stored)),
                            "version": 1,
                            "updated_at": now,
                        }
                    )
                )
            await conn.execute(
                workspace_settings_history.insert(),
                [
                    {
                        "workspace": workspace,
                        "actor": actor.key,
                        "at": now,
                        "setting": name,
                        "old": old,
                        "new": new,
                    }
                    for name, old, new in changes
                ],
            )


def _shown(spec: SettingSpec, settings: WorkspaceSettings) -> str:
    if spec.field == "quiet_hours":
        return show_quiet_hours((settings.quiet_from, settings.quiet_until))
    return spec.show(getattr(settings, spec.field))


def _apply(settings: WorkspaceSettings, values: Mapping[SettingSpec, Any]) -> WorkspaceSettings:
    changes: dict[str, Any] = {}
    names = {f.name for f in fields(WorkspaceSettings)}
    for spec, value in values.items():
        if spec.field == "quiet_hours":
            changes["quiet_from"], changes["quiet_until"] = value
        elif spec.field in names:
            changes[spec.field] = value
    return replace(settings, **changes)
