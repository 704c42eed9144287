"""A round's buttons: which ones each message offers, what a click means, and the note a clicked
message keeps once its controls are gone.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.engine.model import (
    Accept,
    ChooseDepth,
    Command,
    Decline,
    KeepGoing,
    Leave,
    Rate,
    SkipFollowUp,
    Stay,
    Swap,
)
from bot.i18n import N_
from bot.i18n.translate import _
from bot.messages.model import Action, Button

# what a clicked message says once its controls are gone (platforms add their own punctuation)
SETTLED_NOTES = {
    Action.ACCEPT: N_("✓ Accepted"),
    Action.DECLINE: N_("Not now"),
    Action.SWAP: N_("Swapped: a new prompt is below"),
    Action.STAY: N_("Staying at this depth"),
    Action.LEAVE: N_("You left this round"),
    Action.ANSWER: N_("✓ Answered"),
    Action.FOLLOW_UP: N_("✓ Your follow-up question is saved"),
    Action.SKIP: N_("Skipped: the round goes on"),
    Action.DEEPER: N_("✓ You chose: a layer deeper"),
    Action.HERE: N_("✓ You chose: stay at this depth"),
    Action.KEEP_GOING: N_("✓ You chose to keep going together"),
}
STALE_NOTE = N_("No longer current")


def command_for(action: Action, member_key: str, number: int | None) -> Command:
    """The engine command a button means; `number` is the step (swap) or the rating (rate)."""
    if action is Action.SWAP:
        return Swap(member_key, number)
    if action is Action.RATE:
        return Rate(member_key, number or 0)
    if action is Action.SKIP:
        return SkipFollowUp(member_key, number)
    if action in (Action.DEEPER, Action.HERE):
        return ChooseDepth(member_key, deeper=action is Action.DEEPER)
    simple: dict[Action, Callable[[str], Command]] = {
        Action.ACCEPT: Accept,
        Action.DECLINE: Decline,
        Action.STAY: Stay,
        Action.LEAVE: Leave,
        Action.KEEP_GOING: KeepGoing,
    }
    return simple[action](member_key)


def prompt_buttons() -> tuple[Button, ...]:
    return (
        Button(Action.ANSWER, _("Answer"), "primary"),
        Button(Action.EXAMPLE, _("See an example")),
        Button(Action.SWAP, _("Swap prompt")),
        Button(Action.STAY, _("Stay at this depth")),
        Button(Action.LEAVE, _("Leave"), "danger"),
    )


def follow_up_buttons() -> tuple[Button, ...]:
    return (
        Button(Action.FOLLOW_UP, _("Ask a follow-up"), "primary"),
        Button(Action.SKIP, _("Skip")),
    )


def follow_up_answer_buttons() -> tuple[Button, ...]:
    return (
        Button(Action.ANSWER, _("Answer"), "primary"),
        Button(Action.LEAVE, _("Leave"), "danger"),
    )


def check_in_buttons() -> tuple[Button, ...]:
    return (
        Button(Action.DEEPER, _("Go a layer deeper"), "primary"),
        Button(Action.HERE, _("Stay at this depth")),
    )


def keep_going_buttons() -> tuple[Button, ...]:
    return (Button(Action.KEEP_GOING, _("Keep going together"), "primary"),)
