"""The controller work queue: client-go's contract on asyncio, with two priorities.

Contract (see ARCHITECTURE.md, "Work queue contract"):

- A key is queued at most once: adds of a key that is already queued collapse into one.
- A key is never handed to two workers at once. A key added while a worker holds it is marked
  dirty and queued again when the worker calls `done(key)`, so the change that caused the add is
  seen by a later pass.
- `add_after` delays an add through the injected clock; for a key already waiting, the earlier
  deadline wins. `add_rate_limited` takes the delay from the rate limiter (per-item backoff plus
  a global bucket by default); `forget` resets the key's backoff after a success.
- Normal adds (user-triggered events) are served before low-priority ones (periodic resyncs); a
  normal add of a key waiting at low priority promotes it.
- `shutdown()` stops accepting adds. With `drain=True` workers still get what is queued and then
  `ShutDown`; with `drain=False` every `get` raises `ShutDown` at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections import OrderedDict, deque
from collections.abc import Hashable
from typing import Any, Generic, Protocol, TypeVar

from .clock import Clock, RealClock
from .ratelimit import RateLimiter, default_controller_rate_limiter

__all__ = ["NoopQueueMetrics", "QueueMetrics", "ShutDown", "WorkQueue"]

K = TypeVar("K", bound=Hashable)


class ShutDown(Exception):
    """`get()` on a queue that is shut down and has nothing more to hand out."""


class QueueMetrics(Protocol):
    """Hooks the queue calls; the controller runtime backs them with Prometheus."""

    def add(self) -> None:
        """A key entered the queue (duplicates of a queued key are not counted)."""
        ...

    def depth(self, n: int) -> None:
        """Number of keys ready to be handed out."""
        ...

    def latency(self, seconds: float) -> None:
        """Time from a key's add (or its delay expiring) to a worker getting it."""
        ...

    def work_duration(self, seconds: float) -> None:
        """Time from `get` to `done`."""
        ...

    def retry(self) -> None:
        """A rate-limited re-add."""
        ...


class NoopQueueMetrics:
    def add(self) -> None:
        pass

    def depth(self, n: int) -> None:
        pass

    def latency(self, seconds: float) -> None:
        pass

    def work_duration(self, seconds: float) -> None:
        pass

    def retry(self) -> None:
        pass


class WorkQueue(Generic[K]):
    """A deduplicating, delaying, rate-limited, two-priority work queue for asyncio workers.

    Not thread-safe; use it from one event loop (delayed adds need a running loop).
    """

    def __init__(
        self,
        name: str = "",
        *,
        clock: Clock | None = None,
        rate_limiter: RateLimiter | None = None,
        metrics: QueueMetrics | None = None,
    ) -> None:
        self.name = name
        self.clock: Clock = clock or RealClock()
        self.rate_limiter: RateLimiter = rate_limiter or default_controller_rate_limiter(self.clock)
        self._metrics: QueueMetrics = metrics or NoopQueueMetrics()

        # Ready keys in FIFO order, one ordered set per priority (OrderedDict: O(1) pop-front and
        # O(1) removal for promotion).
        self._normal: OrderedDict[K, None] = OrderedDict()
        self._low: OrderedDict[K, None] = OrderedDict()
        # Keys that need processing -> low priority? Every ready key is dirty; a processing key is
        # dirty when it was added again while held.
        self._dirty: dict[K, bool] = {}
        self._processing: dict[K, float] = {}  # key -> when a worker got it
        self._added_at: dict[K, float] = {}  # key -> when it became dirty (queue latency)

        # Delayed adds: key -> (deadline, seq, low_priority); the heap may hold stale entries,
        # recognised by a seq that no longer matches.
        self._waiting: dict[K, tuple[float, int, bool]] = {}
        self._heap: list[tuple[float, int, K]] = []
        self._seq = itertools.count()
        self._wakeup: asyncio.Event | None = None
        self._waiting_task: asyncio.Task[None] | None = None

        self._getters: deque[asyncio.Future[None]] = deque()
        self._idle_waiters: list[asyncio.Future[None]] = []
        self._shutting_down = False
        self._drain = True

    # ---------------------------------------------------------------- adding

    def add(self, key: K, *, low_priority: bool = False) -> None:
        """Queue `key` unless it is already queued; a held key is re-queued on `done`."""
        if self._shutting_down:
            return
        current = self._dirty.get(key)
        if current is not None:
            if current and not low_priority:
                self._dirty[key] = False
                if key in self._low:
                    del self._low[key]
                    self._normal[key] = None
            return
        self._metrics.add()
        self._dirty[key] = low_priority
        self._added_at[key] = self.clock.now()
        if key in self._processing:
            return
        self._push(key, low_priority)

    def add_after(self, key: K, delay: float, *, low_priority: bool = False) -> None:
        """Add `key` once `delay` seconds have passed (at once if `delay <= 0`).

        A key waits at most once: it keeps the earliest deadline and the higher priority asked."""
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(key, low_priority=low_priority)
            return
        deadline = self.clock.now() + delay
        existing = self._waiting.get(key)
        if existing is not None:
            low_priority = low_priority and existing[2]
            if existing[0] <= deadline:
                self._waiting[key] = (existing[0], existing[1], low_priority)
                return
        seq = next(self._seq)
        self._waiting[key] = (deadline, seq, low_priority)
        heapq.heappush(self._heap, (deadline, seq, key))
        self._ensure_waiting_loop()
        if self._heap[0][1] == seq and self._wakeup is not None:
            self._wakeup.set()  # new earliest deadline: the loop must shorten its sleep

    def add_rate_limited(self, key: K) -> None:
        """Re-add `key` after the rate limiter's delay (each call counts as one more failure)."""
        if self._shutting_down:
            return
        self._metrics.retry()
        self.add_after(key, self.rate_limiter.when(key))

    def forget(self, key: K) -> None:
        """Clear the key's failure history (call after a successful pass)."""
        self.rate_limiter.forget(key)

    def num_requeues(self, key: K) -> int:
        return self.rate_limiter.num_requeues(key)

    # ---------------------------------------------------------------- processing

    async def get(self) -> K:
        """Wait for a key and hold it until `done(key)`. Raises `ShutDown` when shut down and
        drained (or at once when shut down without drain)."""
        while True:
            if self._shutting_down and (not self._drain or not len(self)):
                raise ShutDown
            if len(self):
                return self._pop()
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._getters.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                if fut.done() and not fut.cancelled():
                    self._wake_one()  # we were woken for a key we will not take: pass it on
                else:
                    self._discard_getter(fut)
                raise

    def done(self, key: K) -> None:
        """Release a key got from `get`; if it was added meanwhile, queue it again."""
        started = self._processing.pop(key, None)
        if started is None:
            return  # not held: a second done() must not queue a duplicate
        self._metrics.work_duration(self.clock.now() - started)
        low = self._dirty.get(key)
        if low is not None:
            self._push(key, low)
        self._check_idle()

    def __len__(self) -> int:
        """Keys ready to be handed out (not counting held or delayed keys)."""
        return len(self._normal) + len(self._low)

    # ---------------------------------------------------------------- shutdown

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def shutdown(self, *, drain: bool = True) -> None:
        """Stop accepting adds and drop delayed ones. `drain=False` also abandons queued keys."""
        self._shutting_down = True
        self._drain = self._drain and drain
        self._waiting.clear()
        self._heap.clear()
        if self._waiting_task is not None:
            self._waiting_task.cancel()
            self._waiting_task = None
        while self._getters:
            fut = self._getters.popleft()
            if not fut.done():
                fut.set_result(None)
        self._check_idle()

    async def shutdown_with_drain(self) -> None:
        """Shut down and wait until every queued key has been handed out and every held key is
        done (needs workers still calling `get`/`done`)."""
        self.shutdown(drain=True)
        if self._idle():
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._idle_waiters.append(fut)
        await fut

    # ---------------------------------------------------------------- internals

    def _push(self, key: K, low: bool) -> None:
        (self._low if low else self._normal)[key] = None
        self._metrics.depth(len(self))
        self._wake_one()

    def _pop(self) -> K:
        key, _ = self._normal.popitem(last=False) if self._normal else self._low.popitem(last=False)
        del self._dirty[key]
        now = self.clock.now()
        self._processing[key] = now
        self._metrics.latency(now - self._added_at.pop(key, now))
        self._metrics.depth(len(self))
        return key

    def _wake_one(self) -> None:
        while self._getters:
            fut = self._getters.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    def _discard_getter(self, fut: asyncio.Future[None]) -> None:
        with contextlib.suppress(ValueError):
            self._getters.remove(fut)

    def _idle(self) -> bool:
        return not self._processing and (not self._drain or not len(self))

    def _check_idle(self) -> None:
        if self._shutting_down and self._idle_waiters and self._idle():
            waiters, self._idle_waiters = self._idle_waiters, []
            for fut in waiters:
                if not fut.done():
                    fut.set_result(None)

    def _ensure_waiting_loop(self) -> None:
        if self._waiting_task is None or self._waiting_task.done():
            self._wakeup = asyncio.Event()
            self._waiting_task = asyncio.get_running_loop().create_task(
                self._waiting_loop(), name=f"workqueue-delay:{self.name}"
            )

    async def _waiting_loop(self) -> None:
        """Moves delayed keys into the queue as their deadlines pass (one task per queue)."""
        assert self._wakeup is not None
        wakeup = self._wakeup
        while not self._shutting_down:
            wakeup.clear()
            now = self.clock.now()
            while self._heap and self._heap[0][0] <= now:
                _, seq, key = heapq.heappop(self._heap)
                entry = self._waiting.get(key)
                if entry is None or entry[1] != seq:
                    continue  # superseded by an earlier deadline
                del self._waiting[key]
                self.add(key, low_priority=entry[2])
            waker = asyncio.ensure_future(wakeup.wait())
            waits: set[asyncio.Future[Any]] = {waker}
            if self._heap:
                waits.add(asyncio.ensure_future(self.clock.sleep(self._heap[0][0] - now)))
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
