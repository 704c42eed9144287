"""Marked test catalogs: every message of the template "translated" as `[de] message`.

Until the real catalogs are complete, a round between readers of two languages is tested with
these: each visible string shows whose language it was rendered in, placeholders intact.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n import catalog_name, prompts
from bot.i18n import translate as translate_module
from bot.i18n.translate import DOMAIN, LOCALES, translator
from bot.questions.loader import load_banks
from bot.questions.translations import load_translations

# language -> the translated prompt texts of the tiny bank
TranslatedTexts = dict[str, set[str]]


def mark(language: str, text: str) -> str:
    return f"[{language}] {text}"


@contextmanager
def marked_catalogs(
    monkeypatch: pytest.MonkeyPatch, folder: Path, languages: Sequence[str]
) -> Iterator[None]:
    """Compile a marked catalog per language into `folder` and translate with those."""
    for language in languages:
        with (LOCALES / f"{DOMAIN}.pot").open("rb") as template:
            catalog = read_po(template, locale=catalog_name(language))
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = [
                mark(language, ids[min(n, len(ids) - 1)]) for n in range(catalog.num_plurals)
            ]
            message.string = tuple(strings) if isinstance(message.id, tuple) else strings[0]
        target = folder / catalog_name(language) / "LC_MESSAGES" / f"{DOMAIN}.mo"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            write_mo(out, catalog)
    monkeypatch.setattr(translate_module, "LOCALES", folder)
    translator.cache_clear()
    try:
        yield
    finally:
        monkeypatch.undo()
        translator.cache_clear()


FIXTURE_BANKS = Path(__file__).resolve().parents[1] / "fixtures" / "banks"


@contextmanager
def german_and_french(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Iterator[TranslatedTexts]:
    """Marked de/fr catalogs and the tiny bank's de/fr translations, for a two-language round."""
    texts = load_translations([FIXTURE_BANKS], load_banks([FIXTURE_BANKS]))
    prompts.install(texts)
    try:
        with marked_catalogs(monkeypatch, folder, ["de", "fr"]):
            yield {
                language: {t for t, _ in texts[("tiny", language)].values()}
                for language in ("de", "fr")
            }
    finally:
        prompts.install({})
