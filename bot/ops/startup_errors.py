"""Operator mistakes, each told as one sentence that names the setting and the fix.

Start-up checks (settings, the database, each platform's credentials) raise `OperatorError`;
`bot.cli` catches it once, prints the sentence and exits with `EXIT_OPERATOR_ERROR`. Every such
sentence is written here, so they read alike and tests can find them. The callers catch their own
library's exceptions and pick the sentence; nothing here imports a platform library.

A platform that rejects credentials at start-up is fatal: retrying a wrong token never helps. A
network failure after a successful start is the adapters' business (retries, `/healthz`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.store.database import Database

EXIT_OPERATOR_ERROR = 2
DATABASE_SETTING = "RAPPORT_DATABASE_URL"
DATABASE_CHECK_SECONDS = 15.0

SLACK_FIXES = {
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-…) from your Slack app's "
    "Install App page into SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN": "generate an app-level token with the connections:write scope under "
    "Basic Information → App-Level Tokens and put it (xapp-…) in SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID": "copy the Client ID from your Slack app's Basic Information → App "
    "Credentials into SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET": "copy the Client Secret from your Slack app's Basic Information → "
    "App Credentials into SLACK_CLIENT_SECRET",
}
TOKEN_KEY_SETTING = "RAPPORT_TOKEN_KEY"
NEW_TOKEN_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class OperatorError(Exception):
    """A mistake in the set-up that only the operator can fix; `str()` is the whole sentence."""

    def __init__(self, setting: str | None, message: str) -> None:
        super().__init__(message)
        self.setting = setting
        self.message = message


def invalid_settings(errors: Iterable[Mapping[str, Any]]) -> OperatorError:
    """pydantic's errors for the settings (`ValidationError.errors()`), as one sentence."""
    parts, names = [], []
    for error in errors:
        name = ".".join(str(part) for part in error.get("loc", ()))
        reason = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
        parts.append(f"{name}: {reason}" if name else reason)
        names.append(name)
    setting = next((n for n in names if n), None)
    return OperatorError(
        setting,
        f"Invalid setting ({'; '.join(parts)}): fix it in the environment or in .env "
        "(.env.example lists every setting).",
    )


def missing_setting(setting: str, why: str) -> OperatorError:
    return OperatorError(setting, f"{why} needs {setting}: set it in the environment or in .env.")


def conflicting_settings(first: str, second: str, fix: str) -> OperatorError:
    return OperatorError(second, f"{first} and {second} can't be used together: {fix}.")


def invalid_token_key(reason: str) -> OperatorError:
    return OperatorError(
        TOKEN_KEY_SETTING,
        f"{TOKEN_KEY_SETTING} {reason}: generate a key with `{NEW_TOKEN_KEY}` and put it in "
        f"{TOKEN_KEY_SETTING} (comma-separated keys rotate: the first encrypts).",
    )


def unreadable_tokens(count: int) -> OperatorError:
    return OperatorError(
        TOKEN_KEY_SETTING,
        f"No key in {TOKEN_KEY_SETTING} decrypts the stored Slack tokens of {count} "
        f"workspace(s): add the key they were encrypted with back to {TOKEN_KEY_SETTING}, after "
        "the new one.",
    )


def no_platform() -> OperatorError:
    return OperatorError(
        "DISCORD_TOKEN",
        "No platform is configured: set DISCORD_TOKEN and/or SLACK_BOT_TOKEN (or SLACK_CLIENT_ID "
        "for many Slack workspaces) in the environment or in .env (see .env.example), or try "
        "`rapport demo`.",
    )


def slack_rejected(setting: str, error: str) -> OperatorError:
    """Slack answered a start-up call made with `setting` with an error such as invalid_auth."""
    return OperatorError(setting, f"Slack rejected {setting} ({error}): {SLACK_FIXES[setting]}.")


def discord_rejected() -> OperatorError:
    return OperatorError(
        "DISCORD_TOKEN",
        "Discord rejected DISCORD_TOKEN: reset the token under Bot → Reset Token in the Discord "
        "Developer Portal and put the new one in DISCORD_TOKEN.",
    )


def privileged_intents_refused(message_content: bool) -> OperatorError:
    wanted = "Server Members" + (" and Message Content" if message_content else "")
    return OperatorError(
        "RAPPORT_DISCORD_MESSAGE_CONTENT" if message_content else None,
        f"Discord refused the privileged intents Rapport asks for: switch on {wanted} Intent "
        "under Bot → Privileged Gateway Intents in the Discord Developer Portal"
        + (", or set RAPPORT_DISCORD_MESSAGE_CONTENT=false." if message_content else "."),
    )


def platform_unreachable(platform: str, setting: str, err: BaseException) -> OperatorError:
    """The platform's API could not be reached at all at start-up."""
    return OperatorError(
        setting,
        f"Cannot reach {platform} ({_reason(err)}): check the network connection, and {setting} "
        "if you set it.",
    )


async def check_database(db: Database) -> None:
    """Connect once, so a wrong URL or a missing server is told before any migration runs."""
    shown = _shown_url(db.url)
    try:
        async with asyncio.timeout(DATABASE_CHECK_SECONDS), db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except TimeoutError as err:
        raise OperatorError(
            DATABASE_SETTING,
            f"The database at {shown} did not answer within {DATABASE_CHECK_SECONDS:.0f} s: "
            f"check that it is running and that {DATABASE_SETTING} names the right host and port.",
        ) from err
    except OSError as err:
        raise OperatorError(
            DATABASE_SETTING,
            f"Cannot reach the database at {shown} ({_reason(err)}): check that it is running "
            f"and that {DATABASE_SETTING} names the right host and port.",
        ) from err
    except DBAPIError as err:
        raise OperatorError(
            DATABASE_SETTING,
            f"The database at {shown} refused the connection ({_reason(err.orig or err)}): create "
            f"the database or fix the user, password or name in {DATABASE_SETTING}.",
        ) from err


def open_database(url: str) -> Database:
    """`Database(url)`, telling the operator when the SQLite file's folder can't be made."""
    try:
        return Database(url)
    except OSError as err:
        raise OperatorError(
            DATABASE_SETTING,
            f"Cannot create the SQLite database {_shown_url(url)} ({_reason(err)}): point "
            f"{DATABASE_SETTING} at a file in a folder Rapport may write to.",
        ) from err


def _shown_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is refused by the settings before it gets here
        return "the configured URL"


def _reason(err: BaseException) -> str:
    """The first line of an error's own message, without the library's decorations."""
    message = (getattr(err, "strerror", None) or str(err) or type(err).__name__).strip()
    return message.splitlines()[0].rstrip(".")
