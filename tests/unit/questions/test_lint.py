"""Each lint rule catches a small bad bank; clean banks (and the tiny fixture) pass."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from bot.questions.lint import LintReport, SummaryRow, lint_banks
from bot.questions.profiles import SHIPPED, LintProfile
from bot.questions.rules.safety import denied_terms
from bot.questions.rules.wording import (
    count_syllables,
    flesch_reading_ease,
    is_closed_question,
    is_one_word_preference,
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
    assert report.summary == [
        SummaryRow("clean", 1, prompts=4, topics=2, not_hierarchy_safe=1, profile="custom")
    ]


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

SMALL = LintProfile(
    "small",
    min_prompts_per_layer=6,
    min_topics_per_layer=3,
    min_prompts_per_topic=2,
    max_topic_share=0.5,
    max_first_meeting=1,
)


def layer_of(layer: int, spread: dict[str, int]) -> list[dict[str, Any]]:
    """Prompts on each topic in `spread`, with texts varied enough to matter only for breadth."""
    return [
        prompt(f"br-{layer}-{topic}-{i}", layer, topic, f"How did {topic} {i} start for you?")
        for topic, count in spread.items()
        for i in range(count)
    ]


def breadth(
    write_bank: BankWriter, prompts: list[dict[str, Any]], profile: LintProfile
) -> list[str]:
    report = lint_banks([write_bank("wide", prompts)], profile)
    return [p.message for p in by_rule(report, "breadth")]


def test_breadth_every_layer_topic_pair_needs_its_minimum(write_bank: BankWriter) -> None:
    prompts = [*CLEAN_PROMPTS, prompt("cl-1-books-01", 1, "books", "How did you pick your book?")]
    [problem] = by_rule(lint_banks([write_bank("clean", prompts)]), "breadth")
    assert (problem.prompt_id, problem.field) == ("cl-1-books-01", "topic")
    assert "topic 'books' has 1 layer-1 prompt;" in problem.message
    assert "at least 2 (custom bank)" in problem.message


def test_breadth_thresholds_come_from_the_profile(write_bank: BankWriter) -> None:
    prompts = layer_of(2, {"a": 3, "b": 2})
    assert breadth(write_bank, prompts, SMALL) == [
        "layer 2 has 5 prompts; a small bank needs at least 6 per layer",
        "layer 2 covers 2 topics; a small bank needs at least 3 per layer",
        "layer 2: topic 'a' has 3 of 5 prompts (60%); at most 50% allowed",
    ]
    assert breadth(write_bank, layer_of(2, {"a": 2, "b": 2, "c": 2}), SMALL) == []


def test_shipped_profile_wants_sixty_prompts_and_eight_topics_per_layer(
    write_bank: BankWriter,
) -> None:
    messages = breadth(write_bank, layer_of(3, {t: 4 for t in "abcdefg"}), SHIPPED)
    assert messages == [
        "layer 3 has 28 prompts; a shipped bank needs at least 60 per layer",
        "layer 3 covers 7 topics; a shipped bank needs at least 8 per layer",
    ]
    assert breadth(write_bank, layer_of(3, {t: 8 for t in "abcdefgh"}), SHIPPED) == []


def test_shipped_profile_needs_four_prompts_per_topic(write_bank: BankWriter) -> None:
    spread = {**{t: 8 for t in "abcdefg"}, "h": 3, "i": 2}
    messages = breadth(write_bank, layer_of(1, spread), SHIPPED)
    assert len(messages) == 5  # each of h's 3 and i's 2 prompts
    assert all("needs at least 4 (shipped bank)" in m for m in messages)


def test_breadth_limits_first_meeting_prompts(write_bank: BankWriter) -> None:
    prompts = layer_of(1, {"a": 2, "b": 2, "c": 2})
    for entry in prompts[:2]:
        entry["first_meeting"] = True
    assert breadth(write_bank, prompts, SMALL) == [
        "2 prompts carry first_meeting: true; at most 1 may (they are drawn only in a pair's "
        "first round)"
    ]


# --- duplicates --------------------------------------------------------------------------------


def test_duplicates_after_normalising_case_punctuation_and_spacing(write_bank: BankWriter) -> None:
    prompts = one_prompt_pair(1, "tea", "How do you make tea?", "how do  you MAKE tea?")
    [problem] = by_rule(lint_banks([write_bank("dup", prompts)]), "duplicate")
    assert problem.prompt_id == "b-1-tea-1"
    assert problem.message == "same text as prompt b-1-tea-0"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # other words for one idea (CONCEPTS), other word forms (stemming), another order
        (
            "What helps you wind down at the end of the day?",
            "How do you unwind in the evening, and what helps most?",
        ),
        (
            "What food did you change your mind about, and what happened?",
            "Which dish did you once dislike, and what changed your mind?",
        ),
        (
            "What small walk do you enjoy, and what do you notice on it?",
            "What little walk do you love, and what do you spot along it?",
        ),
    ],
)
def test_near_duplicates_in_other_words(write_bank: BankWriter, first: str, second: str) -> None:
    prompts = [
        *one_prompt_pair(1, "day", first, second),
        *one_prompt_pair(1, "misc", "Where is your quiet corner?", "Who cooks best at a party?"),
    ]
    [problem] = by_rule(lint_banks([write_bank("near", prompts)]), "duplicate")
    assert problem.prompt_id == "b-1-day-1"
    assert problem.message.startswith("asks the same as prompt b-1-day-0 in other words")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "What place do you go to when you need to think, and why?",
            "What place would you show a visitor first, and why?",
        ),
        (
            "What did your partner say this round that you might try yourself?",
            "Which of your partner's answers would you like to hear more about, and why?",
        ),
        (
            "What tea do you drink on a cold morning?",
            "Where did you first try a drink you now love?",
        ),
    ],
)
def test_different_prompts_on_one_topic_are_not_duplicates(
    write_bank: BankWriter, first: str, second: str
) -> None:
    prompts = [
        *one_prompt_pair(4, "pair", first, second),
        *one_prompt_pair(4, "misc", "Where is your quiet corner?", "Who cooks best at a party?"),
    ]
    assert by_rule(lint_banks([write_bank("far", prompts)]), "duplicate") == []


def test_duplicates_are_found_across_banks_of_one_audience(
    write_bank: BankWriter, tmp_path: Path
) -> None:
    write_bank(
        "one", one_prompt_pair(1, "tea", "What tea do you like?", "Where is home?", bank="one")
    )
    write_bank(
        "two", one_prompt_pair(1, "tea", "What TEA do you like?", "Who cooks best?", bank="two")
    )
    write_bank(
        "three",
        one_prompt_pair(1, "tea", "What tea do you like?", "Who sings?", bank="three"),
        audience="community",
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


# --- each new rule catches its bad bank (tests/fixtures/banks/bad/) ----------------------------

BAD = Path(__file__).resolve().parents[2] / "fixtures" / "banks" / "bad"


@pytest.mark.parametrize(
    ("fixture", "rule", "prompt_id", "line", "message"),
    [
        ("no-example", "example", "no-example-1-walks-03", 27, "is required"),
        ("example-shape", "example", "example-shape-1-snacks-03", 31, "1-3 sentences (has 5)"),
        ("presumption", "presumption", "presumption-1-walks-03", 30, "'your commute' presumes"),
        ("first-meeting", "first-meeting", "first-meeting-1-walks-03", 30, "'first impression'"),
        ("one-word", "one-word", "one-word-1-snacks-03", 30, "one word can answer"),
        (
            "near-duplicate",
            "duplicate",
            "near-duplicate-1-walks-03",
            30,
            "near-duplicate-1-walks-01",
        ),
    ],
)
def test_each_rule_catches_its_bad_bank(
    fixture: str, rule: str, prompt_id: str, line: int, message: str
) -> None:
    report = lint_banks([BAD / f"{fixture}.yaml"])
    [problem] = report.problems
    assert (problem.rule, problem.prompt_id, problem.line) == (rule, prompt_id, line)
    assert message in problem.message
    assert str(problem).startswith(f"{problem.file}:{line}: prompt {prompt_id}: field ")


def test_first_meeting_phrasing_is_fine_with_the_flag(write_bank: BankWriter) -> None:
    texts = ("What was your first impression of this chat, and why?", "How did you start today?")
    prompts = one_prompt_pair(4, "pair", *texts)
    assert by_rule(lint_banks([write_bank("fm", prompts)]), "first-meeting") != []
    prompts[0]["first_meeting"] = True
    assert by_rule(lint_banks([write_bank("fm", prompts)]), "first-meeting") == []


@pytest.mark.parametrize(
    ("text", "presumes"),
    [
        ("What do your kids like to cook, and why?", "children"),
        ("How does your team celebrate a launch?", "a team"),
        ("What did you do before this round started?", "something outside this round"),
        ("How will you stay in touch after this round?", "something outside this round"),
        ("Where did you grow up, and what was it like?", "an origin"),
        ("What do you play on your console, and why?", "a gaming habit"),
    ],
)
def test_presumption_names_what_is_presumed(
    write_bank: BankWriter, text: str, presumes: str
) -> None:
    prompts = one_prompt_pair(1, "life", text, "How do you spend a quiet hour?")
    [problem] = by_rule(lint_banks([write_bank("pre", prompts)]), "presumption")
    assert f"presumes {presumes}" in problem.message


@pytest.mark.parametrize(
    ("text", "one_word"),
    [
        ("What is your favourite snack?", True),
        ("Which season do you like?", True),
        ("What kind of music do you play at work?", True),
        ("What flavour of ice cream do you pick most often?", True),
        ("What is your favourite snack, and what's the story behind it?", False),
        ("Which season do you like, and why?", False),
        ("When did you last hear a song you loved, and where were you?", False),
    ],
)
def test_one_word_check_only_in_layer_one(
    write_bank: BankWriter, text: str, one_word: bool
) -> None:
    prompts = [
        *one_prompt_pair(1, "likes", text, "How did your week start?"),
        *one_prompt_pair(2, "likes", text, "How do you plan a week?"),
    ]
    flagged = by_rule(lint_banks([write_bank("ow", prompts)]), "one-word")
    assert [p.prompt_id for p in flagged] == (["b-1-likes-0"] if one_word else [])


@pytest.mark.parametrize(
    ("example", "issue"),
    [
        ("x" * 281, "at most 280 characters (has 281)"),
        ("One. Two. Three. Four.", "1-3 sentences (has 4)"),
        ("Would you believe it was soup?", "not end with a question"),
        ("Soup, always \N{GRINNING FACE}.", "must not contain emoji"),
    ],
)
def test_example_shape(write_bank: BankWriter, example: str, issue: str) -> None:
    prompts = one_prompt_pair(1, "food", "How did you learn to cook soup?", "Who cooks best?")
    prompts[0]["example"] = example
    [problem] = by_rule(lint_banks([write_bank("ex", prompts)]), "example")
    assert (problem.prompt_id, problem.field) == ("b-1-food-0", "example")
    assert issue in problem.message


def test_example_safety_uses_the_deny_list(write_bank: BankWriter) -> None:
    prompts = one_prompt_pair(1, "food", "How did you learn to cook soup?", "Who cooks best?")
    prompts[0]["example"] = "My wife taught me."
    [problem] = by_rule(lint_banks([write_bank("ex", prompts)]), "safety")
    assert (problem.field, problem.message) == ("example", "'wife': off-limits in a workplace bank")


def test_missing_layers_up_to_the_depth_are_named(write_bank: BankWriter) -> None:
    report = lint_banks([BAD / "missing-layer.yaml"], depth=3)
    [problem] = by_rule(report, "depth")
    assert problem.line == 6  # the `prompts:` key
    assert problem.message.startswith(
        "has no prompts in layers 2 (How I tick), 3 (What matters to me); rounds go 3 layers deep"
    )
    assert lint_banks([BAD / "missing-layer.yaml"], depth=1).problems == []


def test_unclosed_quote_is_reported_where_it_opens() -> None:
    [problem] = lint_banks([BAD / "unclosed-quote.yaml"]).problems
    assert problem.line == 13
    assert "runs on to line 18; is its closing quote missing?" in problem.message


@pytest.mark.parametrize(
    ("text", "one_word"),
    [
        ("Which snack do you keep close at hand?", True),
        ("What is your favourite season?", True),
        ("What did you last hum without noticing, and where did you pick it up?", False),
        ("What's the best view you found lately, and where were you?", False),
        ("Which song pulls you back into focus, and why that one?", False),
    ],
)
def test_one_word_check_knows_a_story_ask_from_a_bare_preference(text: str, one_word: bool) -> None:
    assert is_one_word_preference(text) is one_word
