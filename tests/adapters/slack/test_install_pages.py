"""The install pages speak the installer's language: the first of their browser's languages
(by q-value) that Rapport speaks, else English; values from Slack stay escaped."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.slack import install_pages
from bot.adapters.slack.install_pages import browser_language, reading_browser
from tests.fakes.catalogs import marked_catalogs


@pytest.mark.parametrize(
    ("header", "language"),
    [("fr-CH, fr;q=0.9, en;q=0.8", "fr"), ("ja, de;q=0.5", "de"), ("es-419", "es"),
     ("en;q=0.1, pt-BR;q=0.9", "pt-BR"), ("de;q=0, es;q=nope", None), ("*", None), ("", None),
     (None, None)],
)  # fmt: skip
def test_the_browsers_preferred_language_that_rapport_speaks(
    header: str | None, language: str | None
) -> None:
    assert browser_language(header) == language


def test_each_page_is_in_the_browsers_language(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with marked_catalogs(monkeypatch, tmp_path, ["de"]):
        with reading_browser({"accept-language": ["de-DE,de;q=0.9,en;q=0.5"]}):
            install = install_pages.install_page("https://slack.example/authorize")
            done = install_pages.success_page("Acme <Ops>", "T1", "A1")
            failed = install_pages.failure_page("access_denied", "/slack/install")
        with reading_browser({"Accept-Language": "ja"}):
            english = install_pages.install_page("https://slack.example/authorize")
    assert '<html lang="de">' in install and "[de] Add to Slack" in install
    assert "[de] Rapport is now installed in Acme &lt;Ops&gt;." in done
    assert "<code>/rapport start @someone</code>" in done  # `…` in the message: a command
    assert "[de] You cancelled on Slack&#x27;s page" in failed
    assert '<html lang="en">' in english and ">Add to Slack<" in english


def test_an_unknown_failure_names_slacks_reason_escaped() -> None:
    page = install_pages.failure_page("<script>", "/slack/install")
    assert "Slack stopped the installation (&lt;script&gt;)" in page and "<script>" not in page
