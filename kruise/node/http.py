"""The agent's HTTP server (the kubelet's port): container logs, stats, health.

GET /containerLogs/{namespace}/{pod}/{container}?previous=&follow=&tailLines=&timestamps=
GET /stats      image pull statistics and the Pods on this node
GET /pods       the Pods this node runs
GET /healthz
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .logs import follow_log, read_log

if TYPE_CHECKING:
    from .agent import NodeAgent


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def build_app(agent: NodeAgent) -> web.Application:
    app = web.Application()

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(agent.stats())

    async def pods(_: web.Request) -> web.Response:
        return web.json_response({"kind": "PodList", "apiVersion": "v1", "items": agent.pods()})

    async def container_logs(request: web.Request) -> web.StreamResponse:
        ns, pod, container = (request.match_info[k] for k in ("namespace", "pod", "container"))
        worker = agent.worker_for(ns, pod)
        if worker is None:
            return web.Response(status=404, text=f'pod "{pod}" not found in namespace "{ns}"\n')
        q = request.query
        inst, problem = worker.log_source(container, _truthy(q.get("previous")))
        if inst is None or inst.log_path is None:
            return web.Response(status=400, text=problem + "\n")
        tail: int | None = None
        if q.get("tailLines"):
            try:
                tail = max(0, int(q["tailLines"]))
            except ValueError:
                return web.Response(status=400, text="tailLines must be an integer\n")
        timestamps = _truthy(q.get("timestamps"))
        if not _truthy(q.get("follow")):
            body = read_log(inst.log_path, tail_lines=tail, timestamps=timestamps)
            return web.Response(body=body, content_type="text/plain")
        resp = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
        await resp.prepare(request)
        running: Callable[[], bool] = lambda: inst.running and not worker.done.is_set()  # noqa: E731
        async for chunk in follow_log(inst.log_path, running, tail_lines=tail, timestamps=timestamps):
            await resp.write(chunk)
        await resp.write_eof()
        return resp

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/stats", stats)
    app.router.add_get("/pods", pods)
    app.router.add_get("/containerLogs/{namespace}/{pod}/{container}", container_logs)
    return app


class AgentServer:
    def __init__(self, agent: NodeAgent, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._runner = web.AppRunner(build_app(agent), access_log=None)

    async def start(self) -> int:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server: Any = site._server  # the bound socket tells the port when 0 was asked for
        self.port = server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        await self._runner.cleanup()
