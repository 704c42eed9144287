"""Buttons, the rating select and the answer modal, and what a click or a submission does.

Components are `DynamicItem`s: the custom id carries the round and step
(`rapport:swap:{round_id}:{step}`), so they keep working after a restart without any view kept
in memory. The answer modal is routed by its custom id too (`RapportClient.on_interaction`).
Whoever clicks is turned into a member of the round's workspace and the engine decides: an
outsider gets `not_member` and an ephemeral refusal, and nothing changes.

The service commits a click or a submission first; only then is the interaction acknowledged
(a deferred update, within Discord's 3 s: `replies`), and the clicked message is edited so its
controls are gone and one short line says what happened. Only the Answer button answers with a
modal, which must be the first response.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any, Protocol, TypeVar, cast

import discord
from discord import ui

from bot.adapters.discord import replies, wire
from bot.adapters.discord.activity import Activity
from bot.adapters.discord.reader import reading_for
from bot.adapters.discord.replies import Deadline
from bot.adapters.discord.servers import RoundServers
from bot.adapters.discord.wire import Target
from bot.bootstrap import Rapport
from bot.engine.model import (
    MAX_ANSWER_CHARS,
    MAX_FOLLOW_UP_CHARS,
    RATING_RANGE,
    AskFollowUp,
    Command,
    Rate,
    Rejected,
    SubmitAnswer,
)
from bot.i18n import N_
from bot.i18n.translate import _
from bot.identity import Member
from bot.messages.buttons import (
    SETTLED_NOTES,
    STALE_NOTE,
    command_for,
    keep_going_buttons,
    prompt_buttons,
)
from bot.messages.model import Action, Button, Rendered
from bot.messages.rounds import (
    FOLLOW_UP_LABEL,
    FOLLOW_UP_PLACEHOLDER,
    FOLLOW_UP_TITLE,
    example_text,
    layer_name,
    prompt_text,
)
from bot.service.rounds import OpenFollowUp, OpenPrompt, Outcome

log = logging.getLogger(__name__)
Made = TypeVar("Made")

MODAL_TITLE_LIMIT = 45
TEXT_DISPLAY_LIMIT = 4000


def _noted(note: str) -> str:
    """A settled message's note as Discord shows it (a sentence)."""
    return _(note) + "."


# refusals meaning the clicked message is out of date: its controls are removed
STALE_CODES = frozenset({"stale_prompt", "round_ended", "unknown_round", "not_invited"})
STYLES = {"primary": discord.ButtonStyle.primary, "danger": discord.ButtonStyle.danger}
NO_MENTIONS = discord.AllowedMentions.none()


# --- components ---------------------------------------------------------------------------------


class RoundButton(ui.DynamicItem[ui.Button[Any]], template=wire.BUTTON_TEMPLATE):
    """Accept, Not now, Answer, Swap, Stay or Leave for one round (and step)."""

    def __init__(
        self,
        action: Action,
        target: Target,
        *,
        label: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        button: ui.Button[Any] = ui.Button(
            label=label or action.value.title(),
            style=style,
            custom_id=wire.custom_id(action, target),
        )
        super().__init__(button)
        self.action = action
        self.target = target

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Item[Any], match: re.Match[str]
    ) -> RoundButton:
        target = Target(match["round"], int(match["step"]))
        style = getattr(item, "style", discord.ButtonStyle.secondary)
        return cls(Action(match["action"]), target, label=getattr(item, "label", None), style=style)

    async def callback(self, interaction: discord.Interaction) -> None:
        await handlers_of(interaction).on_button(interaction, self.action, self.target)


class RatingSelect(ui.DynamicItem[ui.Select[Any]], template=wire.RATE_TEMPLATE):
    """The 1-7 closeness rating offered when a round completes."""

    def __init__(self, target: Target) -> None:
        select: ui.Select[Any] = ui.Select(
            custom_id=wire.custom_id(Action.RATE, target),
            placeholder=_("How close do you feel now? 1-7"),
            options=[discord.SelectOption(label=str(n), value=str(n)) for n in RATING_RANGE],
        )
        super().__init__(select)
        self.target = target

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Item[Any], match: re.Match[str]
    ) -> RatingSelect:
        return cls(Target(match["round"], int(match["step"])))

    async def callback(self, interaction: discord.Interaction) -> None:
        values = self.item.values
        rating = int(values[0]) if values and values[0].isdigit() else 0
        await handlers_of(interaction).on_rate(interaction, self.target, rating)


DYNAMIC_ITEMS = (RoundButton, RatingSelect)
MISSING_CONTROL = N_("That button isn't on this message any more, so nothing changed.")


def unroutable_click(interaction: discord.Interaction) -> bool:
    """A Rapport control the message doesn't show: discord.py's dynamic items would silently
    drop it, so it gets a refusal instead (every interaction is answered)."""
    if interaction.type is not discord.InteractionType.component:
        return False
    custom_id = str((interaction.data or {}).get("custom_id", ""))
    if not any(re.fullmatch(t, custom_id) for t in (wire.BUTTON_TEMPLATE, wire.RATE_TEMPLATE)):
        return False
    return custom_id not in wire.shown_custom_ids(interaction.message)


def build_view(rendered: Rendered, target: Target) -> ui.View | None:
    """The buttons (or the rating select) a rendered message offers, or None."""
    return _view_of(rendered.buttons, target, rating=rendered.rating)


def _view_of(
    buttons: tuple[Button, ...], target: Target, *, rating: bool = False
) -> ui.View | None:
    if not buttons and not rating:
        return None
    view = ui.View(timeout=None)
    for button in buttons:
        style = STYLES.get(button.style or "", discord.ButtonStyle.secondary)
        view.add_item(RoundButton(button.action, target, label=button.label, style=style))
    if rating:
        view.add_item(RatingSelect(target))
    return view


class AnswerModal(ui.Modal):
    """The prompt in a TextDisplay (labels hold only 45 characters) and a 3,000-character box.

    The submission is routed by custom id in `RapportClient.on_interaction`, not to this
    object, so a form opened before a restart still lands: `is_finished` keeps discord.py from
    holding it in memory.
    """

    def __init__(self, prompt: OpenPrompt) -> None:
        layer = layer_name(prompt.layer)
        title = _("Your answer · Layer {layer} · {name}", layer=prompt.layer, name=layer)
        super().__init__(
            title=title[:MODAL_TITLE_LIMIT],
            custom_id=wire.modal_id(Target(prompt.round_id, prompt.step)),
            timeout=None,
        )
        self.add_item(ui.TextDisplay(prompt_text(asdict(prompt))[:TEXT_DISPLAY_LIMIT]))
        answer: ui.TextInput[Any] = ui.TextInput(
            custom_id=wire.ANSWER_INPUT_ID,
            style=discord.TextStyle.paragraph,
            min_length=1,
            max_length=MAX_ANSWER_CHARS,
            placeholder=_("Private until your partner has answered too."),
        )
        self.add_item(ui.Label(text=_("Your answer"), component=answer))

    def is_finished(self) -> bool:
        return True


class FollowUpModal(ui.Modal):
    """The revealed prompt in a TextDisplay and a 300-character box for one question; routed
    by custom id like the answer modal."""

    def __init__(self, opened: OpenFollowUp) -> None:
        super().__init__(
            title=_(FOLLOW_UP_TITLE),
            custom_id=wire.follow_up_modal_id(Target(opened.round_id, opened.step)),
            timeout=None,
        )
        if shown := prompt_text(asdict(opened), "prompt_text"):
            self.add_item(ui.TextDisplay(shown[:TEXT_DISPLAY_LIMIT]))
        question: ui.TextInput[Any] = ui.TextInput(
            custom_id=wire.FOLLOW_UP_INPUT_ID,
            style=discord.TextStyle.paragraph,
            min_length=1,
            max_length=MAX_FOLLOW_UP_CHARS,
            placeholder=_(FOLLOW_UP_PLACEHOLDER),
        )
        self.add_item(ui.Label(text=_(FOLLOW_UP_LABEL), component=question))

    def is_finished(self) -> bool:
        return True


def submitted_answer(data: Any) -> str:
    """The answer text of a modal submission (in a Label, or in a classic action row)."""
    return wire.modal_value(data, wire.ANSWER_INPUT_ID)


# --- what clicks and submissions do -------------------------------------------------------------


class HasComponentHandlers(Protocol):
    rapport_components: ComponentHandlers


def handlers_of(interaction: discord.Interaction) -> ComponentHandlers:
    return cast(HasComponentHandlers, interaction.client).rapport_components


class ComponentHandlers:
    """Turns clicks and modal submissions into service calls; refusals go only to the clicker.

    The command is committed before Discord hears anything (`replies`): a crash after the
    commit leaves an unanswered interaction but nothing lost, never the other way round.
    `after_commit` runs between the two (a fault point for tests; nothing by default).
    """

    def __init__(self, rapport: Rapport, activity: Activity | None = None) -> None:
        self.service = rapport.service
        self.servers = RoundServers(rapport.service)
        self.languages = rapport.languages
        self.activity = activity or Activity()
        self.after_commit: Callable[[discord.Interaction], Awaitable[None]] = _nothing

    async def on_button(
        self, interaction: discord.Interaction, action: Action, target: Target
    ) -> None:
        async with self.activity.track(), self._reading(interaction, target):
            await self._on_button(interaction, action, target, replies.Deadline())

    async def on_rate(self, interaction: discord.Interaction, target: Target, rating: int) -> None:
        async with self.activity.track(), self._reading(interaction, target):
            await self._on_rate(interaction, target, rating, replies.Deadline())

    async def on_answer_submitted(self, interaction: discord.Interaction, target: Target) -> None:
        text = submitted_answer(interaction.data)

        def settled() -> tuple[str, ui.View | None]:
            keep = _view_of((Button(Action.LEAVE, _("Leave"), "danger"),), target)
            return _noted(SETTLED_NOTES[Action.ANSWER]), keep

        def command(member: Member) -> Command:
            return SubmitAnswer(member.key, text, target.step)

        await self._submitted(interaction, target, command, settled, text)

    async def on_follow_up_submitted(
        self, interaction: discord.Interaction, target: Target
    ) -> None:
        text = wire.modal_value(interaction.data, wire.FOLLOW_UP_INPUT_ID)

        def settled() -> tuple[str, ui.View | None]:
            return _(SETTLED_NOTES[Action.FOLLOW_UP]), None

        def command(member: Member) -> Command:
            return AskFollowUp(member.key, text, target.step)

        await self._submitted(interaction, target, command, settled, text)

    async def _submitted(
        self,
        interaction: discord.Interaction,
        target: Target,
        command: Callable[[Member], Command],
        settled: Callable[[], tuple[str, ui.View | None]],
        typed: str,
    ) -> None:
        """A form's submission: committed, then answered. Taken, it settles the prompt it was
        opened from (`settled`: its note and controls) in the response itself - one call, not a
        deferral and an edit; refused, the response defers and the refusal follows."""
        async with self.activity.track():
            deadline = replies.Deadline()
            outcome = await self._commit(interaction, target, command)
            if outcome.duplicate:
                return  # the first delivery of this interaction answers it
            async with self._reading(interaction, target):
                note, keep = settled()
                if outcome.ok and interaction.message is not None:
                    acked = await replies.first_response(
                        interaction,
                        deadline,
                        lambda: interaction.response.edit_message(content=note, view=keep),
                    )
                    if not acked:
                        await self._answer_without_interaction(
                            interaction, outcome, note, keep, typed
                        )
                    return
                acked = await replies.first_response(
                    interaction, deadline, interaction.response.defer
                )
                await self._settle(interaction, acked, outcome, note, keep, typed)

    async def _on_button(
        self, interaction: discord.Interaction, action: Action, target: Target, deadline: Deadline
    ) -> None:
        if action is Action.ANSWER:
            await self._open_answer(interaction, target, deadline)
            return
        if action is Action.EXAMPLE:
            await self._show_example(interaction, target, deadline)
            return
        if action is Action.FOLLOW_UP:
            await self._open_follow_up(interaction, target, deadline)
            return

        def command(member: Member) -> Command:
            return command_for(action, member.key, target.step)

        outcome = await self._commit(interaction, target, command)
        await self._after(
            interaction,
            deadline,
            outcome,
            _noted(SETTLED_NOTES[action]),
            keep_after(action, target),
        )

    async def _on_rate(
        self, interaction: discord.Interaction, target: Target, rating: int, deadline: Deadline
    ) -> None:
        outcome = await self._commit(interaction, target, lambda m: Rate(m.key, rating))
        note = _("✓ You rated this round {rating} out of 7. Thank you!", rating=rating)
        await self._after(interaction, deadline, outcome, note, keep_after(Action.RATE, target))

    async def on_unroutable_click(self, interaction: discord.Interaction) -> None:
        async with self.activity.track(), reading_for(self.languages, interaction, None):
            await replies.first_response(
                interaction,
                replies.Deadline(),
                lambda: interaction.response.send_message(
                    _(MISSING_CONTROL), ephemeral=True, allowed_mentions=NO_MENTIONS
                ),
            )

    # --- helpers ----------------------------------------------------------------------------

    @asynccontextmanager
    async def _reading(
        self, interaction: discord.Interaction, target: Target
    ) -> AsyncIterator[None]:
        """Answer the clicker in their language (a DM click names its round, not its server)."""
        member = await self._member(target, interaction.user.id)
        async with reading_for(self.languages, interaction, member):
            yield

    async def _commit(
        self,
        interaction: discord.Interaction,
        target: Target,
        command: Callable[[Member], Command],
    ) -> Outcome:
        """Find the clicker in the round and apply their command; returns once committed."""
        try:
            member = await self._member(target, interaction.user.id)
            if member is None:
                return _UNKNOWN_ROUND
            outcome = await self.service.act(
                target.round_id, command(member), wire.interaction_key(interaction)
            )
        except Exception:  # the store failed: nothing changed, and the member may retry
            log.exception("interaction %s could not be committed", interaction.id)
            return _NOT_SAVED
        await self.after_commit(interaction)
        return outcome

    async def _member(self, target: Target, user_id: int) -> Member | None:
        """The clicker in the round's workspace (a DM carries none); None for an unknown round."""
        return await self.servers.member(target.round_id, user_id)

    async def _prepared(
        self,
        interaction: discord.Interaction,
        target: Target,
        deadline: Deadline,
        make: Callable[[Member], Awaitable[Made]],
    ) -> Made | None:
        """What `make` builds for the clicker (a form, a text); None once the clicker was told
        why not (and a stale message lost its controls). Two quick reads at most: a modal must
        be the first response."""
        member = await self._member(target, interaction.user.id)
        try:
            if member is None:
                raise Rejected(_UNKNOWN_ROUND.code or "", _UNKNOWN_ROUND.message)
            return await make(member)
        except Rejected as refused:
            await self._say(interaction, deadline, _(refused.message))
            if refused.code in STALE_CODES:
                await _settle_message(interaction.message, _noted(STALE_NOTE))
            return None

    @staticmethod
    async def _say(interaction: discord.Interaction, deadline: Deadline, text: str) -> None:
        """An ephemeral first response to the clicker, or a DM if Discord didn't take it."""
        if not await replies.first_response(
            interaction,
            deadline,
            lambda: interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=NO_MENTIONS
            ),
        ):
            await replies.tell_by_dm(interaction.user, text)

    async def _show_example(
        self, interaction: discord.Interaction, target: Target, deadline: Deadline
    ) -> None:
        """Only the member who asked sees the prompt's example answer; nothing changes."""

        async def example(member: Member) -> str:
            opened = await self.service.open_prompt(target.round_id, member, target.step)
            return example_text(opened.example, opened.bank, opened.prompt_id)

        text = await self._prepared(interaction, target, deadline, example)
        if text is not None:
            await self._say(interaction, deadline, text)

    async def _open_answer(
        self, interaction: discord.Interaction, target: Target, deadline: Deadline
    ) -> None:
        async def form(member: Member) -> ui.Modal:
            return AnswerModal(await self.service.open_prompt(target.round_id, member, target.step))

        await self._open_form(interaction, target, deadline, form, FORM_FAILED)

    async def _open_follow_up(
        self, interaction: discord.Interaction, target: Target, deadline: Deadline
    ) -> None:
        async def form(member: Member) -> ui.Modal:
            opened = await self.service.open_follow_up(target.round_id, member, target.step)
            return FollowUpModal(opened)

        await self._open_form(interaction, target, deadline, form, FOLLOW_UP_FORM_FAILED)

    async def _open_form(
        self,
        interaction: discord.Interaction,
        target: Target,
        deadline: Deadline,
        form: Callable[[Member], Awaitable[ui.Modal]],
        failed: str,
    ) -> None:
        modal = await self._prepared(interaction, target, deadline, form)
        if modal is None:
            return
        if not await replies.first_response(
            interaction, deadline, lambda: interaction.response.send_modal(modal)
        ):
            await replies.tell_by_dm(interaction.user, _(failed))

    async def _after(
        self,
        interaction: discord.Interaction,
        deadline: Deadline,
        outcome: Outcome,
        note: str,
        keep: ui.View | None,
        typed: str = "",
    ) -> None:
        """Acknowledge (a deferred update), then settle the clicked message or refuse."""
        if outcome.duplicate:
            return  # the first delivery of this interaction answers it
        acked = await replies.first_response(interaction, deadline, interaction.response.defer)
        await self._settle(interaction, acked, outcome, note, keep, typed)

    async def _settle(
        self,
        interaction: discord.Interaction,
        acked: bool,
        outcome: Outcome,
        note: str,
        keep: ui.View | None,
        typed: str = "",
    ) -> None:
        """Once acknowledged (or not, in time): settle the clicked message, or refuse."""
        if not acked:
            await self._answer_without_interaction(interaction, outcome, note, keep, typed)
            return
        if not outcome.ok:
            await self._refused(interaction, outcome, typed)
            return
        await replies.quietly(
            "settling a clicked message",
            interaction.edit_original_response(content=note, view=keep),
        )

    async def _refused(
        self, interaction: discord.Interaction, outcome: Outcome, typed: str = ""
    ) -> None:
        """Tell only the clicker; remove the controls only when the message is out of date."""
        await replies.quietly(
            "an ephemeral refusal",
            interaction.followup.send(
                _(outcome.message),
                embeds=_handed_back(typed),
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            ),
        )
        if outcome.code in STALE_CODES:
            await replies.quietly(
                "settling a stale message",
                interaction.edit_original_response(content=_noted(STALE_NOTE), view=None),
            )

    @staticmethod
    async def _answer_without_interaction(
        interaction: discord.Interaction,
        outcome: Outcome,
        note: str,
        keep: ui.View | None,
        typed: str,
    ) -> None:
        """Discord didn't take the response in time: the member sees "This interaction
        failed", so the clicked message is settled directly and a refusal comes by DM."""
        if outcome.ok:
            await _settle_message(interaction.message, note, keep)
            return
        await replies.tell_by_dm(interaction.user, _(outcome.message), _handed_back(typed))
        if outcome.code in STALE_CODES:
            await _settle_message(interaction.message, _noted(STALE_NOTE))


async def _nothing(interaction: discord.Interaction) -> None:
    return None


def _handed_back(typed: str) -> list[discord.Embed]:
    """A refused answer is handed back so it isn't lost."""
    if not typed.strip():
        return []
    return [discord.Embed(title=_("What you wrote"), description=typed[:4096])]


_UNKNOWN_ROUND = Outcome(
    False, N_("I couldn't find that round, so nothing changed."), code="unknown_round"
)
_NOT_SAVED = Outcome(
    False,
    N_("Sorry, something went wrong on my side and nothing was saved. Please try again."),
    code="not_saved",
)
FORM_FAILED = N_(
    "Discord didn't let me open the answer form in time, sorry. Press Answer again, "
    "or simply reply here with your answer."
)
FOLLOW_UP_FORM_FAILED = N_(
    "Discord didn't let me open the follow-up form in time, sorry. Press Ask a follow-up again."
)


def keep_after(action: Action, target: Target) -> ui.View | None:
    """The controls a settled message keeps: after Stay, Answer, Swap and Leave still apply;
    the closing message's rating and "Keep going together" each stay once the other is used."""
    if action is Action.STAY:
        return _view_of(tuple(b for b in prompt_buttons() if b.action is not Action.STAY), target)
    if action is Action.RATE:
        return _view_of(keep_going_buttons(), target)
    if action is Action.KEEP_GOING:
        return _view_of((), target, rating=True)
    return None


async def _settle_message(
    message: discord.Message | None, note: str, keep: ui.View | None = None
) -> None:
    if message is not None:
        await replies.quietly(
            f"settling message {message.id}", message.edit(content=note, view=keep)
        )
