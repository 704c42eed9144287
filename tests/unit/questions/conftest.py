"""Helpers that write small bank files into a test's tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

BankWriter = Callable[..., Path]


EXAMPLE = "A short, warm answer written for this test."


def prompt(pid: str, layer: int, topic: str, text: str, **extra: Any) -> dict[str, Any]:
    """A prompt entry; it has an example answer unless `example=None` is given."""
    entry = {"id": pid, "layer": layer, "topic": topic, "text": text, "example": EXAMPLE, **extra}
    return {k: v for k, v in entry.items() if not (k == "example" and v is None)}


CLEAN_PROMPTS = [
    prompt("cl-1-morning-01", 1, "morning", "What is the first thing you do after you wake up?"),
    prompt("cl-1-morning-02", 1, "morning", "Which drink starts your day off well, and why?"),
    prompt("cl-1-music-01", 1, "music", "What song is stuck in your head this week?"),
    prompt(
        "cl-1-music-02",
        1,
        "music",
        "Where do you listen to music, and how did that start?",
        hierarchy_safe=False,
    ),
]


def bank_doc(name: str, prompts: list[dict[str, Any]], **header: Any) -> dict[str, Any]:
    topics = sorted({p["topic"] for p in prompts if isinstance(p, dict) and "topic" in p})
    doc = {
        "bank": name,
        "title": name.title(),
        "audience": "workplace",
        "description": "A bank written by a test.",
        "topics": topics,
        "prompts": prompts,
    }
    doc.update(header)
    return doc


@pytest.fixture
def write_bank(tmp_path: Path) -> BankWriter:
    """write_bank(name, prompts, directory=None, **header) -> path of `<name>.yaml`."""

    def write(
        name: str, prompts: list[dict[str, Any]], directory: Path | None = None, **header: Any
    ) -> Path:
        folder = directory or tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(bank_doc(name, prompts, **header), sort_keys=False))
        return path

    return write
