"""`kruise up`: the whole embedded cluster as separate processes, driven with kubectl."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e

MARKER = "KRUISE_UP_TEST_MARKER"


def processes_with_marker(value: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if f"{MARKER}={value}".encode() in env.split(b"\0"):
            found.append(int(pid))
    return found


class Up:
    def __init__(self, data_dir: Path, marker: str) -> None:
        env = dict(os.environ, **{MARKER: marker})
        self.data_dir = data_dir
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kruise.cli.main",
                "up",
                "--data-dir",
                str(data_dir),
                "--port",
                "0",
                "--nodes",
                "2",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=REPO,
            env=env,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 90
        self.output = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if line.startswith("kruise is ready"):
                return
        self.proc.kill()
        raise AssertionError("kruise up did not become ready:\n" + "".join(self.output))

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        env = dict(
            os.environ,
            KUBECONFIG=str(self.data_dir / "kubeconfig"),
            KUBECACHEDIR=str(self.data_dir / "kube-cache"),
        )
        out = subprocess.run(
            ["kubectl", *args], env=env, input=input, capture_output=True, text=True, timeout=60
        )
        if check and out.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)}: {out.stderr}")
        return out

    def get(self, *args: str) -> dict:
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def wait_for(self, check, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.2)

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        rest, _ = self.proc.communicate(timeout=60)
        return rest


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
