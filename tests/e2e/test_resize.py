"""In-place Pod resize as a user does it: `kubectl patch --subresource resize` (kubectl 1.33) against
a real `kruise apiserver`, actuated by a real `kruise node --runtime process`."""

from __future__ import annotations

import json
import os
import signal
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess
from tests.e2e.test_node import NodeProcess, cstatus, get_pod, marker_pids, pod_body, wait_for

pytestmark = pytest.mark.e2e

Obj = dict[str, Any]
KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"
NODE = "node-resize"
SLEEPER = "import signal,sys,time\nsignal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\ntime.sleep(3600)\n"
QOS = "Pod QOS Class may not change as a result of resizing"


@pytest.fixture(scope="module")
def node(apiserver: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    n = NodeProcess(apiserver, NODE, tmp_path_factory.mktemp(NODE) / "data")
    n.start()
    yield n
    n.stop()


@pytest.fixture
def marker() -> Iterator[str]:
    m = uuid.uuid4().hex
    yield m
    for pid in marker_pids(m):  # a failed test must not leave processes behind
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(autouse=True)
def _kubectl_133() -> None:
    # part of the machine image (kubectl 1.27 to 1.33); pods/resize needs the 1.33 client
    assert Path(KUBECTL).is_file(), f"{KUBECTL} is missing: kubectl 1.33 is required for these tests"


def kubectl(server: ServerProcess, *args: str, check: bool = True) -> Any:
    return server.kubectl(*args, check=check, binary=KUBECTL)


def res(cpu_req: str, mem_req: str, cpu_lim: str, mem_lim: str) -> Obj:
    return {"requests": {"cpu": cpu_req, "memory": mem_req}, "limits": {"cpu": cpu_lim, "memory": mem_lim}}


def sleeper(name: str, resources: Obj, **extra: Any) -> Obj:
    return {
        "name": name,
        "image": "python:3.11",
        "command": [sys.executable, "-c", SLEEPER],
        "resources": resources,
        **extra,
    }


def resize_patch(**containers: Obj) -> str:
    return json.dumps({"spec": {"containers": [{"name": n, "resources": r} for n, r in containers.items()]}})


def running(server: ServerProcess, ns: str, name: str, count: int) -> Obj:
    def check() -> Obj | None:
        pod = get_pod(server, ns, name)
        statuses = ((pod or {}).get("status") or {}).get("containerStatuses") or []
        ok = len(statuses) == count and all("running" in s["state"] and "resources" in s for s in statuses)
        return pod if ok else None

    return wait_for(f"pod {name} running", check)


def test_kubectl_resize_in_place_and_with_restart(
    apiserver: ServerProcess, node: NodeProcess, namespace: str, marker: str
) -> None:
    before = res("100m", "64Mi", "200m", "128Mi")
    restart_memory = [{"resourceName": "memory", "restartPolicy": "RestartContainer"}]
    body = pod_body(
        "web", NODE, marker, [sleeper("app", before), sleeper("cache", before, resizePolicy=restart_memory)]
    )
    apiserver.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(body), binary=KUBECTL)
    pod = running(apiserver, namespace, "web", 2)
    assert cstatus(pod, "app")["resources"] == before  # reported before any resize
    uid = pod["metadata"]["uid"]
    ids = {n: cstatus(pod, n)["containerID"] for n in ("app", "cache")}

    # cpu for both and memory for "cache": "app" is resized in place, "cache" restarts
    app_after = res("150m", "96Mi", "300m", "256Mi")
    cache_after = res("100m", "64Mi", "200m", "256Mi")
    out = kubectl(
        apiserver, "patch", "pod", "web", "-n", namespace, "--subresource", "resize",
        "--patch", resize_patch(app=app_after, cache=cache_after),
    )  # fmt: skip
    assert out.stdout.strip() == "pod/web patched"

    def resized() -> Obj | None:
        p = get_pod(apiserver, namespace, "web") or {}
        app, cache = cstatus(p, "app"), cstatus(p, "cache")
        ok = app.get("resources") == app_after and cache.get("resources") == cache_after
        ok = ok and "running" in cache.get("state", {})
        in_progress = any(c["type"] == "PodResizeInProgress" for c in p["status"].get("conditions") or [])
        return p if ok and not in_progress else None

    pod = wait_for("the resize to be applied", resized)
    app, cache = cstatus(pod, "app"), cstatus(pod, "cache")
    assert pod["metadata"]["uid"] == uid
    assert (app["containerID"], app["restartCount"]) == (ids["app"], 0)
    assert app["allocatedResources"] == app_after["requests"]
    assert cache["restartCount"] == 1 and cache["containerID"] != ids["cache"]
    assert [c["resources"] for c in pod["spec"]["containers"]] == [app_after, cache_after]

    jsonpath = "{.status.containerStatuses[?(@.name=='app')].resources.limits.cpu}"
    out = kubectl(apiserver, "get", "pod", "web", "-n", namespace, "-o", f"jsonpath={jsonpath}")
    assert out.stdout == "300m"


def test_kubectl_resize_rejections(
    apiserver: ServerProcess, node: NodeProcess, namespace: str, marker: str
) -> None:
    before = res("100m", "64Mi", "200m", "128Mi")
    body = pod_body("strict", NODE, marker, [sleeper("app", before)])
    apiserver.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(body), binary=KUBECTL)
    running(apiserver, namespace, "strict", 1)

    def refused(patch: str, *extra: str) -> str:
        out = kubectl(
            apiserver, "patch", "pod", "strict", "-n", namespace, *extra, "--patch", patch, check=False
        )
        assert out.returncode != 0, out.stdout
        return out.stderr.strip()

    # Burstable -> Guaranteed
    err = refused(resize_patch(app=res("200m", "128Mi", "200m", "128Mi")), "--subresource", "resize")
    assert err == f'The Pod "strict" is invalid: spec: Invalid value: "Burstable": {QOS}'
    # only cpu and memory
    storage = json.dumps(
        {"spec": {"containers": [{"name": "app", "resources": {"limits": {"ephemeral-storage": "1Gi"}}}]}}
    )
    err = refused(storage, "--subresource", "resize")
    assert err == 'The Pod "strict" is invalid: spec: Forbidden: only cpu and memory resources are mutable'
    # memory limits only grow without a RestartContainer policy (1.33)
    err = refused(resize_patch(app=res("100m", "64Mi", "200m", "100Mi")), "--subresource", "resize")
    assert err == (
        'The Pod "strict" is invalid: spec.containers[0].resources.limits[memory]: Forbidden: '
        "memory limits cannot be decreased unless resizePolicy is RestartContainer"
    )
    # a plain patch may still not touch resources
    err = refused(resize_patch(app=res("150m", "64Mi", "200m", "128Mi")))
    assert 'The Pod "strict" is invalid: spec: Forbidden: pod updates may not change fields other than' in err

    # other fields in a resize request are dropped, not applied
    image = json.dumps({"spec": {"containers": [{"name": "app", "image": "python:3.12"}]}})
    out = kubectl(
        apiserver, "patch", "pod", "strict", "-n", namespace, "--subresource", "resize", "--patch", image
    )
    assert out.stdout.strip() == "pod/strict patched (no change)"
    pod = get_pod(apiserver, namespace, "strict") or {}
    assert pod["spec"]["containers"][0]["image"] == "python:3.11"
    assert pod["spec"]["containers"][0]["resources"] == before


def test_discovery_lists_pods_resize(apiserver: ServerProcess) -> None:
    doc = json.loads(kubectl(apiserver, "get", "--raw", "/api/v1").stdout)
    sub = next(r for r in doc["resources"] if r["name"] == "pods/resize")
    assert (sub["kind"], sub["verbs"]) == ("Pod", ["get", "patch", "update"])
