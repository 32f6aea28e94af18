"""The official `kubernetes` Python client against `kruise apiserver`."""

from __future__ import annotations

import json
import threading

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from tests.conftest import REPO, ServerProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
def api(apiserver: ServerProcess) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(apiserver.kubeconfig))


def test_crud(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    created = core.create_namespaced_config_map(namespace, {"metadata": {"name": "c"}, "data": {"a": "1"}})
    assert created.metadata.uid and created.metadata.resource_version
    got = core.read_namespaced_config_map("c", namespace)
    assert got.data == {"a": "1"}
    got.data["b"] = "2"
    updated = core.replace_namespaced_config_map("c", namespace, got)
    assert int(updated.metadata.resource_version) > int(created.metadata.resource_version)
    patched = core.patch_namespaced_config_map("c", namespace, {"data": {"a": "9"}})
    assert patched.data == {"a": "9", "b": "2"}
    core.delete_namespaced_config_map("c", namespace)
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("c", namespace)
    assert err.value.status == 404
    assert json.loads(err.value.body)["reason"] == "NotFound"


def test_list_with_label_selector_and_pagination(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    for i in range(7):
        core.create_namespaced_config_map(
            namespace, {"metadata": {"name": f"c{i}", "labels": {"parity": str(i % 2)}}}
        )
    odd = core.list_namespaced_config_map(namespace, label_selector="parity=1")
    assert [c.metadata.name for c in odd.items] == ["c1", "c3", "c5"]
    not_odd = core.list_namespaced_config_map(namespace, label_selector="parity notin (1)")
    assert [c.metadata.name for c in not_odd.items] == ["c0", "c2", "c4", "c6"]
    names, token, pages = [], None, 0
    while True:
        page = core.list_namespaced_config_map(namespace, limit=3, _continue=token)
        pages += 1
        names += [c.metadata.name for c in page.items]
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == 7 - len(names)
    assert pages == 3
    assert names == [f"c{i}" for i in range(7)]


def test_watch_resumes_from_resource_version(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    start = core.create_namespaced_config_map(namespace, {"metadata": {"name": "w"}, "data": {"v": "0"}})
    rv = start.metadata.resource_version
    for v in ("1", "2", "3"):
        core.patch_namespaced_config_map("w", namespace, {"data": {"v": v}})
    core.delete_namespaced_config_map("w", namespace)
    seen = []
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_config_map, namespace, resource_version=rv, timeout_seconds=5):
        seen.append((event["type"], (event["object"].data or {}).get("v")))
        if event["type"] == "DELETED":
            w.stop()
    assert seen == [("MODIFIED", "1"), ("MODIFIED", "2"), ("MODIFIED", "3"), ("DELETED", "3")]


def test_watch_sees_live_events(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    listed = core.list_namespaced_config_map(namespace)
    seen: list[tuple[str, str]] = []
    w = watch.Watch()

    def consume() -> None:
        for event in w.stream(
            core.list_namespaced_config_map,
            namespace,
            resource_version=listed.metadata.resource_version,
            timeout_seconds=10,
        ):
            seen.append((event["type"], event["object"].metadata.name))
            if len(seen) == 2:
                w.stop()

    t = threading.Thread(target=consume)
    t.start()
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "live"}})
    core.delete_namespaced_config_map("live", namespace)
    t.join(15)
    assert seen == [("ADDED", "live"), ("DELETED", "live")]


def test_stale_update_is_409(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    first = core.create_namespaced_config_map(namespace, {"metadata": {"name": "s"}, "data": {"a": "1"}})
    core.patch_namespaced_config_map("s", namespace, {"data": {"a": "2"}})
    first.data = {"a": "3"}
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("s", namespace, first)
    assert err.value.status == 409
    status = json.loads(err.value.body)
    assert status["reason"] == "Conflict"
    assert status["message"] == (
        'Operation cannot be fulfilled on configmaps "s": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert core.read_namespaced_config_map("s", namespace).data == {"a": "2"}


def test_invalid_custom_object_is_422_with_causes(
    api: client.ApiClient, apiserver: ServerProcess, namespace: str
) -> None:
    apiserver.kubectl("apply", "-f", str(REPO / "examples" / "webapp-crd.yaml"))
    apiserver.kubectl("wait", "--for=condition=Established", "crd/webapps.demo.kruise.io", "--timeout=10s")
    custom = client.CustomObjectsApi(api)
    body = {
        "apiVersion": "demo.kruise.io/v1",
        "kind": "WebApp",
        "metadata": {"name": "bad"},
        "spec": {"replicas": "three", "tier": "middle"},
    }
    with pytest.raises(ApiException) as err:
        custom.create_namespaced_custom_object("demo.kruise.io", "v1", namespace, "webapps", body)
    assert err.value.status == 422
    status = json.loads(err.value.body)
    assert status["reason"] == "Invalid"
    fields = sorted(c["field"] for c in status["details"]["causes"])
    assert fields == ["spec.image", "spec.replicas", "spec.tier"]
    ok = custom.create_namespaced_custom_object(
        "demo.kruise.io",
        "v1",
        namespace,
        "webapps",
        {
            "apiVersion": "demo.kruise.io/v1",
            "kind": "WebApp",
            "metadata": {"name": "good"},
            "spec": {"image": "nginx", "unknownField": 1},
        },
    )
    assert ok["spec"] == {"image": "nginx", "replicas": 1}  # defaulted, unknown field pruned
