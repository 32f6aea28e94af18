"""The REST client against a real API server process: verbs, typed errors, patches, watch, retries."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from kruise.client import (
    AlreadyExists,
    BadRequest,
    Client,
    ClientConfig,
    Conflict,
    Gone,
    Invalid,
    NotFound,
    ServerError,
    TransportError,
    load_config,
)
from kruise.client.resources import CONFIGMAPS, NAMESPACES, NODES, PODS
from kruise.client.rest import RetryPolicy
from tests.conftest import ServerProcess, start_server
from tests.integration.client.helpers import pod


def cm(name: str, namespace: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels}, "data": {"k": "v"}}


async def test_load_config_from_the_servers_kubeconfig(apiserver: ServerProcess) -> None:
    cfg = load_config(str(apiserver.kubeconfig))
    assert cfg.server == apiserver.url
    async with Client(cfg) as c:
        ns = await c.get(NAMESPACES, "default")
        assert ns["kind"] == "Namespace"


async def test_crud_and_typed_errors(client: Client, namespace: str) -> None:
    created = await client.create(CONFIGMAPS, cm("a", namespace))
    assert created["metadata"]["uid"] and created["data"] == {"k": "v"}
    with pytest.raises(AlreadyExists) as exc:
        await client.create(CONFIGMAPS, cm("a", namespace))
    assert exc.value.status == 409

    got = await client.get(CONFIGMAPS, "a", namespace=namespace)
    assert got["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    with pytest.raises(NotFound) as nf:
        await client.get(CONFIGMAPS, "missing", namespace=namespace)
    assert nf.value.status == 404 and nf.value.details.get("name") == "missing"

    got["data"]["k"] = "v2"
    updated = await client.update(CONFIGMAPS, got)
    assert updated["data"]["k"] == "v2"
    got["data"]["k"] = "stale"  # got still carries the old resourceVersion
    with pytest.raises(Conflict) as conflict:
        await client.update(CONFIGMAPS, got)
    assert conflict.value.status == 409

    with pytest.raises(Invalid) as invalid:
        await client.create(CONFIGMAPS, cm("Not_A_Valid_Name", namespace))
    assert invalid.value.status == 422
    assert any(c.get("field") == "metadata.name" for c in invalid.value.causes)

    with pytest.raises(Conflict):
        await client.delete(CONFIGMAPS, "a", namespace=namespace, preconditions={"uid": "not-the-uid"})
    deleted = await client.delete(CONFIGMAPS, "a", namespace=namespace)
    assert deleted is None or deleted["metadata"]["name"] == "a"
    with pytest.raises(NotFound):
        await client.delete(CONFIGMAPS, "a", namespace=namespace)

    with pytest.raises(ValueError):
        await client.get(CONFIGMAPS, "a")  # namespaced without a namespace
    with pytest.raises(ValueError):
        await client.get(NODES, "n", namespace=namespace)


async def test_update_status_touches_only_status(client: Client, namespace: str) -> None:
    p = await client.create(PODS, pod("p", namespace))
    p["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    p["spec"]["activeDeadlineSeconds"] = 30  # ignored by the status subresource
    out = await client.update_status(PODS, p)
    assert out["status"]["phase"] == "Running"
    assert "activeDeadlineSeconds" not in out["spec"]


async def test_patch_types(client: Client, namespace: str) -> None:
    await client.create(PODS, pod("p", namespace, app="x"))
    merged = await client.patch(PODS, "p", {"metadata": {"labels": {"tier": "web"}}}, namespace=namespace)
    assert merged["metadata"]["labels"] == {"app": "x", "tier": "web"}

    ops = [{"op": "replace", "path": "/metadata/labels/app", "value": "y"}]
    jsonp = await client.patch(PODS, "p", ops, patch_type="json", namespace=namespace)
    assert jsonp["metadata"]["labels"]["app"] == "y"
    with pytest.raises(Invalid):  # kube answers a failing test op with 422
        await client.patch(
            PODS, "p", [{"op": "test", "path": "/metadata/labels/app", "value": "z"}],
            patch_type="json", namespace=namespace,
        )  # fmt: skip

    # strategic merge: containers merge by name instead of replacing the list
    smp = {"spec": {"containers": [{"name": "app", "image": "example.com/app:2"}]}}
    strategic = await client.patch(PODS, "p", smp, patch_type="strategic", namespace=namespace)
    assert [c["image"] for c in strategic["spec"]["containers"]] == ["example.com/app:2"]

    apply = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"owner": "a"}}}
    applied = await client.patch(
        PODS, "p", apply, patch_type="apply", field_manager="mgr-a", namespace=namespace
    )
    assert applied["metadata"]["labels"]["owner"] == "a"
    other = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"owner": "b"}}}
    with pytest.raises(Conflict):
        await client.patch(PODS, "p", other, patch_type="apply", field_manager="mgr-b", namespace=namespace)
    forced = await client.patch(
        PODS, "p", other, patch_type="apply", field_manager="mgr-b", force=True, namespace=namespace
    )
    assert forced["metadata"]["labels"]["owner"] == "b"
    with pytest.raises(ValueError):
        await client.patch(PODS, "p", apply, patch_type="apply", namespace=namespace)


async def test_list_pages_selectors_and_delete_collection(client: Client, namespace: str) -> None:
    await asyncio.gather(
        *(client.create(CONFIGMAPS, cm(f"c{i:02d}", namespace, odd=str(i % 2))) for i in range(25))
    )
    page = await client.list(CONFIGMAPS, namespace=namespace, limit=10)
    assert len(page["items"]) == 10 and page["metadata"]["continue"]
    page2 = await client.list(
        CONFIGMAPS, namespace=namespace, limit=10, continue_=page["metadata"]["continue"]
    )
    assert page2["items"][0]["metadata"]["name"] == "c10"

    everything = await client.list_all(CONFIGMAPS, namespace=namespace, page_size=7)
    assert [o["metadata"]["name"] for o in everything["items"]] == [f"c{i:02d}" for i in range(25)]
    assert everything["metadata"]["resourceVersion"]

    odd = await client.list(CONFIGMAPS, namespace=namespace, label_selector="odd=1")
    assert len(odd["items"]) == 12
    one = await client.list(CONFIGMAPS, namespace=namespace, field_selector="metadata.name=c03")
    assert [o["metadata"]["name"] for o in one["items"]] == ["c03"]
    with pytest.raises(BadRequest):
        await client.list(CONFIGMAPS, namespace=namespace, label_selector="a in (")

    gone = await client.delete_collection(CONFIGMAPS, namespace=namespace, label_selector="odd=1")
    assert len(gone["items"]) == 12
    left = await client.list_all(CONFIGMAPS, namespace=namespace)
    assert len(left["items"]) == 13


async def test_watch_resumes_from_a_resource_version(client: Client, namespace: str) -> None:
    first = await client.create(CONFIGMAPS, cm("w1", namespace))
    start_rv = first["metadata"]["resourceVersion"]
    await client.create(CONFIGMAPS, cm("w2", namespace))
    await client.patch(CONFIGMAPS, "w1", {"data": {"k": "changed"}}, namespace=namespace)
    await client.delete(CONFIGMAPS, "w2", namespace=namespace)

    seen: list[tuple[str, str]] = []
    stream = client.watch(CONFIGMAPS, namespace=namespace, resource_version=start_rv, allow_bookmarks=False)
    async for kind, obj in stream:
        seen.append((kind, obj["metadata"]["name"]))
        if len(seen) == 3:
            break
    await stream.aclose()
    assert seen == [("ADDED", "w2"), ("MODIFIED", "w1"), ("DELETED", "w2")]

    # From "now" with bookmarks: a BOOKMARK arrives and carries a resourceVersion.
    now = (await client.list(CONFIGMAPS, namespace=namespace, limit=1))["metadata"]["resourceVersion"]

    async def first_bookmark() -> str:
        async for kind, obj in client.watch(CONFIGMAPS, namespace=namespace, resource_version=now):
            if kind == "BOOKMARK":
                return str(obj["metadata"]["resourceVersion"])
        raise AssertionError("watch ended without a bookmark")

    assert int(await asyncio.wait_for(first_bookmark(), 60)) >= int(now)


async def test_watch_too_old_raises_gone(tmp_path: Path) -> None:
    server = start_server(tmp_path / "srv", "--watch-history", "3")
    try:
        async with Client(load_config(str(server.kubeconfig))) as c:
            first = await c.create(CONFIGMAPS, cm("g0", "default"))
            for i in range(1, 8):
                await c.create(CONFIGMAPS, cm(f"g{i}", "default"))
            with pytest.raises(Gone) as exc:
                async for _ in c.watch(
                    CONFIGMAPS, namespace="default", resource_version=first["metadata"]["resourceVersion"]
                ):
                    pass
            assert exc.value.status == 410
    finally:
        server.stop()


async def test_subresource_requests(client: Client, namespace: str) -> None:
    await client.create(PODS, pod("b", namespace))
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "b", "namespace": namespace},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"},
    }
    await client.request("POST", PODS.path(namespace, "b", "binding"), body=binding)
    assert (await client.get(PODS, "b", namespace=namespace))["spec"]["nodeName"] == "node-1"
    version = await client.request("GET", "/version")
    assert "gitVersion" in version


async def test_connection_refused_is_retried_then_raised(unused_tcp_port: int) -> None:
    cfg = ClientConfig(server=f"http://127.0.0.1:{unused_tcp_port}")
    async with Client(cfg, retry=RetryPolicy(max_retries=2, base=0.01, cap=0.02)) as c:
        with pytest.raises(TransportError):
            await c.get(NAMESPACES, "default")
        with pytest.raises(TransportError):  # POST too: nothing was sent
            await c.create(NAMESPACES, {"metadata": {"name": "x"}})


# ---------------------------------------------------------------------- retries, with a scripted server
class Scripted:
    """A tiny HTTP server answering each request from a script of (status, headers, body)."""

    def __init__(self, script: list[tuple[int, dict[str, str], bytes]]) -> None:
        self.script = script
        self.calls: list[tuple[str, float]] = []
        self.auth: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append((request.method, time.monotonic()))
        self.auth.append(request.headers.get("Authorization", ""))
        status, headers, body = self.script.pop(0) if self.script else (200, {}, b"{}")
        return web.Response(status=status, headers=headers, body=body, content_type="application/json")


async def serve(script: list[tuple[int, dict[str, str], bytes]]) -> tuple[Scripted, web.AppRunner, str]:
    s = Scripted(script)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", s.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return s, runner, f"http://127.0.0.1:{port}"


STATUS_429 = b'{"kind":"Status","code":429,"reason":"TooManyRequests","message":"slow down"}'
STATUS_503 = b'{"kind":"Status","code":503,"reason":"ServiceUnavailable","message":"busy"}'
OK = b'{"kind":"Namespace","metadata":{"name":"default"}}'


async def test_429_honours_retry_after_for_every_verb() -> None:
    s, runner, url = await serve([(429, {"Retry-After": "1"}, STATUS_429), (201, {}, OK)])
    try:
        async with Client(ClientConfig(server=url)) as c:
            out = await c.create(NAMESPACES, {"metadata": {"name": "default"}})
        assert out["metadata"]["name"] == "default"
        assert [m for m, _ in s.calls] == ["POST", "POST"]
        assert s.calls[1][1] - s.calls[0][1] >= 0.9  # waited as told
    finally:
        await runner.cleanup()


async def test_5xx_is_retried_for_get_but_not_for_post() -> None:
    s, runner, url = await serve([(503, {}, STATUS_503), (503, {}, STATUS_503), (200, {}, OK)])
    try:
        async with Client(ClientConfig(server=url), retry=RetryPolicy(base=0.01, cap=0.05)) as c:
            assert (await c.get(NAMESPACES, "default"))["metadata"]["name"] == "default"
            assert len(s.calls) == 3
            s.script = [(503, {}, STATUS_503), (201, {}, OK)]
            with pytest.raises(ServerError) as exc:
                await c.create(NAMESPACES, {"metadata": {"name": "x"}})
            assert exc.value.reason == "ServiceUnavailable"
            assert len(s.calls) == 4
    finally:
        await runner.cleanup()


async def test_client_side_rate_limit() -> None:
    s, runner, url = await serve([])
    try:
        async with Client(ClientConfig(server=url, qps=20, burst=2)) as c:
            start = time.monotonic()
            await asyncio.gather(*(c.get(NAMESPACES, "default") for _ in range(12)))
            # 2 at once, then 10 more at 20/s: at least ~0.5 s, whatever the machine
            assert time.monotonic() - start >= 0.45
        assert len(s.calls) == 12
    finally:
        await runner.cleanup()


async def test_bearer_token_is_sent() -> None:
    s, runner, url = await serve([])
    try:
        tokens = iter(["t1", "t2"])
        async with Client(ClientConfig(server=url, token_provider=lambda: next(tokens))) as c:
            await c.get(NAMESPACES, "default")
            await c.get(NAMESPACES, "default")
        async with Client(ClientConfig(server=url, token="static")) as c:
            await c.get(NAMESPACES, "default")
        # the provider is not asked per request (it may run an exec plugin)
        assert s.auth == ["Bearer t1", "Bearer t1", "Bearer static"]
    finally:
        await runner.cleanup()
