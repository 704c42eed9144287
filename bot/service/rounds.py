"""The round service: load a round, apply the engine, save state and outbox in one transaction.

Adapters call this with platform-neutral members and engine commands. Each call is one database
transaction: the new round state and every message it causes are committed together, and an
inbound event id is recorded in the same transaction so a platform retry changes nothing.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.engine.bank import Bank
from bot.engine.follow_ups import askable
from bot.engine.model import (
    Command,
    Decision,
    Leave,
    Rejected,
    RoundSettings,
    RoundState,
    RoundStatus,
    SubmitAnswer,
    Tick,
)
from bot.engine.presets import PaceChoice
from bot.engine.rules import answerable, decide, start_round, step_text
from bot.engine.together import continue_round
from bot.i18n import N_, N_plural
from bot.identity import Member
from bot.service.committer import Batch, Duplicate, GroupCommitter, Work
from bot.service.team_questions import TeamQuestions
from bot.service.workspaces import WorkspaceSettings, WorkspaceSettingsService
from bot.store import departures
from bot.store import repository as repo
from bot.store.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What to tell the member who acted (ephemerally); deliveries go through the outbox."""

    ok: bool
    message: str
    round_id: str | None = None
    code: str | None = None
    duplicate: bool = False


@dataclass(frozen=True)
class OpenPrompt:
    """The prompt a member is about to answer (shown in full in a modal)."""

    round_id: str
    step: int
    text: str
    layer: int
    follow_up: bool = False  # the questions the others asked, not a prompt from the bank
    example: str | None = None  # the bank prompt's example answer ("See an example")
    bank: str = ""  # with `prompt_id`: where a reader of another language finds its translation
    prompt_id: str = ""


@dataclass(frozen=True)
class OpenFollowUp:
    """The reveal a member is about to ask a follow-up question on (shown in the form)."""

    round_id: str
    step: int
    prompt_text: str
    bank: str = ""  # with `prompt_id`: where a reader of another language finds its translation
    prompt_id: str = ""


@dataclass(frozen=True)
class RoundSummary:
    """A content-free view of a round for status commands and App Home."""

    round_id: str
    status: RoundStatus
    others: tuple[str, ...]
    layer: int
    max_layer: int
    revealed: int
    waiting_on_you: bool
    waiting_on_others: int


@dataclass(frozen=True)
class SessionGroupStart:
    members: tuple[Member, ...]
    ref: repo.GroupRef  # (schedule id, occurrence, group number)
    hierarchy_safe_only: bool = False


@dataclass
class StartContext:
    """What starting rounds needs to know about their members, fetched in three queries."""

    rows: dict[str, Any]
    open_sets: set[frozenset[str]]
    seen: dict[str, set[str]]

    @classmethod
    async def load(
        cls,
        conn: AsyncConnection,
        keys: Sequence[str],
        groups: Sequence[Sequence[str]] | None = None,
    ) -> StartContext:
        """`groups` (default: `keys` as one group) are the rounds to start: only pairs within
        a group are asked about, not every pair among a chunk's hundreds of members."""
        pairs = {p for group in (groups or [keys]) for p in repo.pair_keys(group)}
        return cls(
            rows=await repo.member_rows(conn, keys),
            open_sets=await repo.open_member_sets(conn, keys),
            seen=await repo.prompts_seen_by_pairs(conn, sorted(pairs)),
        )

    def seen_by(self, keys: Sequence[str]) -> frozenset[str]:
        """Prompts any pair within this group was asked before: never asked again."""
        return frozenset(p for pair in repo.pair_keys(keys) for p in self.seen.get(pair, ()))


class RoundService:
    def __init__(
        self,
        db: Database,
        banks: Mapping[str, Bank],
        clock: Clock,
        defaults: WorkspaceSettings | None = None,
        on_enqueued: Callable[[], None] = lambda: None,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex[:16],
    ) -> None:
        self.db = db
        self.banks = banks
        self.clock = clock
        defaults = defaults or WorkspaceSettings()
        self.workspaces = WorkspaceSettingsService(db, clock, defaults, banks)
        self.questions = TeamQuestions(db, clock, banks, self.workspaces)
        self._new_id = new_id
        self.committer = GroupCommitter(db, clock, on_enqueued)

    # --- starting ---------------------------------------------------------------------------

    async def start_round(
        self,
        members: Sequence[Member],
        *,
        initiator: Member | None,
        bank: str | None = None,
        pace: PaceChoice | None = None,
        max_layer: int | None = None,
        hierarchy_safe_only: bool = False,
        event_key: str | None = None,
    ) -> Outcome:
        """Invite members to a new round (a slash command, or a lead pairing two others).

        What the starter didn't choose follows the workspace's settings, frozen into the round."""
        try:
            self._check_workspace(members)
            settings = await self._settings(
                members[0].workspace, bank, pace, max_layer, hierarchy_safe_only
            )
        except Rejected as rejected:
            return Outcome(False, rejected.message, code=rejected.code)
        round_id = self._new_id()

        async def start(batch: Batch) -> Decision:
            context = await StartContext.load(batch.conn, [m.key for m in members])
            decision = self._decide_start(
                context, batch.now, round_id, members, initiator, settings
            )
            await batch.insert_rounds([(decision.state, members[0].workspace, None)])
            batch.record(decision, previous=None)
            return decision

        return await self._submit(start, event_key, round_id)

    async def start_session_groups(
        self,
        groups: Sequence[SessionGroupStart],
        *,
        bank: str | None,
        pace: PaceChoice | None,
        max_layer: int | None,
    ) -> list[Outcome]:
        """Start one round per session group in one transaction, with a handful of statements.

        Each group's round is linked to the group in that transaction, and groups that already
        have a round are left alone, so running a session again never invites twice.
        """
        try:
            for group in groups:
                self._check_workspace(group.members)
            workspaces = {g.members[0].workspace for g in groups}
            if len(workspaces) > 1:
                raise Rejected("bad_members", N_("A session's groups must share one workspace."))
            workspace = workspaces.pop() if workspaces else ""
            plain = await self._settings(workspace, bank, pace, max_layer, False)
            safe = await self._settings(workspace, bank, pace, max_layer, True)
        except Rejected as rejected:
            return [Outcome(False, rejected.message, code=rejected.code) for _ in groups]

        async def start_all(batch: Batch) -> list[Outcome]:
            keys = [m.key for g in groups for m in g.members]
            context = await StartContext.load(
                batch.conn, keys, [[m.key for m in g.members] for g in groups]
            )
            free = await repo.unlinked_groups(batch.conn, [g.ref for g in groups])
            outcomes, started = [], []
            for group in groups:
                if group.ref not in free:
                    outcomes.append(Outcome(False, N_("Already started."), code="already_started"))
                    continue
                round_id = self._new_id()
                settings = safe if group.hierarchy_safe_only else plain
                try:
                    decision = self._decide_start(
                        context, batch.now, round_id, group.members, None, settings
                    )
                except Rejected as rejected:
                    outcomes.append(Outcome(False, rejected.message, round_id, rejected.code))
                    continue
                context.open_sets.add(frozenset(decision.state.members))
                batch.record(decision, previous=None)
                started.append((group, decision.state))
                outcomes.append(Outcome(True, "", round_id))
            await repo.link_group_rounds(batch.conn, [(g.ref, st.id) for g, st in started])
            await batch.insert_rounds([(st, g.members[0].workspace, g.ref[0]) for g, st in started])
            return outcomes

        outcomes = await self.committer.run_alone(start_all)
        for outcome in outcomes:  # after the commit: these rounds and invitations now exist
            if outcome.ok:
                log.info("round %s now invited at layer 1", outcome.round_id)
        return outcomes

    async def _settings(
        self,
        workspace: str,
        bank: str | None,
        pace: PaceChoice | None,
        max_layer: int | None,
        hierarchy_safe_only: bool,
    ) -> RoundSettings:
        if bank is not None and not self.questions.has_bank(bank):
            available = ", ".join(self.questions.bank_names()) or "none"
            raise Rejected(
                "unknown_bank",
                N_(
                    "There's no question bank called '{bank}'. Available: {available}.",
                    bank=bank,
                    available=available,
                ),
            )
        chosen = await self.workspaces.settings_of(workspace)
        settings = chosen.round_settings(
            bank=bank, pace=pace, max_layer=max_layer, hierarchy_safe_only=hierarchy_safe_only
        )
        if not self.questions.has_bank(settings.bank):
            raise Rejected(
                "bank_missing",
                N_(
                    "Your team's question bank '{bank}' is no longer installed: a lead can choose "
                    "another with /rapport settings.",
                    bank=settings.bank,
                ),
            )
        return settings

    @staticmethod
    def _check_workspace(members: Sequence[Member]) -> None:
        if not members or len({m.workspace for m in members}) != 1:
            raise Rejected("bad_members", N_("Everyone in a round must be in the same workspace."))

    def _decide_start(
        self,
        context: StartContext,
        now: datetime,
        round_id: str,
        members: Sequence[Member],
        initiator: Member | None,
        settings: RoundSettings,
    ) -> Decision:
        keys = [m.key for m in members]
        for member in members:
            row = context.rows.get(member.key)
            if member == initiator or row is None:
                continue
            if row.opted_out or (row.paused_until is not None and row.paused_until > now):
                raise Rejected("unavailable", N_("They aren't taking part in rounds right now."))
        if frozenset(keys) in context.open_sets:
            raise Rejected("already_running", N_("You already have a round going together."))
        seen = context.seen_by(keys)
        return start_round(
            round_id=round_id,
            members=keys,
            settings=settings,
            now=now,
            seed=random.SystemRandom().randrange(2**31),
            initiator=initiator.key if initiator else None,
            excluded_prompts=seen,
            first_round=not seen,
            timezones={
                k: context.rows[k].timezone
                for k in keys
                if k in context.rows and context.rows[k].timezone
            },
        )

    # --- acting on a round ------------------------------------------------------------------

    async def act(self, round_id: str, command: Command, event_key: str | None = None) -> Outcome:
        """Apply a member's command (or the scheduler's Tick) to one round."""

        async def apply(batch: Batch) -> Decision:
            return await self._decide(batch, round_id, command)

        return await self._submit(apply, event_key, round_id)

    async def _decide(self, batch: Batch, round_id: str, command: Command) -> Decision:
        loaded = await batch.load_round(round_id)
        if loaded is None:
            raise Rejected("unknown_round", N_("I couldn't find that round, so nothing changed."))
        state, version = loaded
        bank = await self._bank_for(state, batch.conn)
        decision = decide(state, command, batch.now, bank)
        await batch.update_round(decision.state, version)
        batch.record(decision, previous=state)
        if decision.keep_going:
            await self._keep_going(batch, decision.state, version, bank)
        return decision

    async def _keep_going(self, batch: Batch, state: RoundState, version: int, bank: Bank) -> None:
        """Everyone chose to keep going: the next round starts in this same transaction,
        without an invitation, unless they already have a round going together."""
        keys = list(state.members)
        context = await StartContext.load(batch.conn, keys)
        if frozenset(keys) in context.open_sets:
            return
        old, started = continue_round(
            state,
            round_id=self._new_id(),
            settings=state.settings,
            now=batch.now,
            seed=random.SystemRandom().randrange(2**31),
            excluded_prompts=context.seen_by(keys),
            bank=bank,
        )
        await batch.update_round(old, version)
        await batch.insert_rounds([(started.state, Member.from_key(keys[0]).workspace, None)])
        batch.record(started, previous=None)

    async def answer_from_dm(self, member: Member, text: str, event_key: str | None) -> Outcome:
        """A plain DM reply answers the one prompt waiting for this member's answer."""
        return await self._answer_waiting([member.key], text, event_key)

    async def answer_from_user_dm(
        self, platform: str, user_id: str, text: str, event_key: str | None
    ) -> Outcome:
        """Like `answer_from_dm` where a DM belongs to no workspace (Discord): the user's open
        rounds in every workspace count."""
        async with self.db.transaction() as conn:
            keys = await repo.open_member_keys_of_user(conn, platform, user_id)
        return await self._answer_waiting(keys, text, event_key)

    async def _answer_waiting(
        self, member_keys: Sequence[str], text: str, event_key: str | None
    ) -> Outcome:
        async def apply(batch: Batch) -> Decision:
            waiting = [
                (state, key)
                for state in await batch.open_rounds_of(member_keys)
                for key in member_keys
                if key in state.members
                and state.current is not None
                and key not in state.current.answers
                and state.status is RoundStatus.ACTIVE
            ]
            if not waiting:
                raise Rejected(
                    "no_prompt",
                    N_(
                        "There's no prompt waiting for your answer right now. Type `/rapport "
                        "help` to "
                        "see what I can do."
                    ),
                )
            if len(waiting) > 1:
                raise Rejected(
                    "ambiguous",
                    N_(
                        "You have prompts open in {waiting} rounds. Please use the Answer button "
                        "on the "
                        "one you mean.",
                        waiting=len(waiting),
                    ),
                )
            state, member_key = waiting[0]
            assert state.current is not None
            command = SubmitAnswer(member_key, text, step=state.current.number)
            return await self._decide(batch, state.id, command)

        return await self._submit(apply, event_key, None, members=member_keys)

    async def leave_all(self, member: Member, event_key: str | None = None) -> Outcome:
        async with self.db.transaction() as conn:
            round_ids = await repo.open_round_ids(conn, member.key)
        if not round_ids:
            return Outcome(False, N_("You're not in any round right now."), code="no_round")
        for round_id in round_ids:
            key = f"{event_key}:{round_id}" if event_key else None
            await self.act(round_id, Leave(member.key), key)
        left = N_plural("{count} round", "{count} rounds", len(round_ids))
        return Outcome(True, N_("You've left {rounds}. Thanks for taking part.", rounds=left))

    async def end_workspace_rounds(self, workspace: str) -> int:
        """End every open round of a workspace that removed Rapport; returns how many.

        Each ends by the engine's Leave rule, but queues none of its messages: the workspace's
        tokens are gone, so nobody there can be reached any more."""

        async def end_all(batch: Batch) -> int:
            round_ids = await departures.open_round_ids_in(batch.conn, workspace)
            for round_id in round_ids:
                loaded = await batch.load_round(round_id)
                if loaded is None:
                    continue
                state, version = loaded
                bank = await self._bank_for(state, batch.conn)
                decision = decide(state, Leave(state.members[0]), batch.now, bank)
                await batch.update_round(decision.state, version)
                batch.record(replace(decision, deliveries=()), previous=state)
            return len(round_ids)

        return await self.committer.run_alone(end_all)

    async def run_due(self, limit: int = 500) -> int:
        """The scheduler tick: apply Tick to every round whose deadline has passed."""
        async with self.db.transaction() as conn:
            due = await repo.due_round_ids(conn, self.clock.now(), limit)
        for round_id in due:
            await self.act(round_id, Tick())
        return len(due)

    # --- the unit of work -------------------------------------------------------------------

    async def _submit(
        self,
        work: Work,
        event_key: str | None,
        round_id: str | None,
        members: Sequence[str] = (),
    ) -> Outcome:
        rounds = [round_id] if round_id else []
        result = await self.committer.submit(event_key, work, rounds=rounds, members=members)
        if isinstance(result, Duplicate):
            return Outcome(True, N_("Already done."), round_id, "duplicate", duplicate=True)
        if isinstance(result, Rejected):
            log.info("rejected %s on round %s", result.code, round_id or "-")
            return Outcome(False, result.message, round_id, result.code)
        state = result.state
        log.debug("round %s now %s at layer %d", state.id, state.status.value, state.layer)
        return Outcome(True, result.reply or "", state.id)

    async def _bank_for(self, state: RoundState, conn: AsyncConnection | None = None) -> Bank:
        workspace = Member.from_key(state.members[0]).workspace
        bank = await self.questions.bank_for(workspace, state.settings, conn)
        if bank is None:
            raise Rejected("bank_missing", N_("This round's question bank is no longer installed."))
        return bank

    async def prompt_text(self, state: RoundState, prompt_id: str) -> str | None:
        """A prompt's text as this round's members saw it (shipped or the team's own)."""
        bank = await self.questions.bank_for(
            Member.from_key(state.members[0]).workspace, state.settings
        )
        prompt = bank.get(prompt_id) if bank else None
        return prompt.text if prompt else None

    # --- reading ----------------------------------------------------------------------------

    async def summaries(self, member: Member) -> list[RoundSummary]:
        async with self.db.transaction() as conn:
            states = await repo.load_states(conn, await repo.open_round_ids(conn, member.key))
        return [_summary(s, member.key) for s in states]

    async def workspaces_of(self, round_ids: Sequence[str]) -> dict[str, str]:
        """Each known round's workspace (a DM interaction names its round, not its server)."""
        async with self.db.read() as conn:
            return await repo.round_workspaces(conn, round_ids)

    async def load(self, round_id: str) -> RoundState | None:
        async with self.db.read() as conn:
            states = await repo.load_states(conn, [round_id])
        return states[0] if states else None

    async def open_prompt(self, round_id: str, member: Member, step: int | None) -> OpenPrompt:
        """The prompt `member` may answer now, for an answer form; raises Rejected if none."""
        state = await self.load(round_id)
        if state is None:
            raise Rejected("unknown_round", N_("I couldn't find that round, so nothing changed."))
        current = answerable(state, member.key, step)
        bank = await self._bank_for(state)
        text = step_text(current, member.key, bank)
        prompt = None if current.is_follow_up else bank.get(current.prompt_id)
        return OpenPrompt(
            state.id,
            current.number,
            text,
            current.layer,
            current.is_follow_up,
            prompt.example if prompt else None,
            state.settings.bank,
            "" if current.is_follow_up else current.prompt_id,  # follow-ups have no translation
        )

    async def open_follow_up(self, round_id: str, member: Member, step: int | None) -> OpenFollowUp:
        """The reveal `member` may ask a follow-up on now, for the form; raises Rejected."""
        state = await self.load(round_id)
        if state is None:
            raise Rejected("unknown_round", N_("I couldn't find that round, so nothing changed."))
        window = askable(state, member.key, step)
        revealed = next((r for r in state.history if r.number == window.after_step), None)
        prompt = await self.prompt_text(state, revealed.prompt_id) if revealed else None
        return OpenFollowUp(
            state.id,
            window.after_step,
            prompt or "",
            state.settings.bank,
            revealed.prompt_id if revealed else "",
        )


def _summary(state: RoundState, member_key: str) -> RoundSummary:
    current = state.current
    answered = set(current.answers) if current else set(state.members)
    return RoundSummary(
        round_id=state.id,
        status=state.status,
        others=state.others(member_key),
        layer=state.layer,
        max_layer=state.depth_cap,
        revealed=state.revealed_count,
        waiting_on_you=current is not None and member_key not in answered,
        waiting_on_others=sum(1 for m in state.others(member_key) if m not in answered),
    )
