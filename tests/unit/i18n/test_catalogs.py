"""The shipped catalogs: current with the code, complete, compiled, and safe to fill.

A missing translation fails here (CI); in production the same message falls back to English.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, SOURCE_LANGUAGE, catalog_name
from bot.i18n.translate import DOMAIN, LOCALES

ROOT = Path(__file__).resolve().parents[3]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "N_plural": (1, 2)}
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w*)\}(?!\})")
CATALOGS = sorted(LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def _catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(ROOT / "bot", method_map, options_map, keywords=KEYWORDS)
    return {msg if isinstance(msg, str) else msg[0] for _file, _line, msg, *_ in found}


def test_every_language_but_english_ships_a_catalog() -> None:
    shipped = {path.parts[-3] for path in CATALOGS}
    assert shipped == {catalog_name(lang) for lang in LANGUAGES if lang != SOURCE_LANGUAGE}


def test_the_template_is_current_with_the_code() -> None:
    # after adding or changing a string: `make i18n-extract i18n-update`, then translate
    template = _ids(_catalog(LOCALES / f"{DOMAIN}.pot"))
    extracted = _extracted()
    assert extracted - template == set(), "new strings: run make i18n-extract"
    assert template - extracted == set(), "strings gone from the code: run make i18n-extract"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parts[-3])
def test_each_catalog_has_every_message_of_the_template(path: Path) -> None:
    template = _ids(_catalog(LOCALES / f"{DOMAIN}.pot"))
    assert template - _ids(_catalog(path)) == set(), "run make i18n-update"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parts[-3])
def test_each_catalog_translates_every_message(path: Path) -> None:
    catalog = _catalog(path)
    missing = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else (m.string,)))
    ]
    assert not missing, f"{len(missing)} untranslated in {path.parts[-3]}, e.g. {missing[:3]}"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parts[-3])
def test_each_translation_keeps_the_placeholders_of_its_message(path: Path) -> None:
    wrong = []
    for message in _catalog(path):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = {name for msgid in ids for name in PLACEHOLDER.findall(msgid)}
        for string in strings:
            if string and set(PLACEHOLDER.findall(string)) - wanted:
                wrong.append(message.id)
            if string and not set(PLACEHOLDER.findall(ids[0])) <= set(PLACEHOLDER.findall(string)):
                wrong.append(message.id)
    assert not wrong, wrong


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parts[-3])
def test_each_catalog_compiles_to_the_committed_mo(path: Path) -> None:
    # the wheel ships the .mo: `make i18n-compile` after changing a .po, and commit both
    catalog = _catalog(path)
    assert not list(catalog.check()), "the catalog has errors"
    fresh = io.BytesIO()
    write_mo(fresh, catalog)
    assert path.with_suffix(".mo").read_bytes() == fresh.getvalue(), "run make i18n-compile"
