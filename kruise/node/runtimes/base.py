"""The runtime interface the pod workers drive, shaped after CRI: sandboxes, containers, exec.

A runtime knows nothing about Pods' desired state: the pod worker decides what to start and stop.
Container output goes to a CRI-format log file (see kruise.node.logs) that the runtime writes.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

State = Literal["created", "running", "exited"]


@dataclass(frozen=True)
class SandboxConfig:
    pod_uid: str
    namespace: str
    name: str
    ip_hint: str = ""  # the IP the Pod had before an agent restart, kept when still free


@dataclass(frozen=True)
class ContainerConfig:
    pod_uid: str
    namespace: str
    pod_name: str
    name: str
    image: str
    attempt: int  # the container's restart count for this instance
    command: list[str]  # the full argv, already resolved from command/args/image defaults
    env: dict[str, str]
    working_dir: str | None
    pod_ip: str
    log_path: Path
    labels: dict[str, str] = field(default_factory=dict)  # as CRI container labels (the spec hash)


@dataclass
class ContainerInfo:
    id: str
    pod_uid: str
    name: str
    attempt: int
    state: State
    log_path: Path
    pid: int | None = None
    started_at: float | None = None  # epoch seconds
    finished_at: float | None = None
    exit_code: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)  # the environment it was started with
    resources: dict[str, Any] | None = None  # the last requests/limits applied in place (CRI's
    # UpdateContainerResources); None: those the container was created with


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    output: bytes
    timed_out: bool = False


class ContainerRuntimeError(Exception):
    """The runtime could not do what was asked (bad command, no such container)."""


class Runtime(abc.ABC):
    """One per node agent."""

    name: str = "runtime"
    version: str = "0.1.0"

    def route_action(self, purpose: str, handler: dict[str, Any]) -> dict[str, Any]:
        """How a probe (purpose = its kind, e.g. "readinessProbe") or a lifecycle hook (purpose
        "hook") reaches the container. Real runtimes use the handler as it is; a runtime without
        real networking rewrites it into something it answers itself."""
        return handler

    @abc.abstractmethod
    async def recover(self) -> list[str]:
        """Called once at agent start: deal with containers left by a previous agent instance
        (adopt or kill them). Returns a description of each one handled."""

    @abc.abstractmethod
    async def run_sandbox(self, config: SandboxConfig) -> str:
        """Create the Pod's sandbox; returns its IP."""

    @abc.abstractmethod
    async def stop_sandbox(self, pod_uid: str) -> None:
        """Release the sandbox (its IP); every container must be stopped first."""

    @abc.abstractmethod
    async def create_container(self, config: ContainerConfig) -> str:
        """Returns the new container's id ("<runtime>://<hex>")."""

    @abc.abstractmethod
    async def start_container(self, container_id: str) -> None: ...

    @abc.abstractmethod
    async def stop_container(self, container_id: str, grace: float) -> None:
        """SIGTERM, then SIGKILL once `grace` seconds passed; returns when it has exited."""

    @abc.abstractmethod
    async def wait_container(self, container_id: str) -> int:
        """Block until the container exits; returns its exit code (128+N when killed by signal N)."""

    @abc.abstractmethod
    def status(self, container_id: str) -> ContainerInfo | None: ...

    @abc.abstractmethod
    def list_containers(self, pod_uid: str | None = None) -> list[ContainerInfo]: ...

    @abc.abstractmethod
    async def remove_container(self, container_id: str) -> None:
        """Forget an exited container (its log file stays until the Pod is removed)."""

    async def update_container_resources(self, container_id: str, resources: dict[str, Any]) -> None:
        """Apply new requests/limits to a running container in place (an in-place Pod resize).
        Neither runtime enforces cgroups here, so both record what was applied."""
        info = self.status(container_id)
        if info is None or info.state != "running":
            raise ContainerRuntimeError(f"container {container_id} is not running")
        info.resources = {k: dict(v) for k, v in resources.items()}

    @abc.abstractmethod
    async def exec_sync(
        self, container_id: str, command: list[str], env: dict[str, str], timeout: float
    ) -> ExecResult:
        """Run a command "in" the container (probes, hooks)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop every container (the agent is exiting)."""
