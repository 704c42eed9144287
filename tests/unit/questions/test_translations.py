"""Translated banks: `<bank>.<language>.yaml` loads as the translation of `<bank>`, and the lint
holds it to its bank (same ids, layers, topics, flags) and to its language's own rules."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.questions.lint import LintReport, LintSource, lint_sources
from bot.questions.loader import bank_files, load_banks, split_stem
from bot.questions.schema import BankError
from bot.questions.translations import load_translations, reading_ease_notes, text_issues

BANKS = Path(__file__).resolve().parents[2] / "fixtures" / "banks"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("tiny.yaml", "tiny.de.yaml", "tiny.fr.yaml"):
        shutil.copy(BANKS / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, change: Any) -> None:
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


def _lint(folder: Path) -> LintReport:
    return lint_sources([LintSource(folder)])


def _messages(report: LintReport) -> list[str]:
    return [f"{p.file}:{p.prompt_id}:{p.field}: {p.message}" for p in report.problems]


def test_a_translation_is_not_a_bank_of_its_own(folder: Path) -> None:
    assert [p.name for p in bank_files(folder)] == ["tiny.yaml"]
    assert split_stem("workplace.pt-BR") == ("workplace", "pt-BR")
    assert split_stem("workplace.en") == ("workplace.en", None)
    assert list(load_banks([folder])) == ["tiny"]


def test_the_fixture_translations_load_by_bank_language_and_id(folder: Path) -> None:
    texts = load_translations([folder], load_banks([folder]))
    assert sorted(texts) == [("tiny", "de"), ("tiny", "fr")]
    text, example = texts[("tiny", "de")]["tiny-1-food-01"]
    assert text == "Was hast du heute zum Frühstück gegessen?" and example


def test_the_fixture_translations_lint_clean(folder: Path) -> None:
    report = _lint(folder)
    assert report.ok, _messages(report)
    assert report.notes == reading_ease_notes() and "pt-BR" in report.notes[0]


def test_a_missing_prompt_and_an_extra_one_are_named(folder: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["prompts"][0]["id"] = "tiny-9-none-01"

    _edit(folder / "tiny.de.yaml", change)
    found = _messages(_lint(folder))
    assert any("tiny-1-food-01:id: is missing" in m for m in found), found
    assert any("tiny-9-none-01:id: is not a prompt of bank 'tiny'" in m for m in found), found


@pytest.mark.parametrize(
    ("field", "value"), [("layer", 2), ("topic", "places"), ("hierarchy_safe", False)]
)
def test_layer_topic_and_flags_must_match_the_bank(folder: Path, field: str, value: Any) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["prompts"][0][field] = value

    _edit(folder / "tiny.fr.yaml", change)
    found = _messages(_lint(folder))
    assert any(f"tiny-1-food-01:{field}: must be the bank's {field}" in m for m in found), found


def test_the_language_must_match_the_file_name(folder: Path) -> None:
    _edit(folder / "tiny.fr.yaml", lambda doc: doc.update(language="de"))
    found = _messages(_lint(folder))
    assert any("language: must equal the file name's language 'fr'" in m for m in found), found


def test_spanish_questions_open_with_an_inverted_mark() -> None:
    assert text_issues("¿Qué desayunaste hoy?", "es") == []
    assert any("'¿'" in issue for issue in text_issues("Qué desayunaste hoy?", "es"))
    assert text_issues("Qu'as-tu mangé ce matin ?", "fr") == []


def test_german_may_run_a_little_longer_than_english() -> None:
    long = "Was " + "ganz " * 30 + "ist das?"
    assert any("28 words" in issue for issue in text_issues(long, "de"))
    twenty_six = " ".join(["Wie"] + ["ja"] * 24 + ["gut?"])
    assert not any("words" in issue for issue in text_issues(twenty_six, "de"))
    assert any("25 words" in issue for issue in text_issues(twenty_six, "fr"))


def test_reading_ease_flags_a_heavy_german_question_and_skips_portuguese() -> None:
    heavy = "Welche Verantwortungsübernahmebereitschaftsentwicklungsmaßnahmen überzeugen?"
    assert any("Amstad" in issue for issue in text_issues(heavy, "de"))
    assert text_issues("Quais responsabilidades internacionalizadas te entusiasmam?", "pt-BR") == []


def test_a_bad_translation_stops_the_load(folder: Path) -> None:
    _edit(folder / "tiny.de.yaml", lambda doc: doc["prompts"][0].update(text="Ohne Fragezeichen"))
    with pytest.raises(BankError, match="exactly one"):
        load_translations([folder], load_banks([folder]))
