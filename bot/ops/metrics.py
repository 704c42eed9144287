"""Prometheus metrics (prometheus-client) behind `/metrics`.

Adapters call `observe_api_call(platform, method, seconds)` after every platform API request and
`count_rate_limited(platform)` on every 429; keep `method` to a bounded set of names (the Slack
method like "chat.postMessage", or the Discord route template, never a URL with ids).
Round and delivery counts come from the database when `/metrics` is scraped (`refresh`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.engine.model import RoundStatus
from bot.store.tables import outbox, rounds

if TYPE_CHECKING:
    from bot.ops.health import HealthMonitor
    from bot.store.database import Database

DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "cancelled")

ROUNDS = Gauge("rapport_rounds", "Rounds in the database by state", ["state"])
DELIVERIES = Gauge("rapport_deliveries", "Outbox deliveries by status", ["status"])
TICK_LAG = Gauge("rapport_tick_lag_seconds", "Seconds since the last successful scheduler tick")
LEADER = Gauge("rapport_scheduler_leader", "1 when this process runs the scheduler's work")
API_LATENCY = Histogram(
    "rapport_platform_api_seconds",
    "Platform API call latency",
    ["platform", "method"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMITED = Counter(
    "rapport_platform_rate_limited", "Platform API answers with HTTP 429", ["platform"]
)


def observe_api_call(platform: str, method: str, seconds: float) -> None:
    """Record one platform API call's latency."""
    API_LATENCY.labels(platform=platform, method=method).observe(seconds)


def count_rate_limited(platform: str) -> None:
    """Record one 429 (rate limited) answer from a platform."""
    RATE_LIMITED.labels(platform=platform).inc()


async def _counts(conn: AsyncConnection, column: sa.Column[str]) -> dict[str, int]:
    result = await conn.execute(sa.select(column, sa.func.count()).group_by(column))
    return {status: count for status, count in result}


async def refresh(db: Database, health: HealthMonitor) -> None:
    """Set the gauges that come from the database and the health monitor."""
    async with db.transaction() as conn:
        round_counts = await _counts(conn, rounds.c.status)
        delivery_counts = await _counts(conn, outbox.c.status)
    for state in RoundStatus:
        ROUNDS.labels(state=state.value).set(round_counts.get(state.value, 0))
    for status in DELIVERY_STATUSES:
        DELIVERIES.labels(status=status).set(delivery_counts.get(status, 0))
    TICK_LAG.set(health.tick_lag())
    LEADER.set(1 if health.is_leader() else 0)


def render(registry: CollectorRegistry = REGISTRY) -> tuple[bytes, str]:
    """The exposition text and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST
