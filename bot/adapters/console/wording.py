"""What the terminal says in its own words: there are no buttons or modals in a console.

Messages come from `bot.messages`, shared by every platform; where that text speaks of buttons
or replying in a chat, the console shows its commands instead.
"""

from __future__ import annotations

from bot.engine.model import DeliveryKind
from bot.i18n import N_
from bot.messages.commands import HELP_TEXT
from bot.messages.model import Action, Rendered
from bot.messages.rounds import ANSWER_HINT, FOLLOW_UP_INVITE, KEEP_GOING_HINT

# shared paragraphs that only make sense on a chat platform -> the console's version
TYPE_ANSWER = N_("Type your answer below.")
TYPE_ANSWER_OR_EXAMPLE = N_("Type your answer below. Stuck for words? /example shows one.")
CONSOLE_PARAGRAPHS = {
    ANSWER_HINT: TYPE_ANSWER,  # TYPE_ANSWER_OR_EXAMPLE where the message offers an example
    FOLLOW_UP_INVITE: N_(
        "Curious about something they shared? Type one short follow-up question below. "
        "Questions are delivered once everyone has asked one; press Enter to skip."
    ),
    KEEP_GOING_HINT: N_(
        "Enjoyed it? After your rating, type y to keep going together: if you both do, a new "
        "round starts right where you left off. If not, nothing happens and nobody is told."
    ),
}
# the key that does what a button does; the Answer button is simply typing
BUTTON_KEYS = {
    Action.ACCEPT: "y",
    Action.DECLINE: "n",
    Action.EXAMPLE: "/example",
    Action.SWAP: "/swap",
    Action.STAY: "/stay",
    Action.LEAVE: "/leave",
    Action.FOLLOW_UP: N_("type your question"),
    Action.SKIP: N_("Enter or /skip"),
    Action.DEEPER: N_("/deeper or d"),
    Action.HERE: N_("/here or h"),
    Action.KEEP_GOING: N_("y after your rating"),
}

ANSWER_QUESTION = N_("Your answer (or /example, /swap, /stay, /leave, /help)")
FOLLOW_UP_ANSWER_QUESTION = N_("Your answer (or /stay, /leave, /help)")
FOLLOW_UP_QUESTION = N_("Ask a follow-up? Type your question, or press Enter to skip")
CHECK_IN_ASK = N_("Deeper or here? (/deeper or /here, d or h)")
CHECK_IN_RETRY = N_("Please type /deeper (or d) to go a layer deeper, or /here (or h) to stay.")
INVITATION_QUESTION = N_("Accept? (y/n)")
RATING_ASK = N_("Your rating, 1-7 (or Enter to skip)")
KEEP_GOING_ASK = N_("Keep going together? (y/n)")
KEEP_GOING_RETRY = N_("Please type y to keep going together or n to stop here.")
COMMANDS = (
    ("/example", N_("see an example answer to this prompt")),
    ("/swap", N_("draw a different prompt at the same depth")),
    ("/stay", N_("keep the round at this depth from now on")),
    ("/leave", N_("end the round")),
    ("/help", N_("show this list")),
)
FOLLOW_UP_COMMANDS = (
    ("/ask <question>", N_("ask it (or simply type the question)")),
    ("/skip", N_("go on without one (or press Enter)")),
)
CHECK_IN_COMMANDS = (
    ("/deeper", N_("go a layer deeper (or d)")),
    ("/here", N_("stay at this depth for another prompt (or h)")),
)


NAME_WIDTH = max(len(name) for name, _ in (*COMMANDS, *FOLLOW_UP_COMMANDS, *CHECK_IN_COMMANDS))


def _listing(commands: tuple[tuple[str, str], ...]) -> list[str]:
    return [f"  {name:<{NAME_WIDTH}}  {what}" for name, what in commands]


CONSOLE_HELP = "\n".join(
    [
        HELP_TEXT,
        "",
        N_("At a prompt you can type:"),
        *_listing(COMMANDS),
        N_("Anything else you type is your answer."),
        "",
        N_("After a reveal you may ask one short follow-up question:"),
        *_listing(FOLLOW_UP_COMMANDS),
        "",
        N_("When the round checks in before going deeper:"),
        *_listing(CHECK_IN_COMMANDS),
        "",
        N_("When a round ends, you can rate it and choose to keep going together (y/n)."),
        N_("Ctrl-C ends the demo."),
    ]
)
BACK_TO_PROMPT = N_("Back to the prompt: {text}")
BACK_TO_FOLLOW_UP = N_("Back to the follow-up.")
UNKNOWN_COMMAND = N_("I don't know {command} — try /help")
INVITATION_RETRY = N_("Please type y to accept or n to decline.")
RATING_RETRY = N_("Please type a number from 1 to 7, or press Enter to skip.")
DECLINED_ENDING = N_("You declined, so this demo round is over: nothing was shared.")
QUIT_ENDING = N_("Demo ended. Run it again any time.")
NEXT_STEPS = (
    N_("What's next: bring Rapport to your team"),
    N_("  Slack:    rapport slack manifest      creates the app (README: Add Rapport to Slack)"),
    N_("  Discord:  rapport discord invite-url  adds the bot (README: Add Rapport to Discord)"),
    N_("  Then:     rapport run"),
    N_("In a fresh clone `rapport` is .venv/bin/rapport (or `source .venv/bin/activate` first)."),
)


def console_body(rendered: Rendered) -> tuple[str, ...]:
    """The body paragraphs, with chat-platform wording replaced by the console's."""
    examples = any(button.action is Action.EXAMPLE for button in rendered.buttons)
    return tuple(_console_paragraph(paragraph, examples) for paragraph in rendered.body)


def _console_paragraph(paragraph: str, examples: bool) -> str:
    if paragraph == ANSWER_HINT and examples:
        return TYPE_ANSWER_OR_EXAMPLE
    return CONSOLE_PARAGRAPHS.get(paragraph, paragraph)


def back_to(kind: DeliveryKind, text: str) -> str:
    """What the console says when it shows again what you still owe a reply to."""
    return BACK_TO_PROMPT.format(text=text) if kind is DeliveryKind.PROMPT else BACK_TO_FOLLOW_UP


def console_keys(rendered: Rendered) -> str:
    """What to type for each button the message offers ("Accept: y · Not now: n")."""
    keys = [
        f"{b.label}: {BUTTON_KEYS[b.action]}" for b in rendered.buttons if b.action in BUTTON_KEYS
    ]
    return " · ".join(keys)
