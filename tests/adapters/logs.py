"""Rapport's production log handler writing into a buffer that a test can read and wait on.

Privacy tests read what the *handler* emitted (the filter lives there), never `caplog`. Library
loggers are forced down to the test's level after set-up, as a library upgrade or an operator
lowering a cap would: what keeps content out of the log must not be those levels.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Iterable, Iterator

from bot.ops.logging import LIBRARY_CAPS, configure_logging

LIBRARIES = ("discord", "slack_bolt", "slack_sdk", "aiohttp", "sqlalchemy", "alembic")


class LogStream(io.StringIO):
    """Everything the handler wrote; `wait_for(text)` waits until `text` shows up."""

    def __init__(self) -> None:
        super().__init__()
        self._written: asyncio.Event | None = None

    def write(self, text: str) -> int:
        written = super().write(text)
        if self._written is not None:
            self._written.set()
        return written

    async def wait_for(self, text: str, timeout: float = 5.0) -> None:
        self._written = asyncio.Event()
        try:
            async with asyncio.timeout(timeout):
                while text not in self.getvalue():
                    self._written.clear()
                    await self._written.wait()
        except TimeoutError:
            raise AssertionError(f"{text!r} not logged within {timeout}s") from None


def leaks(output: str, secrets: Iterable[str]) -> list[str]:
    """The lines of `output` that contain any of `secrets`."""
    return [line for line in output.splitlines() if any(s in line for s in secrets)]


@contextlib.contextmanager
def production_logs(level: str, secrets: Iterable[str] = ()) -> Iterator[LogStream]:
    """`configure_logging(level)` as `rapport run` does, into a buffer; every library logger
    then logs at `level` too. Root handlers and every level touched are restored afterwards."""
    root = logging.getLogger()
    names = set(LIBRARY_CAPS) | set(LIBRARIES)
    saved = list(root.handlers), root.level, {n: logging.getLogger(n).level for n in names}
    stream = LogStream()
    configure_logging(level, secrets=secrets, stream=stream, json_lines=True)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(level)
    try:
        yield stream
    finally:
        handlers, root_level, levels = saved
        root.handlers[:] = handlers
        root.setLevel(root_level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)
        logging.captureWarnings(False)
