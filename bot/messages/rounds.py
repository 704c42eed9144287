"""What the members of a round read: the invitation, prompts, reveals, follow-ups, check-ins and
the end of the round, and the texts adapters reuse around them (the follow-up form, the answer
hint, layer names, a prompt's example answer).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.engine.bank import LAYER_NAMES
from bot.engine.model import DeliveryKind
from bot.engine.presets import PRESETS
from bot.i18n import N_, prompts
from bot.i18n.translate import _, current, ngettext
from bot.messages.buttons import (
    check_in_buttons,
    follow_up_answer_buttons,
    follow_up_buttons,
    keep_going_buttons,
    prompt_buttons,
)
from bot.messages.model import Action, Button, Names, Rendered, Renderer, Section

# one message with its quotation marks, which each language writes its own way
EXAMPLE_INTRO = N_("One way someone might answer (yours can be completely different):\n“{example}”")
NO_EXAMPLE = N_("There's no example for this one. Any answer is welcome, short or long.")


def example_text(example: str | None, bank: str | None = None, prompt_id: str | None = None) -> str:
    """What "See an example" shows the member who asked (only them), in their language when the
    bank has a translation of this prompt."""
    _text, translated = prompts.translated(bank, prompt_id, current().language)
    shown = translated or example
    return _(EXAMPLE_INTRO, example=shown) if shown else _(NO_EXAMPLE)


CHECK_IN_QUESTION = N_("Go a layer deeper, or stay at this depth for another prompt?")
FOLLOW_UP_INVITE = N_(
    "Curious about something they shared? Ask one short follow-up question. Questions are "
    "delivered once everyone has asked one, or press Skip to go on."
)
FOLLOW_UP_TITLE = N_("Ask a follow-up")  # the form's title (Slack: 24 characters at most)
FOLLOW_UP_LABEL = N_("Your question")
FOLLOW_UP_PLACEHOLDER = N_("One short question about what they shared")
FOLLOW_UP_PRIVATE = N_("Private until everyone has asked one. Then each of you gets the others'.")
FOLLOW_UP_FORM_EXPIRED = N_("This form has expired. Please press Ask a follow-up again.")

# how to answer on a chat platform; the console adapter swaps in its own words (no buttons there)
ANSWER_HINT = N_("Answer with the button, or simply reply here in this chat.")
KEEP_GOING_HINT = N_(
    "Enjoyed it? Choose Keep going together: if you both do, a new round starts right where "
    "you left off. If not, nothing happens and nobody is told."
)
RATING_QUESTION = N_("How close do you feel to your partner now? (1 = not at all, 7 = very)")


def layer_name(layer: int) -> str:
    """ "How I tick" in the current reader's language ("" for a layer without a name)."""
    return _(LAYER_NAMES[layer]) if layer in LAYER_NAMES else ""


def layer_label(layer: int) -> str:
    """ "Layer 2 · How I tick" in the current reader's language."""
    return _("Layer {layer} · {name}", layer=layer, name=layer_name(layer))


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
    return Rendered(
        title=_("You're invited to a Rapport round"),
        body=(
            opening,
            _(
                "You'll both answer the same short prompts. Answers stay private until you've "
                "both answered."
            ),
            pace_in_words(data),
        ),
        buttons=(
            Button(Action.ACCEPT, _("Accept"), "primary"),
            Button(Action.DECLINE, _("Not now")),
        ),
    )


def pace_in_words(data: Mapping[str, Any]) -> str:
    """The round's pace in plain words, for the invitation."""
    daily = data.get("pace") == "daily"
    when = _("one prompt a day") if daily else _("the next prompt right after each reveal")
    count = int(data.get("prompts_per_layer") or 2)
    how = ngettext(
        "{count} prompt per layer, {when}, up to {layer}",
        "{count} prompts per layer, {when}, up to {layer}",
        count,
        when=when,
        layer=layer_label(int(data["max_layer"])),
    )
    preset = data.get("preset")
    if preset is None or preset not in {p.value for p in PRESETS}:
        return _("Pace: {how}.", how=how)
    return _("Pace: {preset}: {how}.", preset=preset, how=how)


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
    lead = _(_PROMPT_LEADS.get(str(data.get("reason")), _DEFAULT_LEAD))
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
    "same_depth": N_("You'll stay at this depth for another prompt."),
    "together": N_("Here's your first prompt in this new round together."),
}
_DEFAULT_LEAD = N_("Here's your prompt.")


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
    offer = bool(data.get("follow_up"))
    return Rendered(
        title=_("Everyone answered. Here's what you shared:"),
        body=(
            _("Prompt: {prompt}", prompt=prompt_text(data, "prompt_text")),
            *((_(FOLLOW_UP_INVITE),) if offer else ()),
        ),
        sections=sections,
        buttons=follow_up_buttons() if offer else (),
    )


def _follow_up_held(data: Mapping[str, Any], names: Names) -> Rendered:
    return Rendered(
        title=_("Question saved"),
        body=(_("It's delivered once everyone has asked one. Then you'll each get the others'."),),
    )


def _follow_up_questions(data: Mapping[str, Any], names: Names) -> Rendered:
    sections = tuple(
        Section(_("{name} asks", name=names.name_of(q["member"])), q["text"])
        for q in data["questions"]
    )
    return Rendered(
        title=_("Everyone asked a follow-up. Here's what they'd like to know:"),
        body=(_(ANSWER_HINT), _("Your answer stays private until everyone has answered.")),
        sections=sections,
        buttons=follow_up_answer_buttons(),
    )


def _follow_up_reveal(data: Mapping[str, Any], names: Names) -> Rendered:
    def who(key: str) -> str:
        return _("You") if key == names.recipient else names.name_of(key)

    def asked(key: str) -> str:
        return _("You asked") if key == names.recipient else _("{name} asked", name=who(key))

    sections: list[Section] = []
    for answer in data["answers"]:
        for question in data["questions"]:
            if question["member"] != answer["member"]:
                sections.append(Section(asked(question["member"]), question["text"]))
        sections.append(Section(who(answer["member"]), answer["text"]))
    return Rendered(
        title=_("Everyone answered the follow-ups. Here's what you shared:"),
        sections=tuple(sections),
    )


def _follow_ups_passed(data: Mapping[str, Any], names: Names) -> Rendered:
    return Rendered(
        title=_("No follow-ups this time"),
        body=(
            _("This time the round goes on to the next prompt. There's always the next reveal."),
        ),
    )


def _check_in(data: Mapping[str, Any], names: Names) -> Rendered:
    return Rendered(
        title=_("A quick check-in"),
        body=(
            _(
                "You've finished {layer}. Everyone gets this same question, and the round only "
                "goes deeper if you all choose it.",
                layer=layer_label(int(data["layer"])),
            ),
            _(CHECK_IN_QUESTION),
        ),
        buttons=check_in_buttons(),
    )


def _kept_going(data: Mapping[str, Any], names: Names) -> Rendered:
    return Rendered(
        title=_("You're keeping going together"),
        body=(
            _(
                "A new round starts at {layer}, with prompts you haven't had yet. Your first "
                "prompt is below.",
                layer=layer_label(int(data["layer"])),
            ),
        ),
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
        buttons=follow_up_answer_buttons() if data.get("follow_up") else prompt_buttons(),
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
        body=(
            shared,
            _(RATING_QUESTION),
            *((_(KEEP_GOING_HINT),) if data.get("keep_going") else ()),
        ),
        rating=True,
        buttons=keep_going_buttons() if data.get("keep_going") else (),
    )


RENDERERS: dict[DeliveryKind, Renderer] = {
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
    DeliveryKind.FOLLOW_UP_HELD: _follow_up_held,
    DeliveryKind.FOLLOW_UP_QUESTIONS: _follow_up_questions,
    DeliveryKind.FOLLOW_UP_REVEAL: _follow_up_reveal,
    DeliveryKind.FOLLOW_UPS_PASSED: _follow_ups_passed,
    DeliveryKind.CHECK_IN: _check_in,
    DeliveryKind.KEPT_GOING: _kept_going,
}
