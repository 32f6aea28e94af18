"""kubectl (the version the machine's dispatcher picks for the server) against `kruise apiserver`."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, ServerProcess

pytestmark = pytest.mark.e2e

CRD = (REPO / "examples" / "webapp-crd.yaml").read_text()


def pod_yaml(name: str, image: str = "nginx:1.25", labels: str = "app: web") -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels:
    {labels}
spec:
  containers:
  - name: app
    image: {image}
  - name: sidecar
    image: busybox:1.36
"""


def get_json(server: ServerProcess, *args: str) -> dict:
    return json.loads(server.kubectl("get", *args, "-o", "json").stdout)


@pytest.fixture(scope="module")
def webapp_crd(apiserver: ServerProcess) -> None:
    apiserver.kubectl("apply", "-f", "-", input=CRD)
    apiserver.kubectl("wait", "--for=condition=Established", "crd/webapps.demo.kruise.io", "--timeout=10s")


def test_apply_creates_then_reapply_changes(apiserver: ServerProcess, namespace: str) -> None:
    out = apiserver.kubectl("apply", "-n", namespace, "-f", "-", input=pod_yaml("p1"))
    assert out.stdout.strip() == "pod/p1 created"
    out = apiserver.kubectl("apply", "-n", namespace, "-f", "-", input=pod_yaml("p1", image="nginx:1.26"))
    assert out.stdout.strip() == "pod/p1 configured"
    pod = get_json(apiserver, "pod", "p1", "-n", namespace)
    assert [c["image"] for c in pod["spec"]["containers"]] == ["nginx:1.26", "busybox:1.36"]
    assert "kubectl.kubernetes.io/last-applied-configuration" in pod["metadata"]["annotations"]
    out = apiserver.kubectl("apply", "-n", namespace, "-f", "-", input=pod_yaml("p1", image="nginx:1.26"))
    assert out.stdout.strip() == "pod/p1 unchanged"


def test_get_prints_pod_table_columns(apiserver: ServerProcess, namespace: str) -> None:
    apiserver.kubectl("apply", "-n", namespace, "-f", "-", input=pod_yaml("p2"))
    lines = apiserver.kubectl("get", "pods", "-n", namespace).stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert lines[1].split()[:4] == ["p2", "0/2", "Pending", "0"]
    wide = apiserver.kubectl("get", "pods", "-n", namespace, "-o", "wide").stdout.splitlines()
    assert wide[0].split()[:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]


def test_get_watch_prints_later_changes(apiserver: ServerProcess, namespace: str) -> None:
    apiserver.kubectl("create", "configmap", "watched", "-n", namespace, "--from-literal=v=1")
    watch = subprocess.Popen(
        ["kubectl", "get", "configmap", "watched", "-n", namespace, "-w", "-o", 'jsonpath={.data.v}{"\\n"}'],
        env=apiserver.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watch.stdout is not None
        assert watch.stdout.readline().strip() == "1"
        apiserver.kubectl(
            "patch", "configmap", "watched", "-n", namespace, "--type=merge", "-p", '{"data":{"v":"2"}}'
        )
        assert watch.stdout.readline().strip() == "2"
        apiserver.kubectl(
            "patch", "configmap", "watched", "-n", namespace, "--type=merge", "-p", '{"data":{"v":"3"}}'
        )
        assert watch.stdout.readline().strip() == "3"
    finally:
        watch.kill()
        watch.wait()


def test_label_and_annotate(apiserver: ServerProcess, namespace: str) -> None:
    apiserver.kubectl("apply", "-n", namespace, "-f", "-", input=pod_yaml("p3"))
    assert (
        apiserver.kubectl("label", "pod", "p3", "-n", namespace, "tier=web").stdout.strip()
        == "pod/p3 labeled"
    )
    refused = apiserver.kubectl("label", "pod", "p3", "-n", namespace, "tier=db", check=False)
    assert refused.returncode != 0 and "already has a value (web)" in refused.stderr
    apiserver.kubectl("label", "pod", "p3", "-n", namespace, "tier=db", "--overwrite")
    apiserver.kubectl("annotate", "pod", "p3", "-n", namespace, "owner=team-a")
    meta = get_json(apiserver, "pod", "p3", "-n", namespace)["metadata"]
    assert meta["labels"] == {"app": "web", "tier": "db"}
    assert meta["annotations"]["owner"] == "team-a"
    selected = apiserver.kubectl(
        "get", "pods", "-n", namespace, "-l", "tier in (db,cache)", "-o", "name"
    ).stdout
    assert selected.split() == ["pod/p3"]
    apiserver.kubectl("label", "pod", "p3", "-n", namespace, "tier-")
    assert "tier" not in get_json(apiserver, "pod", "p3", "-n", namespace)["metadata"]["labels"]


def test_patch_merge_json_strategic(apiserver: ServerProcess, namespace: str) -> None:
    apiserver.kubectl("apply", "-n", namespace, "-f", "-", input=pod_yaml("p4"))
    apiserver.kubectl(
        "patch",
        "pod",
        "p4",
        "-n",
        namespace,
        "--type=strategic",
        "-p",
        '{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.37"}]}}',
    )
    pod = get_json(apiserver, "pod", "p4", "-n", namespace)
    assert [(c["name"], c["image"]) for c in pod["spec"]["containers"]] == [
        ("app", "nginx:1.25"),
        ("sidecar", "busybox:1.37"),
    ]
    apiserver.kubectl(
        "patch",
        "pod",
        "p4",
        "-n",
        namespace,
        "--type=json",
        "-p",
        '[{"op":"replace","path":"/spec/containers/0/image","value":"nginx:1.27"}]',
    )
    apiserver.kubectl(
        "patch",
        "pod",
        "p4",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"metadata":{"labels":{"patched":"yes"}}}',
    )
    pod = get_json(apiserver, "pod", "p4", "-n", namespace)
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert pod["metadata"]["labels"]["patched"] == "yes"
    bad = apiserver.kubectl(
        "patch",
        "pod",
        "p4",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec":{"restartPolicy":"Never"}}',
        check=False,
    )
    assert bad.returncode != 0
    assert "pod updates may not change fields other than" in bad.stderr
    failed_test = apiserver.kubectl(
        "patch",
        "pod",
        "p4",
        "-n",
        namespace,
        "--type=json",
        "-p",
        '[{"op":"test","path":"/metadata/labels/app","value":"nope"}]',
        check=False,
    )
    assert failed_test.returncode != 0


def test_scale_custom_resource(apiserver: ServerProcess, namespace: str, webapp_crd: None) -> None:
    apiserver.kubectl("apply", "-n", namespace, "-f", str(REPO / "examples" / "webapp.yaml"))
    obj = get_json(apiserver, "webapp", "shop", "-n", namespace)
    assert obj["spec"]["replicas"] == 1  # schema default
    out = apiserver.kubectl("scale", "webapp/shop", "-n", namespace, "--replicas=4")
    assert out.stdout.strip() == "webapp.demo.kruise.io/shop scaled"
    assert get_json(apiserver, "webapp", "shop", "-n", namespace)["spec"]["replicas"] == 4
    lines = apiserver.kubectl("get", "webapps", "-n", namespace).stdout.splitlines()
    assert lines[0].split() == ["NAME", "IMAGE", "REPLICAS", "AGE"]
    assert lines[1].split()[:3] == ["shop", "nginx:1.25", "4"]


def test_invalid_custom_object_lists_every_field(
    apiserver: ServerProcess, namespace: str, webapp_crd: None
) -> None:
    bad = """
apiVersion: demo.kruise.io/v1
kind: WebApp
metadata:
  name: broken
spec:
  tier: middle
  replicas: -2
"""
    out = apiserver.kubectl("apply", "-n", namespace, "-f", "-", input=bad, check=False)
    assert out.returncode != 0
    assert 'The WebApp "broken" is invalid' in out.stderr
    assert "spec.image: Required value" in out.stderr
    assert 'spec.tier: Unsupported value: "middle"' in out.stderr
    assert "spec.replicas: Invalid value: -2" in out.stderr


def test_delete_returns_once_gone(apiserver: ServerProcess, namespace: str) -> None:
    apiserver.kubectl("apply", "-n", namespace, "-f", "-", input=pod_yaml("p5"))
    out = apiserver.kubectl("delete", "pod", "p5", "-n", namespace)
    assert out.stdout.strip() == 'pod "p5" deleted'
    gone = apiserver.kubectl("get", "pod", "p5", "-n", namespace, check=False)
    assert gone.returncode != 0
    assert 'pods "p5" not found' in gone.stderr


def test_delete_namespace_empties_and_removes_it(apiserver: ServerProcess) -> None:
    # `kruise apiserver` on its own runs the namespace controller against itself.
    apiserver.kubectl("create", "namespace", "doomed")
    apiserver.kubectl("create", "configmap", "c1", "-n", "doomed", "--from-literal=a=1")
    apiserver.kubectl("apply", "-n", "doomed", "-f", "-", input=pod_yaml("unbound"))
    out = apiserver.kubectl("delete", "namespace", "doomed", "--timeout=60s")
    assert out.stdout.strip() == 'namespace "doomed" deleted'
    gone = apiserver.kubectl("get", "namespace", "doomed", check=False)
    assert gone.returncode != 0 and 'namespaces "doomed" not found' in gone.stderr
    left = apiserver.kubectl("get", "configmaps,pods", "-n", "doomed", "-o", "name").stdout
    assert left.strip() == ""


def test_describe_pod_and_custom_object(apiserver: ServerProcess, namespace: str, webapp_crd: None) -> None:
    apiserver.kubectl("apply", "-n", namespace, "-f", "-", input=pod_yaml("p6"))
    text = apiserver.kubectl("describe", "pod", "p6", "-n", namespace).stdout
    assert "Name:" in text and "p6" in text
    assert f"Namespace:        {namespace}" in text
    assert "nginx:1.25" in text and "busybox:1.36" in text
    apiserver.kubectl("apply", "-n", namespace, "-f", str(REPO / "examples" / "webapp.yaml"))
    text = apiserver.kubectl("describe", "webapp", "shop", "-n", namespace).stdout
    assert "Kind:         WebApp" in text
    assert "Image:     nginx:1.25" in text


def test_apply_server_side_with_conflicts(apiserver: ServerProcess, namespace: str, tmp_path: Path) -> None:
    cm = f"""
apiVersion: v1
kind: ConfigMap
metadata:
  name: ssa
  namespace: {namespace}
data:
  a: "1"
"""
    out = apiserver.kubectl("apply", "--server-side", "-f", "-", input=cm)
    assert out.stdout.strip() == "configmap/ssa serverside-applied"
    obj = get_json(apiserver, "configmap", "ssa", "-n", namespace, "--show-managed-fields")
    managers = {(m["manager"], m["operation"]) for m in obj["metadata"]["managedFields"]}
    assert ("kubectl", "Apply") in managers
    # another manager takes the field, then a plain server-side apply conflicts
    apiserver.kubectl(
        "apply",
        "--server-side",
        "--field-manager=other",
        "--force-conflicts",
        "-f",
        "-",
        input=cm.replace('"1"', '"2"'),
    )
    conflict = apiserver.kubectl(
        "apply", "--server-side", "-f", "-", input=cm.replace('"1"', '"3"'), check=False
    )
    assert conflict.returncode != 0
    assert 'conflict with "other"' in conflict.stderr and ".data.a" in conflict.stderr
    apiserver.kubectl(
        "apply", "--server-side", "--force-conflicts", "-f", "-", input=cm.replace('"1"', '"3"')
    )
    assert get_json(apiserver, "configmap", "ssa", "-n", namespace)["data"] == {"a": "3"}


def test_namespace_deletion_removes_contents(apiserver: ServerProcess) -> None:
    apiserver.kubectl(
        "apply", "-f", "-", input="apiVersion: v1\nkind: Namespace\nmetadata:\n  name: doomed\n"
    )
    apiserver.kubectl("create", "configmap", "c1", "-n", "doomed", "--from-literal=k=v")
    apiserver.kubectl("apply", "-n", "doomed", "-f", "-", input=pod_yaml("p7"))
    apiserver.kubectl("delete", "namespace", "doomed", "--timeout=30s")
    assert apiserver.kubectl("get", "namespace", "doomed", check=False).returncode != 0
    out = apiserver.kubectl("create", "configmap", "c2", "-n", "doomed", check=False)
    assert out.returncode != 0 and 'namespaces "doomed" not found' in out.stderr


def test_terminating_namespace_refuses_new_objects(apiserver: ServerProcess, namespace: str) -> None:
    apiserver.kubectl("create", "configmap", "held", "-n", namespace)
    apiserver.kubectl(
        "patch",
        "configmap",
        "held",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":["example.com/hold"]}}',
    )
    apiserver.kubectl("delete", "namespace", namespace, "--wait=false")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        phase = get_json(apiserver, "namespace", namespace)["status"]["phase"]
        if phase == "Terminating":
            break
        time.sleep(0.1)
    assert phase == "Terminating"
    out = apiserver.kubectl("create", "configmap", "late", "-n", namespace, check=False)
    assert out.returncode != 0
    assert "because it is being terminated" in out.stderr
    apiserver.kubectl(
        "patch",
        "configmap",
        "held",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":null}}',
    )
    apiserver.kubectl("wait", "--for=delete", f"namespace/{namespace}", "--timeout=30s")


def test_typed_create_commands_send_protobuf(apiserver: ServerProcess, namespace: str) -> None:
    run = apiserver.kubectl
    assert run("create", "namespace", f"{namespace}-x").stdout.strip() == f"namespace/{namespace}-x created"
    run("create", "configmap", "cm", "-n", namespace, "--from-literal=a=b")
    run("create", "secret", "generic", "s", "-n", namespace, "--from-literal=k=v")
    run("create", "deployment", "d", "-n", namespace, "--image=nginx:1.25", "--replicas=2", "--port=80")
    run("create", "job", "j", "-n", namespace, "--image=busybox", "--", "echo", "hi")
    run("create", "cronjob", "cj", "-n", namespace, "--image=busybox", "--schedule=*/5 * * * *")
    run("create", "serviceaccount", "sa", "-n", namespace)
    run("create", "service", "clusterip", "svc", "-n", namespace, "--tcp=80:8080")
    run("create", "pdb", "pdb", "-n", namespace, "--selector=app=d", "--min-available=1")
    assert get_json(apiserver, "configmap", "cm", "-n", namespace)["data"] == {"a": "b"}
    assert get_json(apiserver, "secret", "s", "-n", namespace)["data"] == {"k": "dg=="}
    deploy = get_json(apiserver, "deployment", "d", "-n", namespace)
    assert deploy["spec"]["replicas"] == 2
    assert deploy["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80, "protocol": "TCP"}
    ]
    job = get_json(apiserver, "job", "j", "-n", namespace)
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi"]
    assert get_json(apiserver, "cronjob", "cj", "-n", namespace)["spec"]["schedule"] == "*/5 * * * *"
    svc = get_json(apiserver, "service", "svc", "-n", namespace)
    assert svc["spec"]["ports"][0]["port"] == 80 and svc["spec"]["ports"][0]["targetPort"] == 8080
    assert svc["spec"]["clusterIP"].startswith("10.96.")
    assert get_json(apiserver, "pdb", "pdb", "-n", namespace)["spec"]["minAvailable"] == 1
    run("delete", "namespace", f"{namespace}-x", "--wait=false")
