"""The engine is pure: it imports no platform, database, scheduler or HTTP library."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.engine

FORBIDDEN = (
    "discord",
    "slack_bolt",
    "slack_sdk",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "apscheduler",
    "aiohttp",
    "alembic",
    "requests",
    "httpx",
    "socket",
    "asyncio",
)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_engine_imports_no_io_library() -> None:
    package = Path(bot.engine.__file__).parent
    offenders = {
        f"{path.name}: {name}"
        for path in package.rglob("*.py")
        for name in _imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert not offenders, offenders


def test_the_purity_check_would_notice_a_forbidden_import(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from sqlalchemy import select\nimport discord.ext\n")
    assert {"sqlalchemy", "discord.ext"} <= _imported_modules(sneaky)
