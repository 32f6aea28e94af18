"""`kruise demo`: the README's main job, on a throw-away embedded cluster.

Starts `kruise up` (API server, scheduler, garbage collector, two process-runtime nodes, manager)
in a temporary directory, runs a real web server Pod, upgrades one of its containers in place,
shows a custom resource with its printer columns and scale subresource, and cleans up. Later
issues extend it with the CloneSet in-place rollout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
READY_TIMEOUT = 120.0


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="run the demo on a temporary embedded cluster",
        description="Start an embedded cluster in a temporary directory, drive it with kubectl, "
        "and clean up.",
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    p.set_defaults(run=run)


class DemoError(Exception):
    pass


def _step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


class Kubectl:
    def __init__(self, data_dir: Path) -> None:
        self.env = dict(
            os.environ, KUBECONFIG=str(data_dir / "kubeconfig"), KUBECACHEDIR=str(data_dir / "kube-cache")
        )

    def __call__(self, *args: str, show: bool = True, input: str | None = None) -> str:
        if show:
            print("$ kubectl " + " ".join(args), flush=True)
        out = subprocess.run(
            ["kubectl", *args], env=self.env, capture_output=True, text=True, timeout=120, input=input
        )
        text = (out.stdout + out.stderr).rstrip()
        if show and text:
            print(text, flush=True)
        if out.returncode != 0:
            raise DemoError(f"kubectl {' '.join(args)} failed: {out.stderr.strip()}")
        return out.stdout

    def json(self, *args: str) -> dict[str, Any]:
        return json.loads(self("get", *args, "-o", "json", show=False))

    def wait(self, what: str, check: Any, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise DemoError(f"timed out waiting for {what}")
            time.sleep(0.3)


def start_cluster(data_dir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kruise.cli.main",
            "--log-level",
            "warning",
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
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        print("   " + line.rstrip(), flush=True)
        if line.startswith("kruise is ready"):
            return proc
    proc.kill()
    raise DemoError("the embedded cluster did not become ready")


def _ready(pod: dict[str, Any]) -> bool:
    return any(
        c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", [])
    )


def _containers(pod: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in pod.get("status", {}).get("containerStatuses", [])}


def show_pod(kubectl: Kubectl) -> None:
    _step("a real web server Pod, scheduled onto a node and probed over HTTP until Ready")
    kubectl("apply", "-f", str(EXAMPLES / "web-pod.yaml"))
    kubectl.wait("the web Pod to be Ready", lambda: _ready(kubectl.json("pod", "web")))
    kubectl("get", "pods", "-o", "wide")
    ip = kubectl.json("pod", "web")["status"]["podIP"]
    print(f"(the kubelet probes http://{ip}:8080/ and the server logs each request)")
    kubectl("logs", "web", "-c", "server", "--tail=2")

    _step("change one container's image: only that container restarts, in place")
    before = kubectl.json("pod", "web")
    kubectl(
        "patch",
        "pod",
        "web",
        "--type=strategic",
        "-p",
        '{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.37"}]}}',
    )
    kubectl.wait(
        "the sidecar to restart",
        lambda: _containers(kubectl.json("pod", "web"))["sidecar"].get("restartCount", 0) == 1,
    )
    kubectl.wait("the Pod to be Ready again", lambda: _ready(kubectl.json("pod", "web")))
    after = kubectl.json("pod", "web")
    b, a = _containers(before), _containers(after)
    print(f"{'':14}{'before':>44}  {'after':>44}")
    print(f"{'pod uid':14}{before['metadata']['uid']:>44}  {after['metadata']['uid']:>44}")
    print(f"{'pod ip':14}{before['status']['podIP']:>44}  {after['status']['podIP']:>44}")
    print(f"{'node':14}{before['spec']['nodeName']:>44}  {after['spec']['nodeName']:>44}")
    for name in ("server", "sidecar"):
        print(f"{name + ' id':14}{b[name]['containerID'][-44:]:>44}  {a[name]['containerID'][-44:]:>44}")
        print(f"{name + ' restarts':14}{b[name]['restartCount']:>44}  {a[name]['restartCount']:>44}")
    if (
        before["metadata"]["uid"] != after["metadata"]["uid"]
        or b["server"]["containerID"] != a["server"]["containerID"]
    ):
        raise DemoError("the Pod or its untouched container was rebuilt")


def show_custom_resource(kubectl: Kubectl, data_dir: Path) -> None:
    _step("a CustomResourceDefinition: schema defaults, printer columns, the scale subresource")
    kubectl("apply", "-f", str(EXAMPLES / "webapp-crd.yaml"))
    kubectl("wait", "--for=condition=Established", "crd/webapps.demo.kruise.io", "--timeout=10s")
    kubectl("apply", "-f", str(EXAMPLES / "webapp.yaml"))
    kubectl("scale", "webapp/shop", "--replicas=3")
    kubectl("get", "webapps")
    _step("an invalid object is rejected, naming every failing field")
    bad = (EXAMPLES / "webapp.yaml").read_text().replace("tier: frontend", "tier: middle")
    bad = bad.replace("name: shop", "name: broken").replace("  image: nginx:1.25\n", "")
    try:
        kubectl("apply", "-f", "-", input=bad)
    except DemoError:
        print("(rejected, as expected)")


def run(args: argparse.Namespace) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="kruise-demo-"))
    proc = None
    try:
        _step(f"starting the embedded cluster: kruise up --nodes 2 (data in {data_dir})")
        proc = start_cluster(data_dir)
        kubectl = Kubectl(data_dir)
        kubectl("get", "nodes")
        show_pod(kubectl)
        show_custom_resource(kubectl, data_dir)
        _step("delete the Pod: preStop, SIGTERM, then the object goes")
        kubectl("delete", "pod", "web", "--timeout=60s")
        kubectl("get", "pods")
        return 0
    except DemoError as e:
        print(f"demo failed: {e}", file=sys.stderr)
        return 1
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
            print("embedded cluster stopped", flush=True)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
