"""The pages a person sees while adding Rapport to a Slack workspace (person-facing text).

Every page says what happened and what to do next. Values from Slack (the workspace's name,
ids) are HTML-escaped; no page ever shows a token or the `code`.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from bot.adapters.slack.wire import COMMAND

INSTALL_TITLE = "Add Rapport to Slack"
INSTALL_TEXT = (
    "Rapport runs short getting-to-know-you rounds between teammates, by direct message. "
    "Press the button, pick your workspace, and Slack asks you to allow what Rapport needs: "
    "to send you and your teammates messages, read the replies in its own DMs, and see who is "
    "in a channel you invite it to."
)
ADD_TO_SLACK = "Add to Slack"

SUCCESS_TITLE = "Rapport is in your workspace"
SUCCESS_TEXT = (
    "Rapport is now installed in {team}. What next: in Slack, type "
    f"<code>{COMMAND} start @someone</code> to invite a teammate to a round, or "
    f"<code>{COMMAND} help</code> to see everything it does. For regular rounds in a channel, "
    f"invite Rapport there (<code>/invite @Rapport</code>) and ask a lead to use "
    f"<code>{COMMAND} schedule add #channel</code>."
)
OPEN_SLACK = "Open Rapport in Slack"

FAILURE_TITLE = "Rapport wasn't installed"
TRY_AGAIN = "Start again"
FAILURE_TEXTS = {
    "access_denied": "You cancelled on Slack's page, so nothing was installed. If you change "
    "your mind, start again whenever you like.",
    "invalid_browser": "This page was opened in a different browser from the one that started "
    "the installation, or reloaded. Nothing was installed: start again in this browser.",
    "invalid_state": "This installation link has expired or was already used. Nothing was "
    "installed: start again, and finish within ten minutes.",
    "missing_code": "Slack didn't send back the confirmation Rapport needs, so nothing was "
    "installed. Please start again.",
    "invalid_code": "Slack didn't accept the confirmation, usually because the link was used "
    "twice or took too long. Nothing was installed: please start again.",
    "storage_error": "Rapport couldn't save the installation just now, so it isn't installed. "
    "Please try again in a minute; if it keeps happening, tell whoever runs Rapport.",
    "org_install": "Rapport is installed one workspace at a time, not on a whole Enterprise "
    "Grid organization, so nothing was installed. Start again and choose a single workspace "
    "on Slack's page.",
}
FAILURE_OTHER = (
    "Slack stopped the installation ({reason}), so nothing was installed. Please start again; "
    "if it keeps happening, tell whoever runs Rapport."
)

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1d1c1d}h1{font-size:1.6rem}code{background:#f4f4f4;padding:0 .2em}"
    "a.button{display:inline-block;padding:.6rem 1.2rem;border-radius:6px;background:#3d3a63;"
    "color:#fff;text-decoration:none;font-weight:600}"
)


def _page(title: str, text: str, link: str, label: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{text}</p>"
        f'<p><a class="button" href="{html.escape(link)}">{html.escape(label)}</a></p>'
        "</body></html>"
    )


def install_page(authorize_url: str) -> str:
    return _page(INSTALL_TITLE, html.escape(INSTALL_TEXT), authorize_url, ADD_TO_SLACK)


def success_page(team_name: str | None, team_id: str | None, app_id: str | None) -> str:
    team = html.escape(team_name or "your workspace")
    link = f"slack://app?team={quote(team_id or '')}&id={quote(app_id or '')}"
    return _page(SUCCESS_TITLE, SUCCESS_TEXT.format(team=team), link, OPEN_SLACK)


def failure_page(reason: str, install_path: str) -> str:
    text = FAILURE_TEXTS.get(reason) or FAILURE_OTHER.format(reason=reason)
    return _page(FAILURE_TITLE, html.escape(text), install_path, TRY_AGAIN)
