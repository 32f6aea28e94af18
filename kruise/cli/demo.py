"""`kruise demo`: the README's main job, run against a throw-away embedded API server.

For now it shows the API server: start it, apply a Pod and a custom resource with kubectl, list and
scale them, then stop. Later issues extend it to the full cluster and the CloneSet rollout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="run the demo on a temporary embedded API server",
        description="Start an embedded API server in a temporary directory, drive it with kubectl, "
        "and clean up.",
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    p.set_defaults(run=run)


def _step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def _kubectl(env: dict[str, str], *args: str) -> str:
    print("$ kubectl " + " ".join(args), flush=True)
    out = subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=60)
    text = (out.stdout + out.stderr).rstrip()
    print(text, flush=True)
    if out.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)} failed")
    return text


def start_apiserver(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kruise.cli.main",
            "--log-level",
            "warning",
            "apiserver",
            "--data-dir",
            str(data_dir),
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("kruise apiserver listening on"):
            return proc, line.split()[4]
    proc.kill()
    raise RuntimeError("the API server did not start")


def run(args: argparse.Namespace) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="kruise-demo-"))
    proc = None
    try:
        _step(f"starting the embedded API server (data in {data_dir})")
        proc, url = start_apiserver(data_dir)
        print(f"API server ready at {url}")
        env = dict(
            os.environ, KUBECONFIG=str(data_dir / "kubeconfig"), KUBECACHEDIR=str(data_dir / "kube-cache")
        )
        _kubectl(env, "version")
        _step("apply a Pod and a CustomResourceDefinition")
        _kubectl(env, "apply", "-f", str(EXAMPLES / "pod.yaml"))
        _kubectl(env, "apply", "-f", str(EXAMPLES / "webapp-crd.yaml"))
        _kubectl(env, "wait", "--for=condition=Established", "crd/webapps.demo.kruise.io", "--timeout=10s")
        _step("apply a custom object (schema defaults fill spec.replicas)")
        _kubectl(env, "apply", "-f", str(EXAMPLES / "webapp.yaml"))
        _step("list them")
        _kubectl(env, "get", "pods", "-o", "wide")
        _kubectl(env, "get", "webapps")
        _step("scale the custom object through its scale subresource")
        _kubectl(env, "scale", "webapp/shop", "--replicas=3")
        _kubectl(env, "get", "webapp", "shop", "-o", 'jsonpath={.spec.replicas}{"\\n"}')
        _step("an invalid object is rejected with the failing fields")
        bad = data_dir / "bad.yaml"
        bad.write_text(
            (EXAMPLES / "webapp.yaml")
            .read_text()
            .replace("tier: frontend", "tier: middle")
            .replace("name: shop", "name: broken")
        )
        try:
            _kubectl(env, "apply", "-f", str(bad))
        except RuntimeError:
            print("(rejected, as expected)")
        _step("delete and stop")
        _kubectl(env, "delete", "pod", "hello")
        _kubectl(env, "get", "pods")
        return 0
    except RuntimeError as e:
        print(f"demo failed: {e}", file=sys.stderr)
        return 1
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=15)
            print("API server stopped")
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
