"""What Rapport says, once for every platform.

Each delivery kind renders to a platform-neutral `Rendered` message: a title, body paragraphs,
answer sections and the buttons it offers. Adapters turn that into Block Kit, Discord components
or terminal output, and supply `name_of` to show a member (a mention or a display name).

Every string is English source text marked for translation: `_()` / `ngettext()` inside the
renderers, `N_()` for module-level constants (translated with `_()` where they are used).
`render(..., language=...)` builds the message in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.engine.bank import LAYER_NAMES
from bot.engine.model import (
    Accept,
    Command,
    Decline,
    DeliveryKind,
    Leave,
    Rate,
    Stay,
    Swap,
)
from bot.i18n import N_, prompts
from bot.i18n.translate import Translator, _, current, ngettext, reading


class Action(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    ANSWER = "answer"
    SWAP = "swap"
    STAY = "stay"
    LEAVE = "leave"
    RATE = "rate"


@dataclass(frozen=True)
class Button:
    action: Action
    label: str
    style: str | None = None  # "primary" | "danger" | None


@dataclass(frozen=True)
class Section:
    heading: str
    text: str


@dataclass(frozen=True)
class Rendered:
    title: str
    body: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    buttons: tuple[Button, ...] = ()
    rating: bool = False  # offer the 1-7 closeness rating


@dataclass(frozen=True)
class Names:
    name_of: Callable[[str], str]
    recipient: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    def others(self, keys: list[str] | tuple[str, ...]) -> str:
        names = [self.name_of(k) for k in keys if k != self.recipient]
        if len(names) <= 1:
            return "".join(names) or _("your partner")
        return _("{names} and {last}", names=", ".join(names[:-1]), last=names[-1])


# what a clicked message says once its controls are gone (platforms add their own punctuation)
SETTLED_NOTES = {
    Action.ACCEPT: N_("✓ Accepted"),
    Action.DECLINE: N_("Not now"),
    Action.SWAP: N_("Swapped: a new prompt is below"),
    Action.STAY: N_("Staying at this depth"),
    Action.LEAVE: N_("You left this round"),
    Action.ANSWER: N_("✓ Answered"),
}
STALE_NOTE = N_("No longer current")


def command_for(action: Action, member_key: str, number: int | None) -> Command:
    """The engine command a button means; `number` is the step (swap) or the rating (rate)."""
    if action is Action.SWAP:
        return Swap(member_key, number)
    if action is Action.RATE:
        return Rate(member_key, number or 0)
    simple: dict[Action, Callable[[str], Command]] = {
        Action.ACCEPT: Accept,
        Action.DECLINE: Decline,
        Action.STAY: Stay,
        Action.LEAVE: Leave,
    }
    return simple[action](member_key)


def prompt_buttons() -> tuple[Button, ...]:
    return (
        Button(Action.ANSWER, _("Answer"), "primary"),
        Button(Action.SWAP, _("Swap prompt")),
        Button(Action.STAY, _("Stay at this depth")),
        Button(Action.LEAVE, _("Leave"), "danger"),
    )


# how to answer on a chat platform; the console adapter swaps in its own words (no buttons there)
ANSWER_HINT = N_("Answer with the button, or simply reply here in this chat.")
RATING_QUESTION = N_("How close do you feel to your partner now? (1 = not at all, 7 = very)")
HELP_TEXT = N_(
    "Rapport runs short getting-to-know-you rounds. You and a partner get the same prompt by DM; "
    "your answer stays private until you've both answered, then you see each other's at the same "
    "moment. After a couple of prompts the round goes one layer deeper, never further than the "
    "team's cap. Swap a prompt you don't fancy, stay at the depth you like, or leave any time."
)


def layer_name(layer: int) -> str:
    """ "How I tick" in the current reader's language ("" for a layer without a name)."""
    return _(LAYER_NAMES[layer]) if layer in LAYER_NAMES else ""


def layer_label(layer: int) -> str:
    """ "Layer 2 · How I tick" in the current reader's language."""
    return _("Layer {layer} · {name}", layer=layer, name=layer_name(layer))


def render(
    kind: DeliveryKind,
    data: Mapping[str, Any],
    names: Names,
    language: str | Translator | None = None,
) -> Rendered:
    """The delivery as a reader of `language` reads it (None: the current reader's)."""
    renderer = _RENDERERS[kind]
    if language is None:
        return renderer(data, names)
    with reading(language):
        return renderer(data, names)


def _invitation(data: Mapping[str, Any], names: Names) -> Rendered:
    starter = data.get("initiator")
    opening = (
        _("{name} would like to get to know you better.", name=names.name_of(starter))
        if starter
        else _(
            "Your team's Rapport session paired you with {others}.",
            others=names.others(data["others"]),
        )
    )
    pace = _("one prompt a day") if data.get("pace") == "daily" else _("at your own pace")
    return Rendered(
        title=_("You're invited to a Rapport round"),
        body=(
            opening,
            _(
                "You'll both answer the same short prompts, {pace}, up to layer "
                "{max_layer}. Answers stay private until you've both answered.",
                pace=pace,
                max_layer=data["max_layer"],
            ),
        ),
        buttons=(
            Button(Action.ACCEPT, _("Accept"), "primary"),
            Button(Action.DECLINE, _("Not now")),
        ),
    )


def _accepted(data: Mapping[str, Any], names: Names) -> Rendered:
    return Rendered(
        title=_("{name} accepted. Your first prompt is below.", name=names.name_of(data["by"]))
    )


def _declined(data: Mapping[str, Any], names: Names) -> Rendered:
    if data.get("unreachable"):
        return Rendered(
            title=_("This round couldn't start"),
            body=(
                _(
                    "I couldn't reach everyone in it by direct message, so the round is off. "
                    "Nothing was shared."
                ),
            ),
        )
    return Rendered(
        title=_("Not this time"),
        body=(_("Your invitation was declined for now. No worries, timing is everything."),),
    )


def _prompt(data: Mapping[str, Any], names: Names) -> Rendered:
    lead = _(_PROMPT_LEADS.get(str(data.get("reason")), N_("Here's your prompt.")))
    position = _(
        "{layer} · prompt {number}",
        layer=layer_label(int(data["layer"])),
        number=data["number_in_layer"],
    )
    return Rendered(
        title=prompt_text(data),
        body=(lead, position, _(ANSWER_HINT)),
        buttons=prompt_buttons(),
    )


_PROMPT_LEADS = {
    "first": N_("Here's your first prompt."),
    "next": N_("Here's your next prompt."),
    "deeper": N_("You've both opened up a little: this prompt goes one layer deeper."),
    "swap": N_("A new prompt was drawn for this step."),
}


def prompt_text(data: Mapping[str, Any], key: str = "text") -> str:
    """A delivery's prompt in the current reader's language: the translated bank's text for
    its prompt id when there is one, else the text the round drew (English)."""
    text, _example = prompts.translated(data.get("bank"), data.get("prompt_id"), current().language)
    return text or str(data[key])


def _held(data: Mapping[str, Any], names: Names) -> Rendered:
    return Rendered(
        title=_("Answer saved"),
        body=(_("It stays private until your partner answers too. Then you'll both see both."),),
    )


def _reveal(data: Mapping[str, Any], names: Names) -> Rendered:
    sections = tuple(
        Section(
            _("You") if a["member"] == names.recipient else names.name_of(a["member"]), a["text"]
        )
        for a in data["answers"]
    )
    return Rendered(
        title=_("Everyone answered. Here's what you shared:"),
        body=(_("Prompt: {prompt}", prompt=prompt_text(data, "prompt_text")),),
        sections=sections,
    )


def _stay(data: Mapping[str, Any], names: Names) -> Rendered:
    return Rendered(
        title=_("Staying at this depth"),
        body=(
            _(
                "This round will stay at {layer}. No pressure.",
                layer=layer_label(int(data["layer"])),
            ),
        ),
    )


def _partner_left(data: Mapping[str, Any], names: Names) -> Rendered:
    return Rendered(
        title=_("This round has ended"),
        body=(
            _("Your partner has stepped away from this round. Thanks for everything you shared."),
        ),
    )


def _left(data: Mapping[str, Any], names: Names) -> Rendered:
    return Rendered(title=_("You've left the round"), body=(_("Thanks for taking part."),))


def _reminder(data: Mapping[str, Any], names: Names) -> Rendered:
    return Rendered(
        title=_("A gentle nudge"),
        body=(
            _("Your partner's answer is waiting for yours. Whenever you're ready:"),
            prompt_text(data),
        ),
        buttons=prompt_buttons(),
    )


def _expired(data: Mapping[str, Any], names: Names) -> Rendered:
    return Rendered(
        title=_("This round has wound down"),
        body=(
            _("It's been quiet for a while, so I've closed it. You can start a new one any time."),
        ),
    )


def _completed(data: Mapping[str, Any], names: Names) -> Rendered:
    shared = ngettext(
        "You shared {count} prompt and reached {layer}. Thank you!",
        "You shared {count} prompts and reached {layer}. Thank you!",
        int(data["prompts_revealed"]),
        layer=layer_label(int(data["layer_reached"])),
    )
    return Rendered(
        title=_("That's the end of this round"),
        body=(shared, _(RATING_QUESTION)),
        rating=True,
    )


def _session_summary(data: Mapping[str, Any], names: Names) -> Rendered:
    groups = int(data["groups"])
    trios = int(data["trios"])
    pairs = ngettext("{count} pair", "{count} pairs", groups - trios)
    trio_count = ngettext("{count} trio", "{count} trios", trios)
    if not trios:
        started = _("{pairs} started", pairs=pairs)
    elif groups > trios:
        started = _("{pairs} and {trios} started", pairs=pairs, trios=trio_count)
    else:
        started = _("{trios} started", trios=trio_count)
    parts = [started]
    if unplaced := int(data.get("unplaced") or 0):
        parts.append(
            ngettext(
                "{count} member couldn't be paired this time and got a note saying why",
                "{count} members couldn't be paired this time and got a note saying why",
                unplaced,
            )
        )
    parts.append(_("next session {when}", when=data["next_session"]))
    return Rendered(
        title=_("Rapport session started"),
        body=(
            " · ".join(parts),
            _("Check your DMs for an invitation. Taking part is optional."),
        ),
    )


def _not_paired(data: Mapping[str, Any], names: Names) -> Rendered:
    return Rendered(
        title=_("No partner this time"),
        body=(
            _(
                "This session had nobody left I could pair you with. You'll be first in line "
                "next time, or start a round yourself with /rapport start."
            ),
        ),
    )


def _suggestion_decided(data: Mapping[str, Any], names: Names) -> Rendered:
    if data.get("approved"):
        return Rendered(
            title=_("Your question was added"),
            body=(
                _("A lead added the question you suggested: {text}", text=data["text"]),
                _("Future rounds in this workspace may draw it. Thank you!"),
            ),
        )
    return Rendered(
        title=_("About the question you suggested"),
        body=(
            _("A lead decided not to add this one for now: {text}", text=data["text"]),
            _("Thanks for suggesting it. You're welcome to suggest another any time."),
        ),
    )


_RENDERERS: dict[DeliveryKind, Callable[[Mapping[str, Any], Names], Rendered]] = {
    DeliveryKind.INVITATION: _invitation,
    DeliveryKind.INVITATION_ACCEPTED: _accepted,
    DeliveryKind.DECLINED: _declined,
    DeliveryKind.PROMPT: _prompt,
    DeliveryKind.ANSWER_HELD: _held,
    DeliveryKind.REVEAL: _reveal,
    DeliveryKind.STAY: _stay,
    DeliveryKind.PARTNER_LEFT: _partner_left,
    DeliveryKind.LEFT: _left,
    DeliveryKind.REMINDER: _reminder,
    DeliveryKind.EXPIRED: _expired,
    DeliveryKind.COMPLETED: _completed,
    DeliveryKind.SESSION_SUMMARY: _session_summary,
    DeliveryKind.NOT_PAIRED: _not_paired,
    DeliveryKind.SUGGESTION_DECIDED: _suggestion_decided,
}
