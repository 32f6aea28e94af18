"""Time as an injectable dependency, so queues, backoff and expectations are testable without sleeping.

`Clock.now()` is monotonic seconds (never wall time: deadlines must not jump with NTP).
`FakeClock` only moves when a test calls `advance`, and wakes sleepers in deadline order.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol

__all__ = ["Clock", "FakeClock", "RealClock"]


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that stands still until `advance`; sleepers wake once their deadline has passed."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        # (deadline, tie-breaker, future): ties wake in the order the sleeps started.
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            # Still a scheduling point, as asyncio.sleep(0) is.
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._seq), fut))
        # A cancelled sleep leaves a done future in the heap; advance() skips it.
        await fut

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline is now due.

        Woken coroutines run at the event loop's next turns; tests yield (e.g. `asyncio.sleep(0)`)
        to let them."""
        if seconds < 0:
            raise ValueError("a monotonic clock cannot go backwards")
        self._now += seconds
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)

    @property
    def sleepers(self) -> int:
        """How many sleeps are pending (useful to know a background loop has gone to sleep)."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    def next_deadline(self) -> float | None:
        """The earliest pending deadline, or None when nobody sleeps."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None
