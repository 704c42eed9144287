"""Operations on a real database: /healthz, /metrics, tick wiring and a multi-dispatcher outbox."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from importlib.metadata import version

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web

from bot.bootstrap import Rapport, build
from bot.clock import FakeClock
from bot.config import Settings
from bot.engine.model import Accept, DeliveryKind, SubmitAnswer
from bot.ops import metrics
from bot.ops.server import OpsServer, add_ops_routes, serves_http_itself, start_ops_server
from bot.service.outbox import OutboxDispatcher
from bot.store.tables import outbox
from tests.fakes.recording import RecordingSender
from tests.integration.test_service import ALICE, BOB, CLEO


class FakeAdapter:
    platform = "test"

    def __init__(self) -> None:
        self.connected = True


@pytest.fixture
async def app(settings: Settings, clock: FakeClock, tiny_banks: dict) -> AsyncIterator[Rapport]:
    rapport = build(settings, senders={"test": RecordingSender()}, clock=clock, banks=tiny_banks)
    await rapport.db.upgrade()
    yield rapport
    await rapport.leader.stop()
    await rapport.db.dispose()


@pytest.fixture
async def server(app: Rapport) -> AsyncIterator[OpsServer]:
    ops = OpsServer(app, port=0, host="127.0.0.1")
    await ops.start()
    yield ops
    await ops.stop()


async def _get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.text()


async def test_healthz_reports_database_adapters_and_tick_lag(
    app: Rapport, server: OpsServer, clock: FakeClock
) -> None:
    adapter = FakeAdapter()
    app.health.register_adapter("test", adapter)
    await app.tick()
    status, _, body = await _get(server.url + "/healthz")
    assert status == 200, body
    assert json.loads(body)["version"] == version("rapport")
    snapshot = await app.health.snapshot()
    assert snapshot.healthy and snapshot.database and snapshot.adapters == {"test": True}
    assert snapshot.tick_lag_seconds == 0 and snapshot.leader

    adapter.connected = False
    status, _, body = await _get(server.url + "/healthz")
    assert status == 503 and "test not connected" in body
    adapter.connected = True

    clock.advance(timedelta(seconds=app.health.tick_lag_limit + 1))
    status, _, body = await _get(server.url + "/healthz")
    assert status == 503 and "late" in body
    await app.tick()
    assert (await _get(server.url + "/healthz"))[0] == 200


async def test_healthz_is_503_when_the_database_is_unreachable(app: Rapport) -> None:
    app.health.db = type(app.db)("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    snapshot = await app.health.snapshot()
    assert not snapshot.healthy and not snapshot.database
    assert snapshot.as_dict()["status"] == "unhealthy"


async def test_metrics_count_rounds_deliveries_api_calls_and_tick_lag(
    app: Rapport, server: OpsServer, clock: FakeClock
) -> None:
    started = await app.service.start_round([ALICE, BOB], initiator=ALICE)
    assert started.round_id
    await app.service.act(started.round_id, Accept(BOB.key))
    await app.service.start_round([ALICE, CLEO], initiator=ALICE)
    metrics.observe_api_call("slack", "chat.postMessage", 0.12)
    metrics.count_rate_limited("slack")
    await app.tick()
    clock.advance(timedelta(seconds=7))

    status, content_type, text = await _get(server.url + "/metrics")

    assert status == 200 and content_type.startswith("text/plain")
    assert 'rapport_rounds{state="active"} 1.0' in text
    assert 'rapport_rounds{state="invited"} 1.0' in text
    assert 'rapport_rounds{state="completed"} 0.0' in text
    assert 'rapport_deliveries{status="sent"} 5.0' in text  # invitations, accepted, 2 prompts
    assert 'rapport_deliveries{status="pending"} 0.0' in text
    assert 'rapport_platform_api_seconds_count{method="chat.postMessage",platform="slack"}' in text
    assert 'rapport_platform_rate_limited_total{platform="slack"}' in text
    assert "rapport_tick_lag_seconds 7.0" in text
    assert "rapport_scheduler_leader 1.0" in text


async def test_ops_routes_join_an_existing_application(app: Rapport) -> None:
    existing = web.Application()

    async def events(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    existing.router.add_post("/slack/events", events)
    add_ops_routes(existing, app)
    paths = {route.resource.canonical for route in existing.router.routes() if route.resource}
    assert {"/slack/events", "/healthz", "/metrics"} <= paths


async def test_the_runner_registers_adapters_and_leaves_http_mode_to_slack(
    app: Rapport, settings: Settings
) -> None:
    slack_http = settings.model_copy(update={"slack_bot_token": "x", "slack_mode": "http"})
    assert serves_http_itself(slack_http)
    assert await start_ops_server(slack_http, app, [FakeAdapter()]) is None
    assert app.health.adapters() == {"test": True}
    own = await start_ops_server(settings.model_copy(update={"http_port": 0}), app, [])
    assert own is not None
    try:
        assert (await _get(own.url + "/healthz"))[0] in (200, 503)
        # this machine only unless RAPPORT_HTTP_HOST says otherwise (the image sets 0.0.0.0)
        assert [host for host, _port in own._runner.addresses] == ["127.0.0.1"]  # type: ignore[union-attr]
    finally:
        await own.stop()


async def test_the_tick_runs_retention(app: Rapport, clock: FakeClock) -> None:
    started = await app.service.start_round([ALICE, BOB], initiator=ALICE)
    assert started.round_id
    await app.service.act(started.round_id, Accept(BOB.key))
    await app.service.act(started.round_id, SubmitAnswer(ALICE.key, "kept for a while"))
    await app.service.act(started.round_id, SubmitAnswer(BOB.key, "kept for a while too"))
    await app.tick()  # sends everything, including the reveal
    clock.advance(timedelta(days=8))
    await app.tick()  # expires the round
    clock.advance(timedelta(days=31))
    await app.tick()
    state = await app.service.load(started.round_id)
    assert state is not None and state.history and not state.history[0].answers


# --- several dispatchers on one database -------------------------------------------------------


async def test_two_dispatchers_send_each_message_once_and_in_order(
    app: Rapport, clock: FakeClock
) -> None:
    for partner in (BOB, CLEO):
        started = await app.service.start_round([ALICE, partner], initiator=ALICE)
        assert started.round_id
        await app.service.act(started.round_id, Accept(partner.key))
        for member in (ALICE, partner):
            await app.service.act(started.round_id, SubmitAnswer(member.key, "hello"))
    sender = RecordingSender()  # shared: its list is the order messages really went out
    dispatchers = [OutboxDispatcher(app.db, {"test": sender}, clock) for _ in range(2)]
    while sum(await asyncio.gather(*(d.run_once(batch=3) for d in dispatchers))):
        pass
    ids = [m.outbox_id for m in sender.sent]
    assert len(ids) == len(set(ids)) > 10
    for user in ("alice", "bob", "cleo"):
        mine = [m.outbox_id for m in sender.to(user)]
        assert mine == sorted(mine)
    assert len(sender.to("alice", DeliveryKind.REVEAL)) == 2


async def test_a_row_another_process_holds_keeps_that_members_later_rows_back(
    app: Rapport, clock: FakeClock
) -> None:
    if app.db.is_sqlite:
        pytest.skip("row locks: PostgreSQL only (SQLite has one writer)")
    started = await app.service.start_round([ALICE, BOB], initiator=ALICE)
    assert started.round_id
    await app.service.act(started.round_id, Accept(BOB.key))  # alice: accepted, prompt
    sender = RecordingSender()
    dispatcher = OutboxDispatcher(app.db, {"test": sender}, clock)
    async with app.db.transaction() as other_process:
        first_to_alice = await other_process.scalar(
            sa.select(outbox.c.id)
            .where(outbox.c.member_key == ALICE.key)
            .order_by(outbox.c.id)
            .limit(1)
            .with_for_update()
        )
        assert await dispatcher.run_once() == 2  # bob's invitation and prompt only
    assert sender.to("alice") == [] and len(sender.to("bob")) == 2
    assert await dispatcher.run_once() == 2
    assert sender.to("alice")[0].outbox_id == first_to_alice
