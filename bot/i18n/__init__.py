"""Marking what people read for translation: pure, so the engine and services can use it.

Every string a member or lead sees is English source text (a gettext msgid). Where it is shown
it goes through `bot.i18n.translate` (`_()` / `ngettext()` for the reader's language). Text that
is decided somewhere else and shown later (engine `Rejected`, service `Outcome`, module-level
constants) is marked with `N_()` instead: the marker is a no-op for English (a `Message` *is*
the English text, a plain `str`), remembers its msgid and named values, and `_()` translates it
by msgid wherever it is finally shown.

This module imports nothing but the standard library (the engine imports it); Babel lives in
`bot.i18n.translate`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

SOURCE_LANGUAGE = "en"
# the languages Rapport speaks, as members type and see them; catalogs live under
# bot/i18n/locales/<gettext name>/ (see `catalog_name`)
LANGUAGES = ("en", "de", "es", "fr", "pt-BR")
# a language's own name, shown in language menus and `/rapport language`
LANGUAGE_NAMES = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
    "pt-BR": "Português (Brasil)",
}


class Message(str):
    """English text that remembers its msgid and values, to be translated where it is shown.

    As a `str` it is the English rendering, so logs, tests and code that only pass it along
    keep working; `bot.i18n.translate._` turns it into the reader's language.
    """

    msgid: str
    values: Mapping[str, Any]
    plural: str | None
    number: int | None  # the count a plural message was made for

    def __new__(
        cls,
        msgid: str,
        values: Mapping[str, Any] | None = None,
        *,
        plural: str | None = None,
        count: int | None = None,
    ) -> Message:
        values = dict(values or {})
        source = plural if plural is not None and count != 1 else msgid
        if count is not None:
            values.setdefault("count", count)
        text = fill(source, values)
        self = super().__new__(cls, text)
        self.msgid, self.values, self.plural, self.number = msgid, values, plural, count
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.msgid, dict(self.values), self.plural, self.number))


def _rebuild(
    msgid: str, values: Mapping[str, Any], plural: str | None, count: int | None
) -> Message:
    return Message(msgid, values, plural=plural, count=count)


def N_(msgid: str, **values: Any) -> Message:
    """Mark `msgid` for extraction; `{name}` placeholders are filled from `values`."""
    return Message(msgid, values)


def N_plural(singular: str, plural: str, count: int, **values: Any) -> Message:
    """`N_` for a counted phrase: CLDR plural forms are picked when it is translated."""
    return Message(singular, values, plural=plural, count=count)


def fill(template: str, values: Mapping[str, Any]) -> str:
    """`template` with its `{name}` placeholders filled; without values it is left as is."""
    if not values:
        return template
    return template.format_map({key: _english(value) for key, value in values.items()})


def _english(value: Any) -> Any:
    # a date in the English source reads "Tuesday, December 1, 2026" (Babel's full format)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return f"{value:%A}, {value:%B} {value.day}, {value.year}"
    return value


def normalise(code: str | None) -> str | None:
    """A language code as people or platforms write it ("de-DE", "pt_br", "es-419") -> one of
    `LANGUAGES`, or None when Rapport doesn't speak it."""
    if not code:
        return None
    parts = code.strip().replace("_", "-").split("-")
    base = parts[0].lower()
    if base == "pt":
        return "pt-BR"  # the only Portuguese catalog
    return base if base in LANGUAGES else None


def catalog_name(language: str) -> str:
    """The gettext (and Babel locale) name of a language: "pt-BR" -> "pt_BR"."""
    return language.replace("-", "_")
