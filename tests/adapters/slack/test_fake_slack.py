"""The real slack-bolt / slack_sdk clients work against `FakeSlack` (Socket Mode, HTTP, Web API).

Nothing here mocks the libraries: a real `AsyncApp` with a real `AsyncWebClient` talks to the
fake over 127.0.0.1. Tests wait on the fake's recorded calls and acks, never by sleeping.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.say.async_say import AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import FakeSlack, find_pings

from .conftest import AppFactory, HttpStarter, SocketStarter

ALICE, BOB = "U0ALICE", "U0BOB"
SLACK_ACK_DEADLINE = 3.0


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def invitation_blocks() -> list[dict[str, Any]]:
    accept = {"type": "button", "action_id": "accept", "value": "round-1", "text": _plain("Accept")}
    pace = {
        "type": "static_select",
        "action_id": "pace",
        "options": [{"text": _plain(p), "value": p} for p in ("live", "daily")],
    }
    return [
        section("Bob invited you"),
        {"type": "actions", "block_id": "invite", "elements": [accept, pace]},
    ]


def answer_modal(title: str = "Your answer") -> dict[str, Any]:
    element = {"type": "plain_text_input", "action_id": "answer_input", "max_length": 3000}
    return {
        "type": "modal",
        "callback_id": "answer_modal",
        "title": _plain(title),
        "submit": _plain("Send"),
        "private_metadata": "round-1",
        "blocks": [
            {"type": "input", "block_id": "answer", "label": _plain("Answer"), "element": element}
        ],
    }


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


async def post_invitation(client: AsyncWebClient, fake: FakeSlack) -> tuple[str, str]:
    resp = await client.chat_postMessage(
        channel=fake.dm_channel(ALICE), text="Invitation", blocks=invitation_blocks()
    )
    return resp["channel"], resp["ts"]


class ManualClock:
    """An injectable clock for the fake (trigger expiry)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# ================================================================= Socket Mode


async def test_socket_mode_connects_with_app_token_and_gets_hello(
    fake_slack: FakeSlack, make_app: AppFactory, start_socket_mode: SocketStarter
) -> None:
    await start_socket_mode(make_app())

    (open_call,) = fake_slack.calls_to("apps.connections.open")
    assert open_call.token == fake_slack.app_token and open_call.ok
    assert fake_slack.connections == 1
    assert fake_slack.hellos[0]["num_connections"] == 1
    assert fake_slack.hellos[0]["connection_info"] == {"app_id": fake_slack.app_id}


async def test_slash_command_acks_then_responds_via_response_url(
    fake_slack: FakeSlack, make_app: AppFactory, start_socket_mode: SocketStarter
) -> None:
    app = make_app()

    @app.command("/rapport")
    async def on_command(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        await ack()
        await respond(f"Starting a round: {command['text']}")

    await start_socket_mode(app)
    loop = asyncio.get_running_loop()
    sent_at = loop.time()
    envelope_id = await fake_slack.send(fake_slack.payloads.slash_command(f"start <@{BOB}>"))

    assert await fake_slack.wait_ack(envelope_id) == {"envelope_id": envelope_id}
    assert loop.time() - sent_at < SLACK_ACK_DEADLINE
    response = await fake_slack.wait_for_call("response_url")
    assert response.args["text"] == f"Starting a round: start <@{BOB}>"
    assert response.path.startswith(f"/commands/{fake_slack.team_id}/")


async def test_slash_command_opens_modal_with_its_trigger(
    fake_slack: FakeSlack, make_app: AppFactory, start_socket_mode: SocketStarter
) -> None:
    app = make_app()

    @app.command("/rapport")
    async def on_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=answer_modal())

    await start_socket_mode(app)
    await fake_slack.send(fake_slack.payloads.slash_command("answer", user_id=ALICE))

    call = await fake_slack.wait_for_call("views.open")
    assert call.ok, call.response
    view = fake_slack.views[call.response["view"]["id"]]
    assert view["user_id"] == ALICE and view["private_metadata"] == "round-1"


async def test_button_click_reaches_action_handler_which_updates_the_message(
    fake_slack: FakeSlack, make_app: AppFactory, start_socket_mode: SocketStarter
) -> None:
    app = make_app()

    @app.action("accept")
    async def on_accept(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await client.chat_update(
            channel=body["container"]["channel_id"],
            ts=body["message"]["ts"],
            text=f"Accepted {action['value']}",
            blocks=[section(f"Accepted by <@{body['user']['id']}>")],
        )

    await start_socket_mode(app)
    channel, ts = await post_invitation(app.client, fake_slack)
    click = fake_slack.payloads.button_click(
        action_id="accept",
        value="round-1",
        block_id="invite",
        user_id=ALICE,
        channel_id=channel,
        message_ts=ts,
        message=fake_slack.message(channel, ts),
    )
    envelope_id = await fake_slack.send(click)

    await fake_slack.wait_ack(envelope_id)
    update = await fake_slack.wait_for_call("chat.update")
    assert update.ok, update.response
    assert fake_slack.message(channel, ts)["text"] == "Accepted round-1"
    assert fake_slack.message(channel, ts)["edited"]["user"] == fake_slack.bot_user_id


async def test_static_select_choice_reaches_action_handler(
    fake_slack: FakeSlack, make_app: AppFactory, start_socket_mode: SocketStarter
) -> None:
    app = make_app()

    @app.action("pace")
    async def on_pace(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await client.chat_update(
            channel=body["channel"]["id"],
            ts=body["container"]["message_ts"],
            text=f"Pace: {action['selected_option']['value']}",
        )

    await start_socket_mode(app)
    channel, ts = await post_invitation(app.client, fake_slack)
    choice = fake_slack.payloads.select_option(
        action_id="pace", value="daily", user_id=ALICE, channel_id=channel, message_ts=ts
    )
    await fake_slack.send(choice)

    await fake_slack.wait_for(lambda: fake_slack.message(channel, ts)["text"] == "Pace: daily")


async def test_view_submission_ack_with_errors_is_returned_on_the_socket(
    fake_slack: FakeSlack, make_app: AppFactory, start_socket_mode: SocketStarter
) -> None:
    app = make_app()

    @app.view("answer_modal")
    async def on_submit(ack: AsyncAck, view: dict[str, Any]) -> None:
        answer = view["state"]["values"]["answer"]["answer_input"]["value"]
        if len(answer) > 3000:
            await ack(response_action="errors", errors={"answer": "At most 3000 characters."})
        else:
            await ack()

    await start_socket_mode(app)
    submission = fake_slack.payloads.view_submission(
        callback_id="answer_modal",
        values={"answer": {"answer_input": "x" * 3001}},
        user_id=ALICE,
        private_metadata="round-1",
    )
    envelope_id = await fake_slack.send(submission)

    ack = await fake_slack.wait_ack(envelope_id)
    assert ack["payload"] == {
        "response_action": "errors",
        "errors": {"answer": "At most 3000 characters."},
    }


async def test_view_submission_exposes_state_values_and_private_metadata(
    fake_slack: FakeSlack, make_app: AppFactory, start_socket_mode: SocketStarter
) -> None:
    app = make_app()

    @app.view("answer_modal")
    async def on_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        answer = view["state"]["values"]["answer"]["answer_input"]["value"]
        text = f"{view['private_metadata']}: {answer}"
        await client.chat_postMessage(channel=body["user"]["id"], text=text)

    await start_socket_mode(app)
    submission = fake_slack.payloads.view_submission(
        callback_id="answer_modal",
        values={"answer": {"answer_input": "Tea, always"}},
        user_id=ALICE,
        private_metadata="round-1",
    )
    envelope_id = await fake_slack.send(submission)

    assert await fake_slack.wait_ack(envelope_id) == {"envelope_id": envelope_id}
    await fake_slack.wait_for(lambda: fake_slack.posted_messages(fake_slack.dm_channel(ALICE)))
    assert fake_slack.posted_messages()[0]["text"] == "round-1: Tea, always"


async def test_im_message_event_gets_a_reply_via_chat_post_message(
    fake_slack: FakeSlack, make_app: AppFactory, start_socket_mode: SocketStarter
) -> None:
    app = make_app()

    @app.event("message")
    async def on_message(event: dict[str, Any], say: AsyncSay) -> None:
        if event.get("channel_type") == "im":
            await say(f"Got your answer: {event['text']}")

    await start_socket_mode(app)
    channel = fake_slack.dm_channel(ALICE)
    loop = asyncio.get_running_loop()
    sent_at = loop.time()
    envelope_id = await fake_slack.send(
        fake_slack.payloads.im_message("Mornings", user_id=ALICE, channel_id=channel)
    )

    await fake_slack.wait_ack(envelope_id)
    assert loop.time() - sent_at < SLACK_ACK_DEADLINE
    await fake_slack.wait_for(lambda: fake_slack.posted_messages(channel))
    assert fake_slack.posted_messages(channel)[0]["text"] == "Got your answer: Mornings"


async def test_app_home_opened_publishes_the_home_tab(
    fake_slack: FakeSlack, make_app: AppFactory, start_socket_mode: SocketStarter
) -> None:
    app = make_app()

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], client: AsyncWebClient) -> None:
        home = {"type": "home", "blocks": [section("*Your rounds*")]}
        await client.views_publish(user_id=event["user"], view=home)

    await start_socket_mode(app)
    event = fake_slack.payloads.app_home_opened(
        user_id=ALICE, channel_id=fake_slack.dm_channel(ALICE)
    )
    await fake_slack.send(event)

    await fake_slack.wait_for(lambda: ALICE in fake_slack.home_views)
    assert fake_slack.home_views[ALICE]["blocks"] == [section("*Your rounds*")]


async def test_socket_mode_retry_attempt_reaches_the_listener_as_headers(
    fake_slack: FakeSlack, make_app: AppFactory, start_socket_mode: SocketStarter
) -> None:
    app = make_app()

    @app.event("message")
    async def on_message(request: AsyncBoltRequest, say: AsyncSay) -> None:
        num = request.headers.get("x-slack-retry-num", ["-"])[0]
        reason = request.headers.get("x-slack-retry-reason", ["-"])[0]
        await say(f"retry {num} {reason}")

    await start_socket_mode(app)
    channel = fake_slack.dm_channel(ALICE)
    inbound = fake_slack.payloads.im_message("again", user_id=ALICE, channel_id=channel)
    await fake_slack.send(inbound, retry_attempt=1, retry_reason="timeout")

    await fake_slack.wait_for(lambda: fake_slack.posted_messages(channel))
    assert fake_slack.posted_messages(channel)[0]["text"] == "retry 1 timeout"


@pytest.mark.parametrize("how", ["drop", "refresh"])
async def test_socket_mode_client_reconnects_and_keeps_receiving(
    fake_slack: FakeSlack, make_app: AppFactory, start_socket_mode: SocketStarter, how: str
) -> None:
    app = make_app()

    @app.command("/rapport")
    async def on_command(ack: AsyncAck) -> None:
        await ack("ok")

    await start_socket_mode(app)
    if how == "drop":
        await fake_slack.drop_socket()
    else:
        await fake_slack.request_refresh()
    await fake_slack.wait_connected(2)
    envelope_id = await fake_slack.send(fake_slack.payloads.slash_command("help"))

    assert (await fake_slack.wait_ack(envelope_id))["payload"] == {"text": "ok"}
    assert len(fake_slack.calls_to("apps.connections.open")) == 2


# =================================================================== HTTP mode


async def test_http_signed_slash_command_is_accepted(
    fake_slack: FakeSlack, make_app: AppFactory, start_http: HttpStarter
) -> None:
    app = make_app()

    @app.command("/rapport")
    async def on_command(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond("Round started")

    url = await start_http(app)
    reply = await fake_slack.post_to_app(url, fake_slack.payloads.slash_command("start"))

    assert reply.status == 200
    assert (await fake_slack.wait_for_call("response_url")).args["text"] == "Round started"


@pytest.mark.parametrize(
    ("secret", "age"),
    [("not-the-signing-secret", 0), (None, 5 * 60 + 1)],
    ids=["forged-signature", "stale-timestamp"],
)
async def test_http_bad_signature_or_stale_timestamp_is_401_and_never_dispatched(
    fake_slack: FakeSlack,
    make_app: AppFactory,
    start_http: HttpStarter,
    secret: str | None,
    age: int,
) -> None:
    app = make_app()
    ran: list[str] = []

    @app.command("/rapport")
    async def on_command(ack: AsyncAck) -> None:
        ran.append("command")
        await ack()

    url = await start_http(app)
    inbound = fake_slack.payloads.slash_command("start")
    reply = await fake_slack.post_to_app(
        url, inbound, signing_secret=secret, timestamp=int(time.time()) - age
    )

    assert reply.status == 401
    assert ran == []
    assert fake_slack.calls_to("auth.test") == []


async def test_http_event_with_retry_headers_is_delivered(
    fake_slack: FakeSlack, make_app: AppFactory, start_http: HttpStarter
) -> None:
    app = make_app()

    @app.event("message")
    async def on_message(request: AsyncBoltRequest, say: AsyncSay) -> None:
        num = request.headers.get("x-slack-retry-num", ["-"])[0]
        reason = request.headers.get("x-slack-retry-reason", ["-"])[0]
        await say(f"retry {num} {reason}")

    url = await start_http(app)
    channel = fake_slack.dm_channel(ALICE)
    inbound = fake_slack.payloads.im_message("hello?", user_id=ALICE, channel_id=channel)
    reply = await fake_slack.post_to_app(url, inbound, retry_num=1, retry_reason="http_timeout")

    assert reply.status == 200
    await fake_slack.wait_for(lambda: fake_slack.posted_messages(channel))
    assert fake_slack.posted_messages(channel)[0]["text"] == "retry 1 http_timeout"


async def test_http_view_submission_errors_come_back_in_the_response_body(
    fake_slack: FakeSlack, make_app: AppFactory, start_http: HttpStarter
) -> None:
    app = make_app()

    @app.view("answer_modal")
    async def on_submit(ack: AsyncAck) -> None:
        await ack(response_action="errors", errors={"answer": "Too long"})

    url = await start_http(app)
    submission = fake_slack.payloads.view_submission(
        callback_id="answer_modal", values={"answer": {"answer_input": "x"}}, user_id=ALICE
    )
    reply = await fake_slack.post_to_app(url, submission)

    assert reply.status == 200
    assert reply.json() == {"response_action": "errors", "errors": {"answer": "Too long"}}


async def test_http_url_verification_echoes_the_challenge(
    fake_slack: FakeSlack, make_app: AppFactory, start_http: HttpStarter
) -> None:
    url = await start_http(make_app())
    reply = await fake_slack.post_to_app(url, fake_slack.payloads.url_verification("c-42"))
    assert reply.status == 200 and reply.json() == {"challenge": "c-42"}


# ================================================================== Web client


async def test_429_with_retry_after_is_retried_by_rate_limit_handler(
    fake_slack: FakeSlack, web_client: AsyncWebClient
) -> None:
    web_client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    fake_slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "1"})

    resp = await web_client.chat_postMessage(channel="C0GENERAL", text="hello")

    assert resp["ok"]
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [429, 200]
    assert len(fake_slack.posted_messages("C0GENERAL")) == 1


async def test_ratelimited_error_without_429_is_raised(
    fake_slack: FakeSlack, web_client: AsyncWebClient
) -> None:
    fake_slack.fail_next("chat.postMessage", error="ratelimited")
    with pytest.raises(SlackApiError) as err:
        await web_client.chat_postMessage(channel="C0GENERAL", text="hello")
    assert err.value.response["error"] == "ratelimited"
    assert fake_slack.posted_messages() == []


async def test_dropped_connection_is_retried_by_default_handler(
    fake_slack: FakeSlack, web_client: AsyncWebClient
) -> None:
    fake_slack.fail_next("auth.test", disconnect=True)
    assert (await web_client.auth_test())["user_id"] == fake_slack.bot_user_id
    assert len(fake_slack.calls_to("auth.test")) == 2


async def test_conversations_open_returns_a_stable_dm_channel_per_user(
    fake_slack: FakeSlack, web_client: AsyncWebClient
) -> None:
    first = await web_client.conversations_open(users=ALICE)
    second = await web_client.conversations_open(users=[ALICE])
    other = await web_client.conversations_open(users=BOB)

    assert first["channel"]["id"] == second["channel"]["id"] == fake_slack.dm_channel(ALICE)
    assert (
        first["channel"]["id"].startswith("D") and other["channel"]["id"] != first["channel"]["id"]
    )
    assert fake_slack.conversations_open_count == {ALICE: 2, BOB: 1}


async def test_post_message_to_a_user_id_lands_in_their_dm(
    fake_slack: FakeSlack, web_client: AsyncWebClient
) -> None:
    resp = await web_client.chat_postMessage(channel=ALICE, text="hi")
    assert resp["channel"] == fake_slack.dm_channel(ALICE)
    assert fake_slack.posted_messages(resp["channel"])[0]["ts"] == resp["ts"]


@pytest.mark.parametrize(
    ("kwargs", "error", "pointer"),
    [
        ({"channel": "C0GENERAL"}, "no_text", None),
        ({"channel": "", "text": "hi"}, "channel_not_found", None),
        (
            {"channel": "C0GENERAL", "blocks": [section("x" * 3001)]},
            "invalid_blocks",
            "/blocks/0/text/text",
        ),
        ({"channel": "C0GENERAL", "blocks": [section("x")] * 51}, "invalid_blocks", "/blocks]"),
        ({"channel": "C0GENERAL", "blocks": [{"type": "nope"}]}, "invalid_blocks", "/blocks/0]"),
    ],
    ids=["no-text", "no-channel", "section-3001", "51-blocks", "unknown-block"],
)
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
async def test_post_message_is_validated_like_slack(
    fake_slack: FakeSlack,
    web_client: AsyncWebClient,
    kwargs: dict[str, Any],
    error: str,
    pointer: str | None,
) -> None:
    with pytest.raises(SlackApiError) as err:
        await web_client.chat_postMessage(**kwargs)
    assert err.value.response["error"] == error
    if pointer:
        assert any(pointer in m for m in err.value.response["response_metadata"]["messages"])
    assert fake_slack.posted_messages() == []


async def test_modal_title_over_24_chars_is_invalid_arguments(
    fake_slack: FakeSlack, web_client: AsyncWebClient
) -> None:
    trigger = fake_slack.payloads.trigger_id(ALICE)
    with pytest.raises(SlackApiError) as err:
        await web_client.views_open(trigger_id=trigger, view=answer_modal("x" * 25))
    assert err.value.response["error"] == "invalid_arguments"
    assert (
        "[json-pointer:/view/title/text]" in err.value.response["response_metadata"]["messages"][0]
    )


async def test_trigger_ids_expire_after_3s_and_are_single_use() -> None:
    clock = ManualClock(1_700_000_000.0)
    async with FakeSlack(clock=clock) as fake:
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        stale = fake.payloads.trigger_id(ALICE)
        clock.now += 3.5
        fresh = fake.payloads.trigger_id(ALICE)

        await client.views_open(trigger_id=fresh, view=answer_modal())
        for trigger, error in [(stale, "expired_trigger_id"), (fresh, "exchanged_trigger_id")]:
            with pytest.raises(SlackApiError) as err:
                await client.views_open(trigger_id=trigger, view=answer_modal())
            assert err.value.response["error"] == error


async def test_views_update_checks_the_hash(
    fake_slack: FakeSlack, web_client: AsyncWebClient
) -> None:
    trigger = fake_slack.payloads.trigger_id(ALICE)
    opened = (await web_client.views_open(trigger_id=trigger, view=answer_modal()))["view"]
    updated = await web_client.views_update(
        view_id=opened["id"], hash=opened["hash"], view=answer_modal("Thanks!")
    )
    assert fake_slack.views[opened["id"]]["title"]["text"] == "Thanks!"
    with pytest.raises(SlackApiError) as err:
        await web_client.views_update(
            view_id=opened["id"], hash=opened["hash"], view=answer_modal()
        )
    assert err.value.response["error"] == "hash_conflict"
    assert updated["view"]["hash"] != opened["hash"]


async def test_users_info_has_the_fields_the_bot_reads(web_client: AsyncWebClient) -> None:
    user = (await web_client.users_info(user=ALICE))["user"]
    assert user["tz"] == "Europe/Berlin" and isinstance(user["tz_offset"], int)
    assert user["is_admin"] is True and user["is_owner"] is False and user["is_bot"] is False
    assert user["profile"]["display_name"] == "alice"
    with pytest.raises(SlackApiError) as err:
        await web_client.users_info(user="U0NOBODY")
    assert err.value.response["error"] == "user_not_found"


async def test_users_list_and_conversations_members_are_paged_with_cursors(
    fake_slack: FakeSlack, web_client: AsyncWebClient
) -> None:
    users = [
        m["id"] async for page in await web_client.users_list(limit=2) for m in page["members"]
    ]
    members = [
        m
        async for page in await web_client.conversations_members(channel="C0GENERAL", limit=3)
        for m in page["members"]
    ]
    assert users == list(fake_slack.users)
    assert members == fake_slack.channels["C0GENERAL"]
    assert len(fake_slack.calls_to("users.list")) == 3
    assert len(fake_slack.calls_to("conversations.members")) == 2


async def test_a_channel_is_listed_at_most_a_thousand_members_a_page_like_slack(
    fake_slack: FakeSlack, web_client: AsyncWebClient
) -> None:
    fake_slack.add_channel("C0BIG", [f"U{n:08d}" for n in range(2_500)])
    pages = [
        page["members"]
        async for page in await web_client.conversations_members(channel="C0BIG", limit=5_000)
    ]
    assert [len(p) for p in pages] == [1_000, 1_000, 500]
    assert [m for p in pages for m in p] == fake_slack.channels["C0BIG"]


async def test_files_upload_v2_stores_the_file_and_shares_it(
    fake_slack: FakeSlack, web_client: AsyncWebClient
) -> None:
    export = json.dumps({"rounds": []})
    channel = fake_slack.dm_channel(ALICE)
    resp = await web_client.files_upload_v2(
        channel=channel, content=export, filename="rapport-export.json", title="Your export"
    )
    stored = fake_slack.files[resp["file"]["id"]]
    assert stored["content"] == export.encode()
    assert stored["channels"] == [channel] and stored["title"] == "Your export"


async def test_unknown_method_and_wrong_tokens_are_answered_like_slack(
    fake_slack: FakeSlack, web_client: AsyncWebClient
) -> None:
    with pytest.raises(SlackApiError) as err:
        await web_client.api_call("rapport.nonexistent")
    assert err.value.response["error"] == "unknown_method"
    assert fake_slack.calls_to("rapport.nonexistent")[0].status == 200

    with pytest.raises(SlackApiError) as err:
        await web_client.apps_connections_open(app_token=fake_slack.bot_token)
    assert err.value.response["error"] == "not_allowed_token_type"
    bad = AsyncWebClient(token="xoxb-wrong", base_url=fake_slack.api_url)
    with pytest.raises(SlackApiError) as err:
        await bad.auth_test()
    assert err.value.response["error"] == "invalid_auth"


async def test_arguments_merge_query_form_and_json_and_answers_are_plain_json(
    fake_slack: FakeSlack,
) -> None:
    url = f"{fake_slack.api_url}chat.postMessage?channel=C0GENERAL&token={fake_slack.bot_token}"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data={"text": "from a form"}) as resp,
    ):
        assert resp.headers["Content-Type"] == "application/json"
        assert (await resp.json())["ok"] is True
    (call,) = fake_slack.calls_to("chat.postMessage")
    assert call.args == {"channel": "C0GENERAL", "text": "from a form"}
    assert call.token == fake_slack.bot_token


# ==================================================================== helpers


async def test_wait_for_fails_with_the_recent_calls_when_the_condition_never_holds(
    fake_slack: FakeSlack, web_client: AsyncWebClient
) -> None:
    await web_client.auth_test()
    with pytest.raises(AssertionError, match=r"auth\.test\(200\)"):
        await fake_slack.wait_for(lambda: fake_slack.posted_messages(), timeout=0.05)


def test_signed_requests_verify_with_slack_sdk(fake_slack: FakeSlack) -> None:
    verifier = SignatureVerifier(fake_slack.signing_secret)
    for inbound in (
        fake_slack.payloads.slash_command("start"),
        fake_slack.payloads.im_message("hi", user_id=ALICE, channel_id="D1"),
        fake_slack.payloads.view_submission(callback_id="c", values={}, user_id=ALICE),
    ):
        request = inbound.signed(fake_slack.signing_secret)
        assert verifier.is_valid_request(request.body, request.headers)
    envelope = fake_slack.payloads.im_message("hi", user_id=ALICE, channel_id="D1").envelope()
    assert envelope["type"] == "events_api" and envelope["payload"]["event"]["channel_type"] == "im"


def test_event_ids_are_unique(fake_slack: FakeSlack) -> None:
    events = [
        fake_slack.payloads.im_message("hi", user_id=ALICE, channel_id="D1") for _ in range(50)
    ]
    assert len({e.payload["event_id"] for e in events}) == 50
    assert len({e.payload["event"]["ts"] for e in events}) == 50


def test_find_pings_sees_mentions_in_text_and_blocks_but_not_escaped_ones() -> None:
    message = {
        "text": f"hi <@{BOB}> &lt;@{ALICE}&gt; <!here|here>",
        "blocks": [section("<!channel> and <!subteam^S0TEAM|team>")],
    }
    assert find_pings(message) == [f"@{BOB}", "!here", "!channel", "!subteam^S0TEAM"]
