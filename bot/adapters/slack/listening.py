"""How Rapport's Slack listeners meet slack-bolt: registration, acks and their hand-off.

`register` attaches every listener (and tells the manifest test what it attached); `tracked`
answers Slack as soon as a listener acked - after its durable write - and lets the rest of the
listener run in a task of its own; `Activity` counts finished runs, so tests wait on a condition,
never on time.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp

from bot.adapters.slack import wire
from bot.adapters.slack.team import register_team

if TYPE_CHECKING:
    from bot.adapters.slack.handlers import SlackHandlers

Respond = Callable[..., Awaitable[Any]]


class Activity:
    """Counts listener runs that finished (however they ended); tests wait on it, not on time."""

    def __init__(self) -> None:
        self.finished = 0
        self._changed = asyncio.Condition()

    async def done(self) -> None:
        async with self._changed:
            self.finished += 1
            self._changed.notify_all()

    async def wait_finished(self, count: int, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self.finished >= count)


Listener = TypeVar("Listener", bound=Callable[..., Awaitable[None]])


def answering(listener: Listener) -> Listener:
    """`tracked`, for a member's answer (a modal or a DM reply): its ack says nothing, so it
    never waits for the platform to tell a new member's language; that is asked in the
    background, and the member's next message is in it."""
    return _tracked(listener, ask_platform=False)


def tracked(listener: Listener) -> Listener:
    """Run the listener in the background, answering Slack as soon as it acked.

    The app runs with `process_before_response`, so bolt awaits this wrapper and sends the HTTP
    answer (or the Socket Mode ack) when it returns - which is once the listener called `ack()`,
    after its durable write. The listener goes on in a task of its own. Left to bolt, the
    listener would run in its task anyway, but bolt would poll every 10 ms for the ack. A
    listener that failed before acking is answered 500: no Socket Mode ack, and an HTTP error,
    so Slack redelivers an event. Each run is counted in `self.activity`; `wraps` keeps the
    argument names bolt injects by.
    """
    return _tracked(listener, ask_platform=True)


def _tracked(listener: Listener, ask_platform: bool) -> Listener:
    @functools.wraps(listener)
    async def run(self: SlackHandlers, *args: Any, **kwargs: Any) -> BoltResponse | None:
        acked = asyncio.Event()
        kwargs["ack"] = _signalling(kwargs["ack"], acked)
        reader = wire.reader_of(kwargs)
        run = self._as_reader(listener(self, *args, **kwargs), reader, ask_platform)
        work = asyncio.create_task(self._finish(run, acked))
        self._running.add(work)
        work.add_done_callback(self._running.discard)
        ack_called = asyncio.create_task(acked.wait())
        await asyncio.wait({work, ack_called}, return_when=asyncio.FIRST_COMPLETED)
        ack_called.cancel()
        if not acked.is_set() and (work.cancelled() or not work.result()):
            return BoltResponse(status=500, body="")
        return None  # acked, or finished without a word: bolt acks an event itself

    return cast(Listener, run)


def _signalling(ack: Respond, acked: asyncio.Event) -> Respond:
    async def ack_and_signal(*args: Any, **kwargs: Any) -> Any:
        try:
            return await ack(*args, **kwargs)
        finally:
            acked.set()

    return ack_and_signal


@dataclass
class Registration:
    """What `register` put on the app: compared with the manifest by a test."""

    commands: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    action_groups: list[list[str]] = field(default_factory=list)  # one listener per group
    views: list[str] = field(default_factory=list)

    @property
    def actions(self) -> list[str]:
        return [action_id for group in self.action_groups for action_id in group]


def register(app: AsyncApp, handlers: SlackHandlers) -> Registration:
    """Attach every Rapport listener to `app`.

    Bolt tries listeners in order, building each matcher's arguments, until one matches: the
    answer paths come first and each handler's action ids share one listener (a pattern).
    """
    done = Registration()
    app.view(wire.ANSWER_CALLBACK)(handlers.on_answer_submitted)
    done.views.append(wire.ANSWER_CALLBACK)
    app.view(wire.FOLLOW_UP_CALLBACK)(handlers.on_follow_up_submitted)
    done.views.append(wire.FOLLOW_UP_CALLBACK)
    app.event("message")(handlers.on_message)
    done.events.append("message")
    for action_ids, listener in (
        (list(wire.ACTION_IDS.values()), handlers.on_action),
        ([wire.FORGET_CONFIRM, wire.FORGET_CANCEL], handlers.on_forget_answer),
        (list(wire.SCHEDULE_ACTIONS), handlers.on_schedule_button),
    ):
        app.action(_any_of(action_ids))(listener)
        done.action_groups.append(action_ids)
    app.command(wire.COMMAND)(handlers.on_command)
    done.commands.append(wire.COMMAND)
    app.event("app_home_opened")(handlers.on_home)
    done.events.append("app_home_opened")
    views, action_groups = register_team(app, handlers.team)
    done.views += views
    done.action_groups += action_groups
    return done


def _any_of(names: list[str]) -> re.Pattern[str]:
    return re.compile("^(?:" + "|".join(map(re.escape, names)) + ")$")
