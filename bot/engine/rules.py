"""The round rules in one place: consent, private answers, the simultaneous reveal and depth.

`start_round` creates a round; `decide` applies one command to a round at a moment. Both are pure:
they return a new state plus the deliveries the round owes its members, or raise `Rejected` and
change nothing. Follow-up questions (`follow_ups`), the balance guard (`balance`) and keeping
going together (`together`) are rules of their own, dispatched from here; the helpers they all
share live in `steps`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from bot.engine import balance, follow_ups, together
from bot.engine.bank import LAYER_NAMES, Bank
from bot.engine.model import (
    MAX_ANSWER_CHARS,
    RATING_RANGE,
    Accept,
    Answer,
    AskFollowUp,
    ChooseDepth,
    Command,
    Decision,
    Decline,
    Delivery,
    DeliveryKind,
    KeepGoing,
    Leave,
    MemberKey,
    Rate,
    Rejected,
    RoundSettings,
    RoundState,
    RoundStatus,
    SkipFollowUp,
    Stay,
    Step,
    StepOutcome,
    SubmitAnswer,
    Swap,
    Tick,
)
from bot.engine.steps import (
    candidates,
    closed,
    complete,
    current_step,
    daytime,
    end,
    next_prompt,
    open_step,
    pick,
    require_active,
    require_member,
    require_open,
    round_info,
    send_step,
    to_all,
    touch,
)
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
            data={**round_info(state), "initiator": initiator, "others": state.others(member)},
        )
        for member in unique
        if member != initiator
    )
    return Decision(state, invitations)


# --- dispatch -------------------------------------------------------------------------------


def decide(state: RoundState, command: Command, now: datetime, bank: Bank) -> Decision:
    """Apply one command. Raises Rejected (changing nothing) when it cannot apply."""
    if isinstance(command, Tick):
        return _tick(state, now, bank)
    require_member(state, command.member)
    if isinstance(command, Rate):
        return _rate(state, command)
    if isinstance(command, KeepGoing):
        return together.keep_going(state, command, now)
    require_open(state)
    handlers = {
        Accept: _accept,
        Decline: _decline,
        SubmitAnswer: _answer,
        Swap: _swap,
        Stay: _stay,
        Leave: _leave,
        AskFollowUp: _ask,
        SkipFollowUp: _skip,
        ChooseDepth: balance.choose,
    }
    handler = handlers[type(command)]
    decision: Decision = handler(state, command, now, bank)  # type: ignore[operator]
    return decision


# --- consent --------------------------------------------------------------------------------


def _accept(state: RoundState, cmd: Accept, now: datetime, bank: Bank) -> Decision:
    if state.status is RoundStatus.ACTIVE or cmd.member in state.accepted:
        raise Rejected("already_accepted", N_("You're already in this round."))
    accepted = state.accepted | {cmd.member}
    state = touch(state, now, accepted=accepted)
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
    decision = open_step(state, now, bank, reason="first")
    return Decision(decision.state, notices + decision.deliveries, reply=N_("You're in!"))


def _decline(state: RoundState, cmd: Decline, now: datetime, bank: Bank) -> Decision:
    if state.status is not RoundStatus.INVITED:
        raise Rejected("not_invited", N_("This round is already under way; use Leave to end it."))
    if cmd.member in state.accepted:
        raise Rejected("already_accepted", N_("You already accepted; use Leave to end the round."))
    state = end(touch(state, now), RoundStatus.DECLINED, now)
    data = {"round_id": state.id, **({"unreachable": True} if cmd.unreachable else {})}
    notices = tuple(Delivery(m, DeliveryKind.DECLINED, data) for m in state.others(cmd.member))
    if cmd.unreachable:
        return Decision(state, notices, reply=N_("The invitation couldn't be delivered."))
    return Decision(state, notices, reply=N_("No problem. Maybe another time."))


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
    require_member(state, member)
    require_open(state)
    current = current_step(state, step)
    if member in current.answers:
        raise Rejected(
            "already_answered", N_("You've already answered this prompt; it's held safely.")
        )
    return current


def _answer(state: RoundState, cmd: SubmitAnswer, now: datetime, bank: Bank) -> Decision:
    current = answerable(state, cmd.member, cmd.step)
    text = clean_answer(cmd.text)
    answers = {**current.answers, cmd.member: Answer(text, now)}
    state = touch(state, now, current=replace(current, answers=answers))
    if set(answers) != set(state.members):
        held = Delivery(
            cmd.member,
            DeliveryKind.ANSWER_HELD,
            {"round_id": state.id, "step": current.number},
        )
        return Decision(
            state, (held,), reply=N_("Answer saved. It stays private until everyone answers.")
        )
    if current.is_follow_up:
        return _reveal_follow_up(state, now, bank)
    return _reveal(state, now, bank)


def _reveal(state: RoundState, now: datetime, bank: Bank) -> Decision:
    """Everyone answered: show every answer to every member at the same moment, then move on."""
    current = state.current
    assert current is not None
    prompt = bank.get(current.prompt_id)
    record = closed(
        current,
        StepOutcome.REVEALED,
        now,
        first_answer_at=min(a.at for a in current.answers.values()),
        answers=current.answers,
    )
    state = replace(
        state,
        current=None,
        history=(*state.history, record),
        revealed_in_layer=state.revealed_in_layer + 1,
    )
    offer = _offers_follow_ups(state)
    answers = [{"member": m, "text": current.answers[m].text} for m in state.members]
    reveals = to_all(
        state,
        DeliveryKind.REVEAL,
        step=current.number,
        prompt_text=prompt.text if prompt else "",
        bank=state.settings.bank,  # with prompt_id: a reader of another language sees its own
        prompt_id=current.prompt_id,
        layer=current.layer,
        answers=answers,
        follow_up=offer,
    )
    if offer:
        state = follow_ups.open_window(state, current.number, now)
        return Decision(state, reveals, reply=N_("Both answers are in!"))
    then = _advance(state, now, bank)
    return Decision(then.state, reveals + then.deliveries, reply=N_("Both answers are in!"))


def _offers_follow_ups(state: RoundState) -> bool:
    """Follow-ups are offered after a prompt's reveal, unless the round ends with it."""
    finished = (
        state.revealed_in_layer >= state.settings.prompts_per_layer
        and state.layer >= state.depth_cap
    )
    return state.settings.follow_ups and not finished


def _reveal_follow_up(state: RoundState, now: datetime, bank: Bank) -> Decision:
    """Everyone answered the follow-ups: all questions and answers at once; no depth counted."""
    current = state.current
    assert current is not None
    record = closed(
        current,
        StepOutcome.FOLLOWED_UP,
        now,
        first_answer_at=min(a.at for a in current.answers.values()),
        answers=current.answers,
        questions=current.questions,
    )
    reveals = to_all(
        state,
        DeliveryKind.FOLLOW_UP_REVEAL,
        **follow_ups.reveal_data(current, state.members),
    )
    state = replace(state, current=None, history=(*state.history, record))
    then = _advance(state, now, bank)
    return Decision(then.state, reveals + then.deliveries, reply=N_("Everyone answered!"))


def _advance(state: RoundState, now: datetime, bank: Bank) -> Decision:
    """After a reveal: the next prompt, a check-in, one layer deeper, or the end of the round."""
    reason = "next"
    if state.revealed_in_layer >= state.settings.prompts_per_layer:
        if state.layer >= state.depth_cap:
            return complete(state, now)
        if balance.holds(state):
            return balance.open_check_in(state, now)
        state = replace(state, layer=state.layer + 1, revealed_in_layer=0)
        reason = "deeper"
    return next_prompt(state, now, bank, reason=reason)


# --- follow-up questions --------------------------------------------------------------------


def _ask(state: RoundState, cmd: AskFollowUp, now: datetime, bank: Bank) -> Decision:
    return follow_ups.ask(state, cmd, now)


def _skip(state: RoundState, cmd: SkipFollowUp, now: datetime, bank: Bank) -> Decision:
    state, reply = follow_ups.skip(state, cmd, now)
    decision = _pass_follow_ups(state, now, bank)
    return Decision(decision.state, decision.deliveries, reply=reply)


def _pass_follow_ups(state: RoundState, now: datetime, bank: Bank) -> Decision:
    state, notices = follow_ups.passed(state)
    then = _advance(state, now, bank)
    return Decision(then.state, notices + then.deliveries)


# --- swap, stay, leave ----------------------------------------------------------------------


def _swap(state: RoundState, cmd: Swap, now: datetime, bank: Bank) -> Decision:
    current = current_step(state, cmd.step)
    if current.is_follow_up:
        raise Rejected("follow_up_swap", N_("A follow-up question can't be swapped, sorry."))
    options = candidates(state, bank, current.layer)
    prompt = pick(state, options, avoid_topic=current.topic) or pick(state, options, None)
    if prompt is None:
        raise Rejected(
            "no_alternative", N_("There's no other prompt left at this depth to swap in.")
        )
    record = closed(current, StepOutcome.SWAPPED, now)
    # answers to a swapped prompt are dropped unseen; the swap never counts toward depth
    state = touch(state, now, current=None, history=(*state.history, record))
    decision = send_step(state, prompt, now, reason="swap")
    return Decision(
        decision.state, decision.deliveries, reply=N_("Swapped. A new prompt is on its way.")
    )


def _stay(state: RoundState, cmd: Stay, now: datetime, bank: Bank) -> Decision:
    require_active(state)
    if state.stay:
        raise Rejected("already_staying", N_("This round is already staying at this depth."))
    state = touch(state, now, stay=True)
    notices = to_all(
        state, DeliveryKind.STAY, layer=state.layer, layer_name=LAYER_NAMES.get(state.layer, "")
    )
    return Decision(state, notices, reply=N_("Done. This round won't go any deeper."))


def _leave(state: RoundState, cmd: Leave, now: datetime, bank: Bank) -> Decision:
    state = end(touch(state, now), RoundStatus.LEFT, now)
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
        ended = end(state, RoundStatus.EXPIRED, now)
        return Decision(ended, to_all(ended, DeliveryKind.EXPIRED))
    if state.status is not RoundStatus.ACTIVE:
        return Decision(state)
    if state.follow_up is not None and now >= state.follow_up.closes_at:
        return _pass_follow_ups(state, now, bank)  # silence is passing, for everyone alike
    if state.check_in is not None and now >= state.check_in.closes_at:
        return balance.settle(state, now, bank)
    if state.current is None and state.next_prompt_at is not None and now >= state.next_prompt_at:
        reason = "deeper" if state.revealed_in_layer == 0 else "next"
        return open_step(state, now, bank, reason=reason)
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
    reminders = tuple(
        Delivery(
            m,
            DeliveryKind.REMINDER,
            {
                "round_id": state.id,
                "step": current.number,
                "text": step_text(current, m, bank),
                # a reader of another language sees this prompt id's translation
                **(
                    {}
                    if current.is_follow_up
                    else {"bank": state.settings.bank, "prompt_id": current.prompt_id}
                ),
                "reminder_no": sent,
                "follow_up": current.is_follow_up,
            },
            not_before=daytime(state, m, now),
        )
        for m in state.members
        if m not in current.answers
    )
    return Decision(replace(state, current=step), reminders)


def step_text(step: Step, member: MemberKey, bank: Bank) -> str:
    """What `member` is answering in `step`: the prompt, or the follow-ups asked of them."""
    if step.is_follow_up:
        return follow_ups.text_for(step, member)
    prompt = bank.get(step.prompt_id)
    return prompt.text if prompt else ""
