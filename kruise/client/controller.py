"""The reconcile loop: handlers enqueue keys, N workers call `reconcile(key)` one key at a time.

`reconcile` is the only user hook (as controller-runtime). An exception requeues the key with
per-item exponential backoff; `Result(requeue_after=s)` schedules another pass; success forgets
the key's failure history.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .metrics import ControllerMetrics
from .workqueue import ShutDown, WorkQueue

log = logging.getLogger("kruise.controller")

Obj = dict[str, Any]


@dataclass(frozen=True)
class Result:
    requeue_after: float | None = None


Reconcile = Callable[[str], Awaitable[Result | None]]


def object_key(obj: Obj) -> str:
    meta = obj["metadata"]
    ns = meta.get("namespace")
    return f"{ns}/{meta['name']}" if ns else meta["name"]


def split_key(key: str) -> tuple[str, str]:
    """ "ns/name" -> ("ns", "name"); "name" -> ("", "name")."""
    ns, _, name = key.rpartition("/")
    return ns, name


class Controller:
    def __init__(
        self, name: str, reconcile: Reconcile, *, workers: int = 2, queue: WorkQueue[str] | None = None
    ) -> None:
        self.name = name
        self.reconcile = reconcile
        self.workers = workers
        self.metrics = ControllerMetrics(name)
        self.queue: WorkQueue[str] = queue or WorkQueue(metrics=self.metrics.queue)

    # ---- handler helpers: enqueue only
    def enqueue(self, key: str) -> None:
        self.queue.add(key)

    def enqueue_object(self, obj: Obj) -> None:
        self.queue.add(object_key(obj))

    def enqueue_after(self, key: str, delay: float) -> None:
        self.queue.add_after(key, delay)

    def enqueue_resync(self, key: str) -> None:
        self.queue.add(key, low_priority=True)

    # ---- running
    async def run(self) -> None:
        """Run workers until cancelled; cancellation shuts the queue down and lets in-flight
        reconciles finish."""
        workers = [asyncio.create_task(self._worker(i)) for i in range(self.workers)]
        log.info("event=controller_started controller=%s workers=%d", self.name, self.workers)
        try:
            await asyncio.gather(*workers)
        finally:
            self.queue.shutdown()
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            log.info("event=controller_stopped controller=%s", self.name)

    async def _worker(self, index: int) -> None:
        while True:
            try:
                key = await self.queue.get()
            except ShutDown:
                return
            try:
                await self._process(key)
            finally:
                self.queue.done(key)

    async def _process(self, key: str) -> None:
        start = time.monotonic()
        try:
            result = await self.reconcile(key)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.metrics.reconcile_done("error", time.monotonic() - start)
            log.warning(
                "event=reconcile_error controller=%s key=%s error=%r",
                self.name,
                key,
                e,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            self.queue.add_rate_limited(key)
            return
        self.metrics.reconcile_done("success", time.monotonic() - start)
        self.queue.forget(key)
        if result is not None and result.requeue_after is not None:
            self.queue.add_after(key, result.requeue_after)
