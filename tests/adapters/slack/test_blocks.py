"""Block Kit rendering: relayed text never pings or links, long text splits without loss."""

from __future__ import annotations

import pytest

from bot.adapters.slack.blocks import (
    SECTION_TEXT_MAX,
    NameSlots,
    answer_modal,
    escape,
    kind_of,
    message,
    split_text,
    unescape,
)
from bot.adapters.slack.wire import ModalMeta
from bot.engine.model import MAX_ANSWER_CHARS, DeliveryKind
from bot.messages.deliveries import render
from bot.messages.model import Names
from bot.reports.figures import figures_of
from tests.fakes.slack import find_pings
from tests.fakes.slack.blocks import check_blocks, check_view
from tests.fakes.slack.harness import section_texts

DANGEROUS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!here|here>",
    "<@U0BOB>",
    "<@U0BOB|bob>",
    "<#C0GENERAL>",
    "<#C0GENERAL|general>",
    "<!subteam^S0TEAM|team>",
    "<https://evil.example|click me>",
    "a & b < c > d",
]
ALICE_KEY, BOB_KEY = "slack:T1:U0ALICE", "slack:T1:U0BOB"


def reveal(*answers: str) -> dict:
    data = {
        "round_id": "r1",
        "step": 3,
        "prompt_text": "What & why?",
        "layer": 1,
        "answers": [
            {"member": key, "text": text}
            for key, text in zip((ALICE_KEY, BOB_KEY), answers, strict=False)
        ],
    }
    slots = NameSlots()
    rendered = render(DeliveryKind.REVEAL, data, Names(slots.name_of, ALICE_KEY))
    names = {ALICE_KEY: "alice", BOB_KEY: "bob &lt;3"}
    return message(
        rendered, kind="reveal", fill=lambda t: slots.fill(t, names), round_id="r1", step=3
    )


@pytest.mark.parametrize("token", DANGEROUS)
def test_escape_leaves_no_mention_link_or_broadcast(token: str) -> None:
    escaped = escape(f"hey {token} there")
    assert "<" not in escaped and ">" not in escaped
    assert find_pings({"text": escaped}) == []
    assert unescape(escaped) == f"hey {token} there"


def test_every_dangerous_token_in_a_reveal_shows_as_text() -> None:
    text = " ".join(DANGEROUS)
    posted = reveal(text, "fine")
    assert find_pings(posted) == []
    assert unescape("".join(section_texts(posted, "answer_0"))) == text
    assert check_blocks(posted["blocks"], "message") == []


def test_each_answer_has_its_own_sections_and_heading() -> None:
    posted = reveal("mine", "theirs")
    assert section_texts(posted, "answer_0") == ["mine"]
    assert section_texts(posted, "answer_1") == ["theirs"]
    headings = [b["elements"][0]["text"] for b in posted["blocks"] if b["type"] == "context"]
    assert headings == ["*You*", "*bob &lt;3*"]
    assert posted["text"] == "Everyone answered. Here's what you shared:"
    body = section_texts(posted, "body")
    assert body == ["Prompt: What &amp; why?"]


def test_a_member_cannot_smuggle_a_name_placeholder_into_an_answer() -> None:
    posted = reveal("\x000\x00 hi", "ok")
    assert section_texts(posted, "answer_0") == ["0 hi"]


@pytest.mark.parametrize(
    "text",
    [
        "word " * 600,  # 3000 characters of words
        "x" * MAX_ANSWER_CHARS,  # no whitespace at all
        "&" * MAX_ANSWER_CHARS,  # escapes to 15000 characters
        ("fish & chips <3 " * 200)[:MAX_ANSWER_CHARS],
        "e\u0301" * 1500,  # combining accents stay with their letter
        ("ab " * 999) + "&<>",
    ],
    ids=["words", "one-word", "ampersands", "mixed", "combining", "tail"],
)
def test_long_answers_split_across_sections_without_loss(text: str) -> None:
    posted = reveal(text, "short")
    chunks = section_texts(posted, "answer_0")
    assert all(0 < len(c) <= SECTION_TEXT_MAX for c in chunks)
    assert unescape("".join(chunks)) == text
    for chunk in chunks:  # never cut inside an entity or before a combining mark
        assert escape(unescape(chunk)) == chunk
        assert not chunk.startswith("\u0301")
    assert check_blocks(posted["blocks"], "message") == []


def test_split_prefers_whitespace_near_the_limit() -> None:
    text = ("a" * 99 + " ") * 40  # 4000 characters
    first, second = split_text(text)
    assert first.endswith(" ") and len(first) == 3000
    assert first + second == text


def test_short_text_is_one_chunk() -> None:
    assert split_text("hello") == ["hello"]
    assert split_text("x" * SECTION_TEXT_MAX) == ["x" * SECTION_TEXT_MAX]


def test_answer_modal_respects_slack_limits_and_shows_the_prompt_in_full() -> None:
    prompt = "Which <b>meal</b> & why? " + "long " * 700
    view = answer_modal(prompt, ModalMeta("r1", 4, "D1"))
    assert check_view(view) == []
    assert len(view["title"]["text"]) <= 24
    (field,) = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["element"]["type"] == "plain_text_input"
    assert field["element"]["multiline"] is True
    assert field["element"]["max_length"] == 3000
    shown = "".join(section_texts(view, "prompt"))
    assert unescape(shown) == f"*{prompt}*"
    assert ModalMeta.decode(view["private_metadata"]) == ModalMeta("r1", 4, "D1")


ALL_FIELDS = {
    "round_id": "r1",
    "step": 2,
    "initiator": ALICE_KEY,
    "others": [ALICE_KEY, BOB_KEY],
    "by": BOB_KEY,
    "max_layer": 3,
    "pace": "daily",
    "text": "Where & when? <!here>",
    "prompt_text": "Where & when?",
    "layer": 2,
    "layer_name": "How I tick",
    "number_in_layer": 1,
    "reason": "deeper",
    "answers": [{"member": ALICE_KEY, "text": "a"}, {"member": BOB_KEY, "text": "b"}],
    "prompts_revealed": 4,
    "layer_reached": 2,
    "reminder_no": 1,
    "groups": 3,
    "trios": 1,
    "unplaced": 1,
    "next_session": "Monday 9:00",
    # leads' reports
    "schedule_id": "abc123",
    **dict.fromkeys(("found", "people", "paired", "delivered", "follow_up_days"), 8),
    **dict.fromkeys(("bots", "opted_out", "paused", "no_partner", "failed", "dms_closed"), 1),
    **{"pairs": 3, "pending": 0, "accepted": 2, "completed": 1, "rated": 5},
    "average_rating": 5.5,
    "depths": {"0": 1, "2": 2},
    "figures": figures_of([]).to_data(),
    "month": "November 2026",
    "members": [ALICE_KEY],
    "questions": [{"member": ALICE_KEY, "text": "Why <!here>?"}, {"member": BOB_KEY, "text": "b?"}],
    "follow_up": True,
    "keep_going": True,
    "prompts_per_layer": 2,
    "preset": "gentle",
}


@pytest.mark.parametrize("kind", list(DeliveryKind))
def test_every_delivery_kind_renders_valid_block_kit(kind: DeliveryKind) -> None:
    slots = NameSlots()
    rendered = render(kind, ALL_FIELDS, Names(slots.name_of, BOB_KEY))
    names = {ALICE_KEY: "<@U0ALICE>", BOB_KEY: "<@U0BOB>"}
    posted = message(
        rendered, kind=kind.value, fill=lambda t: slots.fill(t, names), round_id="r1", step=2
    )
    assert check_blocks(posted["blocks"], "message") == []
    assert kind_of(posted) == kind.value and posted["text"]
    assert "<!here>" not in str(posted)
    has_buttons = any(b["type"] == "actions" for b in posted["blocks"])
    assert has_buttons is bool(rendered.buttons or rendered.rating)
