"""One plural helper (CLDR plurals through bot.i18n), and the counts people see."""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine.model import DeliveryKind
from bot.i18n.translate import ngettext, translator
from bot.messages.deliveries import render
from bot.messages.model import Names


@pytest.mark.parametrize(
    ("count", "expected"), [(0, "0 groups"), (1, "1 group"), (2, "2 groups"), (11, "11 groups")]
)
def test_plural_takes_the_singular_only_for_one(count: int, expected: str) -> None:
    assert ngettext("{count} group", "{count} groups", count) == expected


def test_plural_uses_the_given_forms_for_irregular_words() -> None:
    assert ngettext("{count} person", "{count} people", 1) == "1 person"
    assert ngettext("{count} person", "{count} people", 3) == "3 people"


@pytest.mark.parametrize(
    ("language", "zero"),
    [("en", "other"), ("de", "other"), ("es", "other"), ("fr", "one"), ("pt-BR", "one")],
)
def test_each_language_counts_with_its_cldr_plural_rules(language: str, zero: str) -> None:
    # French and Brazilian Portuguese count 0 as singular (CLDR "one" is i = 0,1)
    rule = translator(language).locale.plural_form
    assert (rule(0), rule(1), rule(2)) == (zero, "one", "other")


def _body(kind: DeliveryKind, **data: Any) -> str:
    rendered = render(kind, data, Names(lambda key: key, "slack:T1:U1"))
    return " ".join(rendered.body)


def test_a_round_with_one_shared_prompt_says_prompt() -> None:
    body = _body(DeliveryKind.COMPLETED, prompts_revealed=1, layer_reached=1)
    assert body.startswith("You shared 1 prompt and reached Layer 1")


@pytest.mark.parametrize(
    ("groups", "trios", "unplaced", "expected"),
    [
        (1, 0, 0, "1 pair started ·"),
        (1, 1, 0, "1 trio started ·"),
        (3, 1, 0, "2 pairs and 1 trio started ·"),
        (2, 0, 1, "2 pairs started · 1 member couldn't be paired this time"),
        (2, 0, 3, "2 pairs started · 3 members couldn't be paired this time"),
    ],
)
def test_a_session_summary_counts_pairs_and_trios_apart(
    groups: int, trios: int, unplaced: int, expected: str
) -> None:
    body = _body(
        DeliveryKind.SESSION_SUMMARY,
        groups=groups,
        trios=trios,
        unplaced=unplaced,
        next_session="Monday 09:00",
    )
    assert body.startswith(expected), body
    assert "1 pairs" not in body and "1 groups" not in body
