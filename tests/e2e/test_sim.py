"""`kruise up --runtime sim`: Pods scheduled onto sim nodes run without processes; annotations
inject crashes and failing probes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import REPO

pytestmark = pytest.mark.e2e

Obj = dict[str, Any]


class SimCluster:
    def __init__(self, data_dir: Path, nodes: int = 2) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kruise.cli.main", "up", "--data-dir", str(data_dir), "--port", "0",
             "--nodes", str(nodes), "--runtime", "sim"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
            env=dict(os.environ, KRUISE_SIM_STAGES="zero"),
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.api, out = "", []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            out.append(line)
            if line.startswith("api server:"):
                self.api = line.split()[-1]
            if line.startswith("kruise is ready"):
                return
        self.proc.kill()
        raise AssertionError("kruise up --runtime sim did not become ready:\n" + "".join(out))

    def create(self, pod: Obj) -> None:
        r = requests.post(f"{self.api}/api/v1/namespaces/default/pods", json=pod, timeout=10)
        assert r.status_code == 201, r.text

    def pods(self) -> dict[str, Obj]:
        r = requests.get(f"{self.api}/api/v1/namespaces/default/pods", timeout=10)
        return {p["metadata"]["name"]: p for p in r.json()["items"]}

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        rest, _ = self.proc.communicate(timeout=60)
        return rest


def pod(name: str, annotations: dict[str, str] | None = None, **container: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "sim"}, "annotations": annotations or {}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.25", **container}]},
    }


def ready(p: Obj) -> bool:
    conds = (p.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conds)


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def test_sim_runtime_runs_pods_and_injects_failures(tmp_path: Path) -> None:
    cluster = SimCluster(tmp_path / "cluster")
    probe = {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1}
    try:
        for i in range(20):
            cluster.create(pod(f"web-{i}", readinessProbe=probe, livenessProbe={"tcpSocket": {"port": 80}}))
        cluster.create(pod("crasher", {"sim.kruise.io/exit": "app=2@0.2"}))
        cluster.create(pod("unready", {"sim.kruise.io/fail-probe": "app:readiness"}, readinessProbe=probe))

        def all_web_ready() -> bool:
            pods = cluster.pods()
            web = [p for n, p in pods.items() if n.startswith("web-")]
            return len(web) == 20 and all(p["status"].get("phase") == "Running" and ready(p) for p in web)

        wait_for(all_web_ready, "20 sim pods Running and Ready")
        pods = cluster.pods()
        assert {p["spec"]["nodeName"] for n, p in pods.items() if n.startswith("web-")} == {
            "node-1",
            "node-2",
        }
        ips = [p["status"]["podIP"] for n, p in pods.items() if n.startswith("web-")]
        assert len(set(ips)) == 20

        seen_backoff: list[str] = []

        def crash_looping() -> bool:
            st = (cluster.pods()["crasher"]["status"].get("containerStatuses") or [{}])[0]
            reason = ((st.get("state") or {}).get("waiting") or {}).get("reason", "")
            if reason == "CrashLoopBackOff":
                seen_backoff.append(reason)
            last = (st.get("lastState") or {}).get("terminated") or {}
            return st.get("restartCount", 0) >= 2 and bool(seen_backoff) and last.get("exitCode") == 2

        wait_for(crash_looping, "the crasher to crash-loop (restartCount >= 2, CrashLoopBackOff)", 60)

        unready = cluster.pods()["unready"]
        assert unready["status"]["phase"] == "Running"
        assert not ready(unready)
        st = unready["status"]["containerStatuses"][0]
        assert "running" in st["state"] and st["ready"] is False and st.get("restartCount", 0) == 0

        r = requests.get(f"{cluster.api}/api/v1/namespaces/default/pods/web-0/log", timeout=10)
        if r.status_code == 200:  # logs go through the node's server when the API proxies them
            assert "sim: container app" in r.text
    finally:
        rest = cluster.stop()
    assert "kruise stopped" in rest
