"""A round on Slack: a member's plain reply in their DM, the buttons on Rapport's messages, and
the answer and follow-up forms. Part of `SlackHandlers` (see `handlers`), which holds the state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import blocks, wire
from bot.adapters.slack.blocks import escape
from bot.adapters.slack.client import failed_call
from bot.adapters.slack.listening import answering, tracked
from bot.adapters.slack.replies import PLATFORM_ERRORS, Body, Respond, _tell
from bot.engine.follow_ups import clean_follow_up
from bot.engine.model import AskFollowUp, Rejected, SubmitAnswer
from bot.engine.rules import clean_answer
from bot.i18n import N_
from bot.i18n.translate import _
from bot.identity import Member
from bot.messages.buttons import SETTLED_NOTES, STALE_NOTE, command_for
from bot.messages.model import Action
from bot.messages.rounds import FOLLOW_UP_FORM_EXPIRED, example_text, prompt_text
from bot.service.rounds import OpenPrompt, Outcome, RoundService

log = logging.getLogger(__name__)

# refusals meaning the clicked message is out of date: its controls are removed
STALE_CODES = frozenset({"stale_prompt", "round_ended", "unknown_round", "not_invited"})
KEPT_AFTER_STAY = frozenset(
    wire.ACTION_IDS[a] for a in (Action.ANSWER, Action.EXAMPLE, Action.SWAP, Action.LEAVE)
)
# the closing message offers a rating and "Keep going together": choosing one keeps the other
KEPT_AFTER: dict[Action, frozenset[str]] = {
    Action.STAY: KEPT_AFTER_STAY,
    Action.RATE: frozenset({wire.ACTION_IDS[Action.KEEP_GOING]}),
    Action.KEEP_GOING: frozenset({wire.ACTION_IDS[Action.RATE]}),
}
# buttons that store nothing (a form to open, an example to show): acked first
FORM_ACTIONS = frozenset({Action.ANSWER, Action.FOLLOW_UP, Action.EXAMPLE})
FORM_UNAVAILABLE = N_(
    "I couldn't open the answer form just now. Please press Answer again in a "
    "moment, or simply reply here in our DM with your answer."
)
TRIGGER_BUDGET_SECONDS = 2.5  # views.open must use the trigger within 3 s of the click


class RoundHandlers:
    """The listeners a round's members use; mixed into `SlackHandlers`."""

    service: RoundService

    # ============================================================== DM replies

    @answering
    async def on_message(
        self, ack: Respond, event: Body, body: Body, client: AsyncWebClient
    ) -> None:
        """A member's plain reply in their DM with Rapport answers the prompt waiting for them.

        Acked once the answer is committed: if that fails, Slack redelivers the event (up to
        three times), and its event id makes a redelivery after a commit change nothing."""
        if not _from_a_person_in_dm(event):
            await ack()
            return
        member = wire.member(wire.team_of(body), str(event["user"]))
        text = blocks.unescape(str(event.get("text", "")))
        outcome = await self.service.answer_from_dm(member, text, wire.event_key(body))
        await ack()
        if outcome.ok or outcome.duplicate:
            return  # the held confirmation or the reveal comes through the outbox
        await client.chat_postMessage(
            channel=str(event["channel"]), text=escape(_(outcome.message))
        )

    # ========================================================= buttons, select

    @tracked
    async def on_action(
        self, ack: Respond, body: Body, action: Body, respond: Respond, client: AsyncWebClient
    ) -> None:
        kind = wire.ACTION_BY_ID[str(action["action_id"])]
        target = wire.decode_target(_action_value(action))
        member = wire.member(wire.team_of(body), str(body["user"]["id"]))
        if target is None or kind in FORM_ACTIONS:
            await ack()  # nothing to store: a form or an example to show, or a refusal
            if target is None:
                await _tell(
                    respond, _("That button didn't carry a round I recognise, so nothing changed.")
                )
            elif kind is Action.EXAMPLE:
                await self._show_example(body, target, member, respond, client)
            elif kind is Action.FOLLOW_UP:
                await self._open_follow_up(body, target, member, respond, client)
            else:
                await self._open_answer(body, target, member, respond, client)
            return
        command = command_for(kind, member.key, target.number)
        outcome = await self.service.act(target.round_id, command, wire.click_key(body, action))
        await ack()
        await self._after_click(kind, target, outcome, body, respond, client)

    async def _after_click(
        self,
        kind: Action,
        target: wire.Target,
        outcome: Outcome,
        body: Body,
        respond: Respond,
        client: AsyncWebClient,
    ) -> None:
        if outcome.duplicate:
            return
        if not outcome.ok:
            await self._refused(outcome.code, _(outcome.message), body, respond, client)
            return
        if kind is Action.RATE:
            note = _("✓ You rated this round {number} out of 7. Thank you!", number=target.number)
        else:
            note = _(SETTLED_NOTES[kind])
        kept = KEPT_AFTER.get(kind, frozenset())
        await _settle(client, body, note, lambda a: a in kept)

    async def _refused(
        self, code: str | None, message: str, body: Body, respond: Respond, client: AsyncWebClient
    ) -> None:
        """Tell only the clicker; remove the controls only when the message is out of date."""
        await _tell(respond, message)
        if code in STALE_CODES:
            await _settle(client, body, _(STALE_NOTE))

    async def _open_prompt(
        self,
        body: Body,
        target: wire.Target,
        member: Member,
        respond: Respond,
        client: AsyncWebClient,
    ) -> OpenPrompt | None:
        """The prompt the clicker may answer now; None once they were told why not."""
        try:
            return await self.service.open_prompt(target.round_id, member, target.number)
        except Rejected as refused:
            await self._refused(refused.code, _(refused.message), body, respond, client)
            return None

    async def _show_example(
        self,
        body: Body,
        target: wire.Target,
        member: Member,
        respond: Respond,
        client: AsyncWebClient,
    ) -> None:
        """Only the member who asked sees the prompt's example answer; nothing changes."""
        prompt = await self._open_prompt(body, target, member, respond, client)
        if prompt is not None:
            await _tell(respond, example_text(prompt.example, prompt.bank, prompt.prompt_id))

    async def _open_answer(
        self,
        body: Body,
        target: wire.Target,
        member: Member,
        respond: Respond,
        client: AsyncWebClient,
    ) -> None:
        prompt = await self._open_prompt(body, target, member, respond, client)
        if prompt is None:
            return
        channel = str(body.get("container", {}).get("channel_id", ""))
        meta = wire.ModalMeta(prompt.round_id, prompt.step, channel)
        view = blocks.answer_modal(prompt_text(asdict(prompt)), meta)
        await self._open_modal(body, view, respond, client)

    async def _open_follow_up(
        self,
        body: Body,
        target: wire.Target,
        member: Member,
        respond: Respond,
        client: AsyncWebClient,
    ) -> None:
        try:
            opened = await self.service.open_follow_up(target.round_id, member, target.number)
        except Rejected as refused:
            await self._refused(refused.code, _(refused.message), body, respond, client)
            return
        channel = str(body.get("container", {}).get("channel_id", ""))
        meta = wire.ModalMeta(opened.round_id, opened.step, channel)
        view = blocks.follow_up_modal(prompt_text(asdict(opened), "prompt_text"), meta)
        await self._open_modal(body, view, respond, client)

    async def _open_modal(
        self, body: Body, view: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        try:
            # the client retries a 5xx once quickly; the trigger is dead after 3 s anyway
            async with asyncio.timeout(TRIGGER_BUDGET_SECONDS):
                await client.views_open(trigger_id=str(body["trigger_id"]), view=view)
        except PLATFORM_ERRORS as err:
            method, code = failed_call(err, "views.open")
            if code == "exchanged_trigger_id":  # an earlier try opened it; its answer was lost
                return
            log.warning("a form: %s failed: %s; the member was told", method, code)
            await _tell(respond, _(FORM_UNAVAILABLE))

    # ============================================================ answer modal

    @answering
    async def on_answer_submitted(
        self, ack: Respond, body: Body, view: Body, client: AsyncWebClient
    ) -> None:
        text = _submitted_text(view)
        meta = wire.ModalMeta.decode(str(view.get("private_metadata", "")))
        try:
            clean_answer(text)
        except Rejected as invalid:
            await ack(response_action="errors", errors={wire.ANSWER_BLOCK: _(invalid.message)})
            return
        if meta is None:
            problem = _("This form has expired. Please press Answer on the prompt again.")
            await ack(response_action="errors", errors={wire.ANSWER_BLOCK: problem})
            return
        member = wire.member(wire.team_of(body), str(body["user"]["id"]))
        command = SubmitAnswer(member.key, text, meta.step)
        outcome = await self.service.act(meta.round_id, command, wire.view_key(view))
        await ack()  # closes the form, now that the answer is stored
        if not (outcome.ok or outcome.duplicate) and meta.channel_id:
            await client.chat_postMessage(channel=meta.channel_id, text=escape(_(outcome.message)))

    @answering
    async def on_follow_up_submitted(
        self, ack: Respond, body: Body, view: Body, client: AsyncWebClient
    ) -> None:
        text = _submitted_text(view, wire.FOLLOW_UP_BLOCK, wire.FOLLOW_UP_INPUT)
        meta = wire.ModalMeta.decode(str(view.get("private_metadata", "")))
        try:
            clean_follow_up(text)
        except Rejected as invalid:
            await ack(response_action="errors", errors={wire.FOLLOW_UP_BLOCK: _(invalid.message)})
            return
        if meta is None:
            problem = _(FOLLOW_UP_FORM_EXPIRED)
            await ack(response_action="errors", errors={wire.FOLLOW_UP_BLOCK: problem})
            return
        member = wire.member(wire.team_of(body), str(body["user"]["id"]))
        command = AskFollowUp(member.key, text, meta.step)
        outcome = await self.service.act(meta.round_id, command, wire.view_key(view))
        await ack()  # closes the form, now that the question is stored
        if not (outcome.ok or outcome.duplicate) and meta.channel_id:
            await client.chat_postMessage(channel=meta.channel_id, text=escape(_(outcome.message)))


# --- small helpers ----------------------------------------------------------------------------


def _from_a_person_in_dm(event: Body) -> bool:
    """Ignore bot posts, edits, deletions, joins and file shares: only typed replies count."""
    return (
        event.get("channel_type") == "im"
        and "subtype" not in event
        and not event.get("bot_id")
        and bool(event.get("user"))
        and bool(event.get("channel"))
    )


def _action_value(action: Body) -> str:
    if action.get("value") is not None:
        return str(action["value"])
    return str((action.get("selected_option") or {}).get("value", ""))


def _submitted_text(
    view: Body, block: str = wire.ANSWER_BLOCK, element: str = wire.ANSWER_INPUT
) -> str:
    values = view.get("state", {}).get("values", {})
    field_ = values.get(block, {}).get(element, {})
    return str(field_.get("value") or "")


async def _settle(
    client: AsyncWebClient, body: Body, note: str, keep: Callable[[str], bool] = lambda _: False
) -> None:
    """Replace the clicked message's controls with `note`, so they can't be pressed again."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    await client.chat_update(
        channel=str(container.get("channel_id")),
        ts=str(container.get("message_ts")),
        text=str(message.get("text") or note),
        blocks=blocks.settled(message.get("blocks") or [], escape(note), keep),
    )
