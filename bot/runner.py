"""`rapport run`: build the core and start every platform adapter that has its tokens."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from typing import Protocol

from bot.bootstrap import Rapport, build
from bot.config import Settings
from bot.ops.server import OpsServer, start_ops_server
from bot.ops.startup_errors import no_platform
from bot.service.ports import ChannelDirectory, Sender
from bot.version import VERSION

log = logging.getLogger(__name__)


class PlatformRuntime(Protocol):
    """One platform's adapter: a sender for the outbox, and the inbound side bound to the core.

    A runtime may also have a `directory` (a `ChannelDirectory`) that lists a channel's members
    for scheduled sessions; see `directories_of`.
    """

    platform: str
    sender: Sender

    async def start(self, rapport: Rapport) -> None: ...

    async def stop(self) -> None: ...


def configured_runtimes(settings: Settings) -> list[PlatformRuntime]:
    runtimes: list[PlatformRuntime] = []
    if settings.slack_configured:
        from bot.adapters.slack.runtime import SlackRuntime

        runtimes.append(SlackRuntime(settings))
    if settings.discord_token:
        from bot.adapters.discord.runtime import DiscordRuntime

        runtimes.append(DiscordRuntime(settings))
    return runtimes


async def run(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Start everything configured and run until `stop` (default: SIGINT/SIGTERM).

    A configuration the platforms or the database reject raises `OperatorError`, after what
    was started has been stopped again.
    """
    runtimes = configured_runtimes(settings)
    if not runtimes:
        raise no_platform()
    rapport = build(
        settings,
        senders={rt.platform: rt.sender for rt in runtimes},
        directories=directories_of(runtimes),
    )
    await rapport.start()
    ops: OpsServer | None = None
    try:
        # /healthz answers (503, "… not connected") while the platforms connect
        ops = await start_ops_server(settings, rapport, runtimes)
        for runtime in runtimes:
            await runtime.start(rapport)
        settle_garbage_collector()
        platforms = ", ".join(rt.platform for rt in runtimes)
        log.info("rapport %s running: %s", VERSION, platforms, extra={"version": VERSION})
        await (stop or _shutdown_signal()).wait()
    finally:
        if ops is not None:
            await ops.stop()
        for runtime in reversed(runtimes):
            await runtime.stop()
        await rapport.stop()
    return 0


GC_YOUNG_THRESHOLD = 50_000  # allocations between young collections (CPython's default: 700)


def settle_garbage_collector() -> None:
    """Once started: exempt start-up objects from collection, and collect the young generation
    less often.

    Modules, banks and clients live as long as the process; `gc.freeze` stops every full
    collection from walking them again. With CPython's default threshold a busy process spent
    about a tenth of its time collecting (bench/slack_http.py); the young generation of a
    service handling requests is mostly short-lived and acyclic, so a higher threshold costs
    little memory. No `gc.collect()` first: on 100,000 active rounds it delayed the first
    `/healthz` answer by 0.3-0.6 s, for the little garbage start-up leaves.
    """
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


def directories_of(runtimes: list[PlatformRuntime]) -> dict[str, ChannelDirectory]:
    """The channel directories of the runtimes that have one (optional `directory`)."""
    found = {rt.platform: getattr(rt, "directory", None) for rt in runtimes}
    return {platform: d for platform, d in found.items() if d is not None}


def _shutdown_signal() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
