"""Two `kruise manager` processes: one leads; kill -9 it and the other takes over within the lease."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import REPO, ServerProcess

pytestmark = pytest.mark.e2e

LEASE, RENEW, RETRY = 3.0, 2.0, 0.5


def start_manager(server: ServerProcess, identity: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kruise.cli.main",
            "manager",
            "--kubeconfig",
            str(server.kubeconfig),
            "--identity",
            identity,
            "--health-port",
            "0",
            "--webhook-port",
            "0",
            "--lease-duration",
            str(LEASE),
            "--renew-deadline",
            str(RENEW),
            "--retry-period",
            str(RETRY),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("kruise manager started"), line
    return proc


def holder(server: ServerProcess) -> str | None:
    resp = requests.get(
        f"{server.url}/apis/coordination.k8s.io/v1/namespaces/kruise-system/leases/kruise-manager"
    )
    if resp.status_code == 404:
        return None
    return resp.json()["spec"].get("holderIdentity") or ""


def wait_for_holder(server: ServerProcess, want: str, timeout: float = 30) -> float:
    start = time.monotonic()
    while holder(server) != want:
        assert time.monotonic() - start < timeout, f"holder is {holder(server)!r}, wanted {want!r}"
        time.sleep(0.05)
    return time.monotonic() - start


def test_leader_hands_over_within_the_lease_after_kill9(apiserver: ServerProcess) -> None:
    a = start_manager(apiserver, "manager-a")
    b = None
    try:
        wait_for_holder(apiserver, "manager-a")
        b = start_manager(apiserver, "manager-b")
        time.sleep(LEASE)  # b is running; a keeps renewing, so it must stay leader
        assert holder(apiserver) == "manager-a"
        a.kill()  # SIGKILL: no release
        a.wait()
        took = wait_for_holder(apiserver, "manager-b")
        assert took <= LEASE + RETRY + 1.0, f"takeover took {took:.2f}s"
        b.terminate()  # a clean stop releases the lease at once
        assert b.wait(timeout=15) == 0
        b = None
        assert holder(apiserver) == ""
    finally:
        for p in (a, b):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
