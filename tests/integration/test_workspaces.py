"""Workspaces own their settings and questions: on a real database, two workspaces side by side."""

from __future__ import annotations

import asyncio
import json
from datetime import time, timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.clock import FakeClock
from bot.engine.model import Accept, DeliveryKind, Pace, Swap
from bot.identity import Member
from bot.questions.loader import parse_bank_file
from bot.service.rounds import RoundService
from bot.service.team_questions import Draft
from bot.service.workspaces import TEAM_BANK, WorkspaceSettingsService
from bot.store.database import Database
from bot.store.tables import outbox, workspace_prompts, workspace_settings_history

LEAD = Member("test", "T1", "lead")
ALICE = Member("test", "T1", "alice")
BOB = Member("test", "T1", "bob")
OTHER_LEAD = Member("test", "T2", "lead")
OTHER_A = Member("test", "T2", "ann")
OTHER_B = Member("test", "T2", "ben")

GOOD = Draft(1, "rituals", "What small ritual makes a Monday feel lighter, and how did it start?")


async def _started(service: RoundService, a: Member, b: Member) -> str:
    started = await service.start_round([a, b], initiator=a)
    assert started.ok and started.round_id, started.message
    return started.round_id


async def _history_rows(db: Database) -> list[sa.Row]:
    async with db.transaction() as conn:
        return list(await conn.execute(sa.select(workspace_settings_history)))


# --- settings -----------------------------------------------------------------------------------


async def test_a_workspace_that_set_nothing_follows_the_defaults(service: RoundService) -> None:
    settings = await service.workspaces.settings_of("test:T1")
    assert settings.default_bank == "tiny" and settings.max_layer == 3
    state = await service.load(await _started(service, ALICE, BOB))
    assert state is not None
    assert state.settings.max_layer == 3 and state.settings.pace is Pace.LIVE


async def test_a_leads_change_shapes_the_next_round_and_not_the_running_one(
    service: RoundService,
) -> None:
    running = await _started(service, ALICE, BOB)
    changed = await service.workspaces.change(LEAD, True, {"depth": "4", "pace": "daily"})
    assert changed.ok, changed.message
    assert "Depth cap: 3 → 4" in changed.message

    cleo = Member("test", "T1", "cleo")
    state = await service.load(await _started(service, ALICE, cleo))
    assert state is not None
    assert state.settings.max_layer == 4 and state.settings.pace is Pace.DAILY
    before = await service.load(running)
    assert before is not None and before.settings.max_layer == 3
    assert before.settings.pace is Pace.LIVE


async def test_an_explicit_choice_at_start_wins_over_the_workspace_default(
    service: RoundService,
) -> None:
    await service.workspaces.change(LEAD, True, {"pace": "daily"})
    started = await service.start_round([ALICE, BOB], initiator=ALICE, pace=Pace.LIVE)
    state = await service.load(started.round_id or "")
    assert state is not None and state.settings.pace is Pace.LIVE


async def test_a_member_who_is_not_a_lead_changes_nothing(
    service: RoundService, db: Database
) -> None:
    refused = await service.workspaces.change(ALICE, False, {"depth": "1"})
    assert not refused.ok and "Only team leads" in refused.message
    assert (await service.workspaces.settings_of("test:T1")).max_layer == 3
    assert await _history_rows(db) == []


async def test_invalid_values_name_the_setting_and_change_nothing(
    service: RoundService, db: Database
) -> None:
    cases = {
        "depth": ("7", "Depth cap must be a whole number from 1 to 4"),
        "prompts": ("0", "Prompts per layer must be a whole number from 1 to 5"),
        "reminder": ("soon", "Reminder after (hours) must be a number from 1 to 168"),
        "quiet": ("late", "Quiet hours must be two times like 21:00-08:00"),
        "bank": ("nope", "Question bank must be one of tiny"),
        "pace": ("fast", "Default pace must be one of live, daily"),
    }
    for name, (value, expected) in cases.items():
        refused = await service.workspaces.change(LEAD, True, {"depth": "2", name: value})
        assert not refused.ok and refused.message.startswith(expected), refused.message
        assert "Nothing changed" in refused.message
    unknown = await service.workspaces.change(LEAD, True, {"colour": "blue"})
    assert not unknown.ok and "no setting called 'colour'" in unknown.message
    assert (await service.workspaces.settings_of("test:T1")).max_layer == 3
    assert await _history_rows(db) == []


async def test_every_change_is_recorded_without_content(
    service: RoundService, clock: FakeClock
) -> None:
    await service.workspaces.change(LEAD, True, {"depth": "2"})
    clock.advance(timedelta(minutes=5))
    await service.workspaces.change(LEAD, True, {"depth": "4", "quiet": "22:30-07:00"})
    same = await service.workspaces.change(LEAD, True, {"depth": "4"})
    assert same.ok and "Nothing changed" in same.message

    history = await service.workspaces.history("test:T1")
    assert [(h.setting, h.old, h.new) for h in history] == [
        ("quiet", "21:00-08:00", "22:30-07:00"),
        ("depth", "2", "4"),
        ("depth", "3", "2"),
    ]
    assert {h.actor for h in history} == {LEAD}
    assert history[0].at - history[-1].at == timedelta(minutes=5)


async def test_quiet_hours_are_frozen_into_the_round(service: RoundService) -> None:
    await service.workspaces.change(LEAD, True, {"quiet": "22:30-07:15"})
    state = await service.load(await _started(service, ALICE, BOB))
    assert state is not None
    assert (state.settings.quiet_from, state.settings.quiet_until) == (time(22, 30), time(7, 15))


async def test_one_workspaces_settings_never_reach_another(service: RoundService) -> None:
    await service.workspaces.change(LEAD, True, {"depth": "1", "pace": "daily"})
    state = await service.load(await _started(service, OTHER_A, OTHER_B))
    assert state is not None
    assert state.settings.max_layer == 3 and state.settings.pace is Pace.LIVE
    assert await service.workspaces.history("test:T2") == []


async def test_another_process_sees_a_change_once_its_cache_expires(
    service: RoundService, db: Database, clock: FakeClock, tiny_banks: dict
) -> None:
    other = WorkspaceSettingsService(db, clock, service.workspaces.defaults, tiny_banks)
    assert (await other.settings_of("test:T1")).max_layer == 3
    await service.workspaces.change(LEAD, True, {"depth": "2"})
    assert (await service.workspaces.settings_of("test:T1")).max_layer == 2  # at once here
    assert (await other.settings_of("test:T1")).max_layer == 3  # cached there
    clock.advance(timedelta(seconds=31))
    # the stale value answers at once while it is read again; the next messages see the change
    assert (await other.settings_of("test:T1")).max_layer == 3
    async with asyncio.timeout(5):
        while (await other.settings_of("test:T1")).max_layer != 2:
            await asyncio.sleep(0)


# --- the team's own questions -------------------------------------------------------------------


async def _drawn_prompt_ids(service: RoundService, round_id: str, swaps: int) -> set[str]:
    """Accept the round, then swap repeatedly: every prompt the layer offers gets drawn."""
    state = await service.load(round_id)
    assert state is not None
    await service.act(round_id, Accept(state.members[1]))
    seen = set()
    for _ in range(swaps):
        state = await service.load(round_id)
        assert state is not None and state.current is not None
        seen.add(state.current.prompt_id)
        await service.act(round_id, Swap(state.members[0], step=state.current.number))
    return seen


async def test_a_leads_prompt_is_linted_stored_and_drawn_only_in_its_workspace(
    service: RoundService,
) -> None:
    added = await service.questions.add(LEAD, True, GOOD)
    assert added.ok and added.prompt_id == "team-1-rituals-01", added.message

    drawn = await _drawn_prompt_ids(service, await _started(service, ALICE, BOB), 8)
    assert added.prompt_id in drawn
    elsewhere = await _drawn_prompt_ids(service, await _started(service, OTHER_A, OTHER_B), 8)
    assert all(not p.startswith("team-") for p in elsewhere)


async def test_a_prompt_that_fails_lint_says_what_to_change_and_is_not_stored(
    service: RoundService, db: Database
) -> None:
    bad = [
        (Draft(1, "rituals", "Tell me about Mondays."), "must end with exactly one '?'"),
        (Draft(5, "rituals", "What do you like?"), "the layer must be 1 to 4"),
        (Draft(1, "Big Topic!", "What do you like about mornings?"), "the topic must be"),
        (Draft(1, "food", "What did you eat for breakfast today?"), "same text as"),
    ]
    for draft, expected in bad:
        refused = await service.questions.add(LEAD, True, draft)
        assert not refused.ok and expected in refused.message, refused.message
        assert refused.message.startswith("I couldn't use that question yet")
    not_lead = await service.questions.add(ALICE, False, GOOD)
    assert not not_lead.ok and "Only team leads" in not_lead.message
    async with db.transaction() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(workspace_prompts)) == 0


async def test_a_suggestion_waits_for_a_lead_and_the_suggester_is_told(
    service: RoundService, db: Database
) -> None:
    suggested = await service.questions.suggest(ALICE, GOOD)
    assert suggested.ok and suggested.prompt_id
    drawn = await _drawn_prompt_ids(service, await _started(service, ALICE, BOB), 8)
    assert suggested.prompt_id not in drawn  # pending: never drawn

    forged = await service.questions.decide(OTHER_LEAD, True, suggested.prompt_id, True)
    assert not forged.ok and "no pending question" in forged.message
    approved = await service.questions.decide(LEAD, True, suggested.prompt_id, True)
    assert approved.ok, approved.message
    again = await service.questions.decide(LEAD, True, suggested.prompt_id, False)
    assert not again.ok  # decided once

    async with db.transaction() as conn:
        notices = list(
            await conn.execute(
                sa.select(outbox).where(outbox.c.kind == DeliveryKind.SUGGESTION_DECIDED.value)
            )
        )
    assert [(n.member_key, json.loads(n.payload)["approved"]) for n in notices] == [
        (ALICE.key, True)
    ]
    cleo = Member("test", "T1", "cleo")
    drawn = await _drawn_prompt_ids(service, await _started(service, BOB, cleo), 8)
    assert suggested.prompt_id in drawn


async def test_suggestions_can_be_turned_off(service: RoundService) -> None:
    await service.workspaces.change(LEAD, True, {"suggestions": "off"})
    refused = await service.questions.suggest(ALICE, GOOD)
    assert not refused.ok and "turned question suggestions off" in refused.message


async def test_a_retired_prompt_is_not_drawn_but_still_shows_in_the_round_that_asked_it(
    service: RoundService,
) -> None:
    added = await service.questions.add(LEAD, True, GOOD)
    round_id = await _started(service, ALICE, BOB)
    retired = await service.questions.retire(LEAD, True, added.prompt_id or "")
    assert retired.ok
    state = await service.load(round_id)
    assert state is not None
    assert await service.prompt_text(state, added.prompt_id or "") == GOOD.text
    cleo = Member("test", "T1", "cleo")
    drawn = await _drawn_prompt_ids(service, await _started(service, BOB, cleo), 8)
    assert added.prompt_id not in drawn


async def test_the_teams_own_bank_alone_needs_enough_prompts_in_every_layer(
    service: RoundService,
) -> None:
    refused = await service.workspaces.change(LEAD, True, {"questions": "own", "depth": "1"})
    assert not refused.ok and "every layer up to 1 needs at least 4" in refused.message
    texts = [
        ("rituals", "What small ritual makes a Monday feel lighter, and how did it start?"),
        ("rituals", "How do you celebrate finishing something small, and why that way?"),
        ("music", "Which song pulls you back into focus, and what is the story behind it?"),
        ("music", "What did you last hum without noticing, and where did you pick it up?"),
    ]
    for topic, text in texts:
        assert (await service.questions.add(LEAD, True, Draft(1, topic, text))).ok
    accepted = await service.workspaces.change(LEAD, True, {"questions": "own", "depth": "1"})
    assert accepted.ok, accepted.message
    round_id = await _started(service, ALICE, BOB)
    state = await service.load(round_id)
    assert state is not None and state.settings.bank == TEAM_BANK
    drawn = await _drawn_prompt_ids(service, round_id, 4)
    assert drawn and all(p.startswith("team-1-") for p in drawn)


async def test_export_then_import_round_trips_into_another_workspace(
    service: RoundService, tmp_path: Path
) -> None:
    first = await service.questions.add(LEAD, True, GOOD)
    second = Draft(2, "craft", "How do you decide a piece of work is finished, and who taught you?")
    assert (await service.questions.add(LEAD, True, second)).ok
    exported = await service.questions.export_yaml("test:T1")
    path = tmp_path / "team.yaml"
    path.write_text(exported)
    parsed = parse_bank_file(path)
    bank = parsed.bank
    assert bank is not None, parsed.problems

    imported = await service.questions.import_bank("test:T2", bank)
    assert imported.ok and "Imported 2" in imported.message, imported.message
    again = await service.questions.import_bank("test:T2", bank)
    assert again.ok and "Imported 0" in again.message and "2 already there" in again.message
    listed = await service.questions.listing("test:T2")
    assert [(t.prompt.id, t.prompt.text) for t in listed] == [
        (first.prompt_id, GOOD.text),
        ("team-2-craft-01", second.text),
    ]
    assert await service.questions.export_yaml("test:T2") == exported
