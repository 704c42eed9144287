"""What the terminal says in its own words: there are no buttons or modals in a console.

Messages come from `bot.messages`, shared by every platform; where that text speaks of buttons
or replying in a chat, the console shows its commands instead.
"""

from __future__ import annotations

from bot.messages import ANSWER_HINT, HELP_TEXT, Action, Rendered

# shared paragraphs that only make sense on a chat platform -> the console's version
CONSOLE_PARAGRAPHS = {
    ANSWER_HINT: "Type your answer below. Stuck for words? /example shows one.",
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

ANSWER_QUESTION = "Your answer (or /example, /swap, /stay, /leave, /help)"
INVITATION_QUESTION = "Accept? (y/n)"
RATING_ASK = "Your rating, 1-7 (or Enter to skip)"
COMMANDS = (
    ("/example", "see an example answer to this prompt"),
    ("/swap", "draw a different prompt at the same depth"),
    ("/stay", "keep the round at this depth from now on"),
    ("/leave", "end the round"),
    ("/help", "show this list"),
)
CONSOLE_HELP = "\n".join(
    [
        HELP_TEXT,
        "",
        "At a prompt you can type:",
        *(f"  {name:<9} {what}" for name, what in COMMANDS),
        "Anything else you type is your answer. Ctrl-C ends the demo.",
    ]
)
UNKNOWN_COMMAND = "I don't know {command} — try /help"
INVITATION_RETRY = "Please type y to accept or n to decline."
RATING_RETRY = "Please type a number from 1 to 7, or press Enter to skip."
DECLINED_ENDING = "You declined, so this demo round is over: nothing was shared."
QUIT_ENDING = "Demo ended. Run it again any time."
NEXT_STEPS = (
    "What's next: bring Rapport to your team",
    "  Slack:    rapport slack manifest      creates the app (README: Add Rapport to Slack)",
    "  Discord:  rapport discord invite-url  adds the bot (README: Add Rapport to Discord)",
    "  Then:     rapport run",
    "In a fresh clone `rapport` is .venv/bin/rapport (or `source .venv/bin/activate` first).",
)


def console_body(rendered: Rendered) -> tuple[str, ...]:
    """The body paragraphs, with chat-platform wording replaced by the console's."""
    return tuple(CONSOLE_PARAGRAPHS.get(paragraph, paragraph) for paragraph in rendered.body)


def console_keys(rendered: Rendered) -> str:
    """What to type for each button the message offers ("Accept: y · Not now: n")."""
    keys = [
        f"{b.label}: {BUTTON_KEYS[b.action]}" for b in rendered.buttons if b.action in BUTTON_KEYS
    ]
    return " · ".join(keys)
