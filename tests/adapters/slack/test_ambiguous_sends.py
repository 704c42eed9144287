"""Posts whose outcome is unknown are resolved by the DM's history, never posted twice.

FakeSlack carries a post out and then loses its answer (a 5xx, or the connection closed
unanswered), as a real outage can; the outbox must record what Slack has instead of posting it
again, in the running process. The fake clock moves the outbox past each backoff.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from bot.adapters.slack.sender import METADATA_EVENT
from bot.messages.model import Action
from bot.store.tables import outbox
from tests.fakes.slack.harness import ALICE, BOB, SlackHarness
from tests.fakes.slack.server import FaultRates

from .conftest import RapportStarter

PASSES = 40


async def _unsent(slack: SlackHarness) -> int:
    async with slack.rapport.db.transaction() as conn:
        query = sa.select(sa.func.count()).where(outbox.c.status != "sent")
        return int((await conn.execute(query)).scalar_one())


async def deliver_everything(slack: SlackHarness) -> None:
    """Run the outbox until every row is sent, moving the fake clock past each backoff."""
    dispatcher = slack.rapport.dispatcher
    for _ in range(PASSES):
        await dispatcher.run_once()
        await dispatcher.drain()
        if not await _unsent(slack):
            return
        slack.clock.advance(timedelta(minutes=10))
    raise AssertionError(f"{await _unsent(slack)} deliveries still unsent")


def posted_ids(slack: SlackHarness, user: str) -> list[int]:
    return [
        int(m["metadata"]["event_payload"]["outbox_id"])
        for m in slack.dms(user)
        if (m.get("metadata") or {}).get("event_type") == METADATA_EVENT
    ]


async def test_a_post_slack_stored_before_the_connection_dropped_is_not_posted_again(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    slack.fake.fail_next("chat.postMessage", disconnect=True, stored=True)
    await slack.command(f"start <@{BOB}|bob>")
    await deliver_everything(slack)
    assert slack.kinds(BOB) == ["invitation"]
    assert len(slack.fake.calls_to("chat.postMessage")) == 1  # found in the history instead
    assert slack.fake.calls_to("conversations.history")


async def test_a_post_answered_5xx_but_stored_is_found_and_one_never_stored_is_posted(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    slack.fake.fail_next("chat.postMessage", status=503, stored=True)
    await slack.command(f"start <@{BOB}|bob>")
    await deliver_everything(slack)
    invitation = slack.last(BOB, "invitation")
    slack.fake.fail_next("chat.postMessage", status=500)  # refused before anything was done
    await slack.handled(slack.click(BOB, invitation, Action.ACCEPT))
    await deliver_everything(slack)
    assert Counter(posted_ids(slack, BOB)).most_common(1)[0][1] == 1
    assert slack.kinds(BOB) == ["invitation", "prompt"]


async def test_a_storm_of_server_errors_and_lost_answers_gives_every_message_exactly_once(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    storm = FaultRates(server_error=0.15, stored_then_error=0.15, stored_then_dropped=0.15)
    slack.fake.inject_faults("chat.postMessage", storm, seed=19)
    await slack.command(f"start <@{BOB}|bob>")
    await deliver_everything(slack)
    await slack.handled(slack.click(BOB, slack.last(BOB, "invitation"), Action.ACCEPT))
    await deliver_everything(slack)
    for user, text in ((ALICE, "mine"), (BOB, "yours")):
        await slack.handled(slack.dm(text, user))
        await deliver_everything(slack)
    posts = slack.fake.calls_to("chat.postMessage")
    assert len([c for c in posts if c.answer_lost]) >= 2  # the storm did hit
    assert len([c for c in posts if not c.ok]) >= 1
    for user in (ALICE, BOB):
        ids = posted_ids(slack, user)
        assert len(ids) == len(set(ids)) and ids == sorted(ids)  # once each, in order
    assert all("reveal" in slack.kinds(user) for user in (ALICE, BOB))
    async with slack.rapport.db.transaction() as conn:
        rows = (await conn.execute(sa.select(sa.func.count()).select_from(outbox))).scalar_one()
    assert rows == len(posted_ids(slack, ALICE)) + len(posted_ids(slack, BOB))
