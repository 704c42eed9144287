"""The pages a person sees while adding Rapport to a Slack workspace (person-facing text).

Every page says what happened and what to do next, in the installer's language: the first of
their browser's languages (`Accept-Language`) that Rapport speaks, else English. Values from
Slack (the workspace's name, ids, a failure's reason) are HTML-escaped; no page ever shows a
token or the `code`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from urllib.parse import quote

from bot.i18n import N_, normalise
from bot.i18n.translate import _, current, reading

INSTALL_TITLE = N_("Add Rapport to Slack")
INSTALL_TEXT = N_(
    "Rapport runs short getting-to-know-you rounds between teammates, by direct message. "
    "Press the button, pick your workspace, and Slack asks you to allow what Rapport needs: "
    "to send you and your teammates messages, read the replies in its own DMs, and see who is "
    "in a channel you invite it to."
)
ADD_TO_SLACK = N_("Add to Slack")

SUCCESS_TITLE = N_("Rapport is in your workspace")
# `…` marks a command, shown as code (as in the Slack usage text)
SUCCESS_TEXT = N_(
    "Rapport is now installed in {team}. What next: in Slack, type `/rapport start @someone` to "
    "invite a teammate to a round, or `/rapport help` to see everything it does. For regular "
    "rounds in a channel, invite Rapport there (`/invite @Rapport`) and ask a lead to use "
    "`/rapport schedule add #channel`."
)
YOUR_WORKSPACE = N_("your workspace")
OPEN_SLACK = N_("Open Rapport in Slack")

FAILURE_TITLE = N_("Rapport wasn't installed")
TRY_AGAIN = N_("Start again")
FAILURE_TEXTS = {
    "access_denied": N_(
        "You cancelled on Slack's page, so nothing was installed. If you change your mind, "
        "start again whenever you like."
    ),
    "invalid_browser": N_(
        "This page was opened in a different browser from the one that started the "
        "installation, or reloaded. Nothing was installed: start again in this browser."
    ),
    "invalid_state": N_(
        "This installation link has expired or was already used. Nothing was installed: start "
        "again, and finish within ten minutes."
    ),
    "missing_code": N_(
        "Slack didn't send back the confirmation Rapport needs, so nothing was installed. "
        "Please start again."
    ),
    "invalid_code": N_(
        "Slack didn't accept the confirmation, usually because the link was used twice or took "
        "too long. Nothing was installed: please start again."
    ),
    "storage_error": N_(
        "Rapport couldn't save the installation just now, so it isn't installed. Please try "
        "again in a minute; if it keeps happening, tell whoever runs Rapport."
    ),
    "org_install": N_(
        "Rapport is installed one workspace at a time, not on a whole Enterprise Grid "
        "organization, so nothing was installed. Start again and choose a single workspace on "
        "Slack's page."
    ),
}
FAILURE_OTHER = N_(
    "Slack stopped the installation ({reason}), so nothing was installed. Please start again; "
    "if it keeps happening, tell whoever runs Rapport."
)
STARTING = N_("Rapport is starting; try again in a moment.")

CODE = re.compile(r"`([^`]+)`")
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1d1c1d}h1{font-size:1.6rem}code{background:#f4f4f4;padding:0 .2em}"
    "a.button{display:inline-block;padding:.6rem 1.2rem;border-radius:6px;background:#3d3a63;"
    "color:#fff;text-decoration:none;font-weight:600}"
)


def browser_language(accept_language: str | None) -> str | None:
    """The browser's most preferred language that Rapport speaks (`Accept-Language`, ranked by
    its q-values), or None."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, *params = (part.strip() for part in item.split(";"))
        weight = next((p.removeprefix("q=") for p in params if p.startswith("q=")), "1")
        try:
            preference = float(weight)
        except ValueError:
            continue  # a malformed q-value: that language is left out
        if tag and preference > 0:
            ranked.append((-preference, position, tag))
    spoken = (normalise(rank[2]) for rank in sorted(ranked))
    return next((language for language in spoken if language), None)


@contextmanager
def reading_browser(headers: Mapping[str, str | Sequence[str]]) -> Iterator[None]:
    """Build a page inside this block for the browser whose request had `headers`."""
    value = next((v for k, v in headers.items() if k.lower() == "accept-language"), None)
    header = value if isinstance(value, str) or value is None else ",".join(value)
    with reading(browser_language(header)):
        yield


def _page(title: str, text: str, link: str, label: str) -> str:
    """A page in the current reader's language; `text` is HTML already."""
    return (
        f'<!DOCTYPE html><html lang="{current().language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(_(title))}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(_(title))}</h1><p>{text}</p>"
        f'<p><a class="button" href="{html.escape(link)}">{html.escape(_(label))}</a></p>'
        "</body></html>"
    )


def install_page(authorize_url: str) -> str:
    return _page(INSTALL_TITLE, html.escape(_(INSTALL_TEXT)), authorize_url, ADD_TO_SLACK)


def success_page(team_name: str | None, team_id: str | None, app_id: str | None) -> str:
    text = _(SUCCESS_TEXT, team=team_name or _(YOUR_WORKSPACE))
    link = f"slack://app?team={quote(team_id or '')}&id={quote(app_id or '')}"
    return _page(SUCCESS_TITLE, CODE.sub(r"<code>\1</code>", html.escape(text)), link, OPEN_SLACK)


def failure_page(reason: str, install_path: str) -> str:
    known = FAILURE_TEXTS.get(reason)
    text = _(known) if known else _(FAILURE_OTHER, reason=reason)
    return _page(FAILURE_TITLE, html.escape(text), install_path, TRY_AGAIN)
