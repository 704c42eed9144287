"""The balance guard: when one member opened up much more than another, check in first.

Only content-free signals count: how many characters each member wrote over the layer just
finished. When one member's total is under `balance_ratio` of another's (and the longer total
reaches `balance_floor`, so two brief answerers are never "uneven"), the round does not go deeper
on its own. Everyone gets the same blame-free check-in; the round goes one layer deeper only when
every member chooses it, otherwise one more prompt comes at this depth and then the same check.
Nobody is told whose answers were short, and no length is ever shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from bot.engine.bank import LAYER_NAMES, Bank
from bot.engine.model import (
    CheckIn,
    CheckInRecord,
    ChooseDepth,
    Decision,
    DeliveryKind,
    MemberKey,
    Rejected,
    RoundState,
    StepOutcome,
)
from bot.engine.steps import next_prompt, require_active, to_all, touch
from bot.i18n import N_


def layer_totals(state: RoundState, layer: int) -> dict[MemberKey, int]:
    """Characters each member wrote in the revealed prompts of `layer` (follow-ups excluded)."""
    totals = dict.fromkeys(state.members, 0)
    for record in state.history:
        if record.layer == layer and record.outcome is StepOutcome.REVEALED:
            for member, answer in record.answers.items():
                if member in totals:
                    totals[member] += len(answer.text)
    return totals


def is_uneven(totals: Mapping[MemberKey, int], ratio: float, floor: int) -> bool:
    if not totals:
        return False
    longest, shortest = max(totals.values()), min(totals.values())
    return longest >= floor and shortest < ratio * longest


def holds(state: RoundState) -> bool:
    """Whether going deeper from the current layer needs everyone's choice."""
    if state.held_layer == state.layer:
        return True
    settings = state.settings
    totals = layer_totals(state, state.layer)
    return settings.balance_guard and is_uneven(
        totals, settings.balance_ratio, settings.balance_floor
    )


def open_check_in(state: RoundState, now: datetime) -> Decision:
    """Hold the round at this layer and ask everyone the same question."""
    check_in = CheckIn(state.layer, now, now + state.settings.choice_window)
    state = replace(state, held_layer=state.layer, check_in=check_in, next_prompt_at=None)
    notices = to_all(
        state,
        DeliveryKind.CHECK_IN,
        layer=state.layer,
        layer_name=LAYER_NAMES.get(state.layer, ""),
    )
    return Decision(state, notices)


def choose(state: RoundState, cmd: ChooseDepth, now: datetime, bank: Bank) -> Decision:
    require_active(state)
    check_in = state.check_in
    if check_in is None:
        raise Rejected("no_check_in", N_("That question about depth has already been settled."))
    if cmd.member in check_in.choices:
        raise Rejected("already_chosen", N_("You've already chosen. Thank you!"))
    choices = {**check_in.choices, cmd.member: cmd.deeper}
    state = touch(state, now, check_in=replace(check_in, choices=choices))
    if set(choices) != set(state.members):
        return Decision(state, reply=N_("Thanks. The round goes on once everyone has chosen."))
    decision = settle(state, now, bank)
    return Decision(decision.state, decision.deliveries, reply=N_("Thanks. Everyone has chosen."))


def settle(state: RoundState, now: datetime, bank: Bank) -> Decision:
    """Close the check-in (everyone chose, or it timed out: silence never means deeper)."""
    check_in = state.check_in
    assert check_in is not None
    choices = check_in.choices
    deeper = all(choices.get(m) is True for m in state.members) and state.layer < state.depth_cap
    record = CheckInRecord(
        layer=check_in.layer,
        deeper=sum(1 for v in choices.values() if v),
        stayed=sum(1 for v in choices.values() if not v),
        silent=len(state.members) - len(choices),
        went_deeper=deeper,
    )
    state = replace(state, check_in=None, check_ins=(*state.check_ins, record))
    if deeper:
        state = replace(state, layer=state.layer + 1, revealed_in_layer=0, held_layer=None)
        return next_prompt(state, now, bank, reason="deeper")
    return next_prompt(state, now, bank, reason="same_depth")
