"""A workspace's own questions: added by leads, suggested by members, linted like shipped banks.

A team prompt is a bank prompt stored for one workspace. Leads add, edit and retire them; members
may suggest one when the workspace allows it, and a lead approves or declines it (the suggester is
told either way; nobody in a round ever learns who suggested a prompt). Every prompt is linted on
submission with the rules the shipped banks pass, and checked for duplicates against the
workspace's prompts and the shipped banks.

Rounds draw them through `bank_for`: the shipped bank with the team's prompts mixed in, or the
team's bank alone (`question_mode: own`). Compositions are cached per workspace, so the answer
path pays no query; retired prompts still resolve by id for rounds that asked them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.engine.bank import Bank, Prompt
from bot.engine.model import Delivery, DeliveryKind, RoundSettings
from bot.i18n import N_, N_plural
from bot.identity import Member
from bot.questions.lint import prompt_problems
from bot.questions.profiles import TEAM, LintProfile
from bot.questions.rules.breadth import breadth_problems
from bot.questions.rules.duplicates import duplicate_problems, last_prompt_duplicates
from bot.questions.schema import MAX_LAYER, MIN_LAYER, SLUG, Problem, text_issues
from bot.service.workspaces import TEAM_BANK, WorkspaceSettings, WorkspaceSettingsService
from bot.store import repository as repo
from bot.store.database import Database
from bot.store.tables import workspace_prompts

CACHE_SECONDS = 30.0
MAX_EXAMPLE_CHARS = 280
ACTIVE, PENDING, DECLINED, RETIRED = "active", "pending", "declined", "retired"
TEAM_TITLE = N_("Our questions")
LEAD_ONLY = N_(
    "Only team leads can manage your team's questions. Anyone can suggest one with "
    "/rapport questions suggest."
)


@dataclass(frozen=True)
class Draft:
    """A prompt as a lead or member typed it, before it has an id."""

    layer: int
    topic: str
    text: str
    hierarchy_safe: bool = True
    example: str | None = None


@dataclass(frozen=True)
class TeamPrompt:
    prompt: Prompt
    status: str
    suggested: bool


@dataclass(frozen=True)
class Result:
    ok: bool
    message: str
    prompt_id: str | None = None


def min_prompts_to_stand_alone(settings: WorkspaceSettings) -> int:
    """A layer of the team's own bank needs a prompt to draw, one to swap to, and one spare."""
    return settings.prompts_per_layer + 2


class TeamQuestions:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        shipped: Mapping[str, Bank],
        workspaces: WorkspaceSettingsService,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.db = db
        self.clock = clock
        self.shipped = shipped
        self.workspaces = workspaces
        self._ttl = timedelta(seconds=cache_seconds)
        self._cache: dict[str, tuple[datetime, tuple[Prompt, ...], tuple[Prompt, ...]]] = {}
        workspaces.validators.append(self._can_stand_alone)

    # --- what rounds draw from --------------------------------------------------------------

    def bank_names(self) -> list[str]:
        return sorted({*self.shipped, TEAM_BANK})

    def has_bank(self, name: str) -> bool:
        return name in self.shipped or name == TEAM_BANK

    async def bank_for(
        self, workspace: str, settings: RoundSettings, conn: AsyncConnection | None = None
    ) -> Bank | None:
        """The bank a round of this workspace draws from (None: the bank is not installed)."""
        if settings.bank == TEAM_BANK:
            active, retired = await self._prompts(workspace, conn)
            base = Bank(TEAM_BANK, TEAM_TITLE, (), audience=self._audience(workspace))
            return base.with_prompts(active, retired)
        bank = self.shipped.get(settings.bank)
        if bank is None or not settings.team_prompts:
            return bank
        active, retired = await self._prompts(workspace, conn)
        if not active and not retired:
            return bank
        return bank.with_prompts(active, retired)

    def _audience(self, workspace: str) -> str:
        cached = self.workspaces.cached(workspace)
        bank = self.shipped.get(cached.default_bank) if cached else None
        return bank.audience if bank else "workplace"

    async def _prompts(
        self, workspace: str, conn: AsyncConnection | None
    ) -> tuple[tuple[Prompt, ...], tuple[Prompt, ...]]:
        now = self.clock.now()
        cached = self._cache.get(workspace)
        if cached is not None and cached[0] > now:
            return cached[1], cached[2]
        if conn is None:
            async with self.db.read() as own:
                rows = await _rows(own, workspace, (ACTIVE, RETIRED))
        else:
            rows = await _rows(conn, workspace, (ACTIVE, RETIRED))
        active = tuple(_prompt(r) for r in rows if r.status == ACTIVE)
        retired = tuple(_prompt(r) for r in rows if r.status == RETIRED)
        self._cache[workspace] = (now + self._ttl, active, retired)
        return active, retired

    # --- leads and members ------------------------------------------------------------------

    async def add(self, actor: Member, is_lead: bool, draft: Draft) -> Result:
        if not is_lead:
            return Result(False, LEAD_ONLY)
        return await self._create(actor, draft, ACTIVE)

    async def suggest(self, member: Member, draft: Draft) -> Result:
        settings = await self.workspaces.settings_of(member.workspace)
        if not settings.allow_suggestions:
            return Result(False, N_("Your team's leads have turned question suggestions off."))
        return await self._create(member, draft, PENDING)

    async def edit(self, actor: Member, is_lead: bool, prompt_id: str, draft: Draft) -> Result:
        if not is_lead:
            return Result(False, LEAD_ONLY)
        workspace = actor.workspace
        existing = await self._find(workspace, prompt_id, (ACTIVE, PENDING))
        if isinstance(existing, Result):
            return existing
        problems = await self._lint(workspace, draft, replacing=prompt_id)
        if problems:
            return Result(False, _refusal(problems))
        async with self.db.transaction() as conn:
            await conn.execute(
                workspace_prompts.update()
                .where(_key(workspace, prompt_id))
                .values(**_columns(draft))
            )
        self._cache.pop(workspace, None)
        return Result(
            True,
            N_(
                "Updated {prompt_id}. Rounds that start from now on can draw it.",
                prompt_id=prompt_id,
            ),
            prompt_id,
        )

    async def retire(self, actor: Member, is_lead: bool, prompt_id: str) -> Result:
        if not is_lead:
            return Result(False, LEAD_ONLY)
        workspace = actor.workspace
        existing = await self._find(workspace, prompt_id, (ACTIVE,))
        if isinstance(existing, Result):
            return existing
        await self._set_status(workspace, prompt_id, RETIRED, actor)
        return Result(
            True,
            N_("Retired {prompt_id}: no new round will draw it.", prompt_id=prompt_id),
            prompt_id,
        )

    async def decide(self, actor: Member, is_lead: bool, prompt_id: str, approve: bool) -> Result:
        """A lead approves or declines a suggestion; the suggester is told, kindly, either way."""
        if not is_lead:
            return Result(False, LEAD_ONLY)
        workspace = actor.workspace
        existing = await self._find(workspace, prompt_id, (PENDING,))
        if isinstance(existing, Result):
            return existing
        row = existing
        if approve:
            draft = Draft(row.layer, row.topic, row.text, row.hierarchy_safe, row.example)
            problems = await self._lint(workspace, draft, replacing=prompt_id)
            if problems:
                return Result(False, _refusal(problems))
        status = ACTIVE if approve else DECLINED
        notice = Delivery(
            row.suggested_by,
            DeliveryKind.SUGGESTION_DECIDED,
            {"approved": approve, "text": row.text},
        )
        async with self.db.transaction() as conn:
            await conn.execute(
                workspace_prompts.update()
                .where(_key(workspace, prompt_id), workspace_prompts.c.status == PENDING)
                .values(status=status, decided_by=actor.key, decided_at=self.clock.now())
            )
            if row.suggested_by:
                await repo.enqueue(conn, [(None, notice)], self.clock.now())
        self._cache.pop(workspace, None)

        return Result(
            True,
            (
                N_(
                    "Added {prompt_id}; I've let the member who suggested it know.",
                    prompt_id=prompt_id,
                )
                if approve
                else N_(
                    "Declined {prompt_id}; I've let the member who suggested it know.",
                    prompt_id=prompt_id,
                )
            ),
            prompt_id,
        )

    async def listing(
        self, workspace: str, statuses: Sequence[str] = (ACTIVE,)
    ) -> list[TeamPrompt]:
        async with self.db.transaction() as conn:
            rows = await _rows(conn, workspace, tuple(statuses))
        return [TeamPrompt(_prompt(r), r.status, r.suggested_by is not None) for r in rows]

    # --- the same YAML the shipped banks use ------------------------------------------------

    async def export_yaml(self, workspace: str) -> str:
        prompts = [t.prompt for t in await self.listing(workspace)]
        settings = await self.workspaces.settings_of(workspace)
        audience = (
            self.shipped[settings.default_bank].audience
            if (settings.default_bank in self.shipped)
            else "workplace"
        )
        document: dict[str, Any] = {
            "bank": TEAM_BANK,
            "title": str(TEAM_TITLE),
            "audience": audience,
            "description": "This workspace's own questions, exported from Rapport.",
            "topics": sorted({p.topic for p in prompts}) or ["general"],
            "prompts": [_as_yaml(p) for p in prompts],
        }
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)

    async def import_bank(self, workspace: str, bank: Bank) -> Result:
        """Add every prompt of a parsed bank file (all linted first; all or nothing)."""
        existing = {
            t.prompt.id for t in await self.listing(workspace, (ACTIVE, PENDING, RETIRED, DECLINED))
        }
        shipped_ids = {p.id for b in self.shipped.values() for p in b.prompts}
        problems: list[str] = []
        for prompt in bank.prompts:
            if prompt.id in shipped_ids:
                problems.append(
                    N_("{id}: this id belongs to a shipped bank; rename it", id=prompt.id)
                )
        found = await asyncio.to_thread(self._bank_problems, bank)
        problems += [f"{p.prompt_id}: {p.message}" for p in found]
        if problems:
            return Result(
                False, N_("Nothing was imported:\n{problems}", problems="\n".join(problems))
            )
        fresh = [p for p in bank.prompts if p.id not in existing]
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if fresh:
                await conn.execute(
                    workspace_prompts.insert(),
                    [
                        {
                            "workspace": workspace,
                            "prompt_id": p.id,
                            "status": ACTIVE,
                            "created_at": now,
                            "suggested_by": None,
                            **_columns(
                                Draft(p.layer, p.topic, p.text, p.hierarchy_safe, p.example)
                            ),
                        }
                        for p in fresh
                    ],
                )
        self._cache.pop(workspace, None)
        skipped = len(bank.prompts) - len(fresh)
        note = (
            N_(" ({skipped} already there, left as they are)", skipped=skipped) if skipped else ""
        )
        return Result(
            True,
            N_plural(
                "Imported {count} prompt{note}.",
                "Imported {count} prompts{note}.",
                len(fresh),
                note=note,
            ),
        )

    # --- internals --------------------------------------------------------------------------

    async def _create(self, member: Member, draft: Draft, status: str) -> Result:
        workspace = member.workspace
        problems = await self._lint(workspace, draft)
        if problems:
            return Result(False, _refusal(problems))
        async with self.db.transaction() as conn:
            taken = set(
                await conn.scalars(
                    sa.select(workspace_prompts.c.prompt_id).where(
                        workspace_prompts.c.workspace == workspace
                    )
                )
            )
            prompt_id = _new_id(draft, taken)
            await conn.execute(
                workspace_prompts.insert().values(
                    workspace=workspace,
                    prompt_id=prompt_id,
                    status=status,
                    created_at=self.clock.now(),
                    suggested_by=member.key if status == PENDING else None,
                    **_columns(draft),
                )
            )
        self._cache.pop(workspace, None)
        if status == PENDING:
            return Result(
                True,
                N_(
                    "Thanks! Your question is waiting for a lead to review it. I'll let you know "
                    "what they decide."
                ),
                prompt_id,
            )
        return Result(
            True,
            N_(
                "Added {prompt_id}. Rounds that start from now on can draw it.", prompt_id=prompt_id
            ),
            prompt_id,
        )

    async def _find(self, workspace: str, prompt_id: str, statuses: Sequence[str]) -> Any:
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(sa.select(workspace_prompts).where(_key(workspace, prompt_id)))
            ).first()
        if row is None or row.status not in statuses:
            wanted = " or ".join(statuses)
            return Result(
                False,
                N_(
                    "There's no {wanted} question '{prompt_id}' in this workspace. Nothing "
                    "changed.",
                    wanted=wanted,
                    prompt_id=prompt_id,
                ),
            )
        return row

    async def _set_status(self, workspace: str, prompt_id: str, status: str, actor: Member) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                workspace_prompts.update()
                .where(_key(workspace, prompt_id))
                .values(status=status, decided_by=actor.key, decided_at=self.clock.now())
            )
        self._cache.pop(workspace, None)

    async def _lint(self, workspace: str, draft: Draft, replacing: str | None = None) -> list[str]:
        problems = draft_problems(draft)
        if problems:
            return problems
        settings = await self.workspaces.settings_of(workspace)
        candidate = Prompt(
            "draft",
            draft.layer,
            draft.topic,
            " ".join(draft.text.split()),
            draft.hierarchy_safe,
            draft.example,
        )
        own = [
            t.prompt
            for t in await self.listing(workspace, (ACTIVE, PENDING))
            if t.prompt.id != replacing
        ]
        base = self.shipped.get(settings.default_bank)
        audience = base.audience if base else "workplace"
        team = Bank(TEAM_BANK, TEAM_TITLE, (*own, candidate), audience=audience)
        entries = [*self.shipped.items(), (TEAM_BANK, team)]
        # CPU work (the first time, every shipped prompt's features): off the event loop, so a
        # lead adding a question never holds up everyone else's answers
        found = await asyncio.to_thread(_draft_problems, team, entries)
        return [p.message for p in found]

    def _bank_problems(self, bank: Bank) -> list[Problem]:
        entries = [*self.shipped.items(), (TEAM_BANK, bank)]
        found = prompt_problems(TEAM_BANK, bank, TEAM)
        return found + [p for p in duplicate_problems(entries) if p.file == TEAM_BANK]

    async def _can_stand_alone(
        self, workspace: str, settings: WorkspaceSettings
    ) -> tuple[str, str] | None:
        """The workspace's own bank alone must have enough prompts in every layer up to its cap."""
        if settings.question_mode != "own":
            return None
        self._cache.pop(workspace, None)  # decide on what is stored now
        active, _ = await self._prompts(workspace, None)
        need = min_prompts_to_stand_alone(settings)
        alone = LintProfile("team alone", need, 2, 1, None, 6, require_example=False)
        capped = tuple(p for p in active if p.layer <= settings.max_layer)
        bank = Bank(TEAM_BANK, TEAM_TITLE, capped)
        short = [p.message for p in breadth_problems(TEAM_BANK, bank, alone) if p.prompt_id is None]
        missing = [n for n in range(1, settings.max_layer + 1) if not bank.in_layer(n)]
        if missing:
            short.append(N_("no questions in layer {layers}", layers=", ".join(map(str, missing))))
        if not short:
            return None
        return "questions", (
            N_(
                "Your own questions can't be used alone yet: every layer up to {max_layer} needs "
                "at least {need} questions in at least 2 topics ({missing}).",
                max_layer=settings.max_layer,
                need=need,
                missing="; ".join(short),
            )
        )


def draft_problems(draft: Draft) -> list[str]:
    """What is wrong with a typed prompt before the bank-level rules run."""
    problems = []
    if not MIN_LAYER <= draft.layer <= MAX_LAYER:
        problems.append(
            N_(
                "the layer must be {min_layer} to {max_layer}",
                min_layer=MIN_LAYER,
                max_layer=MAX_LAYER,
            )
        )
    if not SLUG.match(draft.topic):
        problems.append(
            N_("the topic must be a short word in lowercase, like 'hobbies' or 'work-style'")
        )
    problems += [
        N_("the text {issue}", issue=issue) for issue in text_issues(" ".join(draft.text.split()))
    ]
    if draft.example is not None and len(draft.example) > MAX_EXAMPLE_CHARS:
        problems.append(
            N_(
                "the example must be at most {max_example_chars} characters",
                max_example_chars=MAX_EXAMPLE_CHARS,
            )
        )
    return problems


def _refusal(problems: Sequence[str]) -> str:
    listed = "\n".join(f"• {p}" for p in problems)
    return N_(
        "I couldn't use that question yet. Please change this and try again:\n{listed}",
        listed=listed,
    )


def _new_id(draft: Draft, taken: set[str]) -> str:
    topic = re.sub(r"[^a-z0-9-]", "", draft.topic)[:24] or "general"
    number = 1
    while f"team-{draft.layer}-{topic}-{number:02d}" in taken:
        number += 1
    return f"team-{draft.layer}-{topic}-{number:02d}"


def _key(workspace: str, prompt_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        workspace_prompts.c.workspace == workspace, workspace_prompts.c.prompt_id == prompt_id
    )


def _columns(draft: Draft) -> dict[str, Any]:
    return {
        "layer": draft.layer,
        "topic": draft.topic,
        "text": " ".join(draft.text.split()),
        "hierarchy_safe": draft.hierarchy_safe,
        "example": (draft.example or "").strip() or None,
    }


async def _rows(conn: AsyncConnection, workspace: str, statuses: tuple[str, ...]) -> list[Any]:
    result = await conn.execute(
        sa.select(workspace_prompts)
        .where(workspace_prompts.c.workspace == workspace, workspace_prompts.c.status.in_(statuses))
        .order_by(workspace_prompts.c.layer, workspace_prompts.c.prompt_id)
    )
    return list(result)


def _prompt(row: Any) -> Prompt:
    return Prompt(row.prompt_id, row.layer, row.topic, row.text, row.hierarchy_safe, row.example)


def _as_yaml(prompt: Prompt) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": prompt.id,
        "layer": prompt.layer,
        "topic": prompt.topic,
        "text": prompt.text,
        "hierarchy_safe": prompt.hierarchy_safe,
    }
    if prompt.example:
        entry["example"] = prompt.example
    return entry


def _draft_problems(team: Bank, entries: Sequence[tuple[str, Bank]]) -> list[Problem]:
    """What the lint says about the draft (the team bank's last prompt, id `draft`)."""
    found = [p for p in prompt_problems(TEAM_BANK, team, TEAM) if p.prompt_id == "draft"]
    return found + [p for p in last_prompt_duplicates(entries) if p.prompt_id == "draft"]
