"""The `process` runtime: every container is a real child process in its own process group.

Each Pod gets an IP of its own from 127.0.0.0/8 (exported as POD_IP), so Pods can listen on the
same port. stdout/stderr are piped through the agent into CRI log files. A watchdog process
(orphan_guard) kills every container group the moment the agent dies, even by SIGKILL; and every
started container leaves a pid file in DIR/containers, so a new agent instance also kills
whatever a previous one left (say, a container started just as the agent was killed).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from ..logs import LogWriter, pump
from .base import (
    ContainerConfig,
    ContainerInfo,
    ContainerRuntimeError,
    ExecResult,
    Runtime,
    SandboxConfig,
)
from .orphan_guard import OrphanGuard
from .table import ContainerTable

log = logging.getLogger("kruise.node.process")

_PREFIX = "process://"


@dataclass
class _Container:
    info: ContainerInfo
    config: ContainerConfig
    proc: asyncio.subprocess.Process | None = None
    done: asyncio.Future[int] | None = None
    reaper: asyncio.Task[None] | None = None


class ProcessRuntime(ContainerTable, Runtime):
    name = "process"

    def __init__(self, data_dir: Path, pod_cidr: str = "127.1.0.0/16") -> None:
        self.data_dir = data_dir
        self.pid_dir = data_dir / "containers"
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        self._network = ipaddress.ip_network(pod_cidr)
        self._sandbox_file = data_dir / "sandboxes.json"
        self._sandboxes: dict[str, str] = _read_json(self._sandbox_file) or {}
        self._init_table()
        self._guard = OrphanGuard()

    # ------------------------------------------------------------------ recovery
    async def recover(self) -> list[str]:
        handled = []
        for path in sorted(self.pid_dir.glob("*.json")):
            record = _read_json(path) or {}
            pid = int(record.get("pid") or 0)
            started = _start_time(pid) if pid else None
            # Alive with another start time: the pid was reused, so the old group is gone (a pid
            # in use as a process group id is never handed out). Dead: its group may live on.
            if pid and (started is None or started == record.get("procStart")):
                # A previous agent's container: we cannot wait() on a non-child, so end it; the
                # pod worker starts a new instance (restartCount+1) as after a runtime restart.
                _signal_group(pid, signal.SIGKILL)
                await _until_gone(pid)
                handled.append(f"killed {record.get('id')} pid={pid} container={record.get('name')}")
            path.unlink(missing_ok=True)
        return handled

    # ------------------------------------------------------------------ sandboxes
    async def run_sandbox(self, config: SandboxConfig) -> str:
        ip = self._sandboxes.get(config.pod_uid)
        if ip is None:
            used = set(self._sandboxes.values())
            hint_ok = (
                config.ip_hint
                and config.ip_hint not in used
                and ipaddress.ip_address(config.ip_hint) in self._network
            )
            ip = config.ip_hint if hint_ok else self._free_ip(used)
            self._sandboxes[config.pod_uid] = ip
            self._save_sandboxes()
        return ip

    async def stop_sandbox(self, pod_uid: str) -> None:
        if self._sandboxes.pop(pod_uid, None) is not None:
            self._save_sandboxes()

    def _free_ip(self, used: set[str]) -> str:
        for n, host in enumerate(self._network.hosts()):
            if n == 0:
                continue  # .0.1 stays for the network's "gateway"
            if host.packed[-1] in (0, 255):
                continue
            if str(host) not in used:
                return str(host)
        raise ContainerRuntimeError(f"no free pod IP left in {self._network}")

    def _save_sandboxes(self) -> None:
        _write_json(self._sandbox_file, self._sandboxes)

    # ------------------------------------------------------------------ containers
    async def create_container(self, config: ContainerConfig) -> str:
        cid = _PREFIX + secrets.token_hex(32)
        info = ContainerInfo(
            cid, config.pod_uid, config.name, config.attempt, "created", config.log_path,
            labels=dict(config.labels), env=dict(config.env),
        )  # fmt: skip
        self._add(cid, _Container(info, config))
        return cid

    async def start_container(self, container_id: str) -> None:
        c = self._get(container_id)
        cfg = c.config
        if not cfg.command:
            raise ContainerRuntimeError("no command specified")
        writer = LogWriter(cfg.log_path)
        try:
            proc = await asyncio.create_subprocess_exec(
                *cfg.command,
                env=cfg.env,
                cwd=cfg.working_dir or None,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # its own process group: signals reach its children too
            )
        except OSError as e:
            writer.close()
            c.info.state, c.info.exit_code = "exited", 128
            c.info.started_at = c.info.finished_at = time.time()
            raise ContainerRuntimeError(f"failed to start {cfg.command[0]!r}: {e.strerror or e}") from e
        await self._guard.add(proc.pid)
        c.proc = proc
        c.info.pid = proc.pid
        c.info.state = "running"
        c.info.started_at = time.time()
        self._write_pid_file(c)
        c.done = asyncio.get_running_loop().create_future()
        c.reaper = asyncio.create_task(self._reap(c, writer), name=f"reap:{cfg.name}")

    async def _reap(self, c: _Container, writer: LogWriter) -> None:
        proc = c.proc
        assert proc is not None and proc.stdout is not None and proc.stderr is not None
        pumps = asyncio.gather(pump(proc.stdout, "stdout", writer), pump(proc.stderr, "stderr", writer))
        code = await proc.wait()
        # The container ends with its main process: whatever it left in its group goes too.
        _signal_group(proc.pid, signal.SIGKILL)
        await self._guard.remove(proc.pid)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(pumps, 5)
        writer.close()
        c.info.state = "exited"
        c.info.finished_at = time.time()
        c.info.exit_code = 128 - code if code < 0 else code
        self._pid_file(c).unlink(missing_ok=True)
        if c.done is not None and not c.done.done():
            c.done.set_result(c.info.exit_code)

    async def stop_container(self, container_id: str, grace: float) -> None:
        c = self._get(container_id)
        if c.info.state != "running" or c.proc is None or c.done is None:
            return
        _signal_group(c.proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(c.done), max(grace, 0.0))
        except TimeoutError:
            _signal_group(c.proc.pid, signal.SIGKILL)
            await asyncio.shield(c.done)

    async def exec_sync(
        self, container_id: str, command: list[str], env: dict[str, str], timeout: float
    ) -> ExecResult:
        c = self._containers.get(container_id)
        cwd = c.config.working_dir if c else None
        try:
            proc = await asyncio.create_subprocess_exec(
                *command,
                env=env,
                cwd=cwd or None,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as e:
            return ExecResult(126, f"exec failed: {e.strerror or e}".encode())
        await self._guard.add(proc.pid)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            _signal_group(proc.pid, signal.SIGKILL)
            await proc.wait()
            return ExecResult(-1, b"", timed_out=True)
        finally:  # also when cancelled: whatever the command left in its group goes
            _signal_group(proc.pid, signal.SIGKILL)
            await self._guard.remove(proc.pid)
        code = proc.returncode or 0
        return ExecResult(128 - code if code < 0 else code, out)

    async def close(self) -> None:
        running = [c for c in self._containers.values() if c.info.state == "running"]
        await asyncio.gather(*(self.stop_container(c.info.id, 2.0) for c in running))
        await self._guard.close()

    # ------------------------------------------------------------------ helpers
    def _pid_file(self, c: _Container) -> Path:
        return self.pid_dir / (c.info.id.removeprefix(_PREFIX) + ".json")

    def _write_pid_file(self, c: _Container) -> None:
        pid = c.info.pid or 0
        record = {
            "id": c.info.id,
            "podUID": c.info.pod_uid,
            "name": c.info.name,
            "pid": pid,
            "procStart": _start_time(pid),
        }
        _write_json(self._pid_file(c), record)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot: a pid is reused, this pair is not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


async def _until_gone(pid: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state == "Z":
            return  # a zombie of the old agent's (re-parented): dead already
        await asyncio.sleep(0.05)


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: object) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)
