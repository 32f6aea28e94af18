"""The `sim` runtime: no processes. Containers "run" until stopped, after declarative stage delays.

Stages (as KWOK does, a delay per lifecycle step; zero by default):

    sandbox          run_sandbox: the Pod's sandbox (network) is set up
    volume_attach    run_sandbox: once per volume in the Pod spec
    container_create create_container
    container_start  start_container, before the container counts as running
    readiness        a readiness probe fails until the container has run this long
    container_stop   stop_container: how long the container takes to exit (at most the grace)

Image pulls are not a stage: the pod worker pulls through the node's image store model before a
container is created, so pull time follows the image catalog and --pull-bandwidth and the pulled
bytes are counted as on the process runtime.

A stage file (`kruise node --sim-stages FILE`, or the preset names `zero` / `realistic` / `cloud`):

    preset: realistic          # optional base: zero (default), realistic or cloud
    stages: {sandbox: 0.5, container_start: 0.3}
    overrides:                 # optional, first match wins per stage
      - selector: {matchLabels: {app: slow}}
        stages: {container_start: 2}

Pod annotations inject failures so tests and benchmarks can drive every branch:

    sim.kruise.io/fail-probe: "app:readiness,app:liveness"   # <container>:<readiness|liveness|startup>
    sim.kruise.io/exit: "app=1@2,side=0"                     # <container>=<code>[@<seconds>]

Every probe (exec, httpGet, tcpSocket) of a sim container succeeds unless injected; an exit
annotation makes every instance of the container exit with the code after the delay, so a
restartPolicy that restarts it produces a crash loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..logs import LogWriter
from .base import (
    ContainerConfig,
    ContainerInfo,
    ContainerRuntimeError,
    ExecResult,
    Runtime,
    SandboxConfig,
)
from .table import ContainerTable

log = logging.getLogger("kruise.node.sim")

Obj = dict[str, Any]
_PREFIX = "sim://"
FAIL_PROBE_ANNOTATION = "sim.kruise.io/fail-probe"
EXIT_ANNOTATION = "sim.kruise.io/exit"
PROBE_MARK = "__kruise_sim_probe__"  # the exec command a sim probe becomes (see route_action)
HOOK_MARK = "__kruise_sim_hook__"
_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
SIGTERM_EXIT = 143

STAGES = ("sandbox", "volume_attach", "container_create", "container_start", "readiness", "container_stop")
PRESETS: dict[str, dict[str, float]] = {
    "zero": {},
    # Rough figures of a containerd node with warm caches: CNI setup, CSI attach of a local volume,
    # runc create + start, an application that answers its readiness probe a second after start.
    "realistic": {
        "sandbox": 0.5,
        "volume_attach": 0.2,
        "container_create": 0.1,
        "container_start": 0.3,
        "readiness": 1.0,
        "container_stop": 0.2,
    },
    # A cloud node: the VPC CNI attaches an interface and assigns an address (seconds), a network
    # block volume is attached to the instance (~10 s), the image layers are cached.
    "cloud": {
        "sandbox": 2.0,
        "volume_attach": 10.0,
        "container_create": 0.1,
        "container_start": 0.3,
        "readiness": 1.0,
        "container_stop": 0.2,
    },
}
PROBE_KINDS = {"readiness": "readinessProbe", "liveness": "livenessProbe", "startup": "startupProbe"}


# ---------------------------------------------------------------------------- the stage table
@dataclass(frozen=True)
class Override:
    match_labels: dict[str, str]
    delays: dict[str, float]

    def matches(self, labels: dict[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels.items())


@dataclass(frozen=True)
class StageTable:
    delays: dict[str, float] = field(default_factory=dict)
    overrides: tuple[Override, ...] = ()

    def delay(self, stage: str, labels: dict[str, str] | None = None) -> float:
        if stage not in STAGES:
            raise KeyError(f"unknown stage {stage!r}")
        for o in self.overrides:
            if stage in o.delays and o.matches(labels or {}):
                return o.delays[stage]
        return self.delays.get(stage, 0.0)

    @classmethod
    def preset(cls, name: str) -> StageTable:
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
        return cls(dict(PRESETS[name]))

    @classmethod
    def from_dict(cls, data: Obj | None) -> StageTable:
        data = data or {}
        if not isinstance(data, dict):
            raise ValueError("a stage file is a mapping")
        unknown = set(data) - {"preset", "stages", "overrides"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}")
        delays = dict(PRESETS[_preset_name(data.get("preset") or "zero")])
        delays.update(_delays(data.get("stages")))
        overrides = []
        for item in data.get("overrides") or []:
            if not isinstance(item, dict):
                raise ValueError("an override is a mapping with selector and stages")
            selector = item.get("selector") or {}
            labels = selector.get("matchLabels") if isinstance(selector, dict) else None
            if not isinstance(labels, dict):
                raise ValueError("override selector needs matchLabels")
            overrides.append(
                Override({str(k): str(v) for k, v in labels.items()}, _delays(item.get("stages")))
            )
        return cls(delays, tuple(overrides))

    @classmethod
    def load(cls, spec: str | None) -> StageTable:
        """A preset name, a YAML file path, or empty (zero delays)."""
        if not spec:
            return cls()
        if spec in PRESETS:
            return cls.preset(spec)
        path = Path(spec)
        if not path.is_file():
            raise ValueError(f"{spec!r} is neither a preset ({', '.join(PRESETS)}) nor a file")
        return cls.from_dict(yaml.safe_load(path.read_text()))


def _preset_name(name: Any) -> str:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return str(name)


def _delays(raw: Any) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValueError("stages is a mapping of stage name to seconds")
    out = {}
    for k, v in raw.items():
        if k not in STAGES:
            raise ValueError(f"unknown stage {k!r}; known: {', '.join(STAGES)}")
        seconds = float(v)
        if seconds < 0:
            raise ValueError(f"stage {k}: negative delay")
        out[k] = seconds
    return out


# ---------------------------------------------------------------------------- failure injection
def parse_fail_probes(text: str | None) -> set[tuple[str, str]]:
    """'app:readiness, side:liveness' → {("app", "readinessProbe"), ("side", "livenessProbe")}."""
    out = set()
    for item in filter(None, (s.strip() for s in (text or "").split(","))):
        container, sep, kind = item.rpartition(":")
        kind = kind.strip().lower().removesuffix("probe")
        if not sep or not container or kind not in PROBE_KINDS:
            log.warning("event=sim_bad_annotation %s=%r", FAIL_PROBE_ANNOTATION, item)
            continue
        out.add((container.strip(), PROBE_KINDS[kind]))
    return out


def parse_exits(text: str | None) -> dict[str, tuple[int, float]]:
    """'app=1@2,side=0' → {"app": (1, 2.0), "side": (0, 0.0)}."""
    out = {}
    for item in filter(None, (s.strip() for s in (text or "").split(","))):
        container, sep, rest = item.partition("=")
        code, _, after = rest.partition("@")
        try:
            if not sep or not container.strip():
                raise ValueError(item)
            out[container.strip()] = (int(code), float(after) if after.strip() else 0.0)
        except ValueError:
            log.warning("event=sim_bad_annotation %s=%r", EXIT_ANNOTATION, item)
    return out


# ---------------------------------------------------------------------------- the runtime
@dataclass
class _Container:
    info: ContainerInfo
    config: ContainerConfig
    done: asyncio.Future[int] | None = None
    exit_task: asyncio.Task[None] | None = None
    writer: LogWriter | None = None


class SimRuntime(ContainerTable, Runtime):
    name = "sim"

    def __init__(
        self,
        data_dir: Path,
        pod_cidr: str = "127.1.0.0/16",
        stages: StageTable | None = None,
        pod_source: Callable[[str], Obj | None] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.stages = stages or StageTable()
        # The Pod object by uid (annotations, labels, volumes): the agent hands its workers' view.
        self.pod_source = pod_source
        self._network = ipaddress.ip_network(pod_cidr)
        self._hosts = self._network.hosts()
        self._free: list[str] = []
        self._sandboxes: dict[str, str] = {}
        self._init_table()

    # ------------------------------------------------------------------ pod view
    def _pod(self, pod_uid: str) -> Obj:
        pod = self.pod_source(pod_uid) if self.pod_source is not None else None
        return pod or {}

    def _labels(self, pod_uid: str) -> dict[str, str]:
        return (self._pod(pod_uid).get("metadata") or {}).get("labels") or {}

    def route_action(self, purpose: str, handler: Obj) -> Obj:
        """Nothing listens on a sim Pod's IP: a probe becomes an exec of a marker this runtime
        answers (knowing the probe kind), and a network hook a no-op exec."""
        if purpose == "hook":
            if "httpGet" in handler or "tcpSocket" in handler:
                return {"exec": {"command": [HOOK_MARK]}}
            return handler
        out = {k: v for k, v in handler.items() if k not in _HANDLERS}
        out["exec"] = {"command": [PROBE_MARK, purpose]}
        return out

    def _annotation(self, pod_uid: str, key: str) -> str:
        return ((self._pod(pod_uid).get("metadata") or {}).get("annotations") or {}).get(key) or ""

    async def _stage(self, stage: str, pod_uid: str, times: int = 1, cap: float | None = None) -> None:
        delay = self.stages.delay(stage, self._labels(pod_uid)) * times
        if cap is not None:
            delay = min(delay, cap)
        if delay > 0:
            await asyncio.sleep(delay)

    # ------------------------------------------------------------------ recovery
    async def recover(self) -> list[str]:
        return []  # nothing outlives the agent: containers were never processes

    # ------------------------------------------------------------------ sandboxes
    async def run_sandbox(self, config: SandboxConfig) -> str:
        ip = self._sandboxes.get(config.pod_uid)
        if ip is not None:
            return ip
        await self._stage("sandbox", config.pod_uid)
        volumes = len((self._pod(config.pod_uid).get("spec") or {}).get("volumes") or [])
        if volumes:
            await self._stage("volume_attach", config.pod_uid, times=volumes)
        ip = self._sandboxes.get(config.pod_uid)  # a concurrent call may have won
        if ip is None:
            ip = self._allocate(config.ip_hint)
            self._sandboxes[config.pod_uid] = ip
        return ip

    async def stop_sandbox(self, pod_uid: str) -> None:
        ip = self._sandboxes.pop(pod_uid, None)
        if ip is not None:
            self._free.append(ip)

    def _allocate(self, hint: str) -> str:
        used = set(self._sandboxes.values())
        if hint and hint not in used:
            with contextlib.suppress(ValueError):
                if ipaddress.ip_address(hint) in self._network:
                    with contextlib.suppress(ValueError):
                        self._free.remove(hint)
                    return hint
        while self._free:
            ip = self._free.pop()
            if ip not in used:
                return ip
        for host in self._hosts:
            if host.packed[-1] in (0, 1, 255) or str(host) in used:
                continue  # .1 stays for the "gateway", as on the process runtime
            return str(host)
        raise ContainerRuntimeError(f"no free pod IP left in {self._network}")

    # ------------------------------------------------------------------ containers
    async def create_container(self, config: ContainerConfig) -> str:
        await self._stage("container_create", config.pod_uid)
        cid = _PREFIX + secrets.token_hex(32)
        info = ContainerInfo(
            cid, config.pod_uid, config.name, config.attempt, "created", config.log_path,
            labels=dict(config.labels), env=dict(config.env),
        )  # fmt: skip
        self._add(cid, _Container(info, config))
        return cid

    async def start_container(self, container_id: str) -> None:
        c = self._get(container_id)
        if c.info.state != "created":
            raise ContainerRuntimeError(f"container {container_id} is {c.info.state}")
        cfg = c.config
        await self._stage("container_start", cfg.pod_uid)
        c.writer = LogWriter(cfg.log_path)
        c.writer.write_lines(
            "stdout",
            [
                f"sim: container {cfg.name} (attempt {cfg.attempt}) image {cfg.image}".encode(),
                f"sim: command {' '.join(cfg.command)}".encode(),
                f"sim: listening on {cfg.pod_ip}".encode(),
            ],
        )
        c.info.state = "running"
        c.info.started_at = time.time()
        c.done = asyncio.get_running_loop().create_future()
        exit_at = parse_exits(self._annotation(cfg.pod_uid, EXIT_ANNOTATION)).get(cfg.name)
        if exit_at is not None:
            code, after = exit_at
            c.exit_task = asyncio.create_task(self._exit_later(c, code, after), name=f"sim-exit:{cfg.name}")

    async def _exit_later(self, c: _Container, code: int, after: float) -> None:
        await asyncio.sleep(after)
        if c.writer is not None:
            c.writer.write("stderr", f"sim: injected exit with code {code}".encode())
        self._finish(c, code)

    def _finish(self, c: _Container, code: int) -> None:
        if c.info.state != "running":
            return
        c.info.state = "exited"
        c.info.finished_at = time.time()
        c.info.exit_code = code
        if c.writer is not None:
            c.writer.close()
            c.writer = None
        if c.done is not None and not c.done.done():
            c.done.set_result(code)
        task = c.exit_task
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def stop_container(self, container_id: str, grace: float) -> None:
        c = self._get(container_id)
        if c.info.state != "running":
            return
        await self._stage("container_stop", c.info.pod_uid, cap=max(grace, 0.0))
        if c.writer is not None:
            c.writer.write("stdout", b"sim: stopped")
        self._finish(c, SIGTERM_EXIT)

    async def exec_sync(
        self, container_id: str, command: list[str], env: dict[str, str], timeout: float
    ) -> ExecResult:
        c = self._containers.get(container_id)
        if c is None or c.info.state != "running":
            return ExecResult(126, b"sim: container is not running")
        if command[:1] == [PROBE_MARK] and len(command) >= 2:
            return self.probe(c, command[1])
        return ExecResult(0, b"")  # any other command (hooks, kubectl exec) succeeds silently

    def probe(self, c: _Container, kind: str) -> ExecResult:
        """A probe of `kind` (readinessProbe...): the injected failure, or the readiness stage."""
        uid, name = c.info.pod_uid, c.info.name
        if (name, kind) in parse_fail_probes(self._annotation(uid, FAIL_PROBE_ANNOTATION)):
            return ExecResult(1, f"sim: injected {kind} failure".encode())
        if kind == "readinessProbe":
            warmup = self.stages.delay("readiness", self._labels(uid))
            if time.time() - (c.info.started_at or 0.0) < warmup:
                return ExecResult(1, b"sim: not ready yet")
        return ExecResult(0, b"ok")

    async def close(self) -> None:
        for c in list(self._containers.values()):
            self._finish(c, SIGTERM_EXIT)
