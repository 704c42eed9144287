"""The fake's Web API error answer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class SlackError(Exception):
    """A Web API error answered as `{"ok": false, "error": ...}` (plus extra fields)."""

    def __init__(self, error: str, messages: Iterable[str] = ()) -> None:
        super().__init__(error)
        self.error = error
        self.messages = [f"[ERROR] {m}" for m in messages]

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.messages:
            body["errors"] = [m.removeprefix("[ERROR] ") for m in self.messages]
            body["response_metadata"] = {"messages": self.messages}
        return body
