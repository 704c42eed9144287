"""Keeps answer texts, DM texts and tokens out of every log line, whoever wrote it.

`PrivacyFilter` sits on Rapport's log *handler*, not on one logger, so every record that is
emitted passes through it whatever its logger and level: a library upgrade that starts logging a
payload somewhere new still meets the same rules. It rewrites the record in place (message with
its lazily formatted `args`, traceback text, stack, `extra=` fields) in three passes:

1. library messages known to carry a request/response body or a gateway payload (logger name +
   message shape) keep their content-free head and lose the body;
2. in any text, the values of content keys (`text`, `value`, `content`, ...) in JSON, Python
   reprs and form bodies are withheld;
3. tokens are withheld by shape (Slack `xox?-`/`xapp-`, Discord bot tokens, interaction and
   webhook tokens in URLs, Authorization headers) and by value (the configured secrets).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

REDACTED = "[redacted]"
WITHHELD = "[withheld]"

# keys whose values are people's words (answers, DMs, reveals, modal input) or credentials
CONTENT_KEYS = (
    "text",
    "value",
    "content",
    "description",
    "initial_value",
    "submission",
    "fallback",
    "pretext",
    "input_value",
    "token",
    "response_url",
    "payload",
)
_KEYS = "|".join(CONTENT_KEYS)
# `"text": `, `'text': `, `\"text\":` (JSON inside a string) and `text=` (a keyword repr)
_QUOTED_KEY = re.compile(rf"(\\*)([\"'])(?:{_KEYS})\1\2\s*:\s*")
_KEYWORD_KEY = re.compile(rf"\b(?:{_KEYS})=(?=\\*[\"'])")
# a quoted string, its quote escaped as often as the opening one; an escaped quote inside it
# (preceded by a backslash) does not end it, so a doubt withholds more, never less
_STRING = re.compile(r"(\\*[\"']).*?(?<!\\)\1", re.DOTALL)
_FORM_VALUE = re.compile(rf"(?<![\w%])((?:{_KEYS})=)[^&\s'\",)]+")
_PERCENT_JSON = re.compile(rf"(%22(?:{_KEYS})%22(?:%20|\+)*%3A(?:%20|\+)*)%22.*?(?<!%5C)%22")

_TOKEN_SHAPES = (
    re.compile(r"\bx(?:ox[a-z]|app|wfp)(?:\.xox[a-z])?-[\w-]+"),  # Slack tokens
    # Discord bot tokens: base64 of the bot's id (always M, N or O first), time, HMAC
    re.compile(r"\b[MNO][A-Za-z\d]{22,27}\.[\w-]{6,7}\.[\w-]{27,}"),
    re.compile(r"\b(?:Bot|Bearer) [\w.-]{16,}"),  # Authorization header values
    re.compile(r"(?<=/interactions/)(\d+/)[^/\s?'\"]+"),  # interaction tokens in URLs
    re.compile(r"(?<=/webhooks/)(\d+/)[^/\s?'\"]+"),  # webhook tokens in URLs
    re.compile(r"hooks\.slack\.com/[^\s'\"]+"),  # Slack response URLs
)


@dataclass(frozen=True)
class Shape:
    """A library message that carries a body: `pattern` keeps its head, drops the rest."""

    loggers: tuple[str, ...]
    pattern: re.Pattern[str]
    replacement: str | Callable[[re.Match[str]], str]

    def applies(self, logger: str) -> bool:
        return any(logger == name or logger.startswith(f"{name}.") for name in self.loggers)


_SLACK = ("slack_bolt", "slack_sdk")
_DISCORD = ("discord",)
# labels after which slack-bolt and slack_sdk put a body, a payload, an event or headers
_SLACK_LABELS = r"body|data|payload|message|json|params|files|headers|extra|bytes|event"
SHAPES = (
    Shape(
        _SLACK,
        re.compile(r"(Invalid request signature detected) \(.*?timestamp: ([^,]*).*", re.DOTALL),
        rf"\1 (timestamp: \2; signature and body {WITHHELD})",
    ),
    Shape(
        _SLACK,
        re.compile(r"(for the request) \(.*", re.DOTALL),
        rf"\1 ({WITHHELD})",
    ),
    Shape(
        _SLACK,
        re.compile(rf"(?is)^(.*?\b(?:{_SLACK_LABELS})\s*:\s).*"),
        lambda m: m[1] + WITHHELD + _closing(m[1]),
    ),
    Shape(
        _DISCORD,
        re.compile(r"^(\S+ \S+) with .* (has returned \S+)$", re.DOTALL),
        rf"\1 (body {WITHHELD}) \2",
    ),
    Shape(
        _DISCORD,
        re.compile(r"^(\S+ \S+ has received) .*", re.DOTALL),
        rf"\1 {WITHHELD}",
    ),
    Shape(
        _DISCORD,
        re.compile(r"(WebSocket Event): .*", re.DOTALL),
        rf"\1: {WITHHELD}",
    ),
    Shape(
        ("sqlalchemy.engine",),
        re.compile(r"^(Row) .*", re.DOTALL),
        rf"\1 {WITHHELD}",
    ),
)


def _closing(head: str) -> str:
    """The parenthesis `head` left open, so a cut line still reads `(data: [withheld])`."""
    return ")" if head.count("(") > head.count(")") else ""


class SecretValues:
    """Replaces each configured secret (and its JSON-escaped form) with a marker."""

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = {form for s in secrets if len(s) >= 4 for form in (s, json.dumps(s)[1:-1])}
        self._secrets = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def withhold_content(text: str) -> str:
    """`text` with the value of every content key withheld (JSON, repr, form, percent-encoded)."""
    text = _FORM_VALUE.sub(rf"\1{WITHHELD}", text)
    text = _PERCENT_JSON.sub(rf"\1{WITHHELD}", text)
    return _withhold_values(_withhold_values(text, _QUOTED_KEY), _KEYWORD_KEY)


def _withhold_values(text: str, key: re.Pattern[str]) -> str:
    out: list[str] = []
    pos = 0
    for match in key.finditer(text):
        if match.start() < pos:
            continue  # inside a value already withheld
        end = _value_end(text, match.end())
        if end == match.end():
            continue  # a number, null or bool: not a person's words
        out += [text[pos : match.end()], WITHHELD]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _value_end(text: str, start: int) -> int:
    """Where the quoted string, object or list starting at `start` ends (`start`: none)."""
    quoted = _STRING.match(text, start)
    if quoted:
        return quoted.end()
    if start >= len(text) or text[start] not in "{[":
        return start
    depth, i = 0, start
    while i < len(text):
        inner = _STRING.match(text, i) if text[i] in "\\\"'" else None
        if inner:
            i = inner.end()
            continue
        if text[i] in "{[":
            depth += 1
        elif text[i] in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)  # cut short: withhold the rest


def withhold_tokens(text: str) -> str:
    for shape in _TOKEN_SHAPES:
        text = shape.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, text)
    return text


class PrivacyFilter(logging.Filter):
    """Rewrites every record so that no content and no token is left in it (see module doc)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = SecretValues(secrets)
        self._plain = logging.Formatter()

    def clean(self, text: str) -> str:
        return self._secrets(withhold_tokens(withhold_content(text)))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._clean_record(record)
        except Exception:  # fail closed: the caller's logging call must neither raise nor leak
            record.msg, record.args = f"log line {WITHHELD}: it could not be cleaned", None
            record.exc_info = record.exc_text = record.stack_info = None
            for name in extra_fields(record):
                setattr(record, name, WITHHELD)
        return True

    def _clean_record(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        for shape in SHAPES:
            if shape.applies(record.name):
                message = shape.pattern.sub(shape.replacement, message, count=1)
        record.msg, record.args = self.clean(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._plain.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        for name in extra_fields(record):
            setattr(record, name, self._scrub(name, getattr(record, name)))

    def _scrub(self, key: str, value: Any) -> Any:
        if key in CONTENT_KEYS and isinstance(value, str | dict | list | tuple):
            return WITHHELD
        if isinstance(value, str):
            return self.clean(value)
        if isinstance(value, dict):
            return {k: self._scrub(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._scrub("", v) for v in value]
        if isinstance(value, int | float | bool) or value is None:
            return value
        return self.clean(str(value))


_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def extra_fields(record: logging.LogRecord) -> list[str]:
    """The names a caller added with `extra=` (everything a bare record does not have)."""
    return [k for k in record.__dict__ if k not in _STANDARD_ATTRS]
