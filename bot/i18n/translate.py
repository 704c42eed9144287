"""The one translation layer: Babel gettext catalogs, CLDR plurals and dates per language.

`translator(language)` gives a `Translator` (gettext, ngettext, dates) for one language; the
catalogs are compiled `.mo` files under `locales/` (`make i18n-compile`), loaded once per
process. A message a catalog lacks, or whose translation doesn't fit its placeholders, falls
back to the English source: production never fails on a missing translation (CI does).

`_()` and `ngettext()` translate into the *current* reader's language, which the adapters set
around everything they build for one person (`with reading(language): ...`); it is a context
variable, so concurrent tasks for different members never see each other's language.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from babel import Locale
from babel import dates as babel_dates
from babel.support import NullTranslations, Translations

from bot.i18n import SOURCE_LANGUAGE, Message, catalog_name, fill, normalise

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"


class Translator:
    """Translations into one language, with its CLDR plural rules and date formats."""

    def __init__(self, language: str, catalog: NullTranslations) -> None:
        self.language = language
        self.locale = Locale.parse(catalog_name(language))
        self._catalog = catalog

    def gettext(self, message: str, **values: Any) -> str:
        """`message` (a msgid, or a `Message` marked elsewhere) in this language."""
        if isinstance(message, Message) and not values:
            return self._message(message)
        return self._fill(self._catalog.gettext(message), message, values)

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """The CLDR plural form for `n`; `{count}` is filled with it."""
        values.setdefault("count", n)
        translated = self._catalog.ngettext(singular, plural, n)
        english = singular if n == 1 else plural
        return self._fill(translated, english, values)

    def format_date(self, value: dt.date, format: str = "full") -> str:
        return babel_dates.format_date(value, format=format, locale=self.locale)

    def format_time(self, value: dt.time | dt.datetime, format: str = "short") -> str:
        return babel_dates.format_time(value, format=format, locale=self.locale)

    def format_datetime(self, value: dt.datetime, format: str = "medium") -> str:
        return babel_dates.format_datetime(value, format=format, locale=self.locale)

    def _message(self, message: Message) -> str:
        values = {
            key: self.gettext(value) if isinstance(value, Message) else value
            for key, value in message.values.items()
        }
        if message.plural is not None and message.number is not None:
            return self.ngettext(message.msgid, message.plural, message.number, **values)
        return self._fill(self._catalog.gettext(message.msgid), message.msgid, values)

    def _fill(self, translated: str, english: str, values: Mapping[str, Any]) -> str:
        shown = {key: self._shown(value) for key, value in values.items()}
        try:
            return fill(translated, shown)
        except (KeyError, IndexError, ValueError):
            return fill(english, shown)  # a translation that breaks its placeholders

    def _shown(self, value: Any) -> Any:
        """Dates in a message read the way this language writes them."""
        if isinstance(value, dt.datetime):
            return self.format_datetime(value)
        if isinstance(value, dt.date):
            return self.format_date(value)
        return value


@functools.cache
def translator(language: str | None) -> Translator:
    """The translator for `language` (any spelling `normalise` knows); English otherwise."""
    code = normalise(language) or SOURCE_LANGUAGE
    if code == SOURCE_LANGUAGE:
        return Translator(code, NullTranslations())
    catalog = Translations.load(str(LOCALES), [catalog_name(code)], DOMAIN)
    return Translator(code, catalog)


_reader: contextvars.ContextVar[Translator | None] = contextvars.ContextVar(
    "rapport_reader", default=None
)


def current() -> Translator:
    """The translator of the person whose text is being built now (English by default)."""
    return _reader.get() or translator(SOURCE_LANGUAGE)


@contextmanager
def reading(language: str | Translator | None) -> Iterator[Translator]:
    """Build text for a reader of `language` inside this block."""
    chosen = language if isinstance(language, Translator) else translator(language)
    token = _reader.set(chosen)
    try:
        yield chosen
    finally:
        _reader.reset(token)


def _(message: str, **values: Any) -> str:
    """`message` in the current reader's language, `{name}` placeholders filled from `values`."""
    return current().gettext(message, **values)


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    """The one plural helper: `ngettext("{count} prompt", "{count} prompts", n)`, with the
    current reader's CLDR plural rules."""
    return current().ngettext(singular, plural, n, **values)
