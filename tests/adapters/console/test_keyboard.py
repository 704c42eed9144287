"""The terminal keyboard reads lines through the event loop; Ctrl-C and timeouts end a wait."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
from collections.abc import Iterator

import pytest
from rich.console import Console

from bot.adapters.console.keyboard import CTRL_C_EXIT, Interrupts, Quit, TerminalKeyboard


@pytest.fixture
def pipe() -> Iterator[tuple[io.TextIOWrapper, int]]:
    read_fd, write_fd = os.pipe()
    reader = os.fdopen(read_fd, "r", encoding="utf-8")
    yield reader, write_fd
    reader.close()
    with contextlib.suppress(OSError):  # a test may have closed it to end the input
        os.close(write_fd)


def _keyboard(reader: io.TextIOWrapper) -> tuple[TerminalKeyboard, io.StringIO]:
    shown = io.StringIO()
    console = Console(file=shown, force_terminal=False, width=80)
    return TerminalKeyboard(console, Interrupts(), reader), shown


async def test_lines_arrive_one_at_a_time_and_the_prompt_is_shown(
    pipe: tuple[io.TextIOWrapper, int],
) -> None:
    reader, write_fd = pipe
    keyboard, shown = _keyboard(reader)
    os.write(write_fd, "y\n/Swap\r\nbröd".encode())
    assert await keyboard.line("Accept? ") == "y"
    assert await keyboard.line("Answer? ") == "/Swap"
    os.close(write_fd)
    assert await keyboard.line("Answer? ") == "bröd"  # a last line without a newline counts
    with pytest.raises(EOFError):
        await keyboard.line("Answer? ")
    assert shown.getvalue().startswith("Accept? Answer? ")


async def test_a_wait_for_a_line_can_be_ended_by_ctrl_c(
    pipe: tuple[io.TextIOWrapper, int],
) -> None:
    keyboard, _ = _keyboard(pipe[0])
    # pressed once the read is under way: the pipe stays empty, so only Ctrl-C can end it
    asyncio.get_running_loop().call_soon(keyboard.interrupts.pressed.set)
    with pytest.raises(Quit) as ended:
        await asyncio.wait_for(keyboard.line("Answer? "), 5)
    assert ended.value.exit_code == CTRL_C_EXIT


async def test_interrupts_wait_returns_results_and_raises_on_timeout() -> None:
    interrupts = Interrupts()
    assert await interrupts.wait(asyncio.sleep(0, result="done"), timeout=5) == "done"
    with pytest.raises(TimeoutError):
        await interrupts.wait(asyncio.Event().wait(), timeout=0.01)
    interrupts.pressed.set()
    with pytest.raises(Quit):
        await interrupts.wait(asyncio.sleep(0), timeout=5)
