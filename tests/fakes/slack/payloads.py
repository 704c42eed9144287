"""The one place that builds inbound Slack payloads (what Slack sends to the app).

`PayloadFactory` builds slash commands, `block_actions`, `view_submission` and Events API
callbacks as an `Inbound`. An `Inbound` renders both transports:

* Socket Mode: `inbound.envelope()` -> `{envelope_id, type, payload, accepts_response_payload}`
  (events also carry `retry_attempt` / `retry_reason`, as Slack sends them);
* HTTP mode: `inbound.signed(secret)` -> a `SignedRequest` with the body Slack would POST
  (form for commands, form `payload=<json>` for interactivity, JSON for events) and the
  `X-Slack-Signature` (v0 HMAC-SHA256) / `X-Slack-Request-Timestamp` headers.

Every builder returns fresh ids (event_id, trigger_id, ts), so events never collide.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

EnvelopeType = Literal["slash_commands", "interactive", "events_api"]
Clock = Callable[[], float]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def sign(signing_secret: str, timestamp: int | str, body: bytes | str) -> str:
    """Slack's v0 request signature: `v0=` + HMAC-SHA256 of `v0:{ts}:{body}`."""
    raw = body.decode() if isinstance(body, bytes) else body
    base = f"v0:{timestamp}:{raw}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def signature_headers(
    signing_secret: str,
    body: bytes | str,
    *,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> dict[str, str]:
    """The headers Slack adds to every HTTP request it sends to the app."""
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(signing_secret, ts, body),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
    return headers


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP-mode request body plus its headers (Content-Type and signature)."""

    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Inbound:
    """One request from Slack, renderable as a Socket Mode envelope or an HTTP request."""

    kind: EnvelopeType
    payload: dict[str, Any]
    accepts_response_payload: bool = False

    def envelope(
        self,
        *,
        envelope_id: str | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> dict[str, Any]:
        """The Socket Mode frame Slack pushes on the websocket."""
        frame: dict[str, Any] = {
            "envelope_id": envelope_id or str(uuid.uuid4()),
            "type": self.kind,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.kind == "events_api":
            frame["retry_attempt"] = retry_attempt or 0
            frame["retry_reason"] = retry_reason or ""
        return frame

    def http_body(self) -> tuple[bytes, str]:
        """The raw HTTP body and its Content-Type, as Slack encodes this kind."""
        if self.kind == "events_api":
            return json.dumps(self.payload).encode(), JSON
        if self.kind == "interactive":
            return urlencode({"payload": json.dumps(self.payload)}).encode(), FORM
        return urlencode({k: _form_value(v) for k, v in self.payload.items()}).encode(), FORM

    def signed(
        self,
        signing_secret: str,
        *,
        timestamp: int | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> SignedRequest:
        """The HTTP request Slack would POST to the app's request URL."""
        body, content_type = self.http_body()
        headers = {"Content-Type": content_type}
        headers.update(
            signature_headers(
                signing_secret,
                body,
                timestamp=timestamp,
                retry_num=retry_num,
                retry_reason=retry_reason,
            )
        )
        return SignedRequest(body=body, headers=headers)


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@dataclass
class PayloadFactory:
    """Builds inbound payloads for one workspace; `hooks_url` is where response_urls point."""

    team_id: str = "T0RAPPORT"
    team_domain: str = "rapport-test"
    api_app_id: str = "A0RAPPORT"
    bot_user_id: str = "U0BOT"
    hooks_url: str = "https://hooks.slack.com"
    verification_token: str = "fake-verification-token"
    clock: Clock = time.time
    issued_triggers: dict[str, tuple[str, float]] = field(default_factory=dict, init=False)
    _seq: itertools.count[int] = field(default_factory=itertools.count, init=False, repr=False)

    # ------------------------------------------------------------------ ids

    def next_ts(self) -> str:
        """A message timestamp (`seconds.micro-sequence`), unique per factory."""
        return f"{int(self.clock())}.{next(self._seq):06d}"

    def trigger_id(self, user_id: str) -> str:
        """A trigger id the fake's views.open accepts once, within 3 s of issue."""
        trigger = f"{next(self._seq)}.{uuid.uuid4().int % 10**10}.{uuid.uuid4().hex}"
        self.issued_triggers[trigger] = (user_id, self.clock())
        return trigger

    def response_url(self, kind: Literal["commands", "actions"] = "commands") -> str:
        """A response_url served by the fake (`/commands/...` or `/actions/...`)."""
        return f"{self.hooks_url}/{kind}/{self.team_id}/{next(self._seq)}/{uuid.uuid4().hex}"

    def _team(self) -> dict[str, str]:
        return {"id": self.team_id, "domain": self.team_domain}

    def _user(self, user_id: str) -> dict[str, str]:
        name = user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    # ------------------------------------------------------------ commands

    def slash_command(
        self,
        text: str = "",
        *,
        user_id: str = "U0ALICE",
        channel_id: str = "C0GENERAL",
        channel_name: str = "general",
        command: str = "/rapport",
    ) -> Inbound:
        """`/rapport <text>` typed by `user_id` in `channel_id`."""
        payload = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.response_url("commands"),
            "trigger_id": self.trigger_id(user_id),
        }
        return Inbound("slash_commands", payload, accepts_response_payload=True)

    # ------------------------------------------------------- interactivity

    def block_actions(
        self,
        action: Mapping[str, Any],
        *,
        user_id: str,
        channel_id: str,
        message_ts: str,
        message: Mapping[str, Any] | None = None,
    ) -> Inbound:
        """A `block_actions` payload for one action on a message in `channel_id`."""
        msg = dict(message) if message else {"type": "message", "ts": message_ts, "text": ""}
        msg.setdefault("ts", message_ts)
        payload = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            },
            "trigger_id": self.trigger_id(user_id),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {
                "id": channel_id,
                "name": "directmessage" if channel_id[:1] == "D" else channel_id,
            },
            "message": msg,
            "state": {"values": {}},
            "response_url": self.response_url("actions"),
            "actions": [{**action, "action_ts": f"{self.clock():.6f}"}],
        }
        return Inbound("interactive", payload)

    def button_click(
        self,
        *,
        action_id: str,
        value: str,
        user_id: str,
        channel_id: str,
        message_ts: str,
        block_id: str = "actions",
        text: str = "Button",
        message: Mapping[str, Any] | None = None,
    ) -> Inbound:
        """A click on a button (`action_id`, `value`) in block `block_id` of a message."""
        action = {
            "type": "button",
            "action_id": action_id,
            "block_id": block_id,
            "text": {"type": "plain_text", "text": text, "emoji": True},
            "value": value,
        }
        return self.block_actions(
            action, user_id=user_id, channel_id=channel_id, message_ts=message_ts, message=message
        )

    def select_option(
        self,
        *,
        action_id: str,
        value: str,
        user_id: str,
        channel_id: str,
        message_ts: str,
        text: str | None = None,
        block_id: str = "actions",
        message: Mapping[str, Any] | None = None,
    ) -> Inbound:
        """A `static_select` choice of option `value` on a message."""
        option = {
            "text": {"type": "plain_text", "text": text or value, "emoji": True},
            "value": value,
        }
        action = {
            "type": "static_select",
            "action_id": action_id,
            "block_id": block_id,
            "selected_option": option,
            "placeholder": {"type": "plain_text", "text": "Choose", "emoji": True},
        }
        return self.block_actions(
            action, user_id=user_id, channel_id=channel_id, message_ts=message_ts, message=message
        )

    def view_submission(
        self,
        *,
        callback_id: str,
        values: Mapping[str, Mapping[str, str]],
        user_id: str,
        private_metadata: str = "",
        view_id: str | None = None,
        title: str = "Rapport",
        state: Mapping[str, Any] | None = None,
        blocks: Sequence[Mapping[str, Any]] | None = None,
    ) -> Inbound:
        """A modal submitted with `values[block_id][action_id]` typed into plain_text_inputs,
        or with a whole `state` (selects, checkboxes) and the modal's own `blocks`."""
        if state is None:
            state = {
                block_id: {
                    action_id: {"type": "plain_text_input", "value": text}
                    for action_id, text in actions.items()
                }
                for block_id, actions in values.items()
            }
        vid = view_id or f"V{next(self._seq):010d}"
        view = {
            "id": vid,
            "team_id": self.team_id,
            "type": "modal",
            "blocks": list(blocks)
            if blocks is not None
            else [_input_block(b, a) for b, actions in values.items() for a in actions],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": state},
            "hash": f"{int(self.clock())}.{uuid.uuid4().hex[:8]}",
            "title": {"type": "plain_text", "text": title, "emoji": True},
            "submit": {"type": "plain_text", "text": "Send", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": None,
            "root_view_id": vid,
            "app_id": self.api_app_id,
            "external_id": "",
            "app_installed_team_id": self.team_id,
            "bot_id": "B0BOT",
        }
        payload = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": self.trigger_id(user_id),
            "view": view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return Inbound("interactive", payload, accepts_response_payload=True)

    # ---------------------------------------------------------- Events API

    def event(self, event: Mapping[str, Any]) -> Inbound:
        """Wraps an inner event in an `event_callback` with a unique event_id/event_time."""
        now = self.clock()
        payload = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": dict(event),
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{uuid.uuid4().hex}",
        }
        return Inbound("events_api", payload)

    def im_message(
        self, text: str, *, user_id: str, channel_id: str, thread_ts: str | None = None
    ) -> Inbound:
        """`message.im`: `user_id` wrote `text` in their DM with the bot."""
        ts = self.next_ts()
        event: dict[str, Any] = {
            "client_msg_id": str(uuid.uuid4()),
            "type": "message",
            "text": text,
            "user": user_id,
            "ts": ts,
            "team": self.team_id,
            "channel": channel_id,
            "event_ts": ts,
            "channel_type": "im",
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        return self.event(event)

    def app_home_opened(self, *, user_id: str, channel_id: str, tab: str = "home") -> Inbound:
        """`app_home_opened`: `user_id` opened the app's Home (or Messages) tab."""
        event = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": channel_id,
            "tab": tab,
            "event_ts": f"{self.clock():.6f}",
        }
        return self.event(event)

    def app_uninstalled(self) -> Inbound:
        """`app_uninstalled`: the workspace removed the app (Slack revoked its tokens first)."""
        return self.event({"type": "app_uninstalled"})

    def tokens_revoked(self, *, bot: bool = True, users: Sequence[str] = ()) -> Inbound:
        """`tokens_revoked`: the bot's token (named by the bot user) and/or users' tokens."""
        tokens = {"oauth": list(users), "bot": [self.bot_user_id] if bot else []}
        return self.event({"type": "tokens_revoked", "tokens": tokens})

    def url_verification(self, challenge: str = "fake-challenge") -> Inbound:
        """The handshake Slack sends when the Events request URL is configured (HTTP only)."""
        payload = {
            "token": self.verification_token,
            "challenge": challenge,
            "type": "url_verification",
        }
        return Inbound("events_api", payload)


def _input_block(block_id: str, action_id: str) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": block_id, "emoji": True},
        "element": {"type": "plain_text_input", "action_id": action_id, "multiline": True},
    }
