"""`kruise demo`: the README's main job, on a throw-away embedded cluster.

Starts `kruise up` (API server, scheduler, garbage collector, two process-runtime nodes, manager)
in a temporary directory and creates a CloneSet of five real web servers. It rolls a new image in
place, two Pods at a time, printing each Pod's UID, IP, revision, restarts and lifecycle state as
they change; then rolls the same change on a second CloneSet with ReCreate, and compares the two:
duration, Pods rebuilt, IPs kept, image bytes pulled. It cleans up after itself.
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
from dataclasses import dataclass
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
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLES / "demo-images.yaml", data_dir / "images.yaml")
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


PULL_BYTES = "node.kruise.io/image-bytes-pulled"
STATE = "lifecycle.apps.kruise.io/state"


def _ready(pod: dict[str, Any]) -> bool:
    return any(
        c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", [])
    )


@dataclass
class Rollout:
    strategy: str
    seconds: float
    pods: int
    rebuilt: int
    ips_kept: int
    bytes_pulled: int


def _row(pod: dict[str, Any]) -> str:
    meta = pod["metadata"]
    statuses = pod.get("status", {}).get("containerStatuses") or [{}]
    return (
        f"{meta['name']:<12} uid={meta['uid'][:8]}  ip={pod.get('status', {}).get('podIP', '-'):<13} "
        f"rev={meta['labels'].get('controller-revision-hash', '-').rsplit('-', 1)[-1]:<11} "
        f"restarts={statuses[0].get('restartCount', 0)}  "
        f"state={meta['labels'].get(STATE, '-'):<16}"
        f"{'ready' if _ready(pod) else 'not ready'}"
    )


def _bytes_pulled(kubectl: Kubectl) -> int:
    nodes = kubectl.json("nodes")["items"]
    return sum(int((n["metadata"].get("annotations") or {}).get(PULL_BYTES, 0)) for n in nodes)


def _pods(kubectl: Kubectl, app: str) -> dict[str, dict[str, Any]]:
    items = kubectl.json("pods", "-l", f"app={app}")["items"]
    return {p["metadata"]["name"]: p for p in items}


def _done(kubectl: Kubectl, name: str, replicas: int) -> bool:
    cs = kubectl.json("cloneset", name)
    st = cs.get("status") or {}
    return (
        st.get("observedGeneration") == cs["metadata"]["generation"]
        and st.get("updateRevision") == st.get("currentRevision")
        and st.get("updatedReadyReplicas") == replicas == st.get("readyReplicas") == st.get("replicas")
    )


def roll(kubectl: Kubectl, name: str, image: str, replicas: int, strategy: str) -> Rollout:
    """Change the image and print every Pod change until the rollout is done."""
    before = _pods(kubectl, name)
    pulled = _bytes_pulled(kubectl)
    # a JSON patch touches the image only (a merge patch would replace the whole containers list)
    patch = [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": image}]
    kubectl("patch", "cloneset", name, "--type=json", "-p", json.dumps(patch))
    start = time.monotonic()
    shown: dict[str, str] = {n: _row(p) for n, p in before.items()}
    while True:
        now = _pods(kubectl, name)
        for pod_name, pod in sorted(now.items()):
            row = _row(pod)
            if pod.get("metadata", {}).get("deletionTimestamp"):
                row += " (terminating)"
            if shown.get(pod_name) != row:
                print(f"  +{time.monotonic() - start:5.1f}s  {row}", flush=True)
                shown[pod_name] = row
        for gone in sorted(set(shown) - set(now)):
            print(f"  +{time.monotonic() - start:5.1f}s  {gone:<12} deleted", flush=True)
            del shown[gone]
        if _done(kubectl, name, replicas):
            break
        if time.monotonic() - start > READY_TIMEOUT:
            raise DemoError(f"the {strategy} rollout of {name} did not finish")
        time.sleep(0.25)
    seconds = time.monotonic() - start
    after = _pods(kubectl, name)
    old_ips = {p["metadata"]["uid"]: p["status"].get("podIP") for p in before.values()}
    return Rollout(
        strategy,
        seconds,
        len(after),
        sum(1 for p in after.values() if p["metadata"]["uid"] not in old_ips),
        # the same Pod with the same address (a new Pod may be handed a freed address by chance)
        sum(1 for p in after.values() if old_ips.get(p["metadata"]["uid"]) == p["status"].get("podIP")),
        _bytes_pulled(kubectl) - pulled,
    )


def create_cloneset(kubectl: Kubectl, name: str, strategy: str) -> None:
    text = (EXAMPLES / "cloneset.yaml").read_text()
    text = text.replace("name: web", f"name: {name}").replace("app: web", f"app: {name}")
    text = text.replace("demo/web:", f"demo/{name}:").replace("type: InPlaceIfPossible", f"type: {strategy}")
    kubectl("apply", "-f", "-", input=text)
    kubectl.wait(f"{name} to be ready", lambda: _done(kubectl, name, 5), timeout=READY_TIMEOUT)
    kubectl("get", "cloneset", name)
    kubectl("get", "pods", "-l", f"app={name}", "-o", "wide")


def summary(runs: list[Rollout]) -> None:
    _step("the same image change, two ways")
    print(f"{'':22}" + "".join(f"{r.strategy:>20}" for r in runs))
    rows = [
        ("duration", [f"{r.seconds:.1f}s" for r in runs]),
        ("Pods rebuilt", [f"{r.rebuilt}/{r.pods}" for r in runs]),
        ("IPs kept", [f"{r.ips_kept}/{r.pods}" for r in runs]),
        ("image bytes pulled", [f"{r.bytes_pulled / 1e6:.1f} MB" for r in runs]),
    ]
    for label, cells in rows:
        print(f"{label:22}" + "".join(f"{c:>20}" for c in cells))


def show_validation(kubectl: Kubectl) -> None:
    _step("an invalid CloneSet is refused by the validating webhook, naming the field")
    bad = (EXAMPLES / "cloneset.yaml").read_text().replace("name: web", "name: broken")
    bad = bad.replace("maxUnavailable: 2", "maxUnavailable: 0\n    maxSurge: 0")
    try:
        kubectl("apply", "-f", "-", input=bad)
    except DemoError:
        print("(rejected, as expected)")
    else:
        raise DemoError("the invalid CloneSet was accepted")


def run(args: argparse.Namespace) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="kruise-demo-"))
    proc = None
    try:
        _step(f"starting the embedded cluster: kruise up --nodes 2 (data in {data_dir})")
        proc = start_cluster(data_dir)
        kubectl = Kubectl(data_dir)
        kubectl("get", "nodes")
        _step("a CloneSet of 5 web servers (examples/cloneset.yaml), updateStrategy InPlaceIfPossible")
        create_cloneset(kubectl, "web", "InPlaceIfPossible")
        _step("roll demo/web:2.0 in place, maxUnavailable 2: same Pods, same IPs, one container restart")
        runs = [roll(kubectl, "web", "demo/web:2.0", 5, "InPlaceIfPossible")]
        kubectl("get", "cloneset", "web")
        _step("the same change with ReCreate, on a twin CloneSet (its own image, same sizes)")
        create_cloneset(kubectl, "shop", "ReCreate")
        runs.append(roll(kubectl, "shop", "demo/shop:2.0", 5, "ReCreate"))
        kubectl("get", "cloneset", "shop")
        summary(runs)
        show_validation(kubectl)
        _step("clean up")
        kubectl("delete", "cloneset", "web", "shop", "--timeout=60s")
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
