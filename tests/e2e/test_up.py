"""`kruise up`: the whole embedded cluster as separate processes, driven with kubectl."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.cluster import Up, processes_with_marker

pytestmark = pytest.mark.e2e

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  {extra}
  containers:
  - name: web
    image: python:3.11
    command: ["sh", "-c", "exec python3 -m http.server 8080 --bind $POD_IP"]
    readinessProbe:
      httpGet: {{path: /, port: 8080}}
      periodSeconds: 1
"""


def test_up_schedules_runs_collects_and_stops_cleanly(tmp_path: Path) -> None:
    marker = f"up-{os.getpid()}-{time.time_ns()}"
    up = Up(tmp_path / "cluster", marker)
    try:
        nodes = up.get("nodes")["items"]
        assert sorted(n["metadata"]["name"] for n in nodes) == ["node-1", "node-2"]
        up.kubectl(
            "apply",
            "-f",
            "-",
            input=POD.format(name="pinned", extra="nodeSelector: {kubernetes.io/hostname: node-2}"),
        )
        up.kubectl("apply", "-f", "-", input=POD.format(name="other-scheduler", extra="schedulerName: nope"))

        def ready() -> bool:
            pod = up.get("pod", "pinned")
            return any(
                c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", [])
            )

        up.wait_for(ready, "the pinned pod to be Ready")
        pod = up.get("pod", "pinned")
        assert pod["spec"]["nodeName"] == "node-2"
        assert pod["status"]["podIP"].startswith("127.102.")
        pending = up.get("pod", "other-scheduler")
        assert pending["status"]["phase"] == "Pending"
        assert "nodeName" not in pending["spec"]
        assert not [c for c in pending["status"].get("conditions", []) if c["type"] == "PodScheduled"]

        # the garbage collector removes a dependent once its owner is gone
        owner = up.get("pod", "pinned")["metadata"]
        up.kubectl(
            "apply",
            "-f",
            "-",
            input=f"""
apiVersion: v1
kind: ConfigMap
metadata:
  name: dependent
  ownerReferences:
  - {{apiVersion: v1, kind: Pod, name: pinned, uid: {owner["uid"]}}}
""",
        )
        up.kubectl("delete", "pod", "pinned", "--timeout=60s")
        up.wait_for(
            lambda: up.kubectl("get", "configmap", "dependent", check=False).returncode != 0,
            "the dependent ConfigMap to be collected",
        )
        up.kubectl("apply", "-f", "-", input=POD.format(name="survivor", extra=""))
        up.wait_for(lambda: up.get("pod", "survivor")["status"].get("phase") == "Running", "survivor running")
        assert processes_with_marker(marker), "the cluster's processes should carry the marker"

        # deleting a namespace stops its Pods on their node, then removes it (the namespace
        # controller of `kruise cluster`)
        up.kubectl("create", "namespace", "ephemeral")
        up.kubectl("apply", "-n", "ephemeral", "-f", "-", input=POD.format(name="short-lived", extra=""))
        up.wait_for(
            lambda: up.get("pod", "short-lived", "-n", "ephemeral")["status"].get("phase") == "Running",
            "short-lived running",
        )
        out = up.kubectl("delete", "namespace", "ephemeral", "--timeout=90s")
        assert out.stdout.strip() == 'namespace "ephemeral" deleted'
        assert up.kubectl("get", "namespace", "ephemeral", check=False).returncode != 0
    finally:
        rest = up.stop()
    assert "kruise stopped" in rest
    deadline = time.monotonic() + 30
    while processes_with_marker(marker):
        assert time.monotonic() < deadline, f"stray processes: {processes_with_marker(marker)}"
        time.sleep(0.2)

    # restarting on the same directory keeps the state
    again = Up(tmp_path / "cluster", marker)
    try:
        assert again.get("pod", "survivor")["metadata"]["name"] == "survivor"
        assert again.kubectl("get", "pod", "pinned", check=False).returncode != 0
    finally:
        again.stop()
