"""Container bookkeeping every runtime shares: containers by id, their info and exit futures."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from .base import ContainerInfo, ContainerRuntimeError


class TrackedContainer(Protocol):
    info: ContainerInfo
    done: asyncio.Future[int] | None


class ContainerTable:
    """Mixed into a Runtime; the runtime fills `_containers` as it creates containers."""

    _containers: dict[str, Any]

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
        return [c.info for c in self._containers.values() if pod_uid in (None, c.info.pod_uid)]

    async def remove_container(self, container_id: str) -> None:
        c = self._containers.get(container_id)
        if c is not None and c.info.state != "running":
            del self._containers[container_id]
