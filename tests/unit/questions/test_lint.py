"""Each lint rule catches a small bad bank; clean banks (and the tiny fixture) pass."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from bot.questions.lint import (
    LintReport,
    SummaryRow,
    count_syllables,
    denied_terms,
    flesch_reading_ease,
    is_closed_question,
    lint_banks,
)
from tests.unit.questions.conftest import CLEAN_PROMPTS, BankWriter, prompt

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "banks" / "tiny.yaml"


def by_rule(report: LintReport, rule: str) -> list[Any]:
    return [p for p in report.problems if p.rule == rule]


def one_prompt_pair(layer: int, topic: str, *texts: str, bank: str = "b") -> list[dict[str, Any]]:
    return [prompt(f"{bank}-{layer}-{topic}-{i}", layer, topic, t) for i, t in enumerate(texts)]


def test_clean_bank_passes_with_summary(write_bank: BankWriter) -> None:
    report = lint_banks([write_bank("clean", CLEAN_PROMPTS)])
    assert report.problems == []
    assert report.ok
    assert report.summary == [SummaryRow("clean", 1, prompts=4, topics=2, not_hierarchy_safe=1)]


def test_tiny_fixture_is_clean_and_swappable() -> None:
    report = lint_banks([TINY])
    assert report.problems == []
    assert [(r.layer, r.prompts, r.topics) for r in report.summary] == [
        (layer, 6, 3) for layer in (1, 2, 3, 4)
    ]


def test_schema_problems_do_not_stop_other_files(write_bank: BankWriter, tmp_path: Path) -> None:
    write_bank("broken", [prompt("br-1", 7, "music", "What is up?")])
    write_bank("unsafe", one_prompt_pair(1, "pay", "What is your salary?", "What do you earn?"))
    report = lint_banks([tmp_path])
    assert not report.ok
    schema = by_rule(report, "schema")
    assert [(p.prompt_id, p.field) for p in schema] == [("br-1", "layer")]
    assert schema[0].file.endswith("broken.yaml")
    assert [p.prompt_id for p in by_rule(report, "safety")] == ["b-1-pay-0"]
    assert [row.bank for row in report.summary] == ["unsafe"]


def test_ids_must_be_unique_across_linted_banks(write_bank: BankWriter, tmp_path: Path) -> None:
    write_bank(
        "first", one_prompt_pair(1, "music", "What song do you love?", "Where do you hum tunes?")
    )
    write_bank(
        "second",
        one_prompt_pair(
            1, "music", "Which band did you see live last?", "When do you play records?"
        ),
    )
    report = lint_banks([tmp_path / "first.yaml", tmp_path / "second.yaml"])
    schema = by_rule(report, "schema")
    assert [(p.prompt_id, p.field) for p in schema] == [
        ("b-1-music-0", "id"),
        ("b-1-music-1", "id"),
    ]
    assert all(p.file.endswith("second.yaml") and "first.yaml" in p.message for p in schema)


def test_missing_path_and_empty_directory_are_problems(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    report = lint_banks([tmp_path / "empty", tmp_path / "gone.yaml"])
    assert [p.message for p in report.problems] == [
        "no bank files (*.yaml, *.yml) in this directory",
        "path not found",
    ]


# --- breadth -----------------------------------------------------------------------------------


def layer_of(layer: int, spread: dict[str, int]) -> list[dict[str, Any]]:
    """Prompts on each topic in `spread`, with texts varied enough to matter only for breadth."""
    return [
        prompt(f"br-{layer}-{topic}-{i}", layer, topic, f"What is {topic} number {i}?")
        for topic, count in spread.items()
        for i in range(count)
    ]


def test_breadth_every_layer_topic_pair_needs_two_prompts_even_in_small_banks(
    write_bank: BankWriter,
) -> None:
    prompts = [*CLEAN_PROMPTS, prompt("cl-1-books-01", 1, "books", "Which book sits by your bed?")]
    [problem] = by_rule(lint_banks([write_bank("clean", prompts)]), "breadth")
    assert (problem.prompt_id, problem.field) == ("cl-1-books-01", "topic")
    assert "only layer-1 prompt on 'books'" in problem.message


def test_breadth_small_layers_are_not_held_to_topic_count(write_bank: BankWriter) -> None:
    report = lint_banks([write_bank("small", layer_of(1, {"a": 10, "b": 9}))])
    assert by_rule(report, "breadth") == []


def test_breadth_large_layer_needs_six_topics(write_bank: BankWriter) -> None:
    spread = {"a": 7, "b": 7, "c": 7, "d": 6, "e": 6}  # 33 prompts, none above 35%
    messages = [
        p.message for p in by_rule(lint_banks([write_bank("few", layer_of(2, spread))]), "breadth")
    ]
    assert messages == ["layer 2 covers 5 topics; it needs at least 6"]


def test_breadth_a_one_topic_layer_says_one_topic(write_bank: BankWriter) -> None:
    report = lint_banks([write_bank("one", layer_of(2, {"a": 20}))])
    assert "layer 2 covers 1 topic; it needs at least 6" in [p.message for p in report.problems]


def test_breadth_no_topic_above_35_percent(write_bank: BankWriter) -> None:
    spread = {"a": 8, "b": 2, "c": 2, "d": 2, "e": 2, "f": 2, "g": 2}  # a = 8/20 = 40%
    messages = [
        p.message for p in by_rule(lint_banks([write_bank("lop", layer_of(3, spread))]), "breadth")
    ]
    assert messages == ["layer 3: topic 'a' has 8 of 20 prompts (40%); at most 35% allowed"]


def test_breadth_exactly_35_percent_is_fine(write_bank: BankWriter) -> None:
    spread = {"a": 7, "b": 3, "c": 3, "d": 3, "e": 2, "f": 2}  # a = 7/20 = 35%
    assert by_rule(lint_banks([write_bank("edge", layer_of(1, spread))]), "breadth") == []


# --- duplicates --------------------------------------------------------------------------------


def test_duplicates_after_normalising_case_punctuation_and_spacing(write_bank: BankWriter) -> None:
    prompts = one_prompt_pair(1, "tea", "What's your favourite tea?", "whats  your FAVOURITE tea?")
    [problem] = by_rule(lint_banks([write_bank("dup", prompts)]), "duplicate")
    assert problem.prompt_id == "b-1-tea-1"
    assert problem.message == "same text as prompt b-1-tea-0"


def test_near_duplicates_by_word_overlap(write_bank: BankWriter) -> None:
    prompts = one_prompt_pair(
        1,
        "tea",
        "What tea do you drink on a cold morning?",
        "Which tea do you drink on a cold morning?",
    )
    [problem] = by_rule(lint_banks([write_bank("near", prompts)]), "duplicate")
    assert problem.prompt_id == "b-1-tea-1"
    assert "too similar to prompt b-1-tea-0 (word overlap 0.80 >= 0.6)" in problem.message


@pytest.mark.parametrize(
    ("other", "flagged"),
    [("Where is lunch tomorrow?", True), ("Where is your lunch spot?", False)],  # 3/5 and 3/6
)
def test_word_overlap_threshold_is_inclusive(
    write_bank: BankWriter, other: str, flagged: bool
) -> None:
    prompts = one_prompt_pair(1, "food", "Where is lunch today?", other)
    assert bool(by_rule(lint_banks([write_bank("edge", prompts)]), "duplicate")) is flagged


def test_different_prompts_are_not_duplicates(write_bank: BankWriter) -> None:
    prompts = one_prompt_pair(
        1,
        "tea",
        "What tea do you drink on a cold morning?",
        "Where did you first try a drink you now love?",
    )
    assert by_rule(lint_banks([write_bank("far", prompts)]), "duplicate") == []


def test_duplicates_are_found_across_banks(write_bank: BankWriter, tmp_path: Path) -> None:
    write_bank(
        "one", one_prompt_pair(1, "tea", "What tea do you like?", "Where is home?", bank="one")
    )
    write_bank(
        "two", one_prompt_pair(1, "tea", "What TEA do you like?", "Who cooks best?", bank="two")
    )
    [problem] = by_rule(lint_banks([tmp_path]), "duplicate")
    assert problem.file.endswith("two.yaml")
    assert problem.prompt_id == "two-1-tea-0"
    assert "one-1-tea-0 in" in problem.message and "one.yaml" in problem.message


def test_duplicate_check_is_fast_for_hundreds_of_prompts(write_bank: BankWriter) -> None:
    words = [f"w{i}" for i in range(2000)]
    prompts = [
        prompt(f"p-{n}", 1, f"t{n % 8}", f"What {' '.join(words[n * 5 : n * 5 + 5])}?")
        for n in range(400)
    ]
    started = time.perf_counter()
    report = lint_banks([write_bank("big", prompts)])
    assert time.perf_counter() - started < 10
    assert by_rule(report, "duplicate") == []


# --- safety ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        ("What did you do with your first salary?", ["salary"]),
        ("Who voted for the team name?", ["voted"]),
        ("Which wines go with dinner at your place?", ["wines"]),
        ("Which pet died in a film you love?", ["died"]),
        ("What do you eat on a diet day or a treat day?", ["diet"]),
        ("What made the Sunday church bake sale fun?", ["church"]),
        ("What is a self-diagnosis app good for?", ["diagnosis"]),
        ("How do you handle a deadline or a deadpan joke?", []),
        ("What diesel train trips have you taken?", []),
        ("What is a good goal for this week?", []),
        ("Which string sextet sounds best to you?", []),
    ],
)
def test_workplace_deny_list(text: str, hits: list[str]) -> None:
    assert denied_terms(text, "workplace") == hits


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        ("Which wine goes with your favourite dish?", []),
        ("What did you do the day your dog died?", []),
        ("What did therapy teach you?", ["therapy"]),
        ("What political view changed for you?", ["political"]),
        ("What would you do about abuse online?", ["abuse"]),
    ],
)
def test_community_deny_list_is_shorter(text: str, hits: list[str]) -> None:
    assert denied_terms(text, "community") == hits


def test_safety_rule_names_the_word_and_audience(write_bank: BankWriter) -> None:
    prompts = one_prompt_pair(1, "life", "Who is your husband?", "Where do you walk?")
    [problem] = by_rule(lint_banks([write_bank("safe", prompts)]), "safety")
    assert (problem.prompt_id, problem.field) == ("b-1-life-0", "text")
    assert problem.message == "'husband': off-limits in a workplace bank"


def test_safety_uses_the_community_list_for_community_banks(write_bank: BankWriter) -> None:
    prompts = one_prompt_pair(1, "life", "Who is your husband?", "Which prayer do you know?")
    report = lint_banks([write_bank("club", prompts, audience="community")])
    assert [p.prompt_id for p in by_rule(report, "safety")] == ["b-1-life-1"]


# --- open-ended --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "closed"),
    [
        ("Do you like tea?", True),
        ("Is there a song you always skip?", True),
        ("Would you rather hike or swim?", True),
        ("Have your plans for spring changed?", True),
        ("Do you like tea, and why?", False),
        ("Does your team have a ritual, and how did it start?", False),
        ("Could you name the album which got you through school?", False),
        ("What do you like about tea?", False),
        ("Do tell us about your week?", False),
    ],
)
def test_closed_question_detection(text: str, closed: bool) -> None:
    assert is_closed_question(text) is closed


def test_open_ended_rule(write_bank: BankWriter) -> None:
    prompts = one_prompt_pair(1, "tea", "Do you like green tea?", "How do you make tea?")
    [problem] = by_rule(lint_banks([write_bank("yesno", prompts)]), "open-ended")
    assert problem.prompt_id == "b-1-tea-0"
    assert "yes/no" in problem.message


# --- reading ease ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("tea", 1),
        ("make", 1),
        ("people", 2),
        ("agree", 2),
        ("the", 1),
        ("rhythm", 1),
        ("yesterday", 3),
        ("communication", 5),
        ("hmm", 1),
    ],
)
def test_syllable_count(word: str, syllables: int) -> None:
    assert count_syllables(word) == syllables


def test_flesch_formula() -> None:
    # 5 words, 1 sentence, 8 syllables: 206.835 - 1.015 * 5 - 84.6 * 8 / 5
    assert flesch_reading_ease("What is your favourite colour?") == pytest.approx(66.4, abs=0.05)


def test_reading_ease_rule_reports_the_score(write_bank: BankWriter) -> None:
    hard = "Which organisational communication methodology resonates particularly?"
    prompts = one_prompt_pair(1, "work", hard, "What do you do first at work?")
    [problem] = by_rule(lint_banks([write_bank("hard", prompts)]), "reading-ease")
    assert problem.prompt_id == "b-1-work-0"
    assert problem.message.startswith(f"Flesch reading ease {flesch_reading_ease(hard):.1f} ")
    assert flesch_reading_ease(hard) < 0


# --- partner wording ---------------------------------------------------------------------------


def test_your_partner_only_in_layer_four(write_bank: BankWriter) -> None:
    prompts = [
        *one_prompt_pair(
            2, "pair", "What would your partner like for lunch?", "Where do you like to sit?"
        ),
        *one_prompt_pair(
            4,
            "pair",
            "What did Your Partner say that stuck with you?",
            "Where could the two of you meet next?",
        ),
    ]
    [problem] = by_rule(lint_banks([write_bank("pairs", prompts)]), "partner-wording")
    assert (problem.prompt_id, problem.field) == ("b-2-pair-0", "text")
    assert "layer 4 only (this is layer 2)" in problem.message
