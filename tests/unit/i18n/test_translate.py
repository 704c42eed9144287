"""The translation layer: languages by any spelling, English fallback, placeholders, dates,
and `N_` messages translated where they are shown."""

from __future__ import annotations

import ast
import datetime as dt
import pickle
from pathlib import Path

import pytest

from bot.engine.model import Rejected
from bot.i18n import N_, Message, N_plural, normalise
from bot.i18n.translate import _, ngettext, reading, translator
from bot.service.schedule_options import USAGE
from tests.fakes.catalogs import marked_catalogs


@pytest.mark.parametrize(
    ("code", "language"),
    [("de-DE", "de"), ("pt_br", "pt-BR"), ("pt-PT", "pt-BR"), ("es-419", "es"), ("EN-gb", "en"),
     ("fr", "fr"), ("ja", None), ("", None), (None, None)],
)  # fmt: skip
def test_languages_by_any_spelling(code: str | None, language: str | None) -> None:
    assert normalise(code) == language


def test_an_unknown_language_reads_english() -> None:
    assert translator("klingon").language == "en"
    assert translator(None).gettext("Answer saved") == "Answer saved"


def test_a_message_marked_elsewhere_is_english_until_shown() -> None:
    message = N_("Paused until {until}. Enjoy the break!", until=dt.date(2026, 12, 1))
    assert isinstance(message, str) and message.msgid.startswith("Paused until {until}")
    assert message == "Paused until Tuesday, December 1, 2026. Enjoy the break!"
    assert pickle.loads(pickle.dumps(message)).msgid == message.msgid


def test_dates_in_messages_read_the_way_each_language_writes_them() -> None:
    message = N_("Paused until {until}. Enjoy the break!", until=dt.date(2026, 12, 1))
    with reading("de"):
        assert "Dienstag, 1. Dezember 2026" in _(message)
    assert translator("fr").format_date(dt.date(2026, 12, 1)) == "mardi 1 décembre 2026"


def test_messages_and_plurals_are_translated_by_msgid(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    refusal = Rejected(
        "bad_every", N_("every:{value} must be a number of weeks from 1 to 4.", value=9)
    )
    left = N_plural("{count} round", "{count} rounds", 1)
    with marked_catalogs(monkeypatch, tmp_path, ["fr"]), reading("fr"):
        assert _(refusal.message) == "[fr] every:9 must be a number of weeks from 1 to 4."
        assert _(left) == "[fr] 1 round"
        # CLDR: French counts 0 as singular
        assert ngettext("{count} prompt", "{count} prompts", 0) == "[fr] 0 prompt"
        nested = N_("Missing {options}. {usage}", options="tz", usage=USAGE)
        assert _(nested) == f"[fr] Missing tz. [fr] {USAGE}"  # values marked too are translated
    assert _(refusal.message) == "every:9 must be a number of weeks from 1 to 4."  # English again


def test_a_translation_that_breaks_its_placeholders_falls_back_to_english(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with marked_catalogs(monkeypatch, tmp_path, ["de"]):
        catalog = translator("de")._catalog
        catalog._catalog["Time zone: {zone}"] = "Zeitzone: {zohne}"  # type: ignore[attr-defined]
        with reading("de"):
            assert _("Time zone: {zone}", zone="Europe/Berlin") == "Time zone: Europe/Berlin"


def test_the_marking_module_stays_pure_for_the_engine() -> None:
    source = Path(__import__("bot.i18n").i18n.__file__).read_text()
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "datetime", "collections.abc", "typing"}, imported
    assert issubclass(Message, str)
