"""REST faults the fake Discord injects: refusals, responses lost after the work was done, and
random faults for crash trials.

Discord can fail a request in two ways that matter to a client: before doing anything (a 5xx
from its edge, a 429) or after doing it (the message is stored, then the response is a 5xx, is
held until the client gives up, or the connection drops). `Fault.after_handler` says which.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

RATE_LIMIT_HEADERS = {
    "Via": "1.1 google",  # without it discord.py assumes a Cloudflare ban and raises
    "X-RateLimit-Limit": "5",
    "X-RateLimit-Remaining": "0",
    "X-RateLimit-Bucket": "fake-bucket",
}
DROP = -1  # the connection is closed without any response
HOLD = -2  # no response until the hold is released (the client times out first)


@dataclass
class Fault:
    """One injected outcome. `status` is an HTTP status, DROP or HOLD; with `after_handler`
    the request is carried out first (the message is stored) and only its answer is lost."""

    status: int
    body: dict[str, object] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    after_handler: bool = False


def rate_limited(retry_after: float, *, is_global: bool = False) -> Fault:
    """A 429 discord.py honours: JSON `retry_after`, `Via` and `X-RateLimit-*` headers."""
    headers = {
        **RATE_LIMIT_HEADERS,
        "Retry-After": str(max(1, round(retry_after))),
        "X-RateLimit-Reset-After": str(retry_after),
        "X-RateLimit-Scope": "global" if is_global else "user",
    }
    body: dict[str, object] = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": is_global,
    }
    return Fault(429, body, headers)


def server_error(status: int = 502, *, after_handler: bool = False) -> Fault:
    return Fault(status, {"message": "Bad Gateway", "code": 0}, after_handler=after_handler)


@dataclass
class Chaos:
    """Random faults on some routes, from a seeded generator (crash trials).

    Of the requests it touches, `server_errors` get a 5xx (a share `stored` of them after the
    message was stored), `rate_limits` a 429 with `retry_after`, and `drops` are stored and then
    lose their connection. 500/502/504 are retried inside discord.py (after 1 + 2n s), 503 not.
    """

    routes: Sequence[tuple[str | None, re.Pattern[str]]]
    server_errors: float = 0.05
    rate_limits: float = 0.05
    drops: float = 0.0
    stored: float = 0.5
    retry_after: float = 0.3
    statuses: Sequence[int] = (500, 502, 503)
    seed: int = 0
    injected: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def pick(self, method: str, path: str) -> Fault | None:
        if not any(m in (None, method) and p.fullmatch(path) for m, p in self.routes):
            return None
        roll = self._rng.random()
        fault: Fault | None = None
        if roll < self.server_errors:
            after = self._rng.random() < self.stored
            fault = server_error(self._rng.choice(list(self.statuses)), after_handler=after)
            name = "5xx_stored" if after else "5xx"
        elif roll < self.server_errors + self.rate_limits:
            fault, name = rate_limited(self.retry_after), "429"
        elif roll < self.server_errors + self.rate_limits + self.drops:
            fault, name = Fault(DROP, after_handler=True), "dropped"
        if fault is not None:
            self.injected[name] = self.injected.get(name, 0) + 1
        return fault
