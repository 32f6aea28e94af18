"""The handlers probes and lifecycle hooks share: exec, httpGet, tcpSocket (and sleep for hooks)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .runtimes.base import Runtime

Obj = dict[str, Any]


@dataclass(frozen=True)
class ActionContext:
    runtime: Runtime
    container_id: str
    pod_ip: str
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)  # the container's named ports


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str = ""


def resolve_port(port: Any, ctx: ActionContext) -> int:
    if isinstance(port, int):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    if port in ctx.ports:
        return ctx.ports[port]
    raise ValueError(f"port {port!r} not found in the container's ports")


async def run_exec(action: Obj, ctx: ActionContext, timeout: float) -> Outcome:
    command = [str(a) for a in action.get("command") or []]
    if not command:
        return Outcome(False, "exec: no command")
    result = await ctx.runtime.exec_sync(ctx.container_id, command, ctx.env, timeout)
    if result.timed_out:
        return Outcome(False, f"command {command!r} timed out")
    output = result.output.decode("utf-8", "replace").strip()
    if result.exit_code != 0:
        return Outcome(False, f"command {command!r} exited with {result.exit_code}: {output}")
    return Outcome(True, output)


async def run_http_get(action: Obj, ctx: ActionContext, timeout: float) -> Outcome:
    try:
        port = resolve_port(action.get("port"), ctx)
    except ValueError as e:
        return Outcome(False, str(e))
    scheme = str(action.get("scheme") or "HTTP").lower()
    host = action.get("host") or ctx.pod_ip
    path = action.get("path") or "/"
    if not path.startswith("/"):
        path = "/" + path
    url = f"{scheme}://{host}:{port}{path}"
    headers = {"User-Agent": "kube-probe/1.30"}
    headers.update({h["name"]: h.get("value", "") for h in action.get("httpHeaders") or [] if h.get("name")})
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.get(url, headers=headers, ssl=False) as resp,
        ):
            await resp.read()
            if 200 <= resp.status < 400:
                return Outcome(True, f"HTTP {resp.status}")
            return Outcome(False, f"HTTP probe failed with statuscode: {resp.status}")
    except TimeoutError:
        return Outcome(False, f'Get "{url}": context deadline exceeded')
    except (aiohttp.ClientError, OSError) as e:
        return Outcome(False, f'Get "{url}": {e}')


async def run_tcp(action: Obj, ctx: ActionContext, timeout: float) -> Outcome:
    try:
        port = resolve_port(action.get("port"), ctx)
    except ValueError as e:
        return Outcome(False, str(e))
    host = action.get("host") or ctx.pod_ip
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError) as e:
        return Outcome(False, f"dial tcp {host}:{port}: {e or 'i/o timeout'}")
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return Outcome(True)


async def run_action(handler: Obj, ctx: ActionContext, timeout: float) -> Outcome:
    """Whichever single handler `handler` names (exec, httpGet, tcpSocket or sleep)."""
    if "exec" in handler:
        return await run_exec(handler["exec"], ctx, timeout)
    if "httpGet" in handler:
        return await run_http_get(handler["httpGet"], ctx, timeout)
    if "tcpSocket" in handler:
        return await run_tcp(handler["tcpSocket"], ctx, timeout)
    if "sleep" in handler:
        await asyncio.sleep(min(float((handler["sleep"] or {}).get("seconds") or 0), timeout))
        return Outcome(True)
    if "grpc" in handler:
        return Outcome(False, "grpc handlers are not supported by this node")
    return Outcome(False, "no handler specified")
