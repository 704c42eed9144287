"""The `rapport` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console

from bot.config import Settings
from bot.ops.logging import command_log_level, configure_logging, secret_values
from bot.ops.startup_errors import EXIT_OPERATOR_ERROR, OperatorError, invalid_settings
from bot.questions.profiles import PROFILES
from bot.version import VERSION


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rapport", description="Rapport chat bot")
    parser.add_argument("--version", action="version", version=f"rapport {VERSION}")
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
    imported = questions.add_parser(
        "import", help="add a team's own questions from a bank file (linted first)"
    )
    imported.add_argument("--workspace", required=True, help="slack:T0123ABCD or discord:<id>")
    imported.add_argument("path", type=Path, help="a bank file (bank: team), e.g. an export")
    exported = questions.add_parser("export", help="print or write a team's own questions")
    exported.add_argument("--workspace", required=True, help="slack:T0123ABCD or discord:<id>")
    exported.add_argument("path", type=Path, nargs="?", help="file to write (default: stdout)")

    db = sub.add_parser("db", help="database").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    db.add_parser("upgrade", help="apply database migrations")
    db.add_parser("status", help="show the current and the latest migration")

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
    """Run one command; an operator mistake is one sentence on stderr and a non-zero exit."""
    args = _parser().parse_args(argv)
    try:
        settings = _settings()
        configure_logging(
            command_log_level(args.command, settings), secrets=secret_values(settings)
        )
        _quiet_scheduler()
        return int(_dispatch(args, settings, Console()))
    except OperatorError as err:
        print(f"rapport: {err}", file=sys.stderr)
        return EXIT_OPERATOR_ERROR


def _quiet_scheduler() -> None:
    """APScheduler says "Running job" and "executed successfully" at INFO on every tick: its
    lines are for RAPPORT_LOG_LEVEL=DEBUG; at INFO only its warnings and errors show."""
    debugging = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    logging.getLogger("apscheduler").setLevel(logging.NOTSET if debugging else logging.WARNING)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as err:
        raise invalid_settings(err.errors()) from None


def _dispatch(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    if args.command == "demo":
        try:
            from bot.adapters.console.demo import run_demo

            return asyncio.run(run_demo(settings, console, auto=args.auto))
        except KeyboardInterrupt:  # Ctrl-C while starting, before the demo handles it itself
            console.print()
            return 130
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
        if args.questions_command in ("import", "export"):
            from bot.service.team_cli import run_team_questions

            return asyncio.run(
                run_team_questions(
                    args.questions_command, args.workspace, args.path, settings, console
                )
            )
        return run_show(args.bank, args.layer, settings.question_dirs(), console)
    if args.command == "db":
        from bot.store.cli import run_db_command

        return asyncio.run(run_db_command(args.db_command, settings, console))
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


if __name__ == "__main__":
    sys.exit(main())
