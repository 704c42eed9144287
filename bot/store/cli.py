"""`rapport db upgrade` and `rapport db status`: the schema's migrations, told to the operator."""

from __future__ import annotations

from rich.console import Console

from bot.config import Settings
from bot.ops.startup_errors import check_database, open_database
from bot.store.database import Database


async def run_db_command(action: str, settings: Settings, console: Console) -> int:
    db = open_database(settings.database_url)
    try:
        await check_database(db)
        if action == "upgrade":
            applied = await db.upgrade()
            current, _ = await db.revisions()
            _say(console, f"{_where(db)}: {_applied(applied)}; now at migration {current}.")
            return 0
        current, head = await db.revisions()
        _say(
            console,
            f"{_where(db)}: at migration {current or 'none (empty database)'}, latest {head}"
            + ("." if current == head else " — run `rapport db upgrade`."),
        )
        return 0
    finally:
        await db.dispose()


def _say(console: Console, line: str) -> None:
    console.print(line, markup=False, highlight=False, soft_wrap=True)


def _where(db: Database) -> str:
    return "Database " + db.engine.url.render_as_string(hide_password=True)


def _applied(count: int) -> str:
    if count == 0:
        return "already up to date, no migration applied"
    return f"applied {count} migration{'' if count == 1 else 's'}"
