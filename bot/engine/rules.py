"""The round rules in one place: consent, private answers, the simultaneous reveal and depth.

`start_round` creates a round; `decide` applies one command to a round at a moment. Both are pure:
they return a new state plus the deliveries the round owes its members, or raise `Rejected` and
change nothing.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.engine.bank import LAYER_NAMES, Bank, Prompt
from bot.engine.model import (
    MAX_ANSWER_CHARS,
    RATING_RANGE,
    Accept,
    Answer,
    Command,
    Decision,
    Decline,
    Delivery,
    DeliveryKind,
    Leave,
    MemberKey,
    Pace,
    Rate,
    Rejected,
    RoundSettings,
    RoundState,
    RoundStatus,
    Stay,
    Step,
    StepOutcome,
    StepRecord,
    SubmitAnswer,
    Swap,
    Tick,
)
from bot.engine.timing import into_daytime, next_morning
from bot.i18n import N_

# --- start ----------------------------------------------------------------------------------


def start_round(
    *,
    round_id: str,
    members: Sequence[MemberKey],
    settings: RoundSettings,
    now: datetime,
    seed: int,
    initiator: MemberKey | None = None,
    excluded_prompts: frozenset[str] = frozenset(),
    timezones: Mapping[MemberKey, str] | None = None,
    first_round: bool = False,
) -> Decision:
    """Invite every member; the initiator of a slash command has accepted by starting it.

    `first_round`: no pair among the members has been asked a prompt before, so prompts
    phrased for a first meeting may be drawn."""
    unique = tuple(dict.fromkeys(members))
    if len(unique) != len(members) or not 2 <= len(unique) <= 3:
        raise Rejected("bad_members", N_("A round needs two different people (three at most)."))
    if initiator is not None and initiator not in unique:
        raise Rejected("bad_members", N_("The person starting a round must be part of it."))
    if not 1 <= settings.max_layer <= 4 or settings.prompts_per_layer < 1:
        raise Rejected("bad_settings", N_("Depth must be between 1 and 4."))
    state = RoundState(
        id=round_id,
        members=unique,
        settings=settings,
        status=RoundStatus.INVITED,
        created_at=now,
        last_activity_at=now,
        seed=seed,
        initiator=initiator,
        accepted=frozenset({initiator}) if initiator else frozenset(),
        excluded_prompts=excluded_prompts,
        first_round=first_round,
        timezones=dict(timezones or {}),
    )
    invitations = tuple(
        Delivery(
            to=member,
            kind=DeliveryKind.INVITATION,
            data={**_round_info(state), "initiator": initiator, "others": state.others(member)},
        )
        for member in unique
        if member != initiator
    )
    return Decision(state, invitations)


def _round_info(state: RoundState) -> dict[str, Any]:
    return {
        "round_id": state.id,
        "bank": state.settings.bank,
        "max_layer": state.settings.max_layer,
        "prompts_per_layer": state.settings.prompts_per_layer,
        "pace": state.settings.pace.value,
    }


# --- dispatch -------------------------------------------------------------------------------


def decide(state: RoundState, command: Command, now: datetime, bank: Bank) -> Decision:
    """Apply one command. Raises Rejected (changing nothing) when it cannot apply."""
    if isinstance(command, Tick):
        return _tick(state, now, bank)
    _require_member(state, command.member)
    if isinstance(command, Rate):
        return _rate(state, command)
    _require_open(state)
    handlers = {
        Accept: _accept,
        Decline: _decline,
        SubmitAnswer: _answer,
        Swap: _swap,
        Stay: _stay,
        Leave: _leave,
    }
    handler = handlers[type(command)]
    decision: Decision = handler(state, command, now, bank)  # type: ignore[operator]
    return decision


def _require_member(state: RoundState, member: MemberKey) -> None:
    if member not in state.members:
        raise Rejected("not_member", N_("That round belongs to other people, so nothing changed."))


def _require_open(state: RoundState) -> None:
    if not state.status.is_open:
        raise Rejected("round_ended", N_("That round has already ended, so nothing changed."))


def _require_active(state: RoundState) -> None:
    if state.status is RoundStatus.INVITED:
        raise Rejected("not_started", N_("The round starts once everyone has accepted."))


def _touch(state: RoundState, now: datetime, **changes: Any) -> RoundState:
    return replace(state, last_activity_at=now, **changes)


def _end(state: RoundState, status: RoundStatus, now: datetime) -> RoundState:
    return replace(state, status=status, current=None, next_prompt_at=None, ended_at=now)


def _to_all(state: RoundState, kind: DeliveryKind, **data: Any) -> tuple[Delivery, ...]:
    return tuple(Delivery(m, kind, {"round_id": state.id, **data}) for m in state.members)


# --- consent --------------------------------------------------------------------------------


def _accept(state: RoundState, cmd: Accept, now: datetime, bank: Bank) -> Decision:
    if state.status is RoundStatus.ACTIVE or cmd.member in state.accepted:
        raise Rejected("already_accepted", N_("You're already in this round."))
    accepted = state.accepted | {cmd.member}
    state = _touch(state, now, accepted=accepted)
    if accepted != set(state.members):
        waiting = len(state.members) - len(accepted)
        return Decision(
            state, reply=N_("You're in! Waiting for {waiting} more to accept.", waiting=waiting)
        )
    state = replace(state, status=RoundStatus.ACTIVE)
    notices = tuple(
        Delivery(m, DeliveryKind.INVITATION_ACCEPTED, {"round_id": state.id, "by": cmd.member})
        for m in state.members
        if m != cmd.member
    )
    decision = _open_step(state, now, bank, reason="first")
    return Decision(decision.state, notices + decision.deliveries, reply=N_("You're in!"))


def _decline(state: RoundState, cmd: Decline, now: datetime, bank: Bank) -> Decision:
    if state.status is not RoundStatus.INVITED:
        raise Rejected("not_invited", N_("This round is already under way; use Leave to end it."))
    if cmd.member in state.accepted:
        raise Rejected("already_accepted", N_("You already accepted; use Leave to end the round."))
    state = _end(_touch(state, now), RoundStatus.DECLINED, now)
    data = {"round_id": state.id, **({"unreachable": True} if cmd.unreachable else {})}
    notices = tuple(Delivery(m, DeliveryKind.DECLINED, data) for m in state.others(cmd.member))
    if cmd.unreachable:
        return Decision(state, notices, reply=N_("The invitation couldn't be delivered."))
    return Decision(state, notices, reply=N_("No problem. Maybe another time."))


# --- prompts --------------------------------------------------------------------------------


def _candidates(state: RoundState, bank: Bank, layer: int) -> list[Prompt]:
    return [
        p
        for p in bank.in_layer(layer)
        if p.id not in state.excluded_prompts
        and (p.hierarchy_safe or not state.settings.hierarchy_safe_only)
        and (state.first_round or not p.first_meeting)
    ]


def _pick(state: RoundState, options: list[Prompt], avoid_topic: str | None) -> Prompt | None:
    """Prefer a different topic from `avoid_topic`, then topics this round hasn't touched."""
    if avoid_topic is not None:
        options = [p for p in options if p.topic != avoid_topic]
    if not options:
        return None
    used_topics = {record.topic for record in state.history}
    fresh = [p for p in options if p.topic not in used_topics] or options
    rng = random.Random(f"{state.seed}:{len(state.history)}")
    return rng.choice(sorted(fresh, key=lambda p: p.id))


def _next_step_number(state: RoundState) -> int:
    return (state.current.number if state.current else len(state.history)) + 1


def _open_step(state: RoundState, now: datetime, bank: Bank, *, reason: str) -> Decision:
    """Draw the next prompt of the current layer and send it to everyone at once."""
    layer = state.layer
    prompt = _pick(state, _candidates(state, bank, layer), None)
    while prompt is None and layer < state.depth_cap:
        # the bank ran out at this depth: moving on beats stalling the pair
        layer += 1
        prompt = _pick(state, _candidates(state, bank, layer), None)
        state = replace(state, layer=layer, revealed_in_layer=0)
    if prompt is None:
        return _complete(state, now, ran_out=True)
    return _send_step(state, prompt, now, reason=reason)


def _send_step(state: RoundState, prompt: Prompt, now: datetime, *, reason: str) -> Decision:
    step = Step(
        number=_next_step_number(state),
        prompt_id=prompt.id,
        layer=prompt.layer,
        topic=prompt.topic,
        opened_at=now,
        remind_at=now + state.settings.reminder_after,
    )
    state = replace(
        state,
        current=step,
        next_prompt_at=None,
        excluded_prompts=state.excluded_prompts | {prompt.id},
    )
    paced = state.settings.pace is Pace.DAILY
    data = {
        **_round_info(state),
        "step": step.number,
        "prompt_id": prompt.id,
        "text": prompt.text,
        "layer": prompt.layer,
        "layer_name": LAYER_NAMES.get(prompt.layer, ""),
        "topic": prompt.topic,
        "number_in_layer": state.revealed_in_layer + 1,
        "reason": reason,
    }
    deliveries = tuple(
        Delivery(
            m,
            DeliveryKind.PROMPT,
            data,
            not_before=_daytime(state, m, now) if paced else None,
        )
        for m in state.members
    )
    return Decision(state, deliveries)


def _daytime(state: RoundState, member: MemberKey, now: datetime) -> datetime:
    settings = state.settings
    return into_daytime(now, state.timezones.get(member), settings.quiet_from, settings.quiet_until)


def _current_step(state: RoundState, step: int | None) -> Step:
    _require_active(state)
    current = state.current
    if current is None:
        raise Rejected("no_prompt", N_("There's no open prompt right now; the next one is coming."))
    if step is not None and step != current.number:
        raise Rejected(
            "stale_prompt", N_("That prompt isn't the current one any more, so nothing changed.")
        )
    return current


# --- answers and the reveal -----------------------------------------------------------------


def clean_answer(text: str) -> str:
    """Validate an answer; raise Rejected with a kind, specific message."""
    stripped = text.strip()
    if not stripped:
        raise Rejected(
            "empty_answer", N_("Your answer was empty. Write a few words and send it again!")
        )
    if len(stripped) > MAX_ANSWER_CHARS:
        raise Rejected(
            "answer_too_long",
            N_(
                "Your answer is {length} characters; the limit is {max_answer_chars}. Please "
                "shorten it and send it again. Nothing was saved.",
                length=len(stripped),
                max_answer_chars=MAX_ANSWER_CHARS,
            ),
        )
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in stripped):
        raise Rejected(
            "control_characters",
            N_(
                "Your answer contains invisible control characters. Please retype it and send "
                "again."
            ),
        )
    return stripped


def answerable(state: RoundState, member: MemberKey, step: int | None) -> Step:
    """The step `member` may answer now (an adapter asks before opening an answer form).

    Raises Rejected for an outsider, an ended round, a stale step or an answer already given.
    """
    _require_member(state, member)
    _require_open(state)
    current = _current_step(state, step)
    if member in current.answers:
        raise Rejected(
            "already_answered", N_("You've already answered this prompt; it's held safely.")
        )
    return current


def _answer(state: RoundState, cmd: SubmitAnswer, now: datetime, bank: Bank) -> Decision:
    current = answerable(state, cmd.member, cmd.step)
    text = clean_answer(cmd.text)
    answers = {**current.answers, cmd.member: Answer(text, now)}
    state = _touch(state, now, current=replace(current, answers=answers))
    if set(answers) != set(state.members):
        held = Delivery(
            cmd.member,
            DeliveryKind.ANSWER_HELD,
            {"round_id": state.id, "step": current.number},
        )
        return Decision(
            state, (held,), reply=N_("Answer saved. It stays private until everyone answers.")
        )
    return _reveal(state, now, bank)


def _reveal(state: RoundState, now: datetime, bank: Bank) -> Decision:
    """Everyone answered: show every answer to every member at the same moment, then move on."""
    current = state.current
    assert current is not None
    prompt = bank.get(current.prompt_id)
    record = _closed(
        current,
        StepOutcome.REVEALED,
        now,
        first_answer_at=min(a.at for a in current.answers.values()),
        answers=current.answers,
    )
    answers = [{"member": m, "text": current.answers[m].text} for m in state.members]
    reveals = _to_all(
        state,
        DeliveryKind.REVEAL,
        step=current.number,
        prompt_text=prompt.text if prompt else "",
        bank=state.settings.bank,
        prompt_id=current.prompt_id,
        layer=current.layer,
        answers=answers,
    )
    state = replace(
        state,
        current=None,
        history=(*state.history, record),
        revealed_in_layer=state.revealed_in_layer + 1,
    )
    follow_up = _advance(state, now, bank)
    return Decision(
        follow_up.state, reveals + follow_up.deliveries, reply=N_("Both answers are in!")
    )


def _closed(step: Step, outcome: StepOutcome, now: datetime, **extra: Any) -> StepRecord:
    return StepRecord(
        number=step.number,
        prompt_id=step.prompt_id,
        layer=step.layer,
        topic=step.topic,
        outcome=outcome,
        opened_at=step.opened_at,
        closed_at=now,
        **extra,
    )


def _advance(state: RoundState, now: datetime, bank: Bank) -> Decision:
    """After a reveal: next prompt, one layer deeper, or the end of the round."""
    reason = "next"
    if state.revealed_in_layer >= state.settings.prompts_per_layer:
        if state.layer >= state.depth_cap:
            return _complete(state, now)
        state = replace(state, layer=state.layer + 1, revealed_in_layer=0)
        reason = "deeper"
    if state.settings.pace is Pace.LIVE:
        return _open_step(state, now, bank, reason=reason)
    mornings = [
        next_morning(now, state.timezones.get(m), state.settings.morning_hour)
        for m in state.members
    ]
    return Decision(replace(state, next_prompt_at=min(mornings)))


def _complete(state: RoundState, now: datetime, *, ran_out: bool = False) -> Decision:
    state = _end(state, RoundStatus.COMPLETED, now)
    closing = _to_all(
        state,
        DeliveryKind.COMPLETED,
        layer_reached=state.layer,
        prompts_revealed=state.revealed_count,
        ran_out=ran_out,
    )
    return Decision(state, closing)


# --- swap, stay, leave ----------------------------------------------------------------------


def _swap(state: RoundState, cmd: Swap, now: datetime, bank: Bank) -> Decision:
    current = _current_step(state, cmd.step)
    options = _candidates(state, bank, current.layer)
    prompt = _pick(state, options, avoid_topic=current.topic) or _pick(state, options, None)
    if prompt is None:
        raise Rejected(
            "no_alternative", N_("There's no other prompt left at this depth to swap in.")
        )
    record = _closed(current, StepOutcome.SWAPPED, now)
    # answers to a swapped prompt are dropped unseen; the swap never counts toward depth
    state = _touch(state, now, current=None, history=(*state.history, record))
    decision = _send_step(state, prompt, now, reason="swap")
    return Decision(
        decision.state, decision.deliveries, reply=N_("Swapped. A new prompt is on its way.")
    )


def _stay(state: RoundState, cmd: Stay, now: datetime, bank: Bank) -> Decision:
    _require_active(state)
    if state.stay:
        raise Rejected("already_staying", N_("This round is already staying at this depth."))
    state = _touch(state, now, stay=True)
    notices = _to_all(
        state, DeliveryKind.STAY, layer=state.layer, layer_name=LAYER_NAMES.get(state.layer, "")
    )
    return Decision(state, notices, reply=N_("Done. This round won't go any deeper."))


def _leave(state: RoundState, cmd: Leave, now: datetime, bank: Bank) -> Decision:
    state = _end(_touch(state, now), RoundStatus.LEFT, now)
    notices = tuple(
        Delivery(m, DeliveryKind.PARTNER_LEFT, {"round_id": state.id})
        for m in state.others(cmd.member)
    )
    bye = Delivery(cmd.member, DeliveryKind.LEFT, {"round_id": state.id})
    return Decision(
        state, (*notices, bye), reply=N_("You've left the round. Thanks for taking part.")
    )


def _rate(state: RoundState, cmd: Rate) -> Decision:
    if state.status is not RoundStatus.COMPLETED:
        raise Rejected("not_completed", N_("You can rate a round once it's complete."))
    if cmd.rating not in RATING_RANGE:
        raise Rejected("bad_rating", N_("Please pick a number from 1 to 7."))
    state = replace(state, ratings={**state.ratings, cmd.member: cmd.rating})
    return Decision(
        state, reply=N_("Thanks! You rated this round {rating} out of 7.", rating=cmd.rating)
    )


# --- the scheduler's tick -------------------------------------------------------------------


def _tick(state: RoundState, now: datetime, bank: Bank) -> Decision:
    expire_at = state.expire_at
    if expire_at is not None and now >= expire_at:
        ended = _end(state, RoundStatus.EXPIRED, now)
        return Decision(ended, _to_all(ended, DeliveryKind.EXPIRED))
    if state.status is not RoundStatus.ACTIVE:
        return Decision(state)
    if state.current is None and state.next_prompt_at is not None and now >= state.next_prompt_at:
        reason = "deeper" if state.revealed_in_layer == 0 else "next"
        return _open_step(state, now, bank, reason=reason)
    return _remind(state, now, bank)


def _remind(state: RoundState, now: datetime, bank: Bank) -> Decision:
    current = state.current
    if current is None or current.remind_at is None or now < current.remind_at:
        return Decision(state)
    sent = current.reminders_sent + 1
    more = sent < state.settings.max_reminders
    step = replace(
        current,
        reminders_sent=sent,
        remind_at=now + state.settings.reminder_after if more else None,
    )
    prompt = bank.get(current.prompt_id)
    reminders = tuple(
        Delivery(
            m,
            DeliveryKind.REMINDER,
            {
                "round_id": state.id,
                "step": current.number,
                "text": prompt.text if prompt else "",
                # a reader of another language sees this prompt id's translation
                "bank": state.settings.bank,
                "prompt_id": current.prompt_id,
                "reminder_no": sent,
            },
            not_before=_daytime(state, m, now),
        )
        for m in state.members
        if m not in current.answers
    )
    return Decision(replace(state, current=step), reminders)
