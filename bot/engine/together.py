"""Keep going together: after a completed round, a new one at the depth the members reached.

Each member may choose "Keep going together" on the closing message; once every member has, the
service starts the next round (`continue_round`) without an invitation, at the layer reached
(never past the cap), drawing no prompt the members already had. Not choosing is declining, and
nobody is told who didn't.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.engine.bank import Bank
from bot.engine.model import (
    Decision,
    DeliveryKind,
    KeepGoing,
    Rejected,
    RoundSettings,
    RoundState,
    RoundStatus,
)
from bot.engine.steps import open_step, to_all
from bot.i18n import N_


def keep_going(state: RoundState, cmd: KeepGoing, now: datetime) -> Decision:
    if state.status is not RoundStatus.COMPLETED:
        raise Rejected(
            "not_completed", N_("You can keep going together once this round is complete.")
        )
    if state.continued_as is not None:
        raise Rejected("already_continued", N_("You're already going on together in a new round."))
    ended = state.ended_at or now
    if now > ended + state.settings.expire_after:
        raise Rejected(
            "too_late", N_("That round ended a while ago. Start a new one with /rapport start.")
        )
    if cmd.member in state.keep_going:
        raise Rejected("already_chosen", N_("You've already chosen to keep going. Thank you!"))
    chosen = state.keep_going | {cmd.member}
    state = replace(state, keep_going=chosen)
    if chosen != set(state.members):
        return Decision(state, reply=N_("Noted. If everyone chooses it, a new round starts."))
    return Decision(state, reply=N_("Everyone's in: a new round starts now."), keep_going=True)


def continue_round(
    previous: RoundState,
    *,
    round_id: str,
    settings: RoundSettings,
    now: datetime,
    seed: int,
    excluded_prompts: frozenset[str],
    bank: Bank,
) -> tuple[RoundState, Decision]:
    """The completed round marked as continued, and the new round with its first prompt."""
    layer = max(1, min(previous.layer, settings.max_layer))
    state = RoundState(
        id=round_id,
        members=previous.members,
        settings=settings,
        status=RoundStatus.ACTIVE,
        created_at=now,
        last_activity_at=now,
        seed=seed,
        accepted=frozenset(previous.members),
        layer=layer,
        stay=previous.stay,
        excluded_prompts=excluded_prompts | previous.excluded_prompts,
        timezones=previous.timezones,
        continued_from=previous.id,
    )
    started = to_all(state, DeliveryKind.KEPT_GOING, layer=layer, max_layer=settings.max_layer)
    first = open_step(state, now, bank, reason="together")
    return (
        replace(previous, continued_as=round_id),
        Decision(first.state, started + first.deliveries),
    )
