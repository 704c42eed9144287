"""The `rapport` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from bot.config import Settings
from bot.ops.logging import configure_logging, secret_values
from bot.questions.profiles import PROFILES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rapport", description="Rapport chat bot")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="start the configured platform adapters")
    run.add_argument(
        "--discord-global-sync",
        action="store_true",
        help="register /rapport globally, not per server (RAPPORT_DISCORD_COMMAND_SYNC=global)",
    )
    demo = sub.add_parser("demo", help="play a round in the terminal, no tokens needed")
    demo.add_argument("--auto", action="store_true", help="play both sides unattended")

    questions = sub.add_parser("questions", help="question banks").add_subparsers(
        dest="questions_command", required=True, metavar="ACTION"
    )
    lint = questions.add_parser(
        "lint",
        help="check bank files and print a summary",
        description=(
            "Lint what the bot would load (RAPPORT_QUESTIONS_DIR, then "
            "RAPPORT_EXTRA_QUESTIONS_DIR) together with any PATHs given, so ids that clash "
            "with the shipped banks are caught; every layer up to RAPPORT_MAX_LAYER must exist."
        ),
    )
    lint.add_argument("paths", nargs="*", type=Path, help="more bank files or folders to check")
    lint.add_argument(
        "--alone", action="store_true", help="check only the PATHs, not the configured banks too"
    )
    lint.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        help="size rules for the PATHs (default: shipped for Rapport's own banks, else custom)",
    )
    show = questions.add_parser("show", help="print the prompts of a bank")
    show.add_argument("--bank", required=True)
    show.add_argument("--layer", type=int, choices=range(1, 5))

    db = sub.add_parser("db", help="database").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    db.add_parser("upgrade", help="apply database migrations")

    slack = sub.add_parser("slack", help="Slack app set-up").add_subparsers(
        dest="slack_command", required=True, metavar="ACTION"
    )
    slack.add_parser("manifest", help="print the Slack app manifest (YAML)")
    discord = sub.add_parser("discord", help="Discord app set-up").add_subparsers(
        dest="discord_command", required=True, metavar="ACTION"
    )
    invite = discord.add_parser("invite-url", help="print the OAuth2 URL that adds the bot")
    invite.add_argument("--client-id", help="application id (default: asked from Discord)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, secrets=secret_values(settings))
    console = Console()
    return int(_dispatch(args, settings, console))


def _dispatch(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    if args.command == "demo":
        from bot.adapters.console.demo import run_demo

        logging.getLogger().setLevel(logging.WARNING)
        return asyncio.run(run_demo(settings, console, auto=args.auto))
    if args.command == "questions":
        from bot.questions.cli import lint_targets, run_lint, run_show

        if args.questions_command == "lint":
            sources = lint_targets(
                args.paths,
                settings.question_dirs(),
                alone=args.alone,
                profile=PROFILES[args.profile] if args.profile else None,
            )
            return run_lint(sources, console, depth=settings.max_layer)
        return run_show(args.bank, args.layer, settings.question_dirs(), console)
    if args.command == "db":
        return asyncio.run(_upgrade(settings, console))
    if args.command == "slack":
        from bot.adapters.slack.manifest import manifest_yaml

        console.print(manifest_yaml(settings), markup=False, highlight=False, soft_wrap=True)
        return 0
    if args.command == "discord":
        from bot.adapters.discord.invite import print_invite_url

        return print_invite_url(settings, args.client_id, console)
    if args.command == "run":
        from bot.runner import run

        if args.discord_global_sync:
            settings = settings.model_copy(update={"discord_command_sync": "global"})

        return asyncio.run(run(settings))
    raise AssertionError(args.command)


async def _upgrade(settings: Settings, console: Console) -> int:
    from bot.store.database import Database

    db = Database(settings.database_url)
    await db.upgrade()
    await db.dispose()
    console.print(f"Database is up to date ({db.engine.url.render_as_string(hide_password=True)}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
