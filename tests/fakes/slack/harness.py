"""Rapport's real core + `SlackRuntime` wired to `FakeSlack`, in Socket Mode or HTTP mode.

`SlackHarness` builds the core with `bot.bootstrap.build` (tiny bank, fake clock, SQLite file),
starts the real slack-bolt app against the fake and offers what a test needs to act like Slack
users: `deliver()` sends an inbound payload the way the mode does (envelope + ack, or a signed
POST), `handled()` waits until the listener it triggered has finished, and the DM helpers read
what each user received. Nothing sleeps: every wait is on a condition with a timeout.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection

from bot.adapters.slack.blocks import kind_of
from bot.adapters.slack.handlers import SlackHandlers
from bot.adapters.slack.runtime import SlackRuntime
from bot.adapters.slack.wire import (
    ACTION_IDS,
    ACTIONS_BLOCK,
    ANSWER_BLOCK,
    ANSWER_CALLBACK,
    ANSWER_INPUT,
    RATING_BLOCK,
)
from bot.bootstrap import Rapport, build
from bot.clock import FakeClock
from bot.config import Settings
from bot.messages.model import Action
from bot.questions.loader import load_bank
from bot.store.tables import outbox

from .payloads import Inbound
from .server import FakeSlack

Mode = Literal["socket", "http"]
TINY_BANK = Path(__file__).parents[2] / "fixtures" / "banks" / "tiny.yaml"
ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"


def harness_settings(fake: FakeSlack, mode: Mode, tmp_path: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "RAPPORT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'rapport.db'}",
        "RAPPORT_DEFAULT_BANK": "tiny",
        "RAPPORT_MAX_LAYER": 2,
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_APP_TOKEN": fake.app_token,
        "SLACK_SIGNING_SECRET": fake.signing_secret,
        "RAPPORT_SLACK_MODE": mode,
        "RAPPORT_HTTP_PORT": 0,
        "SLACK_API_URL": fake.api_url,
        # follow-ups wait for everyone after each reveal: off unless a test is about them
        "RAPPORT_FOLLOW_UPS": False,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class SlackHarness:
    def __init__(self, fake: FakeSlack, settings: Settings) -> None:
        self.fake = fake
        self.settings = settings
        self.mode: Mode = settings.slack_mode
        self.clock = FakeClock()
        self.runtime = SlackRuntime(settings)
        bank = load_bank(TINY_BANK)
        self.rapport: Rapport = build(
            settings,
            senders={"slack": self.runtime.sender},
            directories={"slack": self.runtime.directory},
            clock=self.clock,
            banks={bank.name: bank},
        )

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> SlackHarness:
        hellos = len(self.fake.hellos)
        await self.rapport.start()
        await self.runtime.start(self.rapport)
        self.rapport.health.register_adapter("slack", self.runtime)  # as `rapport run` does
        if self.mode == "socket":
            await self.fake.wait_connected(hellos + 1)
        return self

    async def stop(self) -> None:
        await self.runtime.stop()
        await self.rapport.stop()

    @property
    def handlers(self) -> SlackHandlers:
        assert self.runtime.handlers is not None
        return self.runtime.handlers

    @property
    def events_url(self) -> str:
        assert self.runtime.http_url is not None, "not in HTTP mode"
        return f"{self.runtime.http_url}/slack/events"

    # --- talking to the app like Slack ------------------------------------------------------

    async def deliver(self, inbound: Inbound, *, retry_num: int | None = None) -> Any:
        """Send `inbound`; returns the ack's payload (Socket Mode) or the response body (HTTP)."""
        reason = "http_timeout" if retry_num else None
        if self.mode == "socket":
            envelope_id = await self.fake.send(
                inbound, retry_attempt=retry_num, retry_reason=reason
            )
            return (await self.fake.wait_ack(envelope_id)).get("payload")
        reply = await self.fake.post_to_app(
            self.events_url, inbound, retry_num=retry_num, retry_reason=reason
        )
        assert reply.status == 200, (reply.status, reply.text)
        return reply.json()

    async def handled(self, inbound: Inbound, *, retry_num: int | None = None) -> Any:
        """`deliver`, then wait until the listener it started has finished its work."""
        finished = self.handlers.activity.finished
        reply = await self.deliver(inbound, retry_num=retry_num)
        await self.handlers.activity.wait_finished(finished + 1)
        return reply

    async def command(self, text: str, user: str = ALICE) -> dict[str, Any]:
        """`/rapport <text>`; returns the ephemeral reply posted to the response_url."""
        before = len(self.fake.responses())
        await self.handled(self.fake.payloads.slash_command(text, user_id=user))
        replies = await self.fake.wait_for(lambda: self.fake.responses()[before:])
        return replies[0]

    def dm(self, text: str, user: str) -> Inbound:
        return self.fake.payloads.im_message(
            text, user_id=user, channel_id=self.fake.dm_channel(user)
        )

    def click(self, user: str, message: Mapping[str, Any], action: Action) -> Inbound:
        return click_payload(self.fake, user, message, action)

    def rate(self, user: str, message: Mapping[str, Any], rating: int) -> Inbound:
        element = control(message, ACTION_IDS[Action.RATE])
        option = next(o for o in element["options"] if o["text"]["text"] == str(rating))
        return self.fake.payloads.select_option(
            action_id=element["action_id"],
            value=option["value"],
            user_id=user,
            channel_id=message["channel"],
            message_ts=message["ts"],
            block_id=RATING_BLOCK,
            message=message,
        )

    async def open_answer_modal(self, user: str, message: Mapping[str, Any]) -> dict[str, Any]:
        """Press Answer on `message`; returns the modal Slack opened."""
        opened = len(self.fake.calls_to("views.open"))
        await self.handled(self.click(user, message, Action.ANSWER))
        calls = await self.fake.wait_for(lambda: self.fake.calls_to("views.open")[opened:])
        assert calls[0].ok, calls[0].response
        return self.fake.views[calls[0].response["view"]["id"]]

    def submission(self, user: str, modal: Mapping[str, Any], text: str) -> Inbound:
        return self.fake.payloads.view_submission(
            callback_id=ANSWER_CALLBACK,
            values={ANSWER_BLOCK: {ANSWER_INPUT: text}},
            user_id=user,
            private_metadata=modal["private_metadata"],
            view_id=modal["id"],
        )

    # --- what users received ----------------------------------------------------------------

    def dms(self, user: str) -> list[dict[str, Any]]:
        return self.fake.posted_messages(self.fake.dm_channel(user))

    def kinds(self, user: str) -> list[str | None]:
        return [kind_of(m) for m in self.dms(user)]

    def last(self, user: str, kind: str) -> dict[str, Any]:
        return [m for m in self.dms(user) if kind_of(m) == kind][-1]

    async def wait_dms(self, user: str, count: int) -> list[str | None]:
        """Wait until `user` has at least `count` DMs from Rapport; returns their kinds."""
        await self.fake.wait_for(lambda: len(self.dms(user)) >= count)
        return self.kinds(user)

    @contextlib.contextmanager
    def failing_commits(self, times: int = 1) -> Iterator[list[int]]:
        """The next `times` commits that record an inbound event id fail (a full disk, a lost
        PostgreSQL connection): nothing of those transactions is stored. Yields [failures left]."""
        engine = self.rapport.db.engine.sync_engine
        left = [times]

        def on_execute(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT") and "processed_events" in statement:
                conn.info["rapport_records_event"] = True

        def on_commit(conn: Connection) -> None:
            if conn.info.pop("rapport_records_event", False) and left[0] > 0:
                left[0] -= 1
                raise RuntimeError("injected fault: the commit failed")

        def on_rollback(conn: Connection) -> None:
            conn.info.pop("rapport_records_event", None)

        hooks = {"before_cursor_execute": on_execute, "commit": on_commit, "rollback": on_rollback}
        for name, hook in hooks.items():
            event.listen(engine, name, hook)
        try:
            yield left
        finally:
            for name, hook in hooks.items():
                event.remove(engine, name, hook)

    async def outbox_count(self) -> int:
        async with self.rapport.db.transaction() as conn:
            result = await conn.execute(sa.select(sa.func.count()).select_from(outbox))
            return int(result.scalar_one())


def control(message: Mapping[str, Any], action_id: str) -> dict[str, Any]:
    """The button or select with `action_id` in a message's blocks (AssertionError if gone)."""
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == action_id:
                return dict(element)
    raise AssertionError(f"no {action_id} control in message {message.get('ts')}")


def has_control(message: Mapping[str, Any], action_id: str) -> bool:
    try:
        control(message, action_id)
    except AssertionError:
        return False
    return True


def section_texts(message: Mapping[str, Any], block_id: str) -> list[str]:
    """Texts of the section `block_id` and its continuations `block_id_1`, `block_id_2`, …"""
    return [
        b["text"]["text"]
        for b in message.get("blocks", [])
        if b.get("type") == "section"
        and (b.get("block_id") == block_id or _continues(b.get("block_id", ""), block_id))
    ]


def _continues(candidate: str, block_id: str) -> bool:
    suffix = candidate.removeprefix(f"{block_id}_")
    return candidate != suffix and suffix.isdigit()


def click_payload(
    fake: FakeSlack, user: str, message: Mapping[str, Any], action: Action
) -> Inbound:
    """`user` presses the `action` button on a message Rapport posted."""
    element = control(message, ACTION_IDS[action])
    return fake.payloads.button_click(
        action_id=element["action_id"],
        value=element["value"],
        user_id=user,
        channel_id=message["channel"],
        message_ts=message["ts"],
        block_id=ACTIONS_BLOCK,
        message=message,
    )


@contextlib.asynccontextmanager
async def running(
    fake: FakeSlack, mode: Mode, tmp_path: Path, **extra: Any
) -> AsyncIterator[SlackHarness]:
    """A started harness, stopped (runtime first, then the core) when the block ends."""
    harness = SlackHarness(fake, harness_settings(fake, mode, tmp_path, **extra))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
