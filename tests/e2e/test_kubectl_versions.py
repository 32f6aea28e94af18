"""Every kubectl minor version on the machine image (1.27 to 1.33) works against the server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, ServerProcess

pytestmark = pytest.mark.e2e

SDK_BIN = Path("/usr/lib/google-cloud-sdk/bin")
VERSIONS = ["1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33"]


def _binary(version: str) -> str:
    path = SDK_BIN / f"kubectl.{version}"
    if not path.exists():
        pytest.fail(f"kubectl {version} is not installed at {path}; the machine image ships 1.27 to 1.33")
    return str(path)


@pytest.mark.parametrize("version", VERSIONS)
def test_core_verbs_with_kubectl_version(apiserver: ServerProcess, namespace: str, version: str) -> None:
    kubectl = _binary(version)

    def run(*args: str, input: str | None = None) -> str:
        return apiserver.kubectl(*args, input=input, binary=kubectl).stdout

    cm = (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: {namespace}\ndata:\n  k: one\n"
    )
    assert run("apply", "-f", "-", input=cm).strip() == "configmap/cm created"
    assert run("apply", "-f", "-", input=cm.replace("k: one", "k: two")).strip() == "configmap/cm configured"
    header = run("get", "configmaps", "-n", namespace).splitlines()[0].split()
    assert header == ["NAME", "DATA", "AGE"]
    run("patch", "configmap", "cm", "-n", namespace, "--type=strategic", "-p", '{"data":{"x":"y"}}')
    data = json.loads(run("get", "configmap", "cm", "-n", namespace, "-o", "json"))["data"]
    assert data == {"k": "two", "x": "y"}
    assert (
        run(
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            "-",
            input=cm.replace("name: cm", "name: cm-ssa"),
        ).strip()
        == "configmap/cm-ssa serverside-applied"
    )
    apiserver.kubectl("apply", "-f", str(REPO / "examples" / "webapp-crd.yaml"), binary=kubectl)
    apiserver.kubectl("apply", "-n", namespace, "-f", str(REPO / "examples" / "webapp.yaml"), binary=kubectl)
    assert (
        run("scale", "-n", namespace, "webapp/shop", "--replicas=2").strip()
        == "webapp.demo.kruise.io/shop scaled"
    )
    assert run("delete", "configmap", "cm", "-n", namespace).strip() == 'configmap "cm" deleted'
