"""Loading bank files into engine banks, and the errors a bad file produces."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.bank import Bank, Prompt
from bot.questions.loader import BankError, Problem, load_bank, load_banks
from tests.unit.questions.conftest import CLEAN_PROMPTS, EXAMPLE, BankWriter, prompt


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(BankError) as caught:
        load_bank(path)
    return caught.value.problems


def test_load_bank_builds_the_engine_bank(write_bank: BankWriter) -> None:
    bank = load_bank(write_bank("clean", CLEAN_PROMPTS))
    assert isinstance(bank, Bank)
    assert (bank.name, bank.title, bank.audience) == ("clean", "Clean", "workplace")
    assert bank.topics == ("morning", "music")
    assert bank.layers == (1,)
    assert bank.get("cl-1-morning-01") == Prompt(
        "cl-1-morning-01",
        1,
        "morning",
        "What is the first thing you do after you wake up?",
        True,
        example=EXAMPLE,
    )
    assert bank.get("cl-1-music-02") is not None
    assert bank.get("cl-1-music-02").hierarchy_safe is False  # type: ignore[union-attr]


def test_folded_text_is_collapsed_to_one_line(tmp_path: Path) -> None:
    path = tmp_path / "folded.yaml"
    path.write_text(
        "bank: folded\ntitle: Folded\naudience: community\ntopics: [a]\nprompts:\n"
        "  - id: f-1\n    layer: 1\n    topic: a\n    text: >\n      What do you\n      like?\n"
    )
    assert load_bank(path).prompts[0].text == "What do you like?"


def test_problem_names_file_prompt_and_field(
    write_bank: BankWriter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write_bank("x", [prompt("wp-1-x-01", 5, "x", "What is up?")], tmp_path / "questions")
    with pytest.raises(BankError) as caught:
        load_bank(path)
    [problem] = caught.value.problems
    assert (problem.file, problem.prompt_id, problem.field) == (
        "questions/x.yaml",
        "wp-1-x-01",
        "layer",
    )
    assert problem.line == 9
    assert str(caught.value).startswith(
        "questions/x.yaml:9: prompt wp-1-x-01: field 'layer': must be between 1 and 4"
    )


def test_every_problem_in_a_file_is_reported(write_bank: BankWriter) -> None:
    prompts = [
        prompt("a-1", 0, "music", "What is up?"),
        prompt("a-2", 1, "cooking", "What is new?"),
        {"id": "a-3", "layer": 1, "topic": "music", "text": "Why?", "colour": "red"},
        {"id": "a-4", "layer": 1, "topic": "music"},
    ]
    path = write_bank("actual", prompts, bank="other", topics=["music"])
    found = {(p.prompt_id, p.field) for p in problems_of(path)}
    assert found == {
        (None, "bank"),
        ("a-1", "layer"),
        ("a-2", "topic"),
        ("a-3", "colour"),
        ("a-4", "text"),
    }
    messages = {p.field: p.message for p in problems_of(path)}
    assert "must equal the file name 'actual'" in messages["bank"]
    assert "'cooking' is not one of the bank's topics (music)" in messages["topic"]
    assert messages["colour"].startswith("is not a known key (allowed: id, layer")
    assert messages["text"] == "is required"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("layer", "1", "must be a whole number (got '1')"),
        ("layer", True, "must be a whole number"),
        ("hierarchy_safe", "sometimes", "must be true or false"),
        ("text", 42, "must be text"),
        ("id", "Bad Id", "must be lowercase letters and digits"),
    ],
)
def test_prompt_field_types_are_strict(
    write_bank: BankWriter, field: str, value: object, expected: str
) -> None:
    entry = prompt("t-1", 1, "music", "What is up?")
    entry[field] = value
    [problem] = problems_of(write_bank("types", [entry]))
    assert problem.field == field
    assert expected in problem.message


@pytest.mark.parametrize(
    ("header", "field", "expected"),
    [
        ({"title": 3}, "title", "must be text"),
        ({"audience": "public"}, "audience", "must be 'workplace' or 'community'"),
        ({"prompts": []}, "prompts", "must not be empty"),
        ({"owner": "me"}, "owner", "is not a known key"),
        ({"topics": ["music", "music"]}, "topics", "lists music more than once"),
        ({"topics": "music"}, "topics", "must be a list"),
    ],
)
def test_header_problems(
    write_bank: BankWriter, header: dict[str, object], field: str, expected: str
) -> None:
    fields = dict(header)
    prompts = fields.pop("prompts", [prompt("h-1", 1, "music", "What is up?")])
    fields.setdefault("topics", ["music"])
    found = problems_of(write_bank("head", prompts, **fields))
    assert any(p.field == field and expected in p.message and p.prompt_id is None for p in found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tell me about your day.", "must end with exactly one '?'"),
        ("Really? What do you mean?", "must end with exactly one '?'"),
        ("What is up??", "must end with exactly one '?'"),
        ("What " + "x" * 180 + "?", "must be at most 180 characters (has 186)"),
        ("What " + "is it " * 12 + "now?", "must be at most 25 words (has 26)"),
    ],
)
def test_text_rules(write_bank: BankWriter, text: str, expected: str) -> None:
    found = problems_of(write_bank("texts", [prompt("t-1", 1, "music", text)]))
    assert any(p.field == "text" and expected in p.message for p in found), found


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("bank: broken\ntitle: Broken\nprompts:\n  - id: b-1\n   layer: [1\n")
    [problem] = problems_of(path)
    assert problem.file.endswith("broken.yaml")
    assert "invalid YAML at line 5" in problem.message


def test_duplicate_yaml_key_is_an_error_not_a_silent_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text("bank: twice\ntitle: Twice\ntitle: Again\n")
    [problem] = problems_of(path)
    assert "line 3" in problem.message
    assert "duplicate key 'title'" in problem.message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("- just\n- a list\n", "top level must be a mapping"),
        ("", "the file is empty"),
        ("plain words\n", "found str"),
    ],
)
def test_top_level_must_be_a_mapping(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "shape.yaml"
    path.write_text(content)
    [problem] = problems_of(path)
    assert problem.file.endswith("shape.yaml")
    assert expected in problem.message


def test_missing_file(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path / "nowhere.yaml")
    assert problem.file.endswith("nowhere.yaml")
    assert problem.message == "file not found"


def test_prompt_that_is_not_a_mapping_is_named_by_position(write_bank: BankWriter) -> None:
    good = prompt("p-1", 1, "music", "What is up?")
    found = problems_of(write_bank("shapes", [good, "What is this?"], topics=["music"]))
    assert [(p.prompt_id, p.field) for p in found] == [("#2", None)]
    assert "must be a mapping" in found[0].message


def test_duplicate_ids_within_a_file(write_bank: BankWriter) -> None:
    prompts = [prompt("d-1", 1, "music", "What is up?"), prompt("d-1", 1, "music", "Who is it?")]
    [problem] = problems_of(write_bank("dupes", prompts))
    assert (problem.prompt_id, problem.field, problem.line) == ("d-1", "id", 13)
    assert problem.message == "is used more than once in this file (first at line 8)"


def test_unclosed_quote_names_the_line_it_opens_on(tmp_path: Path) -> None:
    entries = "".join(
        f"  - id: q-{n}\n    layer: 1\n    topic: a\n    text: 'What is {n}?'\n" for n in range(6)
    )
    broken = entries.replace("text: 'What is 1?'", "text: 'What is 1?", 1)
    path = tmp_path / "quote.yaml"
    path.write_text("bank: quote\ntitle: Q\naudience: community\ntopics: [a]\nprompts:\n" + broken)
    [problem] = problems_of(path)
    assert problem.line == 13  # where the quote opens, not where the parser gave up
    assert "is its closing quote missing?" in problem.message


def test_load_banks_with_a_depth_fails_on_a_missing_layer(
    write_bank: BankWriter, tmp_path: Path
) -> None:
    write_bank("clean", CLEAN_PROMPTS)
    assert sorted(load_banks([tmp_path], depth=1)) == ["clean"]
    with pytest.raises(BankError) as caught:
        load_banks([tmp_path], depth=3)
    [problem] = caught.value.problems
    assert (problem.rule, problem.field) == ("depth", "prompts")
    assert "has no prompts in layers 2 (How I tick), 3 (What matters to me)" in problem.message
    assert "RAPPORT_MAX_LAYER" in problem.message


def test_load_banks_merges_directories_in_order(write_bank: BankWriter, tmp_path: Path) -> None:
    write_bank("clean", CLEAN_PROMPTS, tmp_path / "shipped")
    extra = tmp_path / "custom"
    write_bank("extra", [prompt("ex-1", 2, "music", "What tune do you hum?")], extra)
    (extra / "notes.txt").write_text("not a bank")
    (extra / "more.yml").write_text(
        "bank: more\ntitle: More\naudience: community\ntopics: [a]\n"
        "prompts: [{id: mo-1, layer: 1, topic: a, text: 'Where is home?'}]\n"
    )
    banks = load_banks([tmp_path / "shipped", extra])
    assert sorted(banks) == ["clean", "extra", "more"]
    assert banks["extra"].in_layer(2)[0].id == "ex-1"


def test_duplicate_prompt_id_across_files_names_both(
    write_bank: BankWriter, tmp_path: Path
) -> None:
    write_bank("clean", CLEAN_PROMPTS, tmp_path / "a")
    write_bank("other", [prompt("cl-1-music-01", 1, "music", "What do you hum?")], tmp_path / "b")
    with pytest.raises(BankError) as caught:
        load_banks([tmp_path / "a", tmp_path / "b"])
    [problem] = caught.value.problems
    assert problem.file.endswith("other.yaml")
    assert (problem.prompt_id, problem.field) == ("cl-1-music-01", "id")
    assert "clean.yaml" in problem.message


def test_duplicate_bank_name_across_directories(write_bank: BankWriter, tmp_path: Path) -> None:
    write_bank("clean", CLEAN_PROMPTS, tmp_path / "a")
    write_bank("clean", [prompt("zz-1", 1, "music", "What do you hum?")], tmp_path / "b")
    with pytest.raises(BankError) as caught:
        load_banks([tmp_path / "a", tmp_path / "b"])
    [problem] = caught.value.problems
    assert problem.field == "bank"
    assert "already defined in" in problem.message


def test_load_banks_reports_problems_from_every_file(
    write_bank: BankWriter, tmp_path: Path
) -> None:
    write_bank("one", [prompt("o-1", 9, "music", "What is up?")])
    write_bank("two", [prompt("t-1", 1, "music", "No question here")])
    with pytest.raises(BankError) as caught:
        load_banks([tmp_path, tmp_path / "missing"])
    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert any("one.yaml:9: prompt o-1: field 'layer'" in line for line in lines)
    assert any("two.yaml:11: prompt t-1: field 'text'" in line for line in lines)
    assert any(line.endswith("missing: directory not found") for line in lines)
