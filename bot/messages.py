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
from datetime import datetime
from enum import StrEnum
from typing import Any

from babel.numbers import format_decimal, format_percent

from bot.engine.bank import LAYER_NAMES
from bot.engine.model import (
    Accept,
    ChooseDepth,
    Command,
    Decline,
    DeliveryKind,
    KeepGoing,
    Leave,
    Rate,
    SkipFollowUp,
    Stay,
    Swap,
)
from bot.engine.presets import PRESETS
from bot.engine.stats import MIN_GROUP, ReciprocityFigures
from bot.i18n import LANGUAGES, N_, Message, N_plural, prompts
from bot.i18n.translate import Translator, _, current, ngettext, reading
from bot.reports.figures import Figures


class Action(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    ANSWER = "answer"
    SWAP = "swap"
    STAY = "stay"
    LEAVE = "leave"
    RATE = "rate"
    EXAMPLE = "example"  # shows the prompt's example answer; changes nothing
    FOLLOW_UP = "followup"  # opens the follow-up form
    SKIP = "skip"
    DEEPER = "deeper"
    HERE = "here"
    KEEP_GOING = "together"


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


# one message with its quotation marks, which each language writes its own way
EXAMPLE_INTRO = N_("One way someone might answer (yours can be completely different):\n“{example}”")
NO_EXAMPLE = N_("There's no example for this one. Any answer is welcome, short or long.")


def example_text(example: str | None, bank: str | None = None, prompt_id: str | None = None) -> str:
    """What "See an example" shows the member who asked (only them), in their language when the
    bank has a translation of this prompt."""
    _text, translated = prompts.translated(bank, prompt_id, current().language)
    shown = translated or example
    return _(EXAMPLE_INTRO, example=shown) if shown else _(NO_EXAMPLE)


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


def languages_listing(language_line: str) -> str:
    """`/rapport language` on its own: the member's language line, then the codes to choose."""
    codes = ", ".join(f"`{code}`" for code in LANGUAGES)
    return _("{line}\nLanguages: {codes}.", line=language_line, codes=codes)


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


# --- leads' reports: counts only, never a name of who declined or answered, never a text -----

CHART_TITLE = N_("Rapport figures")
CHART_RATES = N_("Both answered, by layer")
CHART_WAITS = N_("Hours to reciprocate (10th-90th percentile)")
CHART_RATINGS = N_("Closeness ratings (1-7)")
CHART_NO_DATA = N_("No data yet")
CHART_ATTACHED = N_("The chart is attached.")
STATS_LEADS_ONLY = N_("Only team leads can see stats.")
DIGEST_ON = N_(
    "Monthly digest on: on the 1st of each month, in your daytime, I'll DM you last month's "
    "figures with a chart. `/rapport stats digest off` stops it."
)
DIGEST_OFF = N_("Monthly digest off. Nothing more will be sent.")
DIGEST_WAS_OFF = N_("Your monthly digest was already off.")
STATS_SENT_TO_DM = N_("I've sent the chart to our DM.")
STATS_UPLOAD_FAILED = N_("I couldn't send you the chart just now. Please try again in a minute.")
INBOX_EMPTY = N_("Nothing is waiting for you: no invitation, no prompt and no unseen reveal.")
INBOX_INTRO = N_(
    "Here is what I couldn't bring you by DM (only you can see this). You can answer here too."
)


def _percent(rate: float) -> str:
    """ "40%" as the reader's language writes it ("40 %" in German and French)."""
    return format_percent(rate, locale=current().locale)


def _decimal(value: float) -> str:
    """One decimal, with the reader's decimal sign ("4.5", "4,5")."""
    return format_decimal(value, format="0.0", locale=current().locale)


def _hours(hours: float) -> str:
    if hours < 1:
        return _("{minutes} min", minutes=f"{hours * 60:.0f}")
    return _("{hours} h", hours=_decimal(hours))


def chart_layer_label(layer: int) -> str:
    return _("Layer {layer}", layer=layer)


def chart_rate_label(rate: float, opened: int) -> str:
    # TRANSLATORS: under a bar of the chart: the rate, then (on a second line) of how many prompts
    return _("{rate}\nof {opened}", rate=_percent(rate), opened=opened)


def chart_funnel_title(rounds: int) -> str:
    return _("Rounds reaching each layer (of {rounds})", rounds=rounds)


def chart_waits_label(median_hours: float, count: int) -> str:
    return ngettext(
        "median {median} over {count} prompt",
        "median {median} over {count} prompts",
        count,
        median=_hours(median_hours),
    )


def withheld_text(people: int) -> str:
    return ngettext(
        "Figures are shown only for at least {minimum} people, so nobody can be singled out: "
        "{count} person so far, {needed} more needed.",
        "Figures are shown only for at least {minimum} people, so nobody can be singled out: "
        "{count} people so far, {needed} more needed.",
        people,
        minimum=MIN_GROUP,
        needed=max(0, MIN_GROUP - people),
    )


def last_days(days: int) -> str:
    """The period a stats reply covers, "Last 30 days"."""
    return ngettext("Last {count} day", "Last {count} days", days)


def reciprocity_lines(figures: ReciprocityFigures) -> list[str]:
    """How reciprocity went, for leads: check-ins, follow-ups, keeping going (no content);
    none for a group too small to stay anonymous."""
    if figures.members < MIN_GROUP or not figures.rounds:
        return []
    lines = [
        ngettext(
            "Balance check-ins: {count} round of {rounds} paused to check in",
            "Balance check-ins: {count} rounds of {rounds} paused to check in",
            figures.rounds_held,
            rounds=figures.rounds,
        )
    ]
    if figures.check_ins:
        lines.append(
            _(
                "Their choices: deeper {deeper} · stay {stay} · no answer {silent}",
                deeper=figures.chose_deeper,
                stay=figures.chose_stay,
                silent=figures.silent,
            )
        )
    if (rate := figures.follow_up_rate) is not None:
        lines.append(
            _(
                "Follow-ups exchanged: {rate} ({exchanged}/{offered} reveals)",
                rate=_percent(rate),
                exchanged=figures.follow_ups_exchanged,
                offered=figures.follow_ups_offered,
            )
        )
    if (rate := figures.keep_going_rate) is not None:
        lines.append(
            _(
                "Kept going together: {rate} ({kept}/{completed} completed rounds)",
                rate=_percent(rate),
                kept=figures.kept_going,
                completed=figures.completed,
            )
        )
    return lines


def stats_summary(figures: Figures, period: str) -> str:
    """One line with the figures a chart shows (`period` already in the reader's language)."""
    if figures.withheld:
        return withheld_text(figures.people)
    parts = [
        period,
        ngettext("{count} person", "{count} people", figures.people),
        ngettext(
            "{count} round, {completed} completed",
            "{count} rounds, {completed} completed",
            figures.rounds,
            completed=figures.completed,
        ),
    ]
    if (first := figures.rate(1)) is not None:
        parts.append(_("both answered {rate} at layer 1", rate=_percent(first)))
    if figures.reciprocation is not None:
        parts.append(_("median {wait} to reciprocate", wait=_hours(figures.reciprocation.median)))
    if (average := figures.average_rating) is not None:
        parts.append(_("average closeness {rating}/7", rating=_decimal(average)))
    return " · ".join(parts)


def chart_alt_text(figures: Figures) -> str:
    """What the chart shows, in words: the image's description for screen readers."""
    rates = ", ".join(
        # TRANSLATORS: a layer's short name and its rate in the chart's description: "L1 40%"
        _("L{layer} {rate}", layer=layer, rate=_percent(rate))
        for layer in range(1, 5)
        if (rate := figures.rate(layer)) is not None
    )
    funnel = ", ".join(
        _("L{layer} {rate}", layer=n, rate=count) for n, count in enumerate(figures.funnel, 1)
    )
    ratings = ", ".join(f"{n}: {count}" for n, count in enumerate(figures.ratings, 1))
    parts = [
        ngettext(
            "Rapport figures for {count} person",
            "Rapport figures for {count} people",
            figures.people,
        ),
        _("both answered by layer: {rates}", rates=rates or _("no prompts yet")),
        _("rounds reaching each layer: {funnel}", funnel=funnel),
    ]
    if (spread := figures.reciprocation) is not None:
        parts.append(
            _(
                "time to reciprocate: median {median}, middle half {low} to {high}",
                median=_hours(spread.median),
                low=_hours(spread.p25),
                high=_hours(spread.p75),
            )
        )
    parts.append(_("ratings 1-7: {ratings}", ratings=ratings))
    return ". ".join(parts) + "."


def schedule_outcome(
    occurrence: datetime, status: str, groups: int, report: Mapping[str, Any] | None
) -> Message:
    """A schedule's last session in one line (`report`: its session report's counts, once
    sent), translated where the schedule list is shown."""
    when = f"{occurrence:%Y-%m-%d %H:%M}"
    if status != "done":
        return N_("last run {when} UTC: still pairing", when=when)
    if report is None:
        return N_plural(
            "last run {when} UTC: {count} group started, report on its way",
            "last run {when} UTC: {count} groups started, report on its way",
            groups,
            when=when,
        )
    counts = {
        "when": when,
        "pairs": N_plural("{count} pair", "{count} pairs", int(report["pairs"])),
        "trios": N_plural("{count} trio", "{count} trios", int(report["trios"])),
        "delivered": report["delivered"],
    }
    sent = int(report["delivered"]) + int(report["failed"]) + int(report.get("pending") or 0)
    if closed := int(report["dms_closed"]):
        return N_plural(
            "last run {when} UTC: {pairs}, {trios} · {delivered} of {count} invitation "
            "delivered, {closed} with DMs closed",
            "last run {when} UTC: {pairs}, {trios} · {delivered} of {count} invitations "
            "delivered, {closed} with DMs closed",
            sent,
            closed=closed,
            **counts,
        )
    return N_plural(
        "last run {when} UTC: {pairs}, {trios} · {delivered} of {count} invitation delivered",
        "last run {when} UTC: {pairs}, {trios} · {delivered} of {count} invitations delivered",
        sent,
        **counts,
    )


def _session_report(data: Mapping[str, Any], names: Names) -> Rendered:
    lines = [
        ngettext(
            "{count} member found in the channel · {paired} paired in {pairs} and {trios}.",
            "{count} members found in the channel · {paired} paired in {pairs} and {trios}.",
            int(data["found"]),
            paired=int(data["paired"]),
            pairs=ngettext("{count} pair", "{count} pairs", int(data["pairs"])),
            trios=ngettext("{count} trio", "{count} trios", int(data["trios"])),
        )
    ]
    if data.get("withheld"):
        lines.append(withheld_text(int(data["people"])))
    else:
        lines.append(
            _(
                "Left out: {opted_out} opted out · {paused} paused · {bots} · {no_partner} with "
                "no partner possible.",
                opted_out=data["opted_out"],
                paused=data["paused"],
                bots=ngettext("{count} bot", "{count} bots", int(data["bots"])),
                no_partner=data["no_partner"],
            )
        )
        lines.append(_invitations(data))
    lines.append(
        ngettext(
            "In {count} day I'll send you how these rounds went, with a chart.",
            "In {count} days I'll send you how these rounds went, with a chart.",
            int(data["follow_up_days"]),
        )
    )
    return Rendered(
        title=_("Session report · schedule {schedule_id}", schedule_id=data["schedule_id"]),
        body=tuple(lines),
    )


def _invitations(data: Mapping[str, Any]) -> str:
    counts = {
        "delivered": data["delivered"],
        "failed": data["failed"],
        "closed": data["dms_closed"],
    }
    if pending := int(data.get("pending") or 0):
        return _(
            "Invitations: {delivered} delivered · {failed} failed ({closed} with DMs closed: "
            "they can use /rapport inbox) · {pending} still on their way.",
            pending=pending,
            **counts,
        )
    return _(
        "Invitations: {delivered} delivered · {failed} failed ({closed} with DMs closed: they "
        "can use /rapport inbox).",
        **counts,
    )


def _follow_up(data: Mapping[str, Any], names: Names) -> Rendered:
    title = _("How the session went · schedule {schedule_id}", schedule_id=data["schedule_id"])
    if data.get("withheld"):
        return Rendered(title=title, body=(withheld_text(int(data["people"])),))
    depths = " · ".join(
        _("no prompt: {count}", count=count)
        if layer == "0"
        else _("layer {layer}: {count}", layer=layer, count=count)
        for layer, count in data["depths"].items()
    )
    rated = int(data["rated"])
    rating = (
        ngettext(
            "Average closeness rating: {average} / 7 ({count} rating).",
            "Average closeness rating: {average} / 7 ({count} ratings).",
            rated,
            average=_decimal(float(data["average_rating"])),
        )
        if data.get("average_rating") is not None
        else ngettext(
            "{count} rating so far: an average needs {minimum}.",
            "{count} ratings so far: an average needs {minimum}.",
            rated,
            minimum=MIN_GROUP,
        )
    )
    accepted = ngettext(
        "{accepted} of {count} group accepted · {rounds} completed.",
        "{accepted} of {count} groups accepted · {rounds} completed.",
        int(data["groups"]),
        accepted=data["accepted"],
        rounds=ngettext("{count} round", "{count} rounds", int(data["completed"])),
    )
    return Rendered(
        title=title,
        body=(
            accepted,
            _("Deepest layer reached: {depths}.", depths=depths or _("none yet")),
            rating,
            _(CHART_ATTACHED),
        ),
    )


def _digest(data: Mapping[str, Any], names: Names) -> Rendered:
    figures = Figures.from_data(data["figures"])
    attached = () if figures.withheld else (_(CHART_ATTACHED),)
    month = _month(data)
    return Rendered(
        title=_("Your monthly Rapport digest · {month}", month=month),
        body=(stats_summary(figures, month), *attached),
    )


def _month(data: Mapping[str, Any]) -> str:
    """The digest's month as the reader's language names it ("Dezember 2026"); a digest
    queued before its payload carried the month's start reads the English name it has."""
    if since := data.get("since"):
        return current().format_date(datetime.fromisoformat(str(since)).date(), "LLLL y")
    return str(data["month"])


def _dms_closed_notice(data: Mapping[str, Any], names: Names) -> Rendered:
    who = ", ".join(names.name_of(key) for key in data["members"])
    return Rendered(
        title=_("Some invitations couldn't be delivered"),
        body=(
            _("I couldn't DM {who}: open DMs from this server, or use /rapport inbox.", who=who),
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
    DeliveryKind.SESSION_REPORT: _session_report,
    DeliveryKind.REPORT_FOLLOW_UP: _follow_up,
    DeliveryKind.STATS_DIGEST: _digest,
    DeliveryKind.DMS_CLOSED_NOTICE: _dms_closed_notice,
    DeliveryKind.FOLLOW_UP_HELD: _follow_up_held,
    DeliveryKind.FOLLOW_UP_QUESTIONS: _follow_up_questions,
    DeliveryKind.FOLLOW_UP_REVEAL: _follow_up_reveal,
    DeliveryKind.FOLLOW_UPS_PASSED: _follow_ups_passed,
    DeliveryKind.CHECK_IN: _check_in,
    DeliveryKind.KEPT_GOING: _kept_going,
}
