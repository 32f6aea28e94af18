"""Shared fixtures: a real `kruise apiserver` process, kubectl and the official client against it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@dataclass
class ServerProcess:
    data_dir: Path
    proc: subprocess.Popen[str]
    url: str
    log_path: Path

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    def env(self) -> dict[str, str]:
        return dict(
            os.environ, KUBECONFIG=str(self.kubeconfig), KUBECACHEDIR=str(self.data_dir / "kube-cache")
        )

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        timeout: float = 60,
        binary: str = "kubectl",
    ) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(
            [binary, *args], env=self.env(), input=input, capture_output=True, text=True, timeout=timeout
        )
        if check and out.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}"
            )
        return out

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(data_dir: Path, *extra: str, port: int = 0) -> ServerProcess:
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "apiserver.log"
    log = log_path.open("a")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kruise.cli.main",
            "apiserver",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("kruise apiserver listening on"):
            return ServerProcess(data_dir, proc, line.split()[4], log_path)
    proc.kill()
    raise RuntimeError(f"apiserver did not start; log:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("apiserver"))
    yield server
    server.stop()


@pytest.fixture
def namespace(apiserver: ServerProcess) -> Iterator[str]:
    name = "t-" + uuid.uuid4().hex[:8]
    apiserver.kubectl(
        "apply", "-f", "-", input=f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
    )
    yield name
    apiserver.kubectl("delete", "namespace", name, "--wait=false", check=False)
