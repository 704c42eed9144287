"""The real `python -m bot demo` in a pseudo-terminal, typed at as a person would.

Each run waits on the output it expects (with a timeout), never on the clock, and checks the
exit code, that no traceback was printed and that the terminal still echoes lines afterwards.
"""

from __future__ import annotations

import io
import os
import sys
import termios
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

pytestmark = pytest.mark.slow

EXPECT_SECONDS = 30  # generous for a loaded machine; a healthy run answers in well under 1 s
ANSWER = "Your answer (or"
FOLLOW_UP = "Ask a follow-up?"


class Demo:
    def __init__(self, tmp_path: Path) -> None:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "RAPPORT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'pty.db'}",
            "TERM": "dumb",  # no colours or cursor codes between the words we wait for
            "NO_COLOR": "1",
        }
        self.transcript = io.StringIO()
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "bot", "demo"],
            env=env,
            encoding="utf-8",
            timeout=EXPECT_SECONDS,
            dimensions=(50, 120),
        )
        self.child.logfile_read = self.transcript

    def wait_for(self, text: str) -> None:
        self.child.expect_exact(text)

    def type(self, line: str) -> None:
        self.child.sendline(line)

    def finish(self) -> int:
        """Waits for the demo to exit; its exit code (128 + n if a signal killed it)."""
        self.child.expect(pexpect.EOF)
        lflag = termios.tcgetattr(self.child.child_fd)[3]
        assert lflag & termios.ECHO and lflag & termios.ICANON, "the terminal was left raw"
        self.child.close()
        if self.child.signalstatus is not None:
            return 128 + self.child.signalstatus
        return int(self.child.exitstatus)

    @property
    def output(self) -> str:
        return self.transcript.getvalue()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(tmp_path)
    yield running
    if running.child.isalive():
        running.child.terminate(force=True)


def test_unknown_command_swap_stay_and_a_skipped_follow_up_go_on_and_one_ctrl_c_ends_quietly(
    demo: Demo,
) -> None:
    demo.wait_for("Accept? (y/n)")
    demo.type("y")
    demo.wait_for(ANSWER)
    demo.type("/foo")
    demo.wait_for("I don't know /foo — try /help")
    demo.wait_for(ANSWER)
    demo.type("/Swap")
    demo.wait_for("A new prompt was drawn")
    demo.wait_for(ANSWER)
    demo.type("/stay")
    demo.wait_for("Done. This round won't go any deeper.")
    demo.wait_for("Back to the prompt:")
    demo.wait_for(ANSWER)
    demo.type("My first answer.")
    demo.wait_for("Everyone answered")
    demo.wait_for(FOLLOW_UP)
    demo.type("")  # Enter: no follow-up this time
    demo.wait_for("No follow-ups this time")
    demo.wait_for(ANSWER)
    demo.child.sendcontrol("c")
    demo.wait_for("Demo ended")
    assert demo.finish() in (0, 130), demo.output
    assert "Traceback" not in demo.output
    assert "stalled" not in demo.output


def test_declining_the_invitation_ends_kindly_with_exit_0(demo: Demo) -> None:
    demo.wait_for("Accept? (y/n)")
    demo.type("n")
    demo.wait_for("No problem. Maybe another time.")
    demo.wait_for("What's next")
    assert demo.finish() == 0, demo.output
    assert "Traceback" not in demo.output


def test_ctrl_d_at_a_prompt_ends_quietly_with_exit_0(demo: Demo) -> None:
    demo.wait_for("Accept? (y/n)")
    demo.type("y")
    demo.wait_for(ANSWER)
    demo.child.sendeof()
    demo.wait_for("Demo ended")
    assert demo.finish() == 0, demo.output
    assert "Traceback" not in demo.output and "EOFError" not in demo.output


def test_ctrl_c_at_the_invitation_ends_quietly(demo: Demo) -> None:
    demo.wait_for("Accept? (y/n)")
    demo.child.sendcontrol("c")
    demo.wait_for("Demo ended")
    assert demo.finish() in (0, 130), demo.output
    assert "Traceback" not in demo.output and "KeyboardInterrupt" not in demo.output
