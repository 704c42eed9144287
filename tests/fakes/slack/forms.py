"""Filling in a modal the app opened, as a person would: start from its initial values.

Turns an opened view's input blocks into the `state.values` Slack sends on submission, for
every element type Rapport's forms use, with some fields changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.fakes.slack.harness import SlackHarness
from tests.fakes.slack.payloads import Inbound


def _element_state(element: Mapping[str, Any], override: Any) -> dict[str, Any]:
    kind = element["type"]
    if kind == "plain_text_input":
        value = override if override is not None else element.get("initial_value")
        return {"type": kind, "value": value}
    if kind == "static_select":
        if override is None:
            return {"type": kind, "selected_option": element.get("initial_option")}
        option = next(o for o in element["options"] if o["value"] == str(override))
        return {"type": kind, "selected_option": option}
    if kind == "multi_users_select":
        users = list(override) if override is not None else element.get("initial_users", [])
        return {"type": kind, "selected_users": users}
    if kind == "checkboxes":
        if override is None:
            return {"type": kind, "selected_options": element.get("initial_options", [])}
        chosen = [o for o in element["options"] if o["value"] in override]
        return {"type": kind, "selected_options": chosen}
    raise AssertionError(f"no form filling for {kind}")


def filled(modal: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`state.values` for `modal` with `changes[block_id]` replacing what was there."""
    values: dict[str, Any] = {}
    for block in modal["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        state = _element_state(element, changes.get(block["block_id"]))
        values[block["block_id"]] = {element["action_id"]: state}
    return values


def submit_form(
    slack: SlackHarness, modal: Mapping[str, Any], user: str, changes: Mapping[str, Any]
) -> Inbound:
    return slack.fake.payloads.view_submission(
        callback_id=modal["callback_id"],
        values={},
        user_id=user,
        private_metadata=modal.get("private_metadata", ""),
        view_id=modal["id"],
        state=filled(modal, changes),
        blocks=modal["blocks"],
    )


async def opened_modal(slack: SlackHarness, before: int) -> dict[str, Any]:
    """The modal the app opened with the `before`+1-th views.open call."""
    calls = await slack.fake.wait_for(lambda: slack.fake.calls_to("views.open")[before:])
    assert calls[0].ok, calls[0].response
    return slack.fake.views[calls[0].response["view"]["id"]]
