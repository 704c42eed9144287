"""Suite-wide fixtures: fail on library ERRORs, restore root logging, clear proxies."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

WATCHED_LOGGERS = ("discord", "slack_bolt", "slack_sdk", "bot")


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def fail_on_library_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Both platform libraries log handler exceptions instead of raising them."""
    collector = _ErrorCollector()
    loggers = [logging.getLogger(name) for name in WATCHED_LOGGERS]
    for logger in loggers:
        logger.addHandler(collector)
    yield
    for logger in loggers:
        logger.removeHandler(collector)
    if collector.records and not request.node.get_closest_marker("allow_error_logs"):
        lines = [f"{r.name}: {r.getMessage()}" for r in collector.records]
        pytest.fail("library logged errors:\n" + "\n".join(lines))


@pytest.fixture(autouse=True)
def restore_root_logging() -> Iterator[None]:
    """A CLI test installs Rapport's handler on pytest's per-test stderr, which is closed after
    the test: put the root logger's handlers and level back so later tests don't write there."""
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


@pytest.fixture(autouse=True, scope="session")
def no_proxies() -> None:
    """slack_sdk honours HTTP(S)_PROXY and ignores NO_PROXY; tests talk to 127.0.0.1 only."""
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        os.environ.pop(name, None)
