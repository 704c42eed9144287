"""The person at the terminal: lines read without blocking the event loop, and a clean way out.

`input()` in a worker thread can't be interrupted: the first Ctrl-C cancelled the demo but
asyncio then waited for that thread forever, and the second one printed a traceback. Here the
event loop watches stdin itself, and Ctrl-C only sets a flag that the demo's waits check, so
the round's database work is never cut off halfway. The terminal's modes are never changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Iterator
from typing import Protocol, TextIO, TypeVar

from rich.console import Console

T = TypeVar("T")
CTRL_C_EXIT = 130  # what a shell reports for a program ended by SIGINT


class Quit(Exception):
    """The person ended the demo: Ctrl-C (exit 130) or Ctrl-D, the end of input (exit 0)."""

    def __init__(self, exit_code: int) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code


class Interrupts:
    """Turns Ctrl-C into a flag that `wait` checks, instead of an exception at any await."""

    def __init__(self) -> None:
        self.pressed = asyncio.Event()

    @contextlib.contextmanager
    def catching(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGINT, self.pressed.set)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            installed = False
        else:
            installed = True
        try:
            yield
        finally:
            if installed:
                loop.remove_signal_handler(signal.SIGINT)

    async def wait(self, awaitable: Awaitable[T], timeout: float | None = None) -> T:
        """The awaitable's result; Quit once Ctrl-C is pressed, TimeoutError after `timeout`."""
        work = asyncio.ensure_future(awaitable)
        if self.pressed.is_set():
            work.cancel()
            raise Quit(CTRL_C_EXIT)
        pressed = asyncio.ensure_future(self.pressed.wait())
        try:
            await asyncio.wait({work, pressed}, timeout=timeout, return_when="FIRST_COMPLETED")
        finally:
            pressed.cancel()
        if work.done():
            return work.result()
        work.cancel()
        if self.pressed.is_set():
            raise Quit(CTRL_C_EXIT)
        raise TimeoutError


class Keyboard(Protocol):
    async def line(self, prompt: str) -> str:
        """The next line typed after showing `prompt` (markup allowed); EOFError at the end."""
        ...


class TerminalKeyboard:
    """Reads stdin through the event loop, so Ctrl-C and Ctrl-D end a wait at once."""

    def __init__(self, console: Console, interrupts: Interrupts, stream: TextIO | None = None):
        self.console = console
        self.interrupts = interrupts
        stream = stream or sys.stdin
        self.fd = stream.fileno()
        self.encoding = stream.encoding or "utf-8"
        self._buffer = b""

    async def line(self, prompt: str) -> str:
        self.console.print(prompt, end="")
        return await self.interrupts.wait(self._next_line())

    async def _next_line(self) -> str:
        while b"\n" not in self._buffer:
            chunk = await self._chunk()
            if not chunk:  # Ctrl-D on an empty line, or the end of piped input
                if not self._buffer:
                    raise EOFError
                self._buffer += b"\n"
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode(self.encoding, errors="replace").rstrip("\r")

    async def _chunk(self) -> bytes:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            if not ready.done():
                ready.set_result(None)

        try:
            loop.add_reader(self.fd, readable)
        except PermissionError:  # a regular file can't be watched, and never blocks
            return os.read(self.fd, 4096)
        try:
            await ready
        finally:
            loop.remove_reader(self.fd)
        return os.read(self.fd, 4096)
