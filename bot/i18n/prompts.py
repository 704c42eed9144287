"""Translated prompt texts, looked up by bank, prompt id and language when a message is rendered.

Rounds draw prompts from the source (English) bank and keep its ids; a reader of another
language sees the same prompt's translated text, or the English text where a bank has no
translation for it (a workspace's own questions, a prompt added since). Installed once at start
(`bot.bootstrap`) from the translated bank files (`bot.questions.translations`).
"""

from __future__ import annotations

from collections.abc import Mapping

# (bank, language) -> prompt id -> (text, example)
Texts = Mapping[tuple[str, str], Mapping[str, tuple[str, str | None]]]
_installed: dict[tuple[str, str], Mapping[str, tuple[str, str | None]]] = {}


def install(texts: Texts) -> None:
    """The translations this process shows (replacing any installed before)."""
    _installed.clear()
    _installed.update(texts)


def translated(bank: str | None, prompt_id: str | None, language: str) -> tuple[str, str | None]:
    """The prompt's (text, example) in `language`; ("", None) when there is no translation."""
    if not bank or not prompt_id:
        return "", None
    return _installed.get((bank, language), {}).get(prompt_id, ("", None))
