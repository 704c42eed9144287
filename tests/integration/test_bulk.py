"""Bulk writes: PostgreSQL's COPY path and the executemany path write identical rows.

Each test runs on SQLite and on PostgreSQL (when RAPPORT_TEST_POSTGRES_URL is set). On
PostgreSQL the same rows are written twice, once below COPY_MIN_ROWS (an executemany) and once
above it (a COPY), and what the database hands back must be the same, down to defaults, NULLs,
booleans and UTC timestamps. On SQLite the rows read back must equal what was given.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.engine.model import Delivery, DeliveryKind
from bot.store import bulk
from bot.store import repository as repo
from bot.store.database import Database
from bot.store.tables import outbox, pair_prompts, round_members, session_groups

NOW = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)


def _deliveries(n: int, tag: str) -> list[tuple[str | None, Delivery]]:
    return [
        (
            f"r{tag}{i}" if i % 3 else None,
            Delivery(
                f"slack:T1:U{tag}{i}",
                DeliveryKind.INVITATION if i % 2 else DeliveryKind.REMINDER,
                {"step": i, "text": "ünïcode ✓ 'quoted' \"double\"", "none": None},
                not_before=NOW + timedelta(minutes=i) if i % 4 == 0 else None,
            ),
        )
        for i in range(n)
    ]


async def _outbox_rows(db: Database, tag: str) -> list[dict[str, Any]]:
    async with db.transaction() as conn:
        rows = await conn.execute(
            sa.select(outbox)
            .where(outbox.c.member_key.like(f"slack:T1:U{tag}%"))
            .order_by(outbox.c.id)
        )
        found = [dict(row._mapping) for row in rows]
    for row in found:  # ids differ by construction; the tag is the point of the comparison
        row.pop("id")
        row["member_key"] = row["member_key"].replace(f"U{tag}", "U")
        if row["round_id"]:
            row["round_id"] = row["round_id"].replace(f"r{tag}", "r")
    return found


def _expected_outbox_row(round_id: str | None, d: Delivery) -> dict[str, Any]:
    """What either path must store, the same on both dialects."""
    return {
        "platform": "slack",
        "member_key": d.to,
        "round_id": round_id,
        "kind": d.kind.value,
        "payload": json.dumps(dict(d.data)),
        "status": "pending",
        "attempts": 0,
        "not_before": d.not_before,
        "next_attempt_at": d.not_before or NOW,
        "lease_until": None,
        "message_id": None,
        "error": None,
        "created_at": NOW,
        "sent_at": None,
        "maybe_sent": False,
    }


async def test_outbox_rows_are_the_same_by_copy_and_by_executemany(db: Database) -> None:
    few, many = bulk.COPY_MIN_ROWS - 1, bulk.COPY_MIN_ROWS * 3
    async with db.transaction() as conn:
        assert await repo.enqueue(conn, _deliveries(few, "a"), NOW) == few
        assert await repo.enqueue(conn, _deliveries(many, "b"), NOW) == many
    small, large = await _outbox_rows(db, "a"), await _outbox_rows(db, "b")
    assert large[:few] == small
    assert large == [_expected_outbox_row(round_id, d) for round_id, d in _deliveries(many, "")]
    first = large[4]
    assert first["status"] == "pending" and first["attempts"] == 0
    assert first["maybe_sent"] is False and first["sent_at"] is None and first["error"] is None
    assert first["not_before"] == NOW + timedelta(minutes=4)
    assert first["next_attempt_at"] == NOW + timedelta(minutes=4)
    assert first["created_at"] == NOW
    assert large[1]["kind"] == "invitation" and large[1]["not_before"] is None
    assert json.loads(large[1]["payload"])["text"].startswith("ünïcode ✓")


async def test_rounds_members_and_pair_history_by_either_path(db: Database) -> None:
    from bot.engine.model import RoundSettings
    from bot.engine.rules import start_round

    def states(tag: str, n: int) -> list[Any]:
        return [
            start_round(
                round_id=f"{tag}{i:03d}",
                members=[f"slack:T1:{tag}{i}a", f"slack:T1:{tag}{i}b"],
                settings=RoundSettings(bank="tiny"),
                now=NOW,
                seed=i,
            ).state
            for i in range(n)
        ]

    few, many = states("x", 3), states("y", bulk.COPY_MIN_ROWS * 2)
    async with db.transaction() as conn:
        await repo.insert_rounds(conn, [(s, "slack:T1", None) for s in few])
        await repo.insert_rounds(conn, [(s, "slack:T1", "sched1") for s in many])
        await repo.remember_prompts(conn, [(s.members, [f"p{n}" for n in range(3)]) for s in many])
    async with db.transaction() as conn:
        loaded = await repo.load_rounds(conn, [s.id for s in many])
        assert {rid: version for rid, (_, version) in loaded.items()} == {s.id: 1 for s in many}
        assert [loaded[s.id][0] for s in many] == many
        members_rows = (await conn.execute(sa.select(round_members))).all()
        assert len(members_rows) == 2 * (len(few) + len(many))
        assert all(row.open is True for row in members_rows)
        raw = (
            await conn.execute(
                sa.text("SELECT status, version, schedule_id, created_at, updated_at FROM rounds")
            )
        ).all()
        assert {row.schedule_id for row in raw} == {None, "sched1"}
        assert all(row.version == 1 for row in raw)
        seen = await repo.prompts_seen_by_pairs(conn, repo.pair_keys(many[0].members))
        assert seen == {"|".join(sorted(many[0].members)): {"p0", "p1", "p2"}}
        assert await repo.open_member_sets(conn, list(many[1].members)) == {
            frozenset(many[1].members)
        }
        count = (await conn.execute(sa.select(sa.func.count()).select_from(pair_prompts))).scalar()
        assert count == 3 * len(many)


async def test_session_groups_link_and_many_keys(db: Database) -> None:
    occurrence = NOW.replace(microsecond=0)
    groups = [
        {
            "schedule_id": "s1",
            "occurrence": occurrence,
            "group_no": no,
            "member_keys": '{"members": [], "leads": []}',
            "round_id": None,
        }
        for no in range(bulk.COPY_MIN_ROWS * 2)
    ]
    async with db.transaction() as conn:
        await bulk.insert_rows(conn, session_groups, groups)
    refs = [("s1", occurrence, no) for no in range(len(groups))]
    async with db.transaction() as conn:
        assert await repo.unlinked_groups(conn, refs) == set(refs)
        await repo.link_group_rounds(conn, [(ref, f"round{ref[2]}") for ref in refs[:5]])
    async with db.transaction() as conn:
        assert await repo.unlinked_groups(conn, refs) == set(refs[5:])
        linked = await conn.execute(
            sa.select(session_groups.c.group_no, session_groups.c.round_id).where(
                session_groups.c.round_id.is_not(None)
            )
        )
        assert sorted(linked.all()) == [(no, f"round{no}") for no in range(5)]
        # 40,000 keys: past SQLite's and asyncpg's parameter limits as an IN list
        keys = [f"slack:T1:U{n}" for n in range(40_000)]
        assert await repo.member_rows(conn, keys[:1]) == {}
        found = 0
        for part in bulk.slices(keys):
            found += len(await repo.member_rows(conn, part))
        assert found == 0
