"""The app manifest matches what the running app registers and calls, both ways.

* listeners: every command/event the app registers is in the manifest, every manifest command
  and event reaches a Rapport listener;
* scopes: every Web API method the adapter called during a full tour (rounds, App Home, a lead's
  schedule and session, an export, a resend after a crash) has its scopes in the manifest, and
  every scope in the manifest is needed by a method, event or the command;
* `rapport slack manifest` prints that manifest as valid YAML.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.adapters.slack.manifest import (
    APP_TOKEN_METHODS,
    BOT_EVENTS,
    COMMAND_SCOPE,
    EVENT_SCOPES,
    METHOD_SCOPES,
    manifest,
)
from bot.cli import main
from bot.config import Settings
from bot.engine.model import DeliveryKind
from bot.identity import Member
from bot.messages.model import Action
from bot.service.ports import OutgoingMessage
from tests.fakes.slack.harness import ALICE, BOB, CAROL, SlackHarness
from tests.fakes.slack.server import DEFAULT_CHANNEL

from .conftest import RapportStarter

SCHEDULE = "every:1 day:mon time:10:00 tz:Europe/Berlin pace:live"


def _events(app_manifest: dict[str, Any]) -> list[str]:
    return list(app_manifest["settings"]["event_subscriptions"]["bot_events"])


def _commands(app_manifest: dict[str, Any]) -> set[str]:
    return {c["command"] for c in app_manifest["features"]["slash_commands"]}


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_registered_listeners_match_the_manifest(
    start_rapport: RapportStarter, mode: str
) -> None:
    slack = await start_rapport(mode, RAPPORT_PUBLIC_URL="https://rapport.example.org")
    registered = slack.runtime.registration
    app_manifest = manifest(slack.settings)
    assert registered is not None

    assert set(registered.commands) == _commands(app_manifest)
    assert set(registered.events) == {BOT_EVENTS[e] for e in _events(app_manifest)}
    assert set(_events(app_manifest)) == set(BOT_EVENTS)
    assert app_manifest["settings"]["interactivity"]["is_enabled"] is bool(
        registered.actions or registered.views
    )
    assert app_manifest["settings"]["socket_mode_enabled"] is (mode == "socket")
    assert len(slack.runtime.app._async_listeners) == sum(  # type: ignore[union-attr]
        len(x)
        for x in (
            registered.commands,
            registered.events,
            registered.action_groups,
            registered.views,
        )
    )


async def test_every_manifest_command_and_event_reaches_a_listener(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    samples = {
        "message.im": slack.dm("hello", CAROL),
        "app_home_opened": slack.fake.payloads.app_home_opened(
            user_id=CAROL, channel_id=slack.fake.dm_channel(CAROL)
        ),
        "app_uninstalled": slack.fake.payloads.app_uninstalled(),
        "tokens_revoked": slack.fake.payloads.tokens_revoked(),
    }
    for event in _events(manifest(slack.settings)):
        await slack.handled(samples[event])  # times out if no Rapport listener ran
    for command in _commands(manifest(slack.settings)):
        await slack.handled(slack.fake.payloads.slash_command("help", command=command))
    await slack.fake.wait_for(lambda: slack.dms(CAROL) and CAROL in slack.fake.home_views)


async def _tour(slack: SlackHarness) -> None:
    """Use every feature once: commands, buttons, the modal, DMs, App Home, lead pairing."""
    await slack.command(f"start <@{BOB}|bob>")
    await slack.wait_dms(BOB, 1)
    await slack.handled(slack.click(BOB, slack.last(BOB, "invitation"), Action.ACCEPT))
    await slack.wait_dms(ALICE, 2)
    modal = await slack.open_answer_modal(ALICE, slack.last(ALICE, "prompt"))
    await slack.handled(slack.submission(ALICE, modal, "Toast."))
    await slack.handled(slack.dm("Cereal.", BOB))
    await slack.wait_dms(BOB, 4)
    await slack.handled(
        slack.fake.payloads.app_home_opened(user_id=ALICE, channel_id=slack.fake.dm_channel(ALICE))
    )
    await slack.command(f"start <@{BOB}|bob> <@{CAROL}|carol>", user=CAROL)
    await slack.command("status")
    # a lead's schedule: listing the channel (users.list for a big one), then the session
    slack.runtime.directory.bulk_threshold = 0
    added = await slack.command(f"schedule add <#{DEFAULT_CHANNEL}|general> {SCHEDULE}")
    schedule_id = added["text"].split()[1].rstrip(":")
    await slack.command(f"schedule run-now {schedule_id}")
    await slack.command("export", user=BOB)  # files.getUploadURLExternal + completeUploadExternal
    # a delivery another process may have posted before it died: the DM's history is checked
    bob = Member("slack", slack.fake.team_id, BOB)
    await slack.runtime.sender.send(
        OutgoingMessage(1, bob, DeliveryKind.NOT_PAIRED, {}, None, None, maybe_sent=True)
    )


async def test_web_api_methods_and_scopes_match_both_ways(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    await _tour(slack)
    fake = slack.fake
    bot_methods = {c.method for c in fake.calls if c.token == fake.bot_token}
    app_methods = {c.method for c in fake.calls if c.token == fake.app_token}

    assert bot_methods == set(METHOD_SCOPES), "update METHOD_SCOPES in manifest.py"
    assert app_methods == set(APP_TOKEN_METHODS)
    scopes = manifest(slack.settings)["oauth_config"]["scopes"]["bot"]
    needed = {COMMAND_SCOPE} | {s for scopes in METHOD_SCOPES.values() for s in scopes}
    needed |= {s for s in EVENT_SCOPES.values() if s}
    assert set(scopes) == needed and len(scopes) == len(set(scopes))


def test_http_mode_manifest_points_slack_at_the_events_url() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        RAPPORT_SLACK_MODE="http",
        RAPPORT_PUBLIC_URL="https://rapport.example.org/",
    )
    app_manifest = manifest(settings)
    url = "https://rapport.example.org/slack/events"
    assert app_manifest["settings"]["socket_mode_enabled"] is False
    assert app_manifest["settings"]["event_subscriptions"]["request_url"] == url
    assert app_manifest["settings"]["interactivity"]["request_url"] == url
    assert app_manifest["features"]["slash_commands"][0]["url"] == url


def test_rapport_slack_manifest_prints_valid_yaml(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAPPORT_SLACK_MODE", "socket")
    assert main(["slack", "manifest"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed == manifest(Settings())
    assert printed["features"]["slash_commands"][0]["should_escape"] is True
    assert printed["features"]["app_home"]["messages_tab_enabled"] is True
    assert set(printed["settings"]["event_subscriptions"]["bot_events"]) == {
        "message.im",
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert "redirect_urls" not in printed["oauth_config"]  # no RAPPORT_PUBLIC_URL


def test_the_manifest_names_the_oauth_redirect_url_once_the_public_url_is_set() -> None:
    for mode in ("socket", "http"):
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            RAPPORT_SLACK_MODE=mode,
            RAPPORT_PUBLIC_URL="https://rapport.example.org/",
        )
        assert manifest(settings)["oauth_config"]["redirect_urls"] == [
            "https://rapport.example.org/slack/oauth_redirect"
        ]
