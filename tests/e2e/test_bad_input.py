"""Client mistakes get the documented Status; nothing is lost and the server keeps serving."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import REPO, ServerProcess

pytestmark = pytest.mark.e2e


def status_of(resp: requests.Response) -> dict:
    body = resp.json()
    assert body["kind"] == "Status", body
    assert body["code"] == resp.status_code
    return body


@pytest.fixture
def url(apiserver: ServerProcess, namespace: str) -> str:
    return f"{apiserver.url}/api/v1/namespaces/{namespace}"


def test_malformed_json_is_400(url: str) -> None:
    resp = requests.post(
        f"{url}/configmaps", data=b'{"metadata": {"name": ', headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert status_of(resp)["reason"] == "BadRequest"


def test_malformed_yaml_is_400(url: str) -> None:
    resp = requests.post(
        f"{url}/configmaps",
        data=b"metadata:\n  name: [unclosed\n",
        headers={"Content-Type": "application/yaml"},
    )
    assert resp.status_code == 400
    assert "yaml" in status_of(resp)["message"]


def test_yaml_body_is_accepted(url: str) -> None:
    resp = requests.post(
        f"{url}/configmaps",
        data=b"metadata:\n  name: from-yaml\ndata:\n  k: v\n",
        headers={"Content-Type": "application/yaml"},
    )
    assert resp.status_code == 201
    assert resp.json()["data"] == {"k": "v"}


def test_wrong_content_types_are_415(url: str) -> None:
    requests.post(f"{url}/configmaps", json={"metadata": {"name": "ct"}}).raise_for_status()
    resp = requests.patch(f"{url}/configmaps/ct", data=b"{}", headers={"Content-Type": "application/xml"})
    assert resp.status_code == 415
    assert status_of(resp)["reason"] == "UnsupportedMediaType"
    resp = requests.post(f"{url}/configmaps", data=b"<cm/>", headers={"Content-Type": "text/xml"})
    assert resp.status_code == 415


def test_strategic_patch_on_custom_resource_is_415(apiserver: ServerProcess, namespace: str) -> None:
    apiserver.kubectl("apply", "-f", str(REPO / "examples" / "webapp-crd.yaml"))
    apiserver.kubectl("apply", "-n", namespace, "-f", str(REPO / "examples" / "webapp.yaml"))
    resp = requests.patch(
        f"{apiserver.url}/apis/demo.kruise.io/v1/namespaces/{namespace}/webapps/shop",
        data=b'{"spec":{"replicas":2}}',
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    assert resp.status_code == 415


def test_invalid_pod_update_is_422_naming_spec(url: str) -> None:
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    requests.post(f"{url}/pods", json=pod).raise_for_status()
    resp = requests.patch(
        f"{url}/pods/p",
        json={"spec": {"hostname": "changed"}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert resp.status_code == 422
    status = status_of(resp)
    assert status["reason"] == "Invalid"
    assert status["details"]["causes"][0]["field"] == "spec"
    assert status["message"].startswith(
        'Pod "p" is invalid: spec: Forbidden: pod updates may not change fields '
        "other than `spec.containers[*].image`"
    )
    # an image change is allowed
    resp = requests.patch(
        f"{url}/pods/p",
        json={"spec": {"containers": [{"name": "c", "image": "nginx:2"}]}},
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    assert resp.status_code == 200
    assert resp.json()["spec"]["containers"][0]["image"] == "nginx:2"


def test_invalid_pod_create_lists_causes(url: str) -> None:
    resp = requests.post(f"{url}/pods", json={"metadata": {"name": "Bad_Name"}, "spec": {"containers": []}})
    assert resp.status_code == 422
    fields = {c["field"] for c in status_of(resp)["details"]["causes"]}
    assert {"metadata.name", "spec.containers"} <= fields


def test_oversized_body_is_413(url: str) -> None:
    big = {"metadata": {"name": "big"}, "data": {"blob": "x" * (4 * 1024 * 1024)}}
    resp = requests.post(f"{url}/configmaps", json=big)
    assert resp.status_code == 413
    assert status_of(resp)["reason"] == "RequestEntityTooLarge"
    assert requests.get(f"{url}/configmaps/big").status_code == 404


def test_unknown_resource_and_bad_selectors(apiserver: ServerProcess, url: str) -> None:
    resp = requests.get(f"{apiserver.url}/apis/nope.example.com/v1/things")
    assert resp.status_code == 404
    assert status_of(resp)["reason"] == "NotFound"
    resp = requests.get(f"{url}/pods", params={"labelSelector": "a in (b"})
    assert resp.status_code == 400
    resp = requests.get(f"{url}/pods", params={"fieldSelector": "spec.unknown=x"})
    assert resp.status_code == 400
    assert "field label not supported: spec.unknown" in status_of(resp)["message"]


def test_conflicting_writes_lose_nothing(url: str) -> None:
    requests.post(
        f"{url}/configmaps", json={"metadata": {"name": "race"}, "data": {"n": "0"}}
    ).raise_for_status()
    current = requests.get(f"{url}/configmaps/race").json()
    a = dict(current, data={"n": "a"})
    b = dict(current, data={"n": "b"})
    assert requests.put(f"{url}/configmaps/race", json=a).status_code == 200
    resp = requests.put(f"{url}/configmaps/race", json=b)
    assert resp.status_code == 409
    assert requests.get(f"{url}/configmaps/race").json()["data"] == {"n": "a"}


def test_server_keeps_serving_after_bad_input(apiserver: ServerProcess) -> None:
    for _ in range(3):
        requests.post(
            f"{apiserver.url}/api/v1/namespaces/default/configmaps",
            data=b"\xff\xfe",
            headers={"Content-Type": "application/json"},
        )
    assert requests.get(f"{apiserver.url}/version").json()["gitVersion"].startswith("v1.33")
