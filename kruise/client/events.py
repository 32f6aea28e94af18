"""core/v1 Event recorder with client-go style aggregation and spam filtering.

Recording never blocks a reconcile: events go to a bounded queue and a background task writes
them. The same (object, type, reason, message) within the aggregation window bumps `count` and
`lastTimestamp` on the existing Event instead of creating another. As client-go's
EventSourceObjectSpamFilter, each (source, involved object) has a token bucket of 25 events
refilled at one per 5 minutes: a controller creating a thousand Pods records the first 25
SuccessfulCreate events on its workload and drops the rest instead of flooding the API server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

log = logging.getLogger("kruise.events")

Obj = dict[str, Any]
AGGREGATION_WINDOW = 600.0  # seconds, as client-go's event correlator
SPAM_BURST = 25  # client-go's defaultSpamBurst
SPAM_QPS = 1 / 300  # client-go's defaultSpamQPS: one more event per object every 5 minutes
CACHE_SIZE = 4096  # client-go's maxLruCacheEntries
_QUEUE_LIMIT = 1000


class EventSink(Protocol):
    async def create_event(self, namespace: str, event: Obj) -> Obj: ...

    async def patch_event(self, namespace: str, name: str, patch: Obj) -> Obj: ...


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def involved_object(obj: Obj) -> Obj:
    meta = obj["metadata"]
    ref = {
        "apiVersion": obj.get("apiVersion", ""),
        "kind": obj.get("kind", ""),
        "name": meta["name"],
        "uid": meta.get("uid", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    return ref


class EventRecorder:
    def __init__(
        self,
        sink: EventSink,
        component: str,
        host: str = "",
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sink = sink
        self.component = component
        self.host = host
        self.clock = clock
        self._queue: asyncio.Queue[tuple[Obj, str, str, str]] = asyncio.Queue(_QUEUE_LIMIT)
        # aggregation key -> (event namespace, event name, count, first seen monotonic)
        self._seen: OrderedDict[tuple[str, str, str, str, str], tuple[str, str, int, float]] = OrderedDict()
        # involved object -> (tokens, last refill monotonic)
        self._buckets: OrderedDict[tuple[str, ...], tuple[float, float]] = OrderedDict()
        self.dropped = 0
        self._task: asyncio.Task[None] | None = None

    def event(self, obj: Obj, type_: str, reason: str, message: str) -> None:
        """Record an event about `obj` ("Normal" or "Warning"). Drops it if the backlog is full."""
        try:
            self._queue.put_nowait((obj, type_, reason, message))
        except asyncio.QueueFull:
            log.warning("event=event_dropped reason=%s object=%s", reason, obj["metadata"].get("name"))

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            await self.flush()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def flush(self) -> None:
        await self._queue.join()

    async def _run(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                await self._write(*item)
            except Exception as e:  # an event is best effort; never take the controller down
                log.warning("event=event_write_failed reason=%s error=%s", item[2], e)
            finally:
                self._queue.task_done()

    def _allowed(self, ref: Obj) -> bool:
        """The spam filter: take a token from the involved object's bucket."""
        key = (
            ref.get("apiVersion", ""),
            ref.get("kind", ""),
            ref.get("namespace", ""),
            ref["name"],
            ref["uid"],
        )
        now = self.clock()
        tokens, last = self._buckets.pop(key, (float(SPAM_BURST), now))
        tokens = min(float(SPAM_BURST), tokens + (now - last) * SPAM_QPS)
        allowed = tokens >= 1
        self._buckets[key] = (tokens - 1 if allowed else tokens, now)
        if len(self._buckets) > CACHE_SIZE:
            self._buckets.popitem(last=False)
        return allowed

    async def _write(self, obj: Obj, type_: str, reason: str, message: str) -> None:
        ref = involved_object(obj)
        if not self._allowed(ref):
            self.dropped += 1
            log.debug("event=event_spam_filtered reason=%s object=%s", reason, ref["name"])
            return
        namespace = ref.get("namespace") or "default"
        key = (namespace, ref["uid"] or ref["name"], type_, reason, message)
        stamp = _now()
        seen = self._seen.get(key)
        if seen is not None and self.clock() - seen[3] < AGGREGATION_WINDOW:
            ns, name, count, first = seen
            await self.sink.patch_event(ns, name, {"count": count + 1, "lastTimestamp": stamp})
            self._seen[key] = (ns, name, count + 1, first)
            self._seen.move_to_end(key)
            return
        name = f"{ref['name']}.{time.time_ns():x}"
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "type": type_,
            "count": 1,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "source": {"component": self.component, **({"host": self.host} if self.host else {})},
            "reportingComponent": self.component,
            "reportingInstance": self.host,
        }
        await self.sink.create_event(namespace, event)
        self._seen[key] = (namespace, name, 1, self.clock())
        if len(self._seen) > CACHE_SIZE:
            self._seen.popitem(last=False)
