"""What a pod worker remembers about each container: its instances, restarts, probe results.

`view()` turns a record into the pure status input (kruise.node.status.ContainerView).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from .status import ContainerView, Running, State, Terminated, Waiting

Obj = dict[str, Any]
Kind = Literal["init", "sidecar", "main"]


def rfc3339(when: float) -> str:
    return _rfc3339_second(int(when))  # whole seconds, as the wire format has them


@lru_cache(maxsize=4096)
def _rfc3339_second(second: int) -> str:
    # every status computed for every Pod formats the same few timestamps again
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


@dataclass
class Instance:
    """One run of a container."""

    id: str
    image: str
    image_id: str
    attempt: int
    started_at: float
    log_path: Path | None = None
    finished_at: float | None = None
    exit_code: int | None = None
    reason: str = ""
    message: str = ""

    @property
    def running(self) -> bool:
        return self.finished_at is None

    def terminated(self) -> Terminated:
        code = self.exit_code if self.exit_code is not None else 0
        return Terminated(
            exit_code=code,
            reason=self.reason or ("Completed" if code == 0 else "Error"),
            started_at=rfc3339(self.started_at),
            finished_at=rfc3339(self.finished_at or self.started_at),
            container_id=self.id,
            message=self.message,
        )


@dataclass
class ContainerRecord:
    spec: Obj
    kind: Kind
    restart_count: int = 0
    current: Instance | None = None
    previous: Instance | None = None
    waiting: Waiting | None = None  # why it is not running although it should be
    post_started: bool = False  # postStart finished: the container counts as running
    started: bool = False  # startup probe passed (or none)
    ready: bool = False
    restart_now: bool = False  # the next start skips CrashLoopBackOff (spec change, agent restart)
    retry_at: float | None = None  # earliest next start attempt after a pull/config error
    probes: list[asyncio.Task[None]] = field(default_factory=list)
    killing: asyncio.Task[None] | None = None
    exited: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    @property
    def image(self) -> str:
        return str(self.spec.get("image") or "")

    @property
    def running(self) -> bool:
        return self.current is not None and self.current.running

    @property
    def has_exited(self) -> bool:
        return self.current is not None and not self.current.running

    @property
    def succeeded(self) -> bool:
        return self.has_exited and self.current is not None and self.current.exit_code == 0

    def state(self) -> tuple[State, Terminated | None]:
        cur, prev = self.current, self.previous
        last = prev.terminated() if prev is not None else None
        if cur is not None and cur.running:
            if not self.post_started:
                return Waiting("ContainerCreating"), last
            return Running(rfc3339(cur.started_at)), last
        if cur is not None:
            if self.waiting is not None:
                return self.waiting, cur.terminated()
            return cur.terminated(), last
        return self.waiting or Waiting("ContainerCreating"), last

    def view(self) -> ContainerView:
        state, last = self.state()
        cur = self.current
        return ContainerView(
            name=self.name,
            image=cur.image if cur is not None else self.image,
            state=state,
            image_id=cur.image_id if cur is not None else "",
            container_id=cur.id if cur is not None else "",
            last_state=last,
            restart_count=self.restart_count,
            ready=self.ready,
            started=self.started,
        )

    def stop_probes(self) -> None:
        for task in self.probes:
            task.cancel()
        self.probes.clear()


def seed_from_status(record: ContainerRecord, status: Obj | None, node_restarted_at: float) -> None:
    """After an agent restart the old processes are gone: rebuild restart counts and history from
    the Pod's status, so the next instance continues where the last agent left off."""
    if not status:
        return
    record.restart_count = int(status.get("restartCount") or 0)
    state = status.get("state") or {}
    cid = status.get("containerID") or ""
    image = status.get("image") or record.image
    image_id = status.get("imageID") or ""
    last = (status.get("lastState") or {}).get("terminated")
    if last:
        record.previous = _from_terminated(last, image, image_id, record.restart_count - 1)
    term = state.get("terminated")
    if term:
        record.current = _from_terminated(term, image, image_id, record.restart_count)
        return
    running = state.get("running")
    if running and cid:
        started = parse_rfc3339(running.get("startedAt")) or node_restarted_at
        record.current = Instance(
            cid,
            image,
            image_id,
            record.restart_count,
            started,
            finished_at=node_restarted_at,
            exit_code=137,
            reason="ContainerStatusUnknown",
            message="The container could not be located when the node agent restarted",
        )
        record.restart_now = True


def _from_terminated(term: Obj, image: str, image_id: str, attempt: int) -> Instance:
    started = parse_rfc3339(term.get("startedAt")) or 0.0
    return Instance(
        term.get("containerID") or "",
        image,
        image_id,
        max(attempt, 0),
        started,
        finished_at=parse_rfc3339(term.get("finishedAt")) or started,
        exit_code=int(term.get("exitCode") or 0),
        reason=term.get("reason") or "",
        message=term.get("message") or "",
    )
