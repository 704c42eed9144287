"""Data rights: answer retention, forget-me and export.

- Retention: `RAPPORT_ANSWER_RETENTION_DAYS` after a round ended, the scheduler tick removes the
  answer texts and follow-up questions from its state (`current`, `history[]`, `follow_up`) and
  from the reveal and follow-up messages already sent. The round itself (status, depth, dates)
  stays for statistics.
- Forget me: the member leaves their open rounds (the others are told kindly as usual), then
  everything stored about them goes: settings, avoid entries, pair history, messages to them and
  their answers. Rounds they were in keep only that a member left: their key is replaced by a
  random placeholder that can't be traced back to them. Processed event ids stay (no personal
  data in them).
- Export: a JSON-able dict of what Rapport stores about a member, with their own answers and
  their own follow-up questions only.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.engine.bank import Bank
from bot.engine.model import DeliveryKind, RoundState, StepOutcome
from bot.i18n import N_
from bot.identity import Member
from bot.service.rounds import Outcome, RoundService
from bot.store import repository as repo
from bot.store.database import Database
from bot.store.tables import (
    avoid_pairs,
    lead_reports,
    members,
    outbox,
    pair_prompts,
    round_members,
    rounds,
    schedules,
    session_groups,
)

log = logging.getLogger(__name__)

FORGOTTEN_PREFIX = "forgotten"
UNSENT = ("pending", "sending")
# sent messages that carry content (answers or follow-up questions): retention empties them
CONTENT_KINDS = (
    DeliveryKind.REVEAL.value,
    DeliveryKind.FOLLOW_UP_QUESTIONS.value,
    DeliveryKind.FOLLOW_UP_REVEAL.value,
)
StateChange = Callable[[RoundState], RoundState]


def placeholder_key() -> str:
    """A neutral member key for someone who asked to be forgotten (random: not traceable)."""
    return f"{FORGOTTEN_PREFIX}:-:{secrets.token_hex(8)}"


def is_forgotten(member_key: str) -> bool:
    return member_key.startswith(FORGOTTEN_PREFIX + ":")


# --- pure transformations -------------------------------------------------------------------


def strip_answers(state: RoundState) -> RoundState:
    """The round without any answer text or follow-up question (retention)."""
    current = replace(state.current, answers={}, questions={}) if state.current else None
    history = tuple(replace(record, answers={}, questions={}) for record in state.history)
    return replace(state, current=current, history=history, follow_up=None)


def forget_in_state(state: RoundState, key: str, placeholder: str) -> RoundState:
    """The round with `key` replaced by `placeholder` and everything of theirs removed."""

    def swap(member_key: str) -> str:
        return placeholder if member_key == key else member_key

    def drop(mapping: Any) -> dict[str, Any]:
        return {k: v for k, v in mapping.items() if k != key}

    current = state.current
    if current is not None:
        current = replace(current, answers=drop(current.answers), questions=drop(current.questions))
    follow_up = state.follow_up
    if follow_up is not None:
        follow_up = replace(follow_up, asked=drop(follow_up.asked))
    check_in = state.check_in
    if check_in is not None:
        check_in = replace(check_in, choices=drop(check_in.choices))
    return replace(
        state,
        members=tuple(swap(m) for m in state.members),
        initiator=swap(state.initiator) if state.initiator else None,
        accepted=frozenset(swap(m) for m in state.accepted),
        current=current,
        history=tuple(
            replace(r, answers=drop(r.answers), questions=drop(r.questions)) for r in state.history
        ),
        ratings=drop(state.ratings),
        timezones=drop(state.timezones),
        follow_up=follow_up,
        check_in=check_in,
        keep_going=frozenset(swap(m) for m in state.keep_going),
    )


def forget_in_data(data: Any, key: str, placeholder: str) -> Any:
    """A JSON value with `key` replaced and `key`'s entries in answer lists removed."""
    if isinstance(data, dict):
        return {k: _forget_in_item(k, v, key, placeholder) for k, v in data.items()}
    if isinstance(data, list):
        return [forget_in_data(item, key, placeholder) for item in data]
    return placeholder if data == key else data


def _forget_in_item(name: str, value: Any, key: str, placeholder: str) -> Any:
    if name in ("answers", "questions") and isinstance(value, list):
        value = [a for a in value if not (isinstance(a, dict) and a.get("member") == key)]
    return forget_in_data(value, key, placeholder)


def strip_reveal_payload(data: dict[str, Any]) -> dict[str, Any]:
    """A sent reveal or follow-up message without the answers and questions it carried."""
    stripped = {
        name: [{**a, "text": ""} for a in data[name] if isinstance(a, dict)]
        for name in ("answers", "questions")
        if isinstance(data.get(name), list)
    }
    return {**data, **stripped, "answers_deleted": True}


# --- the service ----------------------------------------------------------------------------


class PrivacyService:
    """Retention (run by the scheduler tick), forget-me and export; see the module docstring."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        rounds_service: RoundService,
        retention: timedelta | None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.rounds = rounds_service
        self.retention = retention

    # --- retention --------------------------------------------------------------------------

    async def purge_expired_answers(self, limit: int = 200) -> int:
        """Remove the answers of rounds that ended more than `retention` ago; returns rounds."""
        if self.retention is None:
            return 0
        now = self.clock.now()
        async with self.db.transaction() as conn:
            round_ids = await self._past_retention(conn, now - self.retention, limit)
            for round_id in round_ids:
                await _rewrite_round(conn, round_id, strip_answers, answers_purged_at=now)
            await _rewrite_payloads(conn, _sent_reveals(round_ids), strip_reveal_payload)
        if round_ids:
            self.rounds.committer.cache.clear()
            log.info("retention: removed the answers of ended rounds: %d", len(round_ids))
        return len(round_ids)

    async def _past_retention(
        self, conn: AsyncConnection, cutoff: datetime, limit: int
    ) -> list[str]:
        # a reveal still waiting to go out keeps its round's answers until it has been sent
        unsent_reveal = (
            sa.select(outbox.c.id)
            .where(
                outbox.c.round_id == rounds.c.id,
                outbox.c.kind.in_(CONTENT_KINDS),
                outbox.c.status.in_(UNSENT),
            )
            .exists()
        )
        query = (
            sa.select(rounds.c.id)
            .where(
                rounds.c.answers_purged_at.is_(None),
                rounds.c.ended_at <= cutoff,
                ~unsent_reveal,
            )
            .order_by(rounds.c.ended_at)
            .limit(limit)
        )
        if not self.db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=rounds)
        return list((await conn.execute(query)).scalars())

    # --- forget me --------------------------------------------------------------------------

    async def forget_me(self, member: Member) -> Outcome:
        """Remove everything stored about `member`; their rounds keep only that someone left."""
        await self.rounds.leave_all(member)
        key, placeholder = member.key, placeholder_key()
        async with self.db.transaction() as conn:
            round_ids = await repo.round_ids_of(conn, key)
            for round_id in round_ids:
                await _rewrite_round(conn, round_id, lambda s: forget_in_state(s, key, placeholder))
            await conn.execute(
                round_members.update()
                .where(round_members.c.member_key == key)
                .values(member_key=placeholder)
            )
            await _forget_messages(conn, key, placeholder, round_ids)
            await _forget_member_rows(conn, key, placeholder)
        self.rounds.committer.cache.clear()
        log.info("forgot a member (rounds anonymised: %d)", len(round_ids))
        return Outcome(
            True,
            N_(
                "Done. I've deleted everything I stored about you: your settings, your answers "
                "and your messages. Rounds you were in now only show that someone left."
            ),
        )

    # --- export -----------------------------------------------------------------------------

    async def export(self, member: Member) -> dict[str, Any]:
        """Everything stored about `member`, as a JSON-able dict (never others' answers)."""
        key = member.key
        async with self.db.transaction() as conn:
            row = (await repo.member_rows(conn, [key])).get(key)
            avoided = await conn.execute(
                sa.select(avoid_pairs.c.avoided_key).where(avoid_pairs.c.member_key == key)
            )
            round_rows = await conn.execute(
                sa.select(rounds.c.state, rounds.c.answers_purged_at)
                .where(rounds.c.id.in_(await repo.round_ids_of(conn, key)))
                .order_by(rounds.c.created_at)
            )
            avoiding = [Member.from_key(k).user_id for k in avoided.scalars()]
            states = [(repo.decode_state(r.state), r.answers_purged_at) for r in round_rows]
        exported = [
            self._export_round(
                state,
                key,
                purged_at,
                await self.rounds.questions.bank_for(member.workspace, state.settings),
            )
            for state, purged_at in states
        ]
        return {
            "member": {
                "platform": member.platform,
                "workspace_id": member.workspace_id,
                "user_id": member.user_id,
            },
            "exported_at": _iso(self.clock.now()),
            "settings": _export_settings(row),
            "avoiding": avoiding,
            "rounds": exported,
        }

    def export_json(self, data: dict[str, Any]) -> str:
        """The export as the text of a JSON file."""
        return json.dumps(data, indent=2, ensure_ascii=False)

    def _export_round(
        self, state: RoundState, key: str, purged_at: datetime | None, bank: Bank | None
    ) -> dict[str, Any]:
        return {
            "round_id": state.id,
            "status": state.status.value,
            "layer": state.layer,
            "max_layer": state.settings.max_layer,
            "bank": state.settings.bank,
            "pace": state.settings.pace.value,
            "members": len(state.members),
            "started_at": _iso(state.created_at),
            "ended_at": _iso(state.ended_at),
            "your_rating": state.ratings.get(key),
            "answers_deleted_at": _iso(purged_at),
            "your_answers": self._own_answers(state, key, bank),
            "your_follow_up_questions": _own_questions(state, key),
        }

    def _own_answers(self, state: RoundState, key: str, bank: Bank | None) -> list[dict[str, Any]]:
        shown = (StepOutcome.REVEALED, StepOutcome.FOLLOWED_UP)
        steps: list[tuple[Any, bool]] = [(r, True) for r in state.history if r.outcome in shown]
        if state.current is not None:
            steps.append((state.current, False))
        answers = []
        for step, revealed in steps:
            answer = step.answers.get(key)
            if answer is None:
                continue
            prompt = bank.get(step.prompt_id) if bank and step.prompt_id else None
            answers.append(
                {
                    "step": step.number,
                    "layer": step.layer,
                    "prompt_id": step.prompt_id or None,
                    "prompt": prompt.text if prompt else None,
                    "follow_up": bool(step.questions),
                    "answer": answer.text,
                    "answered_at": _iso(answer.at),
                    "revealed": revealed,
                }
            )
        return answers


def _own_questions(state: RoundState, key: str) -> list[dict[str, Any]]:
    """The follow-up questions `key` asked (delivered, or still held in an open window)."""
    asked = [(r.number, r.questions) for r in state.history if r.questions]
    if state.current is not None and state.current.questions:
        asked.append((state.current.number, state.current.questions))
    if state.follow_up is not None:
        asked.append((state.follow_up.after_step, state.follow_up.asked))
    return [{"step": number, "question": q[key]} for number, q in asked if key in q]


# --- store helpers --------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _export_settings(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "opted_out": bool(row.opted_out),
        "paused_until": _iso(row.paused_until),
        "timezone": row.timezone,
        "language": row.language,
        "platform_language": row.platform_language,
        "dm_channel_id": row.dm_channel_id,
        "updated_at": _iso(row.updated_at),
    }


async def _rewrite_round(
    conn: AsyncConnection, round_id: str, change: StateChange, **columns: Any
) -> None:
    """Apply `change` to a round's state under a row lock, bumping its version."""
    loaded = await repo.load_round(conn, round_id)
    if loaded is None:
        return
    state, version = loaded
    await conn.execute(
        rounds.update()
        .where(rounds.c.id == round_id)
        .values(state=repo.encode_state(change(state)), version=version + 1, **columns)
    )


def _sent_reveals(round_ids: list[str]) -> sa.Select[Any]:
    return sa.select(outbox.c.id, outbox.c.payload).where(
        outbox.c.round_id.in_(round_ids),
        outbox.c.kind.in_(CONTENT_KINDS),
        outbox.c.status.not_in(UNSENT),
    )


async def _rewrite_payloads(
    conn: AsyncConnection, query: sa.Select[Any], change: Callable[[Any], Any]
) -> None:
    for row in list(await conn.execute(query)):
        data = json.loads(row.payload)
        changed = change(data)
        if changed != data:
            await conn.execute(
                outbox.update().where(outbox.c.id == row.id).values(payload=json.dumps(changed))
            )


async def _forget_messages(
    conn: AsyncConnection, key: str, placeholder: str, round_ids: list[str]
) -> None:
    await conn.execute(outbox.delete().where(outbox.c.member_key == key))
    mentioning = sa.select(outbox.c.id, outbox.c.payload).where(
        sa.or_(outbox.c.round_id.in_(round_ids), outbox.c.payload.contains(key, autoescape=True))
    )
    await _rewrite_payloads(conn, mentioning, lambda d: forget_in_data(d, key, placeholder))


async def _forget_member_rows(conn: AsyncConnection, key: str, placeholder: str) -> None:
    await conn.execute(members.delete().where(members.c.member_key == key))
    await conn.execute(lead_reports.delete().where(lead_reports.c.lead_key == key))
    await conn.execute(
        avoid_pairs.delete().where(
            sa.or_(avoid_pairs.c.member_key == key, avoid_pairs.c.avoided_key == key)
        )
    )
    await conn.execute(
        pair_prompts.delete().where(
            sa.or_(
                pair_prompts.c.pair_key.startswith(key + "|", autoescape=True),
                pair_prompts.c.pair_key.endswith("|" + key, autoescape=True),
            )
        )
    )
    await conn.execute(
        schedules.update().where(schedules.c.created_by == key).values(created_by=placeholder)
    )
    groups = await conn.execute(
        sa.select(session_groups).where(session_groups.c.member_keys.contains(key, autoescape=True))
    )
    for group in list(groups):
        scrubbed = json.dumps(forget_in_data(json.loads(group.member_keys), key, placeholder))
        await conn.execute(
            session_groups.update()
            .where(
                session_groups.c.schedule_id == group.schedule_id,
                session_groups.c.occurrence == group.occurrence,
                session_groups.c.group_no == group.group_no,
            )
            .values(member_keys=scrubbed)
        )
