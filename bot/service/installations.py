"""The Slack workspaces that installed Rapport ("Add to Slack"): tokens encrypted, lookups cached.

Every Web API call for a workspace needs its bot token, and bolt asks for it on every inbound
request, so `find` answers from a per-process cache (`CACHE_SECONDS`) after the first read.
Only installations are cached, never their absence: a workspace installed through another
process is found at once. A removed installation leaves this process's cache at once and other
processes' within `CACHE_SECONDS` (until then Slack refuses the revoked token, which drops the
message as it would anyway).
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.i18n.translate import translator
from bot.store import installations as store
from bot.store.database import Database
from bot.store.token_cipher import InvalidToken, TokenCipher

log = logging.getLogger(__name__)
counted = translator("en").ngettext  # operators read this in English

CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Installed:
    """One workspace's installation; `bot_token` in the clear (kept out of reprs)."""

    team_id: str
    bot_user_id: str
    bot_id: str
    bot_token: str = field(repr=False)
    bot_scopes: tuple[str, ...] = ()
    enterprise_id: str | None = None
    app_id: str | None = None
    team_name: str | None = None
    installer_user_id: str | None = None
    installed_at: datetime | None = None


class UnreadableTokens(Exception):
    """Stored tokens that no key in RAPPORT_TOKEN_KEY decrypts (a key removed too early)."""

    def __init__(self, team_ids: list[str]) -> None:
        super().__init__(
            counted(
                "{count} workspace token unreadable",
                "{count} workspace tokens unreadable",
                len(team_ids),
            )
        )
        self.team_ids = team_ids


class InstallationService:
    def __init__(
        self,
        db: Database,
        cipher: TokenCipher,
        clock: Clock,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.db = db
        self.cipher = cipher
        self.clock = clock
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[Installed, float]] = {}

    async def save(self, installed: Installed) -> None:
        row = {
            "team_id": installed.team_id,
            "enterprise_id": installed.enterprise_id,
            "app_id": installed.app_id,
            "team_name": installed.team_name,
            "bot_user_id": installed.bot_user_id,
            "bot_id": installed.bot_id,
            "bot_scopes": ",".join(installed.bot_scopes),
            "bot_token": self.cipher.encrypt(installed.bot_token),
            "installer_user_id": installed.installer_user_id,
            "installed_at": installed.installed_at or self.clock.now(),
        }
        async with self.db.transaction() as conn:
            await store.save_installation(conn, row)
        self._cache.pop(installed.team_id, None)
        log.info("slack: workspace %s installed Rapport", installed.team_id)

    async def find(self, team_id: str) -> Installed | None:
        cached = self._cache.get(team_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        async with self.db.transaction() as conn:
            row = await store.find_installation(conn, team_id)
        if row is None:
            self._cache.pop(team_id, None)
            return None
        try:
            token = self.cipher.decrypt(row.bot_token)
        except InvalidToken:
            log.warning("slack: no RAPPORT_TOKEN_KEY key reads workspace %s's token", team_id)
            return None
        installed = Installed(
            team_id=row.team_id,
            bot_user_id=row.bot_user_id,
            bot_id=row.bot_id,
            bot_token=token,
            bot_scopes=tuple(s for s in row.bot_scopes.split(",") if s),
            enterprise_id=row.enterprise_id,
            app_id=row.app_id,
            team_name=row.team_name,
            installer_user_id=row.installer_user_id,
            installed_at=row.installed_at,
        )
        self._cache[team_id] = (installed, time.monotonic() + self.cache_seconds)
        return installed

    async def delete(self, team_id: str) -> bool:
        """Forget the workspace's tokens (uninstalled, or its tokens revoked)."""
        self._cache.pop(team_id, None)
        async with self.db.transaction() as conn:
            return await store.delete_installation(conn, team_id)

    async def reencrypt(self) -> int:
        """Re-encrypt, under the first key, tokens an older key wrote; returns how many.

        Raises `UnreadableTokens` if some no key decrypts, before changing anything.
        """
        async with self.db.transaction() as conn:
            stored = await store.stored_tokens(conn)
            unreadable = [team for team, token in stored if not self._readable(token)]
            if unreadable:
                raise UnreadableTokens(unreadable)
            old = [(team, token) for team, token in stored if self.cipher.needs_rotation(token)]
            for team, token in old:
                await store.replace_token(conn, team, self.cipher.rotate(token))
        return len(old)

    def _readable(self, token: str) -> bool:
        try:
            self.cipher.decrypt(token)
        except InvalidToken:
            return False
        return True

    # --- the `state` of install flows under way ------------------------------------------------

    async def issue_state(self, lifetime: timedelta) -> str:
        state = secrets.token_urlsafe(32)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.add_state(conn, state, now + lifetime, now)
        return state

    async def consume_state(self, state: str) -> bool:
        """True once for a state this process issued and that has not expired."""
        if not state or len(state) > 64:
            return False
        async with self.db.transaction() as conn:
            return await store.consume_state(conn, state, self.clock.now())
