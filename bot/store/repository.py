"""Queries the service runs inside its transactions. Every function takes the open connection."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import combinations
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.engine.model import Delivery, MemberKey, RoundState
from bot.identity import Member
from bot.store.bulk import any_of, insert_rows, is_postgresql
from bot.store.tables import (
    UTCDateTime,
    members,
    outbox,
    pair_prompts,
    processed_events,
    round_members,
    rounds,
    session_groups,
)

_STATE = TypeAdapter(RoundState)


class ConcurrentUpdate(Exception):
    """Another transaction changed the round first; the caller retries from a fresh read."""


def encode_state(state: RoundState) -> str:
    return _STATE.dump_json(state).decode()


def decode_state(raw: str) -> RoundState:
    return _STATE.validate_json(raw)


# --- idempotency ----------------------------------------------------------------------------


async def claim_events(conn: AsyncConnection, keys: list[str], now: datetime) -> set[str]:
    """Record platform event ids; returns those seen for the first time (retries are not).

    An executemany with RETURNING: SQLAlchemy sends it as few multi-row INSERTs, from one
    cached statement (a `.values([...])` of N rows would be compiled anew for every batch).
    """
    statement = (
        dialect_insert(conn)(processed_events)
        .on_conflict_do_nothing(index_elements=["event_key"])
        .returning(processed_events.c.event_key)
    )
    rows = [{"event_key": key, "processed_at": now} for key in dict.fromkeys(keys)]
    return set((await conn.execute(statement, rows)).scalars())


async def unclaim_events(conn: AsyncConnection, keys: list[str]) -> None:
    await conn.execute(processed_events.delete().where(processed_events.c.event_key.in_(keys)))


def dialect_insert(conn: AsyncConnection) -> Any:
    return postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert


# --- rounds ---------------------------------------------------------------------------------


async def load_round(conn: AsyncConnection, round_id: str) -> tuple[RoundState, int] | None:
    query = sa.select(rounds.c.state, rounds.c.version).where(rounds.c.id == round_id)
    row = (await conn.execute(query.with_for_update())).first()
    if row is None:
        return None
    return decode_state(row.state), row.version


async def load_rounds(
    conn: AsyncConnection, round_ids: Sequence[str]
) -> dict[str, tuple[RoundState, int]]:
    """(state, version) by round id, locked until the transaction ends (one query)."""
    if not round_ids:
        return {}
    query = sa.select(rounds.c.id, rounds.c.state, rounds.c.version).where(
        any_of(conn, rounds.c.id, round_ids)
    )
    return {
        row.id: (decode_state(row.state), row.version)
        for row in await conn.execute(query.with_for_update())
    }


async def insert_rounds(
    conn: AsyncConnection, items: Sequence[tuple[RoundState, str, str | None]]
) -> None:
    """Insert new rounds and their member rows: two statements (COPYs on PostgreSQL)."""
    if not items:
        return
    await insert_rows(
        conn,
        rounds,
        [
            {
                "id": state.id,
                "status": state.status.value,
                "due_at": state.due_at,
                "version": 1,
                "state": encode_state(state),
                "workspace": workspace,
                "created_at": state.created_at,
                "updated_at": state.created_at,
                "schedule_id": schedule_id,
            }
            for state, workspace, schedule_id in items
        ],
    )
    await insert_rows(
        conn,
        round_members,
        [
            {"round_id": state.id, "member_key": m, "open": True}
            for state, _, _ in items
            for m in state.members
        ],
    )


async def open_member_sets(
    conn: AsyncConnection, member_keys: Iterable[MemberKey]
) -> set[frozenset[MemberKey]]:
    """The member sets of the open rounds any of these members is in (one query)."""
    mine = round_members.alias("mine")
    query = (
        sa.select(round_members.c.round_id, round_members.c.member_key)
        .join(mine, mine.c.round_id == round_members.c.round_id)
        .where(any_of(conn, mine.c.member_key, list(member_keys)), mine.c.open.is_(True))
    )
    by_round: dict[str, set[str]] = {}
    for round_id, member_key in await conn.execute(query):
        by_round.setdefault(round_id, set()).add(member_key)
    return {frozenset(keys) for keys in by_round.values()}


async def prompts_seen_by_pairs(
    conn: AsyncConnection, pair_keys: Sequence[str]
) -> dict[str, set[str]]:
    """Prompt ids each of these pairs (`pair_keys`) has been asked, by pair key (one query)."""
    seen: dict[str, set[str]] = {}
    if not pair_keys:
        return seen
    query = sa.select(pair_prompts.c.pair_key, pair_prompts.c.prompt_id)
    for pair_key, prompt_id in await conn.execute(
        query.where(any_of(conn, pair_prompts.c.pair_key, pair_keys))
    ):
        seen.setdefault(pair_key, set()).add(prompt_id)
    return seen


_UPDATE_ROUND = (
    rounds.update()
    .where(rounds.c.id == sa.bindparam("r_id"), rounds.c.version == sa.bindparam("r_stored"))
    .values(
        status=sa.bindparam("r_status"),
        due_at=sa.bindparam("r_due_at", type_=UTCDateTime()),
        version=sa.bindparam("r_version"),
        state=sa.bindparam("r_state"),
        updated_at=sa.bindparam("r_now", type_=UTCDateTime()),
        ended_at=sa.bindparam("r_ended_at", type_=UTCDateTime()),
    )
)


async def update_rounds(
    conn: AsyncConnection, items: Sequence[tuple[RoundState, int, int]], now: datetime
) -> None:
    """Write (state, version stored now, new version) for each round, checking the stored
    version; raises ConcurrentUpdate if another transaction changed one of them first.

    One statement however many rounds: an executemany on SQLite (whose row counts add up), an
    UPDATE … FROM unnest(arrays) RETURNING on PostgreSQL (asyncpg reports no executemany row
    count).
    """
    if not items:
        return
    rows = [
        {
            "r_id": state.id,
            "r_stored": stored,
            "r_status": state.status.value,
            "r_due_at": state.due_at,
            "r_version": version,
            "r_state": encode_state(state),
            "r_now": now,
            "r_ended_at": state.ended_at,
        }
        for state, stored, version in items
    ]
    if conn.dialect.supports_sane_multi_rowcount:
        updated = (await conn.execute(_UPDATE_ROUND, rows)).rowcount
    else:
        columns = {name: [row[f"r_{name}"] for row in rows] for name in _STAGED}
        updated = len((await conn.execute(_UPDATE_FROM_ARRAYS, {**columns, "now": now})).all())
    if updated != len(rows):
        raise ConcurrentUpdate(", ".join(state.id for state, _, _ in items))
    ended = [state.id for state, _, _ in items if not state.status.is_open]
    if ended:
        await conn.execute(
            round_members.update().where(round_members.c.round_id.in_(ended)).values(open=False)
        )


_STAGED = ("id", "stored", "status", "due_at", "version", "state", "ended_at")
# PostgreSQL: one statement text whatever the batch size, so it is compiled and prepared once
_UPDATE_FROM_ARRAYS = sa.text(
    """
    UPDATE rounds SET status = staged.status, due_at = staged.due_at,
        version = staged.version, state = staged.state, updated_at = :now,
        ended_at = staged.ended_at
    FROM unnest(:id, :stored, :status, :due_at, :version, :state, :ended_at)
        AS staged(id, stored, status, due_at, version, state, ended_at)
    WHERE rounds.id = staged.id AND rounds.version = staged.stored
    RETURNING rounds.id
    """
).bindparams(
    sa.bindparam("id", type_=postgresql.ARRAY(sa.String())),
    sa.bindparam("stored", type_=postgresql.ARRAY(sa.Integer())),
    sa.bindparam("status", type_=postgresql.ARRAY(sa.String())),
    sa.bindparam("due_at", type_=postgresql.ARRAY(UTCDateTime())),
    sa.bindparam("version", type_=postgresql.ARRAY(sa.Integer())),
    sa.bindparam("state", type_=postgresql.ARRAY(sa.Text())),
    sa.bindparam("ended_at", type_=postgresql.ARRAY(UTCDateTime())),
    sa.bindparam("now", type_=UTCDateTime()),
)


async def open_round_ids(conn: AsyncConnection, member_key: MemberKey) -> list[str]:
    query = (
        sa.select(round_members.c.round_id)
        .where(round_members.c.member_key == member_key, round_members.c.open.is_(True))
        .order_by(round_members.c.round_id)
    )
    return list((await conn.execute(query)).scalars())


async def open_round_ids_of(
    conn: AsyncConnection, member_keys: Sequence[MemberKey]
) -> dict[MemberKey, list[str]]:
    """Open round ids by member, for many members in one query."""
    query = (
        sa.select(round_members.c.member_key, round_members.c.round_id)
        .where(
            any_of(conn, round_members.c.member_key, member_keys), round_members.c.open.is_(True)
        )
        .order_by(round_members.c.round_id)
    )
    found: dict[MemberKey, list[str]] = {}
    for member_key, round_id in await conn.execute(query):
        found.setdefault(member_key, []).append(round_id)
    return found


async def open_member_keys_of_user(
    conn: AsyncConnection, platform: str, user_id: str
) -> list[MemberKey]:
    """The user's member keys (one per workspace) that have an open round.

    For platforms whose DMs belong to no workspace (Discord): a DM reply names only the user.
    """
    pattern = f"{_like_literal(platform)}:%:{_like_literal(user_id)}"
    query = (
        sa.select(round_members.c.member_key)
        .where(round_members.c.open.is_(True), round_members.c.member_key.like(pattern, "\\"))
        .distinct()
    )
    keys = (await conn.execute(query)).scalars()
    mine = (Member.from_key(k) for k in keys)
    return sorted(m.key for m in mine if (m.platform, m.user_id) == (platform, user_id))


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def round_ids_of(conn: AsyncConnection, member_key: MemberKey) -> list[str]:
    query = sa.select(round_members.c.round_id).where(round_members.c.member_key == member_key)
    return list((await conn.execute(query)).scalars())


async def round_workspaces(conn: AsyncConnection, round_ids: Sequence[str]) -> dict[str, str]:
    """Each round's workspace ("discord:123"), without reading its state."""
    query = sa.select(rounds.c.id, rounds.c.workspace).where(rounds.c.id.in_(list(round_ids)))
    return {row.id: row.workspace for row in await conn.execute(query)}


async def load_states(conn: AsyncConnection, round_ids: Sequence[str]) -> list[RoundState]:
    if not round_ids:
        return []
    query = (
        sa.select(rounds.c.state).where(rounds.c.id.in_(round_ids)).order_by(rounds.c.created_at)
    )
    return [decode_state(raw) for raw in (await conn.execute(query)).scalars()]


async def due_round_ids(conn: AsyncConnection, now: datetime, limit: int) -> list[str]:
    query = (
        sa.select(rounds.c.id)
        .where(rounds.c.due_at.is_not(None), rounds.c.due_at <= now)
        .order_by(rounds.c.due_at)
        .limit(limit)
    )
    return list((await conn.execute(query)).scalars())


# --- pair history ---------------------------------------------------------------------------


def pair_keys(member_keys: Iterable[MemberKey]) -> list[str]:
    return ["|".join(pair) for pair in combinations(sorted(member_keys), 2)]


async def remember_prompts(
    conn: AsyncConnection, asked: Iterable[tuple[Iterable[MemberKey], Iterable[str]]]
) -> None:
    """Record, for every pair of each group, the prompts it has now been asked."""
    rows = [
        {"pair_key": key, "prompt_id": prompt_id}
        for member_keys, prompt_ids in asked
        for key in pair_keys(member_keys)
        for prompt_id in prompt_ids
    ]
    await insert_rows(conn, pair_prompts, rows)


# --- members --------------------------------------------------------------------------------


async def member_rows(conn: AsyncConnection, keys: Iterable[MemberKey]) -> dict[str, Any]:
    query = sa.select(members).where(any_of(conn, members.c.member_key, list(keys)))
    return {row.member_key: row for row in await conn.execute(query)}


async def member_languages(
    conn: AsyncConnection, keys: Sequence[MemberKey]
) -> dict[MemberKey, tuple[str | None, str | None]]:
    """Each stored member's (chosen language, platform language), in one statement."""
    query = sa.select(members.c.member_key, members.c.language, members.c.platform_language).where(
        members.c.member_key.in_(list(keys))
    )
    return {
        row.member_key: (row.language, row.platform_language) for row in await conn.execute(query)
    }


async def set_platform_languages(
    conn: AsyncConnection, observed: Mapping[Member, str], now: datetime
) -> None:
    """Store the languages platforms reported for these members, in one statement: an insert
    that updates the members already stored (another process may be adding them meanwhile)."""
    insert = dialect_insert(conn)(members)
    rows = [
        {
            "member_key": m.key,
            "platform": m.platform,
            "workspace_id": m.workspace_id,
            "user_id": m.user_id,
            "opted_out": False,
            "platform_language": language,
            "updated_at": now,
        }
        for m, language in observed.items()
    ]
    await conn.execute(
        insert.on_conflict_do_update(
            index_elements=[members.c.member_key],
            set_={
                "platform_language": insert.excluded.platform_language,
                "updated_at": insert.excluded.updated_at,
            },
        ),
        rows,
    )


async def upsert_member(
    conn: AsyncConnection, member: Member, now: datetime, **values: Any
) -> None:
    updated = await conn.execute(
        members.update().where(members.c.member_key == member.key).values(updated_at=now, **values)
    )
    if updated.rowcount == 0:
        await conn.execute(
            members.insert().values(
                member_key=member.key,
                platform=member.platform,
                workspace_id=member.workspace_id,
                user_id=member.user_id,
                updated_at=now,
                **{"opted_out": False, **values},
            )
        )


# --- outbox ---------------------------------------------------------------------------------


async def enqueue(
    conn: AsyncConnection, deliveries: Iterable[tuple[str | None, Delivery]], now: datetime
) -> int:
    """Queue (round id, delivery) pairs for the dispatcher in one statement (a COPY on
    PostgreSQL)."""
    rows = [
        {
            "platform": Member.from_key(d.to).platform,
            "member_key": d.to,
            "round_id": round_id,
            "kind": d.kind.value,
            "payload": json.dumps(dict(d.data)),
            "status": "pending",
            "attempts": 0,
            "not_before": d.not_before,
            "next_attempt_at": max(now, d.not_before) if d.not_before else now,
            "created_at": now,
        }
        for round_id, d in deliveries
    ]
    await insert_rows(conn, outbox, rows)
    return len(rows)


async def cancel_reminders(
    conn: AsyncConnection, round_id: str, keep_for: Iterable[MemberKey], step: int | None
) -> None:
    """Drop queued reminders nobody is owed any more (they answered, or the prompt changed)."""
    pending = await conn.execute(
        sa.select(outbox.c.id, outbox.c.member_key, outbox.c.payload).where(
            outbox.c.round_id == round_id,
            outbox.c.kind == "reminder",
            outbox.c.status == "pending",
        )
    )
    keep = set(keep_for)
    stale = [
        row.id
        for row in pending
        if row.member_key not in keep or json.loads(row.payload).get("step") != step
    ]
    if stale:
        await conn.execute(outbox.update().where(outbox.c.id.in_(stale)).values(status="cancelled"))


GroupRef = tuple[str, datetime, int]  # (schedule id, occurrence, group number)


async def unlinked_groups(conn: AsyncConnection, groups: Sequence[GroupRef]) -> set[GroupRef]:
    """The session groups that have no round yet, locked until the transaction ends."""
    if not groups:
        return set()
    schedule_id, occurrence = groups[0][0], groups[0][1]
    assert all(g[:2] == (schedule_id, occurrence) for g in groups), "one occurrence at a time"
    query = (
        sa.select(session_groups.c.group_no)
        .where(
            session_groups.c.schedule_id == schedule_id,
            session_groups.c.occurrence == occurrence,
            any_of(conn, session_groups.c.group_no, [g[2] for g in groups]),
            session_groups.c.round_id.is_(None),
        )
        .with_for_update()
    )
    free = set((await conn.execute(query)).scalars())
    return {g for g in groups if g[2] in free}


async def link_group_rounds(conn: AsyncConnection, links: Sequence[tuple[GroupRef, str]]) -> None:
    """Record each session group's round (the groups were checked unlinked and locked).

    One statement: an executemany on SQLite, an UPDATE … FROM unnest(arrays) on PostgreSQL
    (whose executemany would render every row's parameters)."""
    if not links:
        return
    if is_postgresql(conn):
        await conn.execute(
            _LINK_FROM_ARRAYS,
            {
                "schedule": [ref[0] for ref, _ in links],
                "occurrence": [ref[1] for ref, _ in links],
                "no": [ref[2] for ref, _ in links],
                "round": [round_id for _, round_id in links],
            },
        )
        return
    await conn.execute(
        session_groups.update()
        .where(
            session_groups.c.schedule_id == sa.bindparam("g_schedule"),
            session_groups.c.occurrence == sa.bindparam("g_occurrence", type_=UTCDateTime()),
            session_groups.c.group_no == sa.bindparam("g_no"),
        )
        .values(round_id=sa.bindparam("g_round")),
        [
            {"g_schedule": ref[0], "g_occurrence": ref[1], "g_no": ref[2], "g_round": round_id}
            for ref, round_id in links
        ],
    )


_LINK_FROM_ARRAYS = sa.text(
    """
    UPDATE session_groups SET round_id = linked.round_id
    FROM unnest(:schedule, :occurrence, :no, :round)
        AS linked(schedule_id, occurrence, group_no, round_id)
    WHERE session_groups.schedule_id = linked.schedule_id
        AND session_groups.occurrence = linked.occurrence
        AND session_groups.group_no = linked.group_no
    """
).bindparams(
    sa.bindparam("schedule", type_=postgresql.ARRAY(sa.String())),
    sa.bindparam("occurrence", type_=postgresql.ARRAY(UTCDateTime())),
    sa.bindparam("no", type_=postgresql.ARRAY(sa.Integer())),
    sa.bindparam("round", type_=postgresql.ARRAY(sa.String())),
)
