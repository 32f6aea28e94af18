"""Kubernetes object semantics over HTTP: generation, status subresource, deletion, finalizers, CRDs."""

from __future__ import annotations

import asyncio
import json

import orjson
import pytest

from kruise.apiserver.app import APIServer
from tests.integration.conftest import Client

PODS = "/api/v1/namespaces/default/pods"
MERGE = "application/merge-patch+json"


def pod(name: str, **labels: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
    }


async def test_generation_bumps_on_spec_changes_only(api: Client) -> None:
    created = await api.ok(
        "POST",
        "/apis/apps/v1/namespaces/default/deployments",
        {
            "metadata": {"name": "d"},
            "spec": {
                "selector": {"matchLabels": {"a": "b"}},
                "template": {
                    "metadata": {"labels": {"a": "b"}},
                    "spec": {"containers": [{"name": "c", "image": "x"}]},
                },
            },
        },
    )
    assert created["metadata"]["generation"] == 1
    assert created["spec"]["replicas"] == 1
    path = "/apis/apps/v1/namespaces/default/deployments/d"
    labelled = await api.ok("PATCH", path, {"metadata": {"labels": {"x": "y"}}}, content_type=MERGE)
    assert labelled["metadata"]["generation"] == 1
    scaled = await api.ok("PATCH", path, {"spec": {"replicas": 3}}, content_type=MERGE)
    assert scaled["metadata"]["generation"] == 2
    # status written through the main resource is ignored, and spec through /status
    ignored = await api.ok("PATCH", path, {"status": {"replicas": 9}}, content_type=MERGE)
    assert "replicas" not in (ignored.get("status") or {})
    status = await api.ok(
        "PATCH", path + "/status", {"status": {"replicas": 3}, "spec": {"replicas": 7}}, content_type=MERGE
    )
    assert status["status"]["replicas"] == 3
    assert status["spec"]["replicas"] == 3
    assert status["metadata"]["generation"] == 2


async def test_noop_update_keeps_resource_version(api: Client) -> None:
    cm = await api.ok(
        "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "c"}, "data": {"a": "1"}}
    )
    again = await api.ok("PUT", "/api/v1/namespaces/default/configmaps/c", cm)
    assert again["metadata"]["resourceVersion"] == cm["metadata"]["resourceVersion"]


async def test_generate_name(api: Client) -> None:
    out = await api.ok(
        "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"generateName": "web-"}}
    )
    name = out["metadata"]["name"]
    assert name.startswith("web-") and len(name) == len("web-") + 5


async def test_unbound_pod_is_deleted_at_once(api: Client) -> None:
    await api.ok("POST", PODS, pod("p"))
    deleted = await api.ok("DELETE", PODS + "/p")
    assert deleted["metadata"]["name"] == "p"
    status, _ = await api.call("GET", PODS + "/p")
    assert status == 404


async def test_bound_pod_deletion_is_graceful_until_its_node_confirms(api: Client) -> None:
    await api.ok("POST", PODS, pod("p"))
    status, out = await api.call(
        "POST",
        PODS + "/p/binding",
        {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": "p"},
            "target": {"kind": "Node", "name": "node-1"},
        },
    )
    assert status == 201, out
    bound = await api.ok("GET", PODS + "/p")
    assert bound["spec"]["nodeName"] == "node-1"
    assert [c["type"] for c in bound["status"]["conditions"]] == ["PodScheduled"]
    status, out = await api.call("POST", PODS + "/p/binding", {"target": {"name": "node-2"}})
    assert status == 409
    terminating = await api.ok("DELETE", PODS + "/p")
    assert terminating["metadata"]["deletionGracePeriodSeconds"] == 30
    assert terminating["metadata"]["deletionTimestamp"]
    assert (await api.ok("GET", PODS + "/p"))["metadata"]["deletionTimestamp"]
    await api.ok("DELETE", PODS + "/p", {"gracePeriodSeconds": 0})
    status, _ = await api.call("GET", PODS + "/p")
    assert status == 404


async def test_finalizers_hold_deletion(api: Client) -> None:
    path = "/api/v1/namespaces/default/configmaps"
    await api.ok("POST", path, {"metadata": {"name": "f", "finalizers": ["example.com/hold"]}})
    held = await api.ok("DELETE", path + "/f")
    assert held["metadata"]["deletionTimestamp"]
    status, out = await api.call(
        "PATCH", path + "/f", {"metadata": {"finalizers": ["example.com/hold", "x.io/b"]}}, content_type=MERGE
    )
    assert status == 422
    assert "no new finalizers can be added if the object is being deleted" in out["message"]
    await api.ok("PATCH", path + "/f", {"metadata": {"finalizers": None}}, content_type=MERGE)
    status, _ = await api.call("GET", path + "/f")
    assert status == 404


async def test_delete_preconditions_and_propagation(api: Client) -> None:
    path = "/api/v1/namespaces/default/configmaps"
    await api.ok("POST", path, {"metadata": {"name": "pre"}})
    status, out = await api.call("DELETE", path + "/pre", {"preconditions": {"uid": "not-it"}})
    assert status == 409
    assert "Precondition failed: UID in precondition: not-it" in out["message"]
    fg = await api.ok("DELETE", path + "/pre", {"propagationPolicy": "Foreground"})
    assert fg["metadata"]["finalizers"] == ["foregroundDeletion"]
    status, out = await api.call("DELETE", path + "/pre", {"propagationPolicy": "Sideways"})
    assert status == 422


async def test_delete_collection_by_label(api: Client) -> None:
    path = "/api/v1/namespaces/default/configmaps"
    for i, tier in enumerate(["a", "a", "b"]):
        await api.ok("POST", path, {"metadata": {"name": f"c{i}", "labels": {"tier": tier}}})
    out = await api.ok("DELETE", path, params={"labelSelector": "tier=a"})
    assert sorted(i["metadata"]["name"] for i in out["items"]) == ["c0", "c1"]
    left = await api.ok("GET", path)
    assert [i["metadata"]["name"] for i in left["items"]] == ["c2"]


async def test_list_exact_old_resource_version_is_gone(api: Client) -> None:
    first = await api.ok("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "a"}})
    await api.ok("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "b"}})
    status, out = await api.call(
        "GET",
        "/api/v1/namespaces/default/configmaps",
        params={"resourceVersion": first["metadata"]["resourceVersion"], "resourceVersionMatch": "Exact"},
    )
    assert (status, out["reason"]) == (410, "Expired")


async def test_watch_from_compacted_version_reports_410(server, api: Client) -> None:
    server.store.cache.floor = server.store.rv  # as if everything before now was compacted
    async with api.session.get(
        api.base + "/api/v1/namespaces/default/configmaps", params={"watch": "true", "resourceVersion": "1"}
    ) as resp:
        line = await resp.content.readline()
    event = json.loads(line)
    assert event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")


async def test_watch_bookmarks(api: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from kruise.apiserver import handlers

    monkeypatch.setattr(handlers, "BOOKMARK_INTERVAL", 0.2)
    listed = await api.ok("GET", "/api/v1/namespaces/default/configmaps")
    async with api.session.get(
        api.base + "/api/v1/namespaces/default/configmaps",
        params={
            "watch": "true",
            "allowWatchBookmarks": "true",
            "resourceVersion": listed["metadata"]["resourceVersion"],
        },
    ) as resp:
        line = await asyncio.wait_for(resp.content.readline(), 10)
    event = json.loads(line)
    assert event["type"] == "BOOKMARK"
    assert event["object"]["metadata"]["resourceVersion"] == listed["metadata"]["resourceVersion"]


async def test_node_watch_sees_its_pods_only_and_a_binding_as_added(api: Client) -> None:
    listed = await api.ok("GET", PODS)
    params = {"watch": "true", "resourceVersion": listed["metadata"]["resourceVersion"]}
    async with (
        api.session.get(api.base + PODS, params={**params, "fieldSelector": "spec.nodeName=node-1"}) as mine,
        api.session.get(api.base + PODS, params={**params, "fieldSelector": "spec.nodeName="}) as unbound,
    ):
        await api.ok("POST", PODS, pod("elsewhere"))
        await api.ok("POST", PODS, pod("here"))
        for name, node in (("elsewhere", "node-2"), ("here", "node-1")):
            binding = {"metadata": {"name": name}, "target": {"kind": "Node", "name": node}}
            status, out = await api.call("POST", f"{PODS}/{name}/binding", binding)
            assert status == 201, out
        await api.ok("DELETE", PODS + "/here", {"gracePeriodSeconds": 0})

        async def events(resp, count: int) -> list[tuple[str, str]]:
            out = []
            for _ in range(count):
                e = json.loads(await asyncio.wait_for(resp.content.readline(), 10))
                out.append((e["type"], e["object"]["metadata"]["name"]))
            return out

        assert await events(mine, 2) == [("ADDED", "here"), ("DELETED", "here")]
        assert await events(unbound, 4) == [
            ("ADDED", "elsewhere"),
            ("ADDED", "here"),
            ("DELETED", "elsewhere"),
            ("DELETED", "here"),
        ]


async def test_builtin_scale_subresource(api: Client) -> None:
    await api.ok(
        "POST",
        "/apis/apps/v1/namespaces/default/statefulsets",
        {
            "metadata": {"name": "s"},
            "spec": {
                "selector": {"matchLabels": {"a": "b"}},
                "serviceName": "s",
                "template": {
                    "metadata": {"labels": {"a": "b"}},
                    "spec": {"containers": [{"name": "c", "image": "x"}]},
                },
            },
        },
    )
    path = "/apis/apps/v1/namespaces/default/statefulsets/s/scale"
    scale = await api.ok("GET", path)
    assert (scale["kind"], scale["spec"]["replicas"], scale["status"]["selector"]) == ("Scale", 1, "a=b")
    out = await api.ok("PATCH", path, {"spec": {"replicas": 5}}, content_type=MERGE)
    assert out["spec"]["replicas"] == 5
    sts = await api.ok("GET", "/apis/apps/v1/namespaces/default/statefulsets/s")
    assert sts["spec"]["replicas"] == 5
    status, out = await api.call("PATCH", path, {"spec": {"replicas": -1}}, content_type=MERGE)
    assert status == 422


async def test_eviction_respects_disruption_budget(api: Client) -> None:
    await api.ok("POST", PODS, pod("e1", app="web"))
    await api.ok("POST", PODS, pod("e2", app="other"))
    await api.ok(
        "POST",
        "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
        {
            "metadata": {"name": "pdb"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
        },
    )
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "e1"}}
    status, out = await api.call("POST", PODS + "/e1/eviction", eviction)
    assert (status, out["reason"]) == (429, "TooManyRequests")
    status, _ = await api.call("POST", PODS + "/e2/eviction", dict(eviction, metadata={"name": "e2"}))
    assert status == 201
    assert (await api.call("GET", PODS + "/e2"))[0] == 404


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}
                        },
                    }
                },
            },
            {
                "name": "v2",
                "served": True,
                "storage": False,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}
                        },
                    }
                },
            },
        ],
    },
}


async def test_crd_versions_served_at_once_and_cleaned_up(api: Client) -> None:
    crd = await api.ok("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD)
    conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    path = "/apis/example.com/{}/namespaces/default/gadgets"
    created = await api.ok(
        "POST",
        path.format("v2"),
        {"apiVersion": "example.com/v2", "kind": "Gadget", "metadata": {"name": "g"}, "spec": {"size": 2}},
    )
    assert created["apiVersion"] == "example.com/v2"
    as_v1 = await api.ok("GET", path.format("v1") + "/g")
    assert as_v1["apiVersion"] == "example.com/v1" and as_v1["spec"] == {"size": 2}
    groups = await api.ok("GET", "/apis/example.com")
    assert [v["version"] for v in groups["versions"]] == ["v2", "v1"]
    await api.ok("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com")
    for _ in range(100):
        status, _ = await api.call("GET", path.format("v1"))
        if status == 404:
            break
        await asyncio.sleep(0.05)
    assert status == 404
    status, _ = await api.call(
        "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com"
    )
    assert status == 404


async def test_default_namespaces_cannot_be_deleted(api: Client) -> None:
    status, out = await api.call("DELETE", "/api/v1/namespaces/default")
    assert (status, out["message"]) == (
        403,
        'namespaces "default" is forbidden: this namespace may not be deleted',
    )


async def test_paged_list_is_one_consistent_snapshot(api: Client) -> None:
    path = "/api/v1/namespaces/default/configmaps"
    for name in ("a", "b", "c"):
        await api.ok("POST", path, {"metadata": {"name": name}, "data": {"v": "1"}})
    first = await api.ok("GET", path, params={"limit": "1"})
    assert [i["metadata"]["name"] for i in first["items"]] == ["a"]
    # changes after the first page do not leak into the later ones
    await api.ok("PATCH", path + "/b", {"data": {"v": "2"}}, content_type=MERGE)
    await api.ok("POST", path, {"metadata": {"name": "bb"}})
    await api.ok("DELETE", path + "/c")
    second = await api.ok("GET", path, params={"limit": "5", "continue": first["metadata"]["continue"]})
    assert [(i["metadata"]["name"], i["data"]["v"]) for i in second["items"]] == [("b", "1"), ("c", "1")]
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert "continue" not in second["metadata"]
    status, _ = await api.call("GET", path, params={"limit": "1", "continue": "bm90LWEtdG9rZW4"})
    assert status == 400


async def test_expired_continue_token_is_410(server, api: Client) -> None:
    path = "/api/v1/namespaces/default/configmaps"
    for name in ("a", "b"):
        await api.ok("POST", path, {"metadata": {"name": name}})
    first = await api.ok("GET", path, params={"limit": "1"})
    server.handlers.snapshots.ttl = 0  # as if the snapshot had expired
    status, out = await api.call(
        "GET", path, params={"limit": "1", "continue": first["metadata"]["continue"]}
    )
    assert (status, out["reason"]) == (410, "Expired")


async def test_writes_never_change_an_earlier_revision(api: Client) -> None:
    """A paged list's snapshot holds the revisions it started with; status and metadata patches
    made meanwhile (which share unchanged parts with the stored revision) must not leak into it."""
    for name in ("snap-a", "snap-b"):
        await api.ok("POST", PODS, pod(name, v="1"))
    first = await api.ok("GET", PODS, params={"limit": "1", "labelSelector": "v"})
    assert [i["metadata"]["name"] for i in first["items"]] == ["snap-a"]
    await api.ok(
        "PATCH",
        PODS + "/snap-b/status",
        {"status": {"phase": "Running", "podIP": "10.0.0.9"}},
        content_type=MERGE,
    )
    await api.ok("PATCH", PODS + "/snap-b", {"metadata": {"labels": {"v": "2"}}}, content_type=MERGE)
    second = await api.ok(
        "GET", PODS, params={"limit": "5", "labelSelector": "v", "continue": first["metadata"]["continue"]}
    )
    (old,) = second["items"]
    assert old["metadata"]["labels"] == {"v": "1"}
    assert [m.get("subresource", "") for m in old["metadata"]["managedFields"]] == [""]
    assert old["status"].get("phase") == "Pending" and "podIP" not in old["status"]
    now = await api.ok("GET", PODS + "/snap-b")
    assert now["metadata"]["labels"] == {"v": "2"}
    assert sorted(m.get("subresource", "") for m in now["metadata"]["managedFields"]) == ["", "status"]
    assert (now["status"]["phase"], now["status"]["podIP"]) == ("Running", "10.0.0.9")


async def test_status_merge_patch_ignores_spec_and_keeps_it(api: Client) -> None:
    await api.ok("POST", PODS, pod("spec-kept", v="1"))
    body = {"spec": {"activeDeadlineSeconds": 5}, "status": {"phase": "Running"}}
    for content_type in (MERGE, "application/strategic-merge-patch+json"):
        out = await api.ok("PATCH", PODS + "/spec-kept/status", body, content_type=content_type)
        assert out["status"]["phase"] == "Running"
        assert "activeDeadlineSeconds" not in out["spec"]
        assert out["spec"]["containers"][0]["name"] == "app"
    stored = await api.ok("GET", PODS + "/spec-kept")
    assert stored["spec"] == out["spec"] and "activeDeadlineSeconds" not in stored["spec"]


async def test_pod_status_writes_may_change_labels_and_annotations_but_not_owners(api: Client) -> None:
    # as kube's pod status strategy: kruise-daemon reports runtime-containers-meta this way
    await api.ok("POST", PODS, pod("meta", v="1"))
    body = {
        "metadata": {
            "annotations": {"apps.kruise.io/runtime-containers-meta": '{"containers":[]}'},
            "labels": {"w": "2"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "n", "uid": "u"}],
        },
        "status": {"phase": "Running"},
    }
    out = await api.ok(
        "PATCH", PODS + "/meta/status", body, content_type="application/strategic-merge-patch+json"
    )
    assert out["metadata"]["annotations"] == {"apps.kruise.io/runtime-containers-meta": '{"containers":[]}'}
    assert out["metadata"]["labels"] == {"v": "1", "w": "2"}
    assert "ownerReferences" not in out["metadata"]
    assert out["status"]["phase"] == "Running"
    removed = await api.ok(
        "PATCH", PODS + "/meta/status", {"metadata": {"labels": {"w": None}}}, content_type=MERGE
    )
    assert removed["metadata"]["labels"] == {"v": "1"}
    assert (await api.ok("GET", PODS + "/meta"))["metadata"]["labels"] == {"v": "1"}


async def test_updating_a_terminating_namespace_keeps_its_phase(api: Client) -> None:
    # No namespace controller runs here (tests/integration/cluster/test_namespace.py has one):
    # the namespace stays Terminating, held by its `kubernetes` finalizer.
    await api.ok("POST", "/api/v1/namespaces", {"metadata": {"name": "ending"}})
    await api.ok("DELETE", "/api/v1/namespaces/ending")
    path = "/api/v1/namespaces/ending"
    assert (await api.ok("GET", path))["status"]["phase"] == "Terminating"
    labelled = await api.ok("PATCH", path, {"metadata": {"labels": {"team": "x"}}}, content_type=MERGE)
    assert labelled["status"]["phase"] == "Terminating"
    stored = await api.ok("GET", path)
    assert (stored["status"]["phase"], stored["spec"]["finalizers"]) == ("Terminating", ["kubernetes"])
    # Releasing the finalizer (what the controller does last) removes it.
    await api.ok("PUT", path + "/finalize", {**stored, "spec": {"finalizers": []}})
    status, _ = await api.call("GET", path)
    assert status == 404


async def test_a_client_that_expects_100_continue_gets_it_before_sending_the_body(server: APIServer) -> None:
    # curl sends `Expect: 100-continue` for bodies over 1 KiB and waits for the interim answer
    body = orjson.dumps({"metadata": {"name": "big"}, "data": {"k": "x" * 4096}})
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(
            b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: kruise\r\n"
            b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10) == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(body)
        assert (await asyncio.wait_for(reader.readline(), 10)).startswith(b"HTTP/1.1 201 ")
    finally:
        writer.close()


def dechunk(body: bytes) -> bytes:
    """The payload of an HTTP/1.1 chunked body."""
    out, pos = b"", 0
    while True:
        eol = body.index(b"\r\n", pos)
        size = int(body[pos:eol], 16)
        if size == 0:
            return out
        out += body[eol + 2 : eol + 2 + size]
        pos = eol + 2 + size + 2


async def test_a_watch_whose_client_stops_reading_is_dropped_with_410(server: APIServer, api: Client) -> None:
    server.handlers.watch_buffer_limit = 1 << 20
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(
            b"GET /api/v1/namespaces/default/configmaps?watch=1 HTTP/1.1\r\nHost: kruise\r\n"
            b"Accept: application/json\r\n\r\n"
        )
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).startswith(b"HTTP/1.1 200 ")
        # the client reads nothing more while 24 MB of events (kernel buffers hold a few) go out
        for i in range(48):
            await api.ok(
                "POST",
                "/api/v1/namespaces/default/configmaps",
                {"metadata": {"name": f"big-{i}"}, "data": {"k": "x" * (500 << 10)}},
            )
        body = b""
        while not body.endswith(b"\r\n0\r\n\r\n"):  # the server ends the response
            body += await asyncio.wait_for(reader.read(1 << 20), 30)
    finally:
        writer.close()
    lines = [json.loads(line) for line in dechunk(body).splitlines()]
    added = [e for e in lines if e["type"] == "ADDED"]
    assert 0 < len(added) < 48
    assert [e["object"]["metadata"]["name"] for e in added] == [f"big-{i}" for i in range(len(added))]
    assert lines[-1]["type"] == "ERROR"
    assert lines[-1]["object"]["code"] == 410 and "too slow" in lines[-1]["object"]["message"]
    # a client that keeps reading still gets every event
    status, listed = await api.call("GET", "/api/v1/namespaces/default/configmaps")
    assert status == 200 and len(listed["items"]) == 48


async def _watch_lines(api: Client, path: str, count: int, lean: bool, **params: str) -> list[dict]:
    headers = {"X-Kruise-Omit-Managed-Fields": "true"} if lean else {}
    async with api.session.get(api.base + path, params={"watch": "true", **params}, headers=headers) as resp:
        return [json.loads(await asyncio.wait_for(resp.content.readline(), 10)) for _ in range(count)]


@pytest.mark.parametrize("lean", [True, False])
async def test_a_watch_can_ask_for_events_without_managed_fields(api: Client, lean: bool) -> None:
    path = "/api/v1/namespaces/default/configmaps"
    await api.ok("POST", path, {"metadata": {"name": "before"}, "data": {"a": "1"}})
    listed = await api.ok("GET", path)
    # from a resourceVersion (the writes below, from history if it registers late) and from "now"
    # (the initial state as ADDED)
    watching = asyncio.create_task(
        _watch_lines(api, path, 2, lean, resourceVersion=listed["metadata"]["resourceVersion"])
    )
    initial = await _watch_lines(api, path, 1, lean)
    await api.ok("POST", path, {"metadata": {"name": "after"}, "data": {"b": "2"}})
    await api.ok("PATCH", path + "/after", {"data": {"b": "3"}}, content_type=MERGE)
    events = await watching

    stored = {n: await api.ok("GET", f"{path}/{n}") for n in ("before", "after")}
    assert all(o["metadata"]["managedFields"] for o in stored.values())

    def expected(name: str) -> dict:
        obj = json.loads(json.dumps(stored[name]))
        if lean:
            del obj["metadata"]["managedFields"]
        return obj

    assert [(e["type"], e["object"]) for e in initial] == [("ADDED", expected("before"))]
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED"]
    assert events[1]["object"] == expected("after")
    assert ("managedFields" in events[0]["object"]["metadata"]) is not lean


async def test_a_custom_resource_watch_in_another_version_leaves_managed_fields_out(api: Client) -> None:
    await api.ok("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD)
    path = "/apis/example.com/{}/namespaces/default/gadgets"
    body = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}, "spec": {"size": 1}}
    await api.ok("POST", path.format("v1"), body)
    for version in ("v1", "v2"):
        [event] = await _watch_lines(api, path.format(version), 1, lean=True)
        assert event["object"]["apiVersion"] == f"example.com/{version}"
        assert event["object"]["spec"] == {"size": 1}
        assert "managedFields" not in event["object"]["metadata"]
        [full] = await _watch_lines(api, path.format(version), 1, lean=False)
        assert full["object"]["metadata"]["managedFields"][0]["operation"] == "Update"


async def test_a_client_can_ask_for_answers_without_managed_fields(api: Client) -> None:
    path = "/api/v1/namespaces/default/configmaps"
    lean = {"X-Kruise-Omit-Managed-Fields": "true"}

    async def call(method: str, url: str, headers: dict, body: dict | None = None) -> dict:
        h = {**headers, "Content-Type": MERGE if method == "PATCH" else "application/json"}
        async with api.session.request(method, api.base + url, json=body, headers=h) as resp:
            assert resp.status < 300, await resp.text()
            return await resp.json()

    created = await call("POST", path, lean, {"metadata": {"name": "c"}, "data": {"a": "1"}})
    patched = await call("PATCH", path + "/c", lean, {"data": {"a": "2"}})
    got = await call("GET", path + "/c", lean)
    full = await call("GET", path + "/c", {})
    assert [("managedFields" in o["metadata"]) for o in (created, patched, got, full)] == [False] * 3 + [True]
    del full["metadata"]["managedFields"]
    assert got == full and patched == full
    assert created["data"] == {"a": "1"}
