"""No person-facing string bypasses the translation layer.

Two checks: an AST scan of the modules that build what members and leads read (every literal
that reads like prose sits inside `_()`, `N_()`, `ngettext()` or `N_plural()`, or is a log line,
an exception for operators, or a listed exception), and every delivery rendered in a pseudo
language whose catalog marks each message: a string that skipped `_()` shows up unmarked.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from babel.support import NullTranslations

from bot.engine.model import DeliveryKind
from bot.i18n.translate import Translator
from bot.messages.deliveries import render
from bot.messages.model import Names, Rendered

BOT = Path(__file__).resolve().parents[3] / "bot"
SCANNED = sorted(
    [
        *(BOT / "messages").glob("*.py"),
        *(BOT / "engine").glob("*.py"),
        *(BOT / "service").glob("*.py"),
        *(BOT / "reports").glob("*.py"),
        *(BOT / "adapters" / "slack").glob("*.py"),
        *(BOT / "adapters" / "discord").glob("*.py"),
        *(BOT / "adapters" / "console").glob("*.py"),
    ]
)
# operator tools, English by design: the CLI's team commands, the invite URL, the Slack manifest
# (Slack has no command localisation; the usage text a member sees follows their language)
# and the demo partner's scripted lines: content a member writes in a round, like the banks'
# example answers (the console demo plays in English)
SCANNED = [
    p for p in SCANNED if p.name not in ("team_cli.py", "invite.py", "manifest.py", "answers.py")
]
MARKERS = {"_", "N_", "ngettext", "N_plural"}
# calls whose string arguments people never read (operators read logs and exceptions in English)
NOT_SHOWN = {
    "debug", "info", "warning", "error", "exception", "critical", "log", "getLogger",
    "startswith", "endswith", "removeprefix", "split", "compile", "match", "fullmatch", "sub",
    "search", "strftime", "text", "Path", "TypeVar", "TransientSendError", "MaybeSentError",
    "ValueError", "RuntimeError", "SystemExit", "KeyError", "TypeError", "OperatorError",
    "create_async_engine", "AsyncIOScheduler", "bounded", "guard", "settle_later", "counted",
    "format_date", "format_time", "format_datetime",  # CLDR patterns, not text
}  # fmt: skip
# exceptions whose message a member reads (`Rejected`, a setting's refusal): marked like any text
SHOWN_ERRORS = {"Rejected", "SettingError"}
# literals that read like prose but are not shown to members (checked by hand)
ALLOWED = {
    "Rapport · ref ",  # a footer reference Rapport parses back
    "settling a clicked message",
    "settling a stale message",
    "an ephemeral refusal",
    "a command's reply",
    "telling a member by DM",
    "the inbox reply",  # bounded follow-up calls' labels, for logs
    "an inbox item",
    "Installing into many workspaces (SLACK_CLIENT_ID)",  # a start-up error's context
    "text/html; charset=utf-8",  # a Content-Type
    "after acknowledging",
    "before acknowledging",
    "This workspace's own questions, exported from Rapport.",  # the export file's description
    "team alone",  # a lint profile's name
    "Sam (demo partner)",  # the demo partner's name
    "gave up after {}: {}",  # an outbox row's error, for operators
    "HTTP {}, code {}",  # a log line's detail
    "settling message {}",  # a bounded wait's label, for logs
    "bold cyan",  # a terminal style
    "HTTP {}",  # an API error's detail, for logs
    "{} UTC",  # a timestamp
    "{} UTC: {}",  # a timestamp and the stored reason
    # stored with the schedule when a session is skipped (English, like the rest of the row)
    "missed the {} UTC session while offline",
}
WORDS = re.compile(r"[A-Za-z]{3,}")
MARKUP = re.compile(r"</?[A-Za-z!][^<>]*>")


def _reads_like_prose(text: str) -> bool:
    bare = re.sub(r"`[^`]*`|\{[^}]*\}", "x", text)
    if "://" in bare or "(?P<" in bare:
        return False  # URLs, patterns
    bare = MARKUP.sub(" ", bare)  # an HTML page's tags (its text is checked where it is made)
    if " " not in bare.strip():
        return False  # ids, keys, paths
    return bool(WORDS.findall(bare.replace("x", " ")))


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _docstrings(tree: ast.AST) -> set[ast.AST]:
    kinds = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {
        node.body[0].value
        for node in ast.walk(tree)
        if isinstance(node, kinds) and node.body and isinstance(node.body[0], ast.Expr)
    }


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _excused(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.Call):
            name = _call_name(parent)
            if name in MARKERS or name in NOT_SHOWN:
                return True
            if name in SHOWN_ERRORS:
                return False
        if isinstance(parent, ast.Dict) and child in parent.keys:
            return True
        if isinstance(parent, (ast.Compare, ast.Raise, ast.Assert)):
            return True
        if isinstance(parent, ast.Subscript) and child is parent.slice:
            return True
        if isinstance(parent, ast.stmt) and not isinstance(parent, (ast.Return, ast.Assign)):
            return isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and child in (
                parent.args.defaults + parent.args.kw_defaults
            )
        child, parent = parent, parents.get(parent)
    return False


def _bypassing(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    parents, docstrings = _parents(tree), _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if node in docstrings or isinstance(parents.get(node), ast.JoinedStr):
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(p.value if isinstance(p, ast.Constant) else "{}" for p in node.values)
        else:
            continue
        if _reads_like_prose(text) and text not in ALLOWED and not _excused(node, parents):
            found.append(f"{path.relative_to(BOT.parent)}:{node.lineno}: {text[:70]!r}")
    return found


def _names_bound_to_underscore(path: Path) -> list[int]:
    """`_` is the translation function: a local `_ = ...` in a function would shadow it."""
    tree = ast.parse(path.read_text())
    parents = _parents(tree)
    own_scope = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
            scope = parents.get(node)
            while scope is not None and not isinstance(scope, (*own_scope, ast.FunctionDef)):
                scope = parents.get(scope)
            if not isinstance(scope, own_scope):
                lines.append(node.lineno)
    return lines


def _imports_underscore(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    return any(
        isinstance(node, ast.ImportFrom) and any(alias.name == "_" for alias in node.names)
        for node in ast.walk(tree)
    )


def test_every_prose_literal_in_the_message_builders_is_marked() -> None:
    found = [hit for path in SCANNED for hit in _bypassing(path)]
    assert not found, "wrap these in _() (or N_() where shown later):\n" + "\n".join(found)


def test_the_scan_notices_an_unmarked_string(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        'def f(x):\n    return f"You and {x} are paired now."\n'
        'def g():\n    raise Rejected("late", "That round has already ended.")\n'
    )
    marked = tmp_path / "marked.py"
    marked.write_text(
        'def f(x):\n    return _("You and {x} are paired now.", x=x)\n'
        'def g():\n    raise Rejected("late", N_("That round has already ended."))\n'
        'def h():\n    raise ValueError("an operator reads this one")\n'
    )
    assert len(_bypassing_any(sneaky)) == 2 and not _bypassing_any(marked)


def _bypassing_any(path: Path) -> list[str]:
    global BOT
    saved, BOT = BOT, path.parent.parent
    try:
        return _bypassing(path)
    finally:
        BOT = saved


@pytest.mark.parametrize(
    "path", [p for p in SCANNED if _imports_underscore(p)], ids=lambda p: p.stem
)
def test_no_function_shadows_the_translation_function(path: Path) -> None:
    assert _names_bound_to_underscore(path) == []


# --- rendering in a pseudo language ---------------------------------------------------------


class _Marking(NullTranslations):
    """A catalog that "translates" every message to ⟦message⟧."""

    def gettext(self, message: str) -> str:
        return f"⟦{message}⟧"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"⟦{singular if n == 1 else plural}⟧"


PSEUDO = Translator("en", _Marking())
SAMPLES: dict[DeliveryKind, dict[str, Any]] = {
    DeliveryKind.INVITATION: {"initiator": "m:a", "others": ["m:a"], "max_layer": 3},
    DeliveryKind.INVITATION_ACCEPTED: {"by": "m:a"},
    DeliveryKind.DECLINED: {"unreachable": True},
    DeliveryKind.PROMPT: {"text": "p?", "layer": 2, "number_in_layer": 1, "reason": "deeper"},
    DeliveryKind.ANSWER_HELD: {},
    DeliveryKind.REVEAL: {"prompt_text": "p?", "answers": [{"member": "m:a", "text": "hi"}]},
    DeliveryKind.STAY: {"layer": 2},
    DeliveryKind.PARTNER_LEFT: {},
    DeliveryKind.LEFT: {},
    DeliveryKind.REMINDER: {"text": "p?"},
    DeliveryKind.EXPIRED: {},
    DeliveryKind.COMPLETED: {"prompts_revealed": 3, "layer_reached": 2},
    DeliveryKind.SESSION_SUMMARY: {"groups": 3, "trios": 1, "unplaced": 1, "next_session": "x"},
    DeliveryKind.NOT_PAIRED: {},
    DeliveryKind.SUGGESTION_DECIDED: {"approved": True, "text": "q?"},
    DeliveryKind.SESSION_REPORT: {
        "schedule_id": "s1", "found": 9, "paired": 6, "pairs": 3, "trios": 0, "people": 6,
        "opted_out": 1, "paused": 0, "bots": 1, "no_partner": 1, "delivered": 5, "failed": 1,
        "dms_closed": 1, "pending": 1, "follow_up_days": 7,
    },
    DeliveryKind.REPORT_FOLLOW_UP: {
        "schedule_id": "s1", "depths": {"0": 1, "2": 2}, "rated": 5, "average_rating": 5.5,
        "groups": 3, "accepted": 3, "completed": 2, "people": 6,
    },
    DeliveryKind.STATS_DIGEST: {
        "month": "December 2026", "since": "2026-12-01T00:00:00+00:00",
        "figures": {
            "people": 6, "rounds": 3, "completed": 1, "opened": [2, 1, 0, 0],
            "revealed": [2, 0, 0, 0], "funnel": [3, 1, 0, 0], "ratings": [0, 0, 0, 1, 2, 2, 0],
            "reciprocation": {
                "p10": 0.2, "p25": 0.5, "median": 1.5, "p75": 3.0, "p90": 6.0, "count": 4,
            },
        },
    },
    DeliveryKind.DMS_CLOSED_NOTICE: {"members": ["m:a"]},
    DeliveryKind.FOLLOW_UP_HELD: {},
    DeliveryKind.FOLLOW_UP_QUESTIONS: {"questions": [{"member": "m:a", "text": "q?"}]},
    DeliveryKind.FOLLOW_UP_REVEAL: {
        "questions": [{"member": "m:a", "text": "q?"}, {"member": "m:b", "text": "q?"}],
        "answers": [{"member": "m:a", "text": "hi"}, {"member": "m:b", "text": "hi"}],
    },
    DeliveryKind.FOLLOW_UPS_PASSED: {},
    DeliveryKind.CHECK_IN: {"layer": 2},
    DeliveryKind.KEPT_GOING: {"layer": 1},
}  # fmt: skip


def _visible(rendered: Rendered) -> list[str]:
    headings = [s.heading for s in rendered.sections if s.heading != "m:a"]
    return [rendered.title, *rendered.body, *headings, *(b.label for b in rendered.buttons)]


@pytest.mark.parametrize("kind", list(DeliveryKind), ids=lambda k: k.value)
def test_every_delivery_reads_only_translated_text(kind: DeliveryKind) -> None:
    rendered = render(kind, SAMPLES[kind], Names(lambda key: key, "m:b"), PSEUDO)
    plain = [text for text in _visible(rendered) if "⟦" not in text and text not in ("p?",)]
    assert not plain, plain
