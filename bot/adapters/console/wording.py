"""What the terminal says in its own words: there are no buttons or modals in a console.

Messages come from `bot.messages`, shared by every platform; where that text speaks of buttons
or replying in a chat, the console shows its commands instead.
"""

from __future__ import annotations

from bot.i18n import N_
from bot.i18n.translate import _
from bot.messages import ANSWER_HINT, HELP_TEXT, Action, Rendered

# shared paragraphs that only make sense on a chat platform -> the console's version
CONSOLE_PARAGRAPHS = {
    ANSWER_HINT: N_("Type your answer below. Stuck for words? /example shows one."),
}
# the key that does what a button does; the Answer button is simply typing
BUTTON_KEYS = {
    Action.ACCEPT: "y",
    Action.DECLINE: "n",
    Action.EXAMPLE: "/example",
    Action.SWAP: "/swap",
    Action.STAY: "/stay",
    Action.LEAVE: "/leave",
}

ANSWER_QUESTION = N_("Your answer (or /example, /swap, /stay, /leave, /help)")
INVITATION_QUESTION = N_("Accept? (y/n)")
RATING_ASK = N_("Your rating, 1-7 (or Enter to skip)")
COMMANDS = (
    ("/example", N_("see an example answer to this prompt")),
    ("/swap", N_("draw a different prompt at the same depth")),
    ("/stay", N_("keep the round at this depth from now on")),
    ("/leave", N_("end the round")),
    ("/help", N_("show this list")),
)


def console_help() -> str:
    """How rounds work and the console's commands, in the current reader's language."""
    return "\n".join(
        [
            _(HELP_TEXT),
            "",
            _("At a prompt you can type:"),
            *(f"  {name:<9} {_(what)}" for name, what in COMMANDS),
            _("Anything else you type is your answer. Ctrl-C ends the demo."),
        ]
    )


NO_EXAMPLE = N_(
    "This prompt has no example answer. There's no wrong one: a sentence or two "
    "about your own experience is plenty."
)
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
    console = {_(chat): _(own) for chat, own in CONSOLE_PARAGRAPHS.items()}
    return tuple(console.get(paragraph, paragraph) for paragraph in rendered.body)


def console_keys(rendered: Rendered) -> str:
    """What to type for each button the message offers ("Accept: y · Not now: n")."""
    keys = [
        f"{b.label}: {BUTTON_KEYS[b.action]}" for b in rendered.buttons if b.action in BUTTON_KEYS
    ]
    return " · ".join(keys)
