"""`rapport demo` plays a whole round through the real service, outbox and dispatcher."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from bot.adapters.console import demo
from bot.adapters.console.answers import BRIEF_ANSWERS, SAM_FOLLOW_UP_ANSWER, SAM_QUESTIONS
from bot.adapters.console.demo import run_demo
from bot.adapters.console.partner import BRIEF_LAYER, PARTNER_NAME, SAM, DemoPartner
from bot.adapters.console.wording import (
    CHECK_IN_ASK,
    CHECK_IN_RETRY,
    DECLINED_ENDING,
    FOLLOW_UP_QUESTION,
    INVITATION_RETRY,
    KEEP_GOING_ASK,
    RATING_ASK,
    RATING_RETRY,
)
from bot.config import Settings
from bot.engine.model import AskFollowUp, ChooseDepth, Command, DeliveryKind, SkipFollowUp
from bot.messages.rounds import ANSWER_HINT, CHECK_IN_QUESTION, NO_EXAMPLE
from bot.service.ports import OutgoingMessage

TINY_BANK = Path(__file__).parents[1] / "fixtures" / "banks" / "tiny.yaml"


@pytest.fixture(autouse=True)
def quick_stall(monkeypatch: pytest.MonkeyPatch) -> None:
    """A demo that waits for a message nobody sends fails in seconds, not 30."""
    monkeypatch.setattr(demo, "WAIT_SECONDS", 5.0)


def _console() -> Console:
    return Console(file=io.StringIO(), width=120, force_terminal=False)


def _output(console: Console) -> str:
    return console.file.getvalue()  # type: ignore[attr-defined]


class ScriptedKeyboard:
    """A keyboard whose keys are a script: what a person would type, line by line."""

    def __init__(self, console: Console, lines: list[str]) -> None:
        self.console = console
        self.lines = lines
        self.asked: list[str] = []

    async def line(self, prompt: str) -> str:
        self.console.print(prompt, end="")  # as the terminal shows it; the tty echoes the line
        self.asked.append(prompt)
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)


def _settings(tmp_path: Path, questions: Path | None = None) -> Settings:
    extra = {"RAPPORT_QUESTIONS_DIR": str(questions), "RAPPORT_DEFAULT_BANK": "tiny"}
    return Settings(
        RAPPORT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        **(extra if questions else {}),  # type: ignore[arg-type]
    )


async def _play(tmp_path: Path, lines: list[str], questions: Path | None = None) -> str:
    console = _console()
    keyboard = ScriptedKeyboard(console, lines)
    code = await run_demo(_settings(tmp_path, questions), console, auto=False, keyboard=keyboard)
    assert code == 0, _output(console)[-3000:]
    assert keyboard.lines == [], "the demo stopped asking before the script ended"
    return _output(console)


@pytest.fixture
def bank_with_examples(tmp_path: Path) -> Path:
    """The tiny test bank, each prompt with an example answer naming the prompt it answers."""
    bank = yaml.safe_load(TINY_BANK.read_text())
    for prompt in bank["prompts"]:
        prompt["example"] = f"Example for: {prompt['text']}"
    folder = tmp_path / "banks"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(yaml.safe_dump(bank, sort_keys=False))
    return folder


@pytest.fixture
def bank_without_examples(tmp_path: Path) -> Path:
    """The tiny test bank with its examples taken out (as a team's own questions may be)."""
    bank = yaml.safe_load(TINY_BANK.read_text())
    for prompt in bank["prompts"]:
        prompt.pop("example", None)
    folder = tmp_path / "bare"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(yaml.safe_dump(bank, sort_keys=False))
    return folder


def _prompt_texts(folder: Path) -> list[str]:
    return [p["text"] for p in yaml.safe_load((folder / "tiny.yaml").read_text())["prompts"]]


async def test_the_auto_demo_plays_a_round_to_the_rating(tmp_path: Path) -> None:
    console = _console()
    assert await run_demo(_settings(tmp_path), console, auto=True) == 0
    text = _output(console)
    order = [
        "You're invited to a Rapport round",
        "A new prompt was drawn",
        "Answer saved",
        "Everyone answered",
        "Question saved",  # your follow-up waits for Sam's
        SAM_QUESTIONS[1],  # then Sam's question reaches you
        "Everyone answered the follow-ups",
        "No follow-ups this time",  # Sam passed on the next one
        CHECK_IN_QUESTION,  # Sam was brief in layer 1: the guard holds the round
        "Thanks. Everyone has chosen.",
        "one layer deeper",
        "Staying at this depth",
        "That's the end of this round",
        "You rated this round 6 out of 7",
        "What's next: bring Rapport to your team",
    ]
    positions = [text.find(marker) for marker in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions == sorted(positions)
    assert "you › n" in text and "You're keeping going together" not in text


async def test_the_console_speaks_of_typing_not_buttons(tmp_path: Path) -> None:
    console = _console()
    assert await run_demo(_settings(tmp_path), console, auto=True) == 0
    text = _output(console)
    assert ANSWER_HINT not in text and "button" not in text.lower()
    assert "Type your answer below" in text
    assert "Accept: y · Not now: n" in text and "Swap prompt: /swap" in text
    assert "rapport slack manifest" in text and "rapport discord invite-url" in text
    assert "README: Add Rapport to Slack" in text and "README: Add Rapport to Discord" in text


def test_the_cli_entry_point_runs_the_demo(tmp_path: Path) -> None:
    env = {"RAPPORT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'y.db'}", "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--auto"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "That's the end of this round" in result.stdout


async def test_a_person_can_swap_retry_a_bad_answer_and_leave(tmp_path: Path) -> None:
    text = await _play(tmp_path, ["y", "/swap", "", "x" * 3001, "My real answer.", "/leave"])
    assert "A new prompt was drawn" in text
    assert "Your answer was empty" in text
    assert "the limit is 3000" in text
    assert "Everyone answered" in text and "My real answer." in text
    assert "You've left the round" in text


async def test_staying_keeps_the_round_going_at_that_depth(tmp_path: Path) -> None:
    lines = ["y", "/stay", "First answer.", "", "Second answer.", "lots", "6", "n"]
    text = await _play(tmp_path, lines)
    done = text.index("Done. This round won't go any deeper.")
    assert text.index("Back to the prompt:") > done
    assert "First answer." in text and "Second answer." in text
    assert "one layer deeper" not in text
    assert "reached Layer 1 · Hello" in text and "You rated this round 6 out of 7" in text
    assert RATING_RETRY in text  # "lots" isn't a rating: asked again, nothing saved
    assert text.index(KEEP_GOING_ASK) > text.index(RATING_ASK)
    assert "You're keeping going together" not in text  # "n": the demo simply ends


async def test_declining_the_invitation_ends_kindly(tmp_path: Path) -> None:
    text = await _play(tmp_path, ["maybe", "n"])
    assert text.index(INVITATION_RETRY) < text.index("No problem. Maybe another time.")
    assert text.index(DECLINED_ENDING) < text.index("What's next")
    assert "Everyone answered" not in text


async def test_an_unknown_command_is_never_an_answer_and_commands_ignore_case(
    tmp_path: Path,
) -> None:
    text = await _play(tmp_path, ["y", "/foo", "/Swap", "/STAY", "A real answer.", "/Leave"])
    assert "I don't know /foo — try /help" in text
    assert text.count("/foo") == 1  # the hint only: never saved, never revealed
    assert "/Swap" not in text and "/STAY" not in text and "/Leave" not in text
    assert "A new prompt was drawn" in text and "Staying at this depth" in text
    assert "A real answer." in text and "You've left the round" in text


async def test_help_lists_the_commands(tmp_path: Path) -> None:
    text = await _play(tmp_path, ["y", "/help", "/leave"])
    listing = text[text.index("At a prompt you can type:") :]
    at_a_prompt = ("/example", "/swap", "/stay", "/leave", "/help")
    for command in (*at_a_prompt, "/ask", "/skip", "/deeper", "/here"):
        assert f"  {command} " in listing, command


async def test_example_shows_the_current_prompts_example(
    tmp_path: Path, bank_with_examples: Path
) -> None:
    text = await _play(tmp_path, ["y", "/example", "Mine.", "/leave"], bank_with_examples)
    shown = text.index("“Example for: ")
    answered = text[shown:].split("Example for: ", 1)[1].splitlines()[0].strip().rstrip("”")
    latest = max(_prompt_texts(bank_with_examples), key=lambda t: text.rfind(t, 0, shown))
    assert answered == latest  # the example of the prompt on screen, not of another


async def test_example_without_one_says_so_kindly(
    tmp_path: Path, bank_without_examples: Path
) -> None:
    text = await _play(tmp_path, ["y", "/example", "/leave"], bank_without_examples)
    assert NO_EXAMPLE.split(".")[0] in text


async def test_the_partner_answers_each_prompt_with_its_example(
    tmp_path: Path, bank_with_examples: Path
) -> None:
    console = _console()
    settings = _settings(tmp_path, bank_with_examples)
    assert await run_demo(settings, console, auto=True) == 0
    text = _output(console)
    prompts = yaml.safe_load((bank_with_examples / "tiny.yaml").read_text())["prompts"]
    revealed = [p for p in prompts if f"Prompt: {p['text']}" in text]
    brief = [p for p in revealed if p["layer"] == BRIEF_LAYER]
    fuller = [p for p in revealed if p["layer"] != BRIEF_LAYER]
    assert len(brief) >= 2 and len(fuller) >= 2
    for prompt in fuller:
        assert f"Example for: {prompt['text']}" in text, prompt["text"]
    assert text.count("Example for: ") == len(fuller)  # Sam's only: you answered your own
    assert all(answer in text for answer in BRIEF_ANSWERS[: len(brief)])


# --- follow-ups, the balance guard and keeping going together --------------------------------

# a couple of sentences a layer: enough that Sam's brief answers make the layer very uneven
LONG = [
    "I walk to the corner bakery first thing and pick whatever smells best that morning.",
    "A long lunch outside with a book, phone in the bag, and nobody expecting a reply.",
    "Making a proper pot of tea halfway through the afternoon and drinking it slowly.",
]


@dataclass
class SamLog:
    """What Sam received and did, in order: a real DemoPartner that also writes it down."""

    events: list[OutgoingMessage | Command] = field(default_factory=list)

    def received(self, kind: DeliveryKind) -> list[OutgoingMessage]:
        return [e for e in self.events if isinstance(e, OutgoingMessage) and e.kind is kind]

    def did(self, kind: type) -> list[Command]:
        commands = [e for e in self.events if not isinstance(e, OutgoingMessage)]
        return [c for c in commands if isinstance(c, kind)]

    def first_mention(self, text: str) -> int:
        """Where Sam first received a message carrying `text` (-1: never)."""
        for index, event in enumerate(self.events):
            if isinstance(event, OutgoingMessage) and text in str(event.data):
                return index
        return -1


@pytest.fixture
def sam(monkeypatch: pytest.MonkeyPatch) -> SamLog:
    log = SamLog()

    class RecordingPartner(DemoPartner):
        async def receive(self, message: OutgoingMessage) -> None:
            log.events.append(message)
            await super().receive(message)

        async def act(self, message: OutgoingMessage, command: Command) -> None:
            log.events.append(command)
            await super().act(message, command)

    monkeypatch.setattr(demo, "DemoPartner", RecordingPartner)
    return log


def _panel(text: str, title: str) -> str:
    """The panel whose title starts with `title` (its first occurrence)."""
    start = text.index(title)
    return text[start : text.index("╰", start)]


async def test_a_follow_up_is_exchanged_only_once_both_asked(tmp_path: Path, sam: SamLog) -> None:
    question = "What was the best part of it?"
    lines = ["y", "My first answer.", question, "My answer to Sam's question.", "/leave"]
    text = await _play(tmp_path, lines)
    # your question reaches Sam only after Sam asked one too
    sam_asked = sam.events.index(sam.did(AskFollowUp)[0])
    assert sam.first_mention(question) > sam_asked
    (delivered,) = sam.received(DeliveryKind.FOLLOW_UP_QUESTIONS)
    assert [q["text"] for q in delivered.data["questions"]] == [question]
    # and Sam's reaches you then: your question was saved first, Sam's came after
    assert text.index(FOLLOW_UP_QUESTION) < text.index("Question saved")
    assert text.index("Question saved") < text.index(SAM_QUESTIONS[1])
    assert f"{PARTNER_NAME} asks" in _panel(text, "Everyone asked a follow-up")
    reveal = _panel(text, "Everyone answered the follow-ups")
    for shown in (question, SAM_QUESTIONS[1], SAM_FOLLOW_UP_ANSWER, "My answer to Sam's"):
        assert shown in reveal, shown
    assert "Ask a follow-up: type your question · Skip: Enter or /skip" in text


async def test_skipping_a_follow_up_goes_on_kindly(tmp_path: Path, sam: SamLog) -> None:
    text = await _play(tmp_path, ["y", "My first answer.", "/foo", "/ask", "", "/leave"])
    assert "I don't know /foo — try /help" in text  # never taken as a question
    assert "Your question was empty" in text  # /ask with nothing after it: asked again
    assert "Okay. The round goes on to the next prompt." in text
    assert "This time the round goes on" in _panel(text, "No follow-ups this time")
    assert len(sam.received(DeliveryKind.FOLLOW_UPS_PASSED)) == 1  # the same note to both
    assert sam.did(AskFollowUp) == [] and sam.did(SkipFollowUp) == []
    assert "/foo" not in str(sam.events)


async def test_when_sam_passes_everyone_gets_the_same_note_and_nobody_is_blamed(
    tmp_path: Path, sam: SamLog
) -> None:
    first, second = "What got you started?", "Would you do it again?"
    lines = ["y", "Answer one.", first, "Follow-up answer.", "Answer two.", second, "/leave"]
    text = await _play(tmp_path, lines)
    assert len(sam.did(AskFollowUp)) == 1 and len(sam.did(SkipFollowUp)) == 1
    note = _panel(text, "No follow-ups this time")
    assert "This time the round goes on" in note
    assert PARTNER_NAME not in note and "skip" not in note.lower()
    assert text.index("Question saved", text.index("Answer two.")) < text.index(note)
    assert sam.first_mention(second) == -1  # dropped unseen
    assert len(sam.received(DeliveryKind.FOLLOW_UPS_PASSED)) == 1


async def test_the_check_in_holds_the_round_until_both_choose_deeper(
    tmp_path: Path, sam: SamLog
) -> None:
    lines = ["y", LONG[0], "", LONG[1], "", "maybe", "h", LONG[2], "", "/Deeper", "/leave"]
    text = await _play(tmp_path, lines)
    first = text.index(CHECK_IN_QUESTION)
    second = text.index(CHECK_IN_QUESTION, first + 1)
    check_in = _panel(text, "A quick check-in")
    assert "Go a layer deeper: /deeper or d · Stay at this depth: /here or h" in check_in
    for telling in ("short", "length", "brief", PARTNER_NAME, "characters"):
        assert telling not in check_in, telling
    assert text.index(CHECK_IN_RETRY) > first  # "maybe" is neither: asked again
    # Sam chose deeper at once, but your "here" kept the round at this depth
    assert sam.did(ChooseDepth) == [ChooseDepth(SAM.key, deeper=True)] * 2
    stayed = text.index("You'll stay at this depth for another prompt.")
    assert first < stayed < second
    assert "Layer 2" not in text[:second] and "one layer deeper" not in text[:second]
    assert text.index("one layer deeper") > second
    assert text.count(CHECK_IN_ASK) == 3  # twice at the first check-in, once at the second


async def test_keeping_going_together_starts_a_new_round(tmp_path: Path, sam: SamLog) -> None:
    lines = ["y", "/stay", "First answer.", "", "Second answer.", "", "y", "/leave"]
    text = await _play(tmp_path, lines)
    assert text.index(KEEP_GOING_ASK) < text.index("You're keeping going together")
    assert "Here's your first prompt in this new round together." in text
    assert "Keep going together: y after your rating" in text
    rounds = {m.round_id for m in sam.received(DeliveryKind.PROMPT)}
    assert len(rounds) == 2  # Sam plays on in the new round too
    assert "You've left the round" in text


async def test_auto_exchanges_a_follow_up_and_passes_a_check_in(
    tmp_path: Path, sam: SamLog
) -> None:
    console = _console()
    assert await run_demo(_settings(tmp_path), console, auto=True) == 0
    assert sam.received(DeliveryKind.FOLLOW_UP_REVEAL) and sam.received(DeliveryKind.CHECK_IN)
    assert sam.received(DeliveryKind.FOLLOW_UPS_PASSED)
    (completed,) = sam.received(DeliveryKind.COMPLETED)
    assert completed.data["layer_reached"] == 2  # deeper after the check-in, then /stay
