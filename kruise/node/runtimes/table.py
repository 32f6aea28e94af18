"""Container bookkeeping every runtime shares: containers by id, their info and exit futures."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from .base import ContainerInfo, ContainerRuntimeError


class TrackedContainer(Protocol):
    info: ContainerInfo
    done: asyncio.Future[int] | None


class ContainerTable:
    """Mixed into a Runtime; the runtime calls `_init_table` once and `_add` for each container
    it creates."""

    _containers: dict[str, Any]
    # per pod uid, its containers by id in creation order: the kruise-daemon duties list one
    # Pod's containers on every report, which a scan of the node's containers made O(node)
    _by_pod: dict[str, dict[str, Any]]

    def _init_table(self) -> None:
        self._containers = {}
        self._by_pod = {}

    def _add(self, container_id: str, c: Any) -> None:
        self._containers[container_id] = c
        self._by_pod.setdefault(c.info.pod_uid, {})[container_id] = c

    def _get(self, container_id: str) -> Any:
        c = self._containers.get(container_id)
        if c is None:
            raise ContainerRuntimeError(f"no such container {container_id}")
        return c

    async def wait_container(self, container_id: str) -> int:
        c: TrackedContainer = self._get(container_id)
        if c.done is None:
            return c.info.exit_code if c.info.exit_code is not None else 0
        return await asyncio.shield(c.done)

    def status(self, container_id: str) -> ContainerInfo | None:
        c = self._containers.get(container_id)
        return c.info if c else None

    def list_containers(self, pod_uid: str | None = None) -> list[ContainerInfo]:
        if pod_uid is None:
            return [c.info for c in self._containers.values()]
        return [c.info for c in self._by_pod.get(pod_uid, {}).values()]

    async def remove_container(self, container_id: str) -> None:
        c = self._containers.get(container_id)
        if c is not None and c.info.state != "running":
            del self._containers[container_id]
            pod = self._by_pod.get(c.info.pod_uid)
            if pod is not None:
                pod.pop(container_id, None)
                if not pod:
                    del self._by_pod[c.info.pod_uid]
