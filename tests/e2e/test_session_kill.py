"""SIGKILL a real process half-way through a 200-member session; a restart invites each once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.slow


def _start(db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.session_worker", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _wait_for_starts(process: subprocess.Popen[str], count: int) -> int:
    assert process.stdout is not None
    seen = 0
    for line in process.stdout:  # blocks until the worker reports progress; no sleeping
        seen += line.strip() == "started"
        if seen >= count:
            return seen
    raise AssertionError(f"worker ended after {seen} rounds: {process.stderr.read()[-2000:]}")


def test_a_killed_session_resumes_and_invites_every_member_exactly_once(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    first = _start(db)
    try:
        _wait_for_starts(first, 30)
        first.send_signal(signal.SIGKILL)
    finally:
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    half = Counter(
        r[0]
        for r in sqlite3.connect(db).execute(
            "select member_key from outbox where kind = 'invitation'"
        )
    )
    assert 0 < len(half) < 200, "the kill must land half-way through the session"

    second = _start(db)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err[-2000:]
    assert "done" in out
    invited = Counter(
        r[0]
        for r in sqlite3.connect(db).execute(
            "select member_key from outbox where kind = 'invitation'"
        )
    )
    assert len(invited) == 200 and set(invited.values()) == {1}
    (status,) = sqlite3.connect(db).execute("select status from schedule_sessions").fetchone()
    assert status == "done"
