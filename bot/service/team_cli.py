"""`rapport questions import|export --workspace slack:T123`: a team's own bank from the shell.

The file is the same YAML the shipped banks use (`bank: team`), linted with the same rules before
anything is stored; an import is all or nothing and adds only prompts the workspace lacks.
"""

from __future__ import annotations

import re
from pathlib import Path

from rich.console import Console

from bot.bootstrap import build
from bot.config import Settings
from bot.ops.startup_errors import OperatorError, check_database
from bot.questions.loader import parse_bank_file

WORKSPACE = re.compile(r"^(slack|discord):[A-Za-z0-9_-]{1,64}$")


def _workspace(value: str) -> str:
    if not WORKSPACE.match(value):
        raise OperatorError(
            "--workspace",
            f"--workspace {value!r} is not a workspace: give the platform and its id, like "
            "slack:T0123ABCD (the Slack team id) or discord:123456789012345678 (the server id).",
        )
    return value


async def run_team_questions(
    action: str, workspace: str, path: Path | None, settings: Settings, console: Console
) -> int:
    workspace = _workspace(workspace)
    rapport = build(settings, senders={})
    try:
        await check_database(rapport.db)
        await rapport.db.upgrade()
        questions = rapport.service.questions
        if action == "export":
            text = await questions.export_yaml(workspace)
            if path is None:
                console.print(text, markup=False, highlight=False, soft_wrap=True, end="")
            else:
                path.write_text(text, encoding="utf-8")
                console.print(f"Wrote {workspace}'s questions to {path}.", markup=False)
            return 0
        assert path is not None
        parsed = parse_bank_file(path)
        bank = parsed.bank
        if bank is None:
            for problem in parsed.problems:
                console.print(str(problem), markup=False, highlight=False, soft_wrap=True)
            console.print(f"Nothing was imported: fix {path} and try again.", markup=False)
            return 1
        result = await questions.import_bank(workspace, bank)
        console.print(result.message, markup=False, highlight=False, soft_wrap=True)
        return 0 if result.ok else 1
    finally:
        await rapport.db.dispose()
