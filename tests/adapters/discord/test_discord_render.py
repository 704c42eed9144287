"""Rendering without a server: Discord's size limits, custom ids, the answer modal, and how
send failures map to the outbox's retry decisions."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.adapters.discord.render import (
    DESCRIPTION_LIMIT,
    MESSAGE_EMBED_CHARS,
    split_text,
    text_reply,
    to_parts,
)
from bot.adapters.discord.sender import send_error
from bot.adapters.discord.views import AnswerModal, RatingSelect, RoundButton, submitted_answer
from bot.adapters.discord.wire import Target
from bot.engine.model import DeliveryKind
from bot.messages.deliveries import render
from bot.messages.model import Names
from bot.service.ports import PermanentSendError, TransientSendError
from bot.service.rounds import OpenPrompt

A, B, C = "discord:1:10", "discord:1:20", "discord:1:30"
NAMES = Names(lambda key: {A: "Ann", B: "Ben", C: "Cat"}[key], A)


def reveal(*texts: str) -> list[Any]:
    answers = [{"member": m, "text": t} for m, t in zip((A, B, C), texts, strict=False)]
    data = {"round_id": "r1", "step": 4, "prompt_text": "Where to?", "layer": 1, "answers": answers}
    return to_parts(render(DeliveryKind.REVEAL, data, NAMES), Target("r1", 4))


@pytest.mark.parametrize("text", ["word " * 2000, "x" * 9000, "line\n" * 3000, ""])
def test_split_text_never_loses_a_character(text: str) -> None:
    pieces = split_text(text, DESCRIPTION_LIMIT)
    assert "".join(pieces) == text
    assert all(len(piece) <= DESCRIPTION_LIMIT for piece in pieces)
    if text.startswith("word"):
        assert all(piece.endswith(" ") for piece in pieces[:-1])  # breaks between words


def test_a_trio_reveal_of_three_full_answers_fits_discords_limits() -> None:
    texts = ["a" * 3000, "b " * 1500, "c\n" * 1500]
    parts = reveal(*texts)
    assert len(parts) == 3  # 9,000 characters: no two answers share a 6,000-character message
    for part in parts:
        assert len(part.embeds) <= 10 and part.chars <= MESSAGE_EMBED_CHARS
        assert all(len(e.description or "") <= DESCRIPTION_LIMIT for e in part.embeds)
    sections = [e for part in parts for e in part.embeds][1:]
    assert [e.title for e in sections] == ["You", "Ben", "Cat"]
    assert [e.description for e in sections] == texts
    assert all(part.view is None for part in parts)  # a reveal has no controls


def test_a_prompt_longer_than_an_embed_title_keeps_all_of_its_text() -> None:
    long_prompt = "Why? " * 80
    data = {"text": long_prompt, "layer": 2, "number_in_layer": 1, "reason": "next", "step": 3}
    [part] = to_parts(render(DeliveryKind.PROMPT, data, NAMES), Target("r1", 3))
    [embed] = part.embeds
    assert embed.title is None and long_prompt.strip() in (embed.description or "")
    assert part.view is not None
    ids = [item.custom_id for item in part.view.children]  # type: ignore[attr-defined]
    assert ids == [f"rapport:{a}:r1:3" for a in ("answer", "example", "swap", "stay", "leave")]
    assert all(len(i) <= 100 for i in ids)


def test_controls_carry_round_and_step_and_match_their_templates() -> None:
    button = RoundButton.__discord_ui_compiled_template__.fullmatch("rapport:swap:ab12cd34:7")
    assert button is not None and (button["round"], button["step"]) == ("ab12cd34", "7")
    rate = RatingSelect(Target("ab12cd34", 0))
    assert rate.custom_id == "rapport:rate:ab12cd34:0"
    assert [o.value for o in rate.item.options] == [str(n) for n in range(1, 8)]
    assert RoundButton.__discord_ui_compiled_template__.fullmatch("rapport:swap:a:b") is None


def test_the_answer_modal_shows_the_prompt_in_a_text_display() -> None:
    prompt = OpenPrompt("r1", 2, "What " * 30 + "?", layer=3)
    modal = AnswerModal(prompt).to_dict()
    assert len(modal["title"]) <= 45 and modal["custom_id"] == "rapport:modal:r1:2"
    display, label = modal["components"]
    assert display == {"type": 10, "content": prompt.text}
    assert label["type"] == 18 and len(label["label"]) <= 45
    field = label["component"]
    assert (field["style"], field["max_length"], field["custom_id"]) == (2, 3000, "answer")


def test_the_submitted_answer_is_found_in_a_label_or_a_row() -> None:
    label = {
        "components": [
            {"type": 10},
            {"type": 18, "component": {"custom_id": "answer", "value": "hi"}},
        ]
    }
    row = {"components": [{"type": 1, "components": [{"custom_id": "answer", "value": "yo"}]}]}
    assert (submitted_answer(label), submitted_answer(row), submitted_answer({})) == (
        "hi",
        "yo",
        "",
    )


def test_a_long_reply_goes_into_embeds_not_content() -> None:
    assert text_reply("short")["content"] == "short"
    long = text_reply("y" * 5000)
    assert "content" not in long and sum(len(e.description) for e in long["embeds"]) == 5000


def _http_error(status: int, code: int, headers: dict[str, str] | None = None) -> Exception:
    response = SimpleNamespace(status=status, reason="x", headers=headers or {})
    return discord.HTTPException(response, {"code": code, "message": "m"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_http_error(403, 50007), PermanentSendError("dms_closed")),
        (_http_error(404, 10013), PermanentSendError("unknown_user")),
        (_http_error(429, 0, {"Retry-After": "2.5"}), TransientSendError("rate_limited", 2.5)),
        (_http_error(400, 40003), TransientSendError("opening_dms_too_fast")),
        (_http_error(503, 0), TransientSendError("http_503")),
        (discord.RateLimited(42.0), TransientSendError("rate_limited", 42.0)),
        (ConnectionResetError(), TransientSendError("ConnectionResetError")),
    ],
)
def test_send_failures_map_to_retry_or_give_up(error: Exception, expected: Exception) -> None:
    mapped = send_error(error)
    assert type(mapped) is type(expected) and mapped.reason == expected.reason  # type: ignore[attr-defined]
    if isinstance(expected, TransientSendError):
        assert mapped.retry_after == expected.retry_after  # type: ignore[union-attr]
