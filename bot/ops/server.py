"""The ops HTTP endpoints: `/healthz` (JSON; 200 healthy, 503 not) and `/metrics` (Prometheus).

`rapport run` serves them on `RAPPORT_HTTP_PORT`. In Slack HTTP mode the Slack runtime owns that
port: it adds these routes to its own `web.Application` with `add_ops_routes(app, rapport)`, and
the runner starts no second server. Otherwise the ops server also serves the routes a runtime
offers (`web_routes()`: Slack's install pages in Socket Mode).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.ops import metrics

if TYPE_CHECKING:
    from bot.bootstrap import Rapport
    from bot.config import Settings

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


def ops_routes(rapport: Rapport) -> list[web.RouteDef]:
    """`GET /healthz` and `GET /metrics` (HEAD too) for an aiohttp application."""

    async def healthz(request: web.Request) -> web.Response:
        snapshot = await rapport.health.snapshot()
        return web.json_response(snapshot.as_dict(), status=200 if snapshot.healthy else 503)

    async def metrics_page(request: web.Request) -> web.Response:
        try:
            await metrics.refresh(rapport.db, rapport.health)
        except Exception as err:  # still serve what we have: latency and 429 counters
            log.warning("metrics: database counts unavailable: %s", type(err).__name__)
        body, content_type = metrics.render()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    return [web.get(HEALTH_PATH, healthz), web.get(METRICS_PATH, metrics_page)]


def add_ops_routes(app: web.Application, rapport: Rapport) -> None:
    """Add `/healthz` and `/metrics` to an existing application (before it starts)."""
    app.add_routes(ops_routes(rapport))


def create_app(rapport: Rapport, routes: Sequence[web.RouteDef] = ()) -> web.Application:
    app = web.Application()
    add_ops_routes(app, rapport)
    app.add_routes(routes)
    return app


class OpsServer:
    """Serves `create_app(rapport)` on a port (0 picks a free one; `port` tells which)."""

    def __init__(
        self,
        rapport: Rapport,
        port: int,
        host: str = "127.0.0.1",
        routes: Sequence[web.RouteDef] = (),
    ) -> None:
        self.rapport = rapport
        self.routes = routes
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(create_app(self.rapport, self.routes), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        log.info("ops: /healthz and /metrics on %s port %d", self.host, self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def serves_http_itself(settings: Settings) -> bool:
    """Slack HTTP mode owns RAPPORT_HTTP_PORT and mounts the ops routes on it."""
    return settings.slack_configured and settings.slack_mode == "http"


async def start_ops_server(
    settings: Settings, rapport: Rapport, runtimes: Sequence[Any] = ()
) -> OpsServer | None:
    """For `rapport run`: register adapters with health, then serve the ops routes if needed."""
    for runtime in runtimes:
        if hasattr(runtime, "connected"):
            rapport.health.register_adapter(runtime.platform, runtime)
    if serves_http_itself(settings):
        return None
    routes = [route for rt in runtimes for route in getattr(rt, "web_routes", list)()]
    server = OpsServer(rapport, settings.http_port, settings.http_host, routes)
    try:
        await server.start()
    except OSError as err:
        log.error("ops: cannot serve /healthz and /metrics on port %d: %s", server.port, err)
        return None
    return server
