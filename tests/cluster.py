"""`kruise up` as a subprocess for end-to-end tests, driven with kubectl."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import REPO

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


def command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return []


class Up:
    def __init__(
        self,
        data_dir: Path,
        marker: str,
        *,
        nodes: int = 2,
        runtime: str = "process",
        env: dict[str, str] | None = None,
    ) -> None:
        self.marker = marker
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
                str(nodes),
                "--runtime",
                runtime,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=REPO,
            env=dict(os.environ, **{MARKER: marker}, **(env or {})),
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 90
        self.output: list[str] = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if line.startswith("kruise is ready"):
                return
        self.proc.kill()
        raise AssertionError("kruise up did not become ready:\n" + "".join(self.output))

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        env = dict(
            os.environ,
            KUBECONFIG=str(self.kubeconfig),
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

    def wait_for(self, check: Callable[[], object], what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.2)

    def component_pid(self, name: str) -> int:
        """The pid of one component process (`manager`, `cluster`, `node`...)."""
        for pid in processes_with_marker(self.marker):
            argv = command_line(pid)
            if len(argv) > 3 and argv[1:3] == ["-m", "kruise.cli.main"] and argv[3] == name:
                return pid
        raise AssertionError(f"no {name} process")

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        rest, _ = self.proc.communicate(timeout=60)
        return rest
