"""The manager: owns the client, shared informers, controllers, leader election, events, and the
health/metrics endpoint. Controllers run only on the leader; other runnables (webhook servers) run
on every replica."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .controller import Controller
from .events import EventRecorder
from .informer import SharedInformerFactory
from .leaderelection import LeaderElectionConfig, LeaderElector
from .resources import EVENTS
from .rest import Client

log = logging.getLogger("kruise.manager")

Runnable = Callable[[], Awaitable[None]]


class ClientEventSink:
    def __init__(self, client: Client) -> None:
        self.client = client

    async def create_event(self, namespace: str, event: dict[str, Any]) -> dict[str, Any]:
        return await self.client.create(EVENTS, event, namespace=namespace)

    async def patch_event(self, namespace: str, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        return await self.client.patch(EVENTS, name, patch, namespace=namespace, patch_type="merge")


@dataclass
class ManagerOptions:
    identity: str
    leader_election: LeaderElectionConfig | None = None
    health_bind: str = "127.0.0.1"
    health_port: int = 8081  # 0 picks a free port
    component: str = "kruise-manager"


@dataclass
class _Runnable:
    fn: Runnable
    leader_only: bool
    name: str


@dataclass
class Manager:
    client: Client
    options: ManagerOptions
    controllers: list[Controller] = field(default_factory=list)
    _runnables: list[_Runnable] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.informers = SharedInformerFactory(self.client)
        self.recorder = EventRecorder(
            ClientEventSink(self.client), self.options.component, self.options.identity
        )
        self.leading = asyncio.Event()
        self.started = asyncio.Event()  # health endpoint up, runnables started
        self.ready = False
        self.health_port = self.options.health_port

    def add_controller(self, controller: Controller) -> None:
        self.controllers.append(controller)

    def add_runnable(self, fn: Runnable, *, leader_only: bool, name: str = "") -> None:
        self._runnables.append(_Runnable(fn, leader_only, name or getattr(fn, "__name__", "runnable")))

    # ------------------------------------------------------------------ run
    async def run(self, stop: asyncio.Event) -> None:
        runner = await self._serve_health()
        self.recorder.start()
        tasks = [asyncio.create_task(r.fn(), name=r.name) for r in self._runnables if not r.leader_only]
        if self.options.leader_election is not None:
            elector = LeaderElector(self.client, self.options.leader_election)
            tasks.append(asyncio.create_task(elector.run(self._lead), name="leader-election"))
        else:
            tasks.append(asyncio.create_task(self._lead(), name="controllers"))
        self.ready = True
        self.started.set()
        stopper = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({stopper, *tasks}, return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                if t is not stopper and t.exception() is not None:
                    log.error("event=runnable_failed name=%s error=%r", t.get_name(), t.exception())
        finally:
            self.ready = False
            for t in [stopper, *tasks]:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.recorder.stop()
            await self.informers.stop_all()
            await runner.cleanup()
            log.info("event=manager_stopped identity=%s", self.options.identity)

    async def _lead(self) -> None:
        self.leading.set()
        try:
            self.informers.start_all()
            await self.informers.wait_for_cache_sync()
            jobs = [c.run() for c in self.controllers]
            jobs += [r.fn() for r in self._runnables if r.leader_only]
            log.info("event=leading identity=%s controllers=%d", self.options.identity, len(self.controllers))
            if jobs:
                await asyncio.gather(*jobs)
            else:
                await asyncio.Event().wait()
        finally:
            self.leading.clear()

    # ------------------------------------------------------------------ health and metrics
    async def _serve_health(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_get("/healthz", _ok)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.options.health_bind, self.options.health_port)
        await site.start()
        server = site._server
        if server is not None and server.sockets:  # type: ignore[union-attr]
            self.health_port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return runner

    async def _readyz(self, _request: web.Request) -> web.Response:
        if self.ready:
            return web.Response(text="ok")
        return web.Response(status=503, text="not ready")

    async def _metrics(self, _request: web.Request) -> web.Response:
        resp = web.Response(body=generate_latest())
        resp.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return resp


async def _ok(_request: web.Request) -> web.Response:
    return web.Response(text="ok")
