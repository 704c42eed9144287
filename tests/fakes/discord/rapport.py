"""Rapport's real core plus `DiscordRuntime`, connected to a FakeDiscord, driven as members.

    async with running(guilds=[world.guild], users=world.users, db_path=tmp_path / "r.db") as bot:
        start = await bot.command(alice, general, "start", [p.user_option("member", bob_id)],
                                  resolved=p.resolved([bob], guild_members=True))
        [invitation] = await bot.wait_dms(bob["id"], 1)
        ...

Every helper that pushes an interaction or a DM waits until Rapport's handler for it finished
(`DiscordRuntime.activity`), never for a fixed time.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.adapters.discord.runtime import DiscordRuntime
from bot.bootstrap import Rapport, build
from bot.clock import FakeClock
from bot.config import Settings
from bot.questions.loader import load_bank
from tests.fakes.discord import payloads as p
from tests.fakes.discord.server import FakeDiscord, InteractionCallback, SentMessage

TINY_BANK = Path(__file__).resolve().parents[2] / "fixtures" / "banks" / "tiny.yaml"
Payload = p.Payload

MARK = re.compile(r"^\[[\w-]+\] ")
TITLES = {
    "You're invited to a Rapport round": "invitation",
    "Answer saved": "answer_held",
    "Everyone answered. Here's what you shared:": "reveal",
    "That's the end of this round": "completed",
    "Not this time": "declined",
    "This round couldn't start": "declined",
    "This round has ended": "partner_left",
    "You've left the round": "left",
    "Staying at this depth": "stay",
    "A gentle nudge": "reminder",
    "Rapport session started": "session_summary",
    "No partner this time": "not_paired",
    "This round has wound down": "expired",
    "Question saved": "follow_up_held",
    "Everyone asked a follow-up. Here's what they'd like to know:": "follow_up_questions",
    "Everyone answered the follow-ups. Here's what you shared:": "follow_up_reveal",
    "No follow-ups this time": "follow_ups_passed",
    "A quick check-in": "check_in",
    "You're keeping going together": "kept_going",
}


def rapport_settings(fake: FakeDiscord, db_path: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "RAPPORT_DATABASE_URL": f"sqlite+aiosqlite:///{db_path}",
        "RAPPORT_DEFAULT_BANK": "tiny",
        "RAPPORT_MAX_LAYER": 2,
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_URL": fake.api_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "RAPPORT_DISCORD_GUILD_READY_TIMEOUT": 0.1,
        "RAPPORT_DISCORD_INVITE_WAIT": 5,
        # follow-ups wait for everyone after each reveal: off unless a test is about them
        "RAPPORT_FOLLOW_UPS": False,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def custom_ids(components: Sequence[Payload]) -> list[str]:
    """Every custom id in a message's components (rows, buttons, selects)."""
    found: list[str] = []
    for component in components:
        if "custom_id" in component:
            found.append(component["custom_id"])
        found += custom_ids(component.get("components") or [])
    return found


def control(message: SentMessage, action: str) -> str:
    """The custom id of the message's `action` control as it was sent."""
    ids = [c for c in custom_ids(message.body.get("components") or []) if f":{action}:" in c]
    assert ids, f"no {action} control in {custom_ids(message.body.get('components') or [])}"
    return ids[0]


def command_interaction(
    user: Payload,
    channel: Payload,
    name: str,
    options: Sequence[Payload] = (),
    *,
    group: str | None = None,
    resolved: Payload | None = None,
    permissions: str = p.ALL_PERMISSIONS,
) -> Payload:
    """INTERACTION_CREATE for `/rapport [group] name options…` by `user` in a guild channel."""
    option: Payload = p.subcommand(name, options)
    if group is not None:
        option = p.subcommand_group(group, [option])
    return p.slash_command(
        "rapport",
        user=user,
        channel=channel,
        options=[option],
        resolved_data=resolved,
        command_guild_id=channel["guild_id"],
        member_permissions=permissions,
    )


def kind_of(message: SentMessage) -> str:
    """What kind of Rapport message this is (by its first embed and the controls it was sent
    with); a reveal split over several messages has `reveal_part` after the first."""
    title = str((message.embeds or [{}])[0].get("title") or "")
    title = MARK.sub("", title)  # rendered with a marked test catalog (tests.fakes.catalogs)
    if title in TITLES:
        return TITLES[title]
    if title.endswith("accepted. Your first prompt is below."):
        return "invitation_accepted"
    if any(":answer:" in c for c in custom_ids(message.body.get("components") or [])):
        return "prompt"
    return "reveal_part"


def embed_texts(message: SentMessage) -> list[str]:
    return [str(e.get("description") or "") for e in message.embeds]


class DiscordRapport:
    """One Rapport process (core + DiscordRuntime) against the fake; restartable."""

    def __init__(self, fake: FakeDiscord, settings: Settings, clock: FakeClock | None = None):
        self.fake = fake
        self.settings = settings
        self.clock = clock or FakeClock()
        self.bank = load_bank(TINY_BANK)
        self.runtime: DiscordRuntime | None = None
        self.rapport: Rapport | None = None

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        runtime = DiscordRuntime(self.settings)
        self.rapport = build(
            self.settings,
            senders={"discord": runtime.sender},
            directories={"discord": runtime.directory},
            clock=self.clock,
            banks={"tiny": self.bank},
        )
        await self.rapport.start()
        await runtime.start(self.rapport)
        self.runtime = runtime

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None
        if self.rapport is not None:
            await self.rapport.stop()
            self.rapport = None

    async def restart(self) -> None:
        """Stop the bot and its core, then build new ones on the same database and reconnect."""
        await self.stop()
        await self.start()

    @property
    def core(self) -> Rapport:
        assert self.rapport is not None
        return self.rapport

    @property
    def rt(self) -> DiscordRuntime:
        assert self.runtime is not None
        return self.runtime

    # --- acting as members ------------------------------------------------------------------

    async def push(self, interaction: Payload, *, handled: bool = True) -> Payload:
        """Push an interaction; wait until Rapport's handler for it finished (when `handled`)."""
        before = self.rt.activity.finished
        await self.fake.push_event("INTERACTION_CREATE", interaction)
        if handled:
            await self.rt.activity.wait_finished(before + 1)
        return interaction

    async def command(
        self,
        user: Payload,
        channel: Payload,
        name: str,
        options: Sequence[Payload] = (),
        *,
        group: str | None = None,
        resolved: Payload | None = None,
        permissions: str = p.ALL_PERMISSIONS,
        member: Payload | None = None,
    ) -> Payload:
        """`/rapport [group] name options…` by `user` in a guild channel."""
        interaction = command_interaction(
            user, channel, name, options, group=group, resolved=resolved, permissions=permissions
        )
        if member is not None:
            interaction["member"] = {**interaction["member"], **member}
        return await self.push(interaction)

    async def click(
        self, user: Payload, message: SentMessage, action: str, *, as_sent: bool = False
    ) -> Payload:
        """`user` presses the message's `action` button; `as_sent` presses it on the message as
        it was first sent (a client that hasn't seen an edit yet: a double click)."""
        channel = self.fake.channel(message.channel_id or "") or {}
        shown = message.payload
        if as_sent:
            shown = {**shown, "components": message.body.get("components") or []}
        click = p.button_click(
            control(message, action), user=user, channel=channel, message_payload=shown
        )
        return await self.push(click)

    async def rate(self, user: Payload, message: SentMessage, value: int) -> Payload:
        channel = self.fake.channel(message.channel_id or "") or {}
        choice = p.select_choice(
            control(message, "rate"),
            [str(value)],
            user=user,
            channel=channel,
            message_payload=message.payload,
        )
        return await self.push(choice)

    async def choose(
        self,
        user: Payload,
        message: SentMessage,
        custom_id: str,
        values: Sequence[str],
        *,
        permissions: str = p.ALL_PERMISSIONS,
    ) -> Payload:
        """`user` chooses `values` in the message's select `custom_id`, as the message is now."""
        channel = self.fake.channel(message.channel_id or "") or {}
        choice = p.select_choice(
            custom_id,
            values,
            user=user,
            channel=channel,
            message_payload=message.payload,
            permissions=permissions,
        )
        return await self.push(choice)

    async def submit_modal(
        self,
        user: Payload,
        modal: InteractionCallback,
        values: p.Answers,
        opened_from: SentMessage,
        *,
        permissions: str = p.ALL_PERMISSIONS,
    ) -> Payload:
        """Fill a modal Rapport opened (callback type 9) from a message's control and submit."""
        assert modal.type == 9 and modal.data is not None, modal
        channel = self.fake.channel(opened_from.channel_id or "") or {}
        submit = p.modal_submit(
            modal.data["custom_id"],
            p.modal_answers(modal.data, values),
            user=user,
            channel=channel,
            message_payload=opened_from.payload,
            permissions=permissions,
        )
        return await self.push(submit)

    async def answer_by_modal(
        self, user: Payload, prompt: SentMessage, text: str
    ) -> tuple[InteractionCallback, Payload]:
        """Press Answer, fill the modal, submit; returns the modal callback and the submit."""
        click = await self.click(user, prompt, "answer")
        [modal] = self.fake.interaction_callbacks(click["id"])
        submit = await self.submit_modal(user, modal, {"answer": text}, prompt)
        return modal, submit

    async def dm(self, user: Payload, text: str) -> Payload:
        """`user` writes `text` in their DM with Rapport; waits until it was handled."""
        before = self.rt.activity.finished
        message = await self.fake.user_writes(user, text)
        await self.rt.activity.wait_finished(before + 1)
        return message

    # --- what members got -------------------------------------------------------------------

    def dms(self, user_id: int | str) -> list[SentMessage]:
        return self.fake.messages_to(user_id)

    def kinds(self, user_id: int | str) -> list[str]:
        return [kind_of(m) for m in self.dms(user_id)]

    async def wait_dms(self, user_id: int | str, count: int) -> list[SentMessage]:
        """Wait until the user has at least `count` DMs from Rapport; all of them."""

        def enough() -> list[SentMessage] | None:
            dms = self.dms(user_id)
            return dms if len(dms) >= count else None

        return await self.fake.wait_until(enough)

    def last(self, user_id: int | str, kind: str) -> SentMessage:
        return [m for m in self.dms(user_id) if kind_of(m) == kind][-1]

    def replied_message(self, interaction: Payload) -> SentMessage:
        """The message Rapport's (deferred) reply to a command became, as it is now."""
        [callback] = self.fake.interaction_callbacks(interaction["id"])
        assert callback.message is not None, callback
        return callback.message

    async def count(self, table: sa.Table, *where: Any) -> int:
        """How many rows of `table` in Rapport's database match `where`."""
        async with self.core.db.transaction() as conn:
            query = sa.select(sa.func.count()).select_from(table).where(*where)
            return int((await conn.execute(query)).scalar_one())

    def reply(self, interaction: Payload) -> str:
        """The text of Rapport's ephemeral answer to a command or click."""
        callbacks = self.fake.interaction_callbacks(interaction["id"])
        assert callbacks, f"no callback for interaction {interaction['id']}"
        callback = callbacks[0]
        if callback.type == 4 and callback.data is not None:
            return str(callback.data.get("content") or "")
        if callback.type == 5 and callback.message is not None:
            return callback.message.content or "\n".join(embed_texts(callback.message))
        followups = self.fake.followups(interaction["token"])
        return "\n".join(f.content for f in followups)


@contextlib.asynccontextmanager
async def running(
    *, guilds: Sequence[Payload], users: Sequence[Payload], db_path: Path, **extra: Any
) -> AsyncIterator[DiscordRapport]:
    """A FakeDiscord and a started bot on it; the bot is stopped when the block ends, then the
    block fails if the fake answered any request with a server error or an unknown route."""
    async with FakeDiscord(guilds=list(guilds), users=list(users)) as fake:
        bot = DiscordRapport(fake, rapport_settings(fake, db_path, **extra))
        await bot.start()
        try:
            yield bot
        finally:
            await bot.stop()
        assert not fake.server_errors, fake.server_errors
        assert not fake.unhandled, [f"{r.method} {r.path}" for r in fake.unhandled]
