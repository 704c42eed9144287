"""`app_uninstalled` and `tokens_revoked`: a workspace removed Rapport, or revoked its bot token.

The tokens go first (bolt's own revocation listeners, on the installation store, in OAuth mode),
then `Departures` ends that workspace's rounds and pauses its schedules; the event is acked
once that is committed, so a failure has Slack deliver it again (which changes nothing twice).
A `tokens_revoked` for user tokens alone changes nothing: Rapport keeps none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.error import BoltError

from bot.adapters.slack import wire
from bot.adapters.slack.listening import Activity
from bot.service.departures import Departures

Ack = Callable[..., Awaitable[Any]]
Body = Mapping[str, Any]


def register_departures(app: AsyncApp, departures: Departures, activity: Activity) -> list[str]:
    """Attach the two listeners; returns the events they handle (for `Registration`). Each
    run counts in the handlers' `activity`, as their own listeners do."""
    try:
        forget_all = app.default_app_uninstalled_event_listener()
        forget_revoked = app.default_tokens_revoked_event_listener()
    except BoltError:  # single-token mode: no installation store, the token is the operator's
        forget_all = forget_revoked = None

    async def leave(body: Body) -> None:
        await departures.workspace_left(wire.PLATFORM, wire.team_of(body))

    async def on_app_uninstalled(ack: Ack, body: Body, context: AsyncBoltContext) -> None:
        try:
            if forget_all is not None:
                await forget_all(context=context)
            await leave(body)
            await ack()
        finally:
            await activity.done()

    async def on_tokens_revoked(
        ack: Ack, event: Body, body: Body, context: AsyncBoltContext
    ) -> None:
        try:
            if forget_revoked is not None:
                await forget_revoked(event=event, context=context)
            if (event.get("tokens") or {}).get("bot"):
                await leave(body)
            await ack()
        finally:
            await activity.done()

    app.event("app_uninstalled")(on_app_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)
    return ["app_uninstalled", "tokens_revoked"]
