"""The building blocks every round rule shares: guards, state helpers and drawing a prompt.

`rules` dispatches commands; `follow_ups`, `balance` and `together` add rules of their own. They
all open steps, end rounds and address members through the helpers here, so each rule reads the
same way and nothing is written twice.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.engine.bank import LAYER_NAMES, Bank, Prompt
from bot.engine.model import (
    Decision,
    Delivery,
    DeliveryKind,
    MemberKey,
    Pace,
    Rejected,
    RoundState,
    RoundStatus,
    Step,
    StepOutcome,
    StepRecord,
)
from bot.engine.timing import into_daytime, next_morning
from bot.i18n import N_

# --- guards ---------------------------------------------------------------------------------


def require_member(state: RoundState, member: MemberKey) -> None:
    if member not in state.members:
        raise Rejected("not_member", N_("That round belongs to other people, so nothing changed."))


def require_open(state: RoundState) -> None:
    if not state.status.is_open:
        raise Rejected("round_ended", N_("That round has already ended, so nothing changed."))


def require_active(state: RoundState) -> None:
    if state.status is RoundStatus.INVITED:
        raise Rejected("not_started", N_("The round starts once everyone has accepted."))


def current_step(state: RoundState, step: int | None) -> Step:
    require_active(state)
    current = state.current
    if current is None:
        raise Rejected("no_prompt", N_("There's no open prompt right now; the next one is coming."))
    if step is not None and step != current.number:
        raise Rejected(
            "stale_prompt", N_("That prompt isn't the current one any more, so nothing changed.")
        )
    return current


# --- state helpers --------------------------------------------------------------------------


def touch(state: RoundState, now: datetime, **changes: Any) -> RoundState:
    return replace(state, last_activity_at=now, **changes)


def end(state: RoundState, status: RoundStatus, now: datetime) -> RoundState:
    return replace(
        state,
        status=status,
        current=None,
        next_prompt_at=None,
        follow_up=None,
        check_in=None,
        ended_at=now,
    )


def to_all(state: RoundState, kind: DeliveryKind, **data: Any) -> tuple[Delivery, ...]:
    return tuple(Delivery(m, kind, {"round_id": state.id, **data}) for m in state.members)


def round_info(state: RoundState) -> dict[str, Any]:
    settings = state.settings
    return {
        "round_id": state.id,
        "bank": settings.bank,
        "max_layer": settings.max_layer,
        "prompts_per_layer": settings.prompts_per_layer,
        "pace": settings.pace.value,
        "preset": settings.preset.value if settings.preset else None,
    }


def daytime(state: RoundState, member: MemberKey, now: datetime) -> datetime:
    settings = state.settings
    return into_daytime(now, state.timezones.get(member), settings.quiet_from, settings.quiet_until)


def closed(step: Step, outcome: StepOutcome, now: datetime, **extra: Any) -> StepRecord:
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


def next_step_number(state: RoundState) -> int:
    return (state.current.number if state.current else len(state.history)) + 1


# --- drawing and sending prompts ------------------------------------------------------------


def candidates(state: RoundState, bank: Bank, layer: int) -> list[Prompt]:
    return [
        p
        for p in bank.in_layer(layer)
        if p.id not in state.excluded_prompts
        and (p.hierarchy_safe or not state.settings.hierarchy_safe_only)
        and (state.first_round or not p.first_meeting)
    ]


def pick(state: RoundState, options: list[Prompt], avoid_topic: str | None) -> Prompt | None:
    """Prefer a different topic from `avoid_topic`, then topics this round hasn't touched."""
    if avoid_topic is not None:
        options = [p for p in options if p.topic != avoid_topic]
    if not options:
        return None
    used_topics = {record.topic for record in state.history}
    fresh = [p for p in options if p.topic not in used_topics] or options
    rng = random.Random(f"{state.seed}:{len(state.history)}")
    return rng.choice(sorted(fresh, key=lambda p: p.id))


def open_step(state: RoundState, now: datetime, bank: Bank, *, reason: str) -> Decision:
    """Draw the next prompt of the current layer and send it to everyone at once."""
    layer = state.layer
    prompt = pick(state, candidates(state, bank, layer), None)
    # the bank ran out at this depth: moving on beats stalling the pair, unless the balance
    # guard holds this layer (going deeper then needs everyone's choice)
    while prompt is None and layer < state.depth_cap and state.held_layer != layer:
        layer += 1
        prompt = pick(state, candidates(state, bank, layer), None)
        state = replace(state, layer=layer, revealed_in_layer=0)
    if prompt is None:
        return complete(state, now, ran_out=True)
    return send_step(state, prompt, now, reason=reason)


def send_step(state: RoundState, prompt: Prompt, now: datetime, *, reason: str) -> Decision:
    step = Step(
        number=next_step_number(state),
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
        **round_info(state),
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
            not_before=daytime(state, m, now) if paced else None,
        )
        for m in state.members
    )
    return Decision(state, deliveries)


def next_prompt(state: RoundState, now: datetime, bank: Bank, *, reason: str) -> Decision:
    """Live: the next prompt now. Paced: the next morning in the earliest member's time zone."""
    if state.settings.pace is Pace.LIVE:
        return open_step(state, now, bank, reason=reason)
    mornings = [
        next_morning(now, state.timezones.get(m), state.settings.morning_hour)
        for m in state.members
    ]
    return Decision(replace(state, next_prompt_at=min(mornings)))


def complete(state: RoundState, now: datetime, *, ran_out: bool = False) -> Decision:
    state = end(state, RoundStatus.COMPLETED, now)
    closing = to_all(
        state,
        DeliveryKind.COMPLETED,
        layer_reached=state.layer,
        prompts_revealed=state.revealed_count,
        ran_out=ran_out,
        keep_going=True,
    )
    return Decision(state, closing)
