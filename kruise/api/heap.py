"""Keeping Python's cyclic garbage collector off cached API objects.

Decoded API objects are acyclic, and an informer (or the API server's watch cache) keeps them for
a long time. The generational collector still rescans them: once when young, again in the middle
generation, and in every full collection, which runs each time the heap has grown by a quarter.
Taking in a 10,000-pod backlog spent over a third of an informer's CPU there (bench/informer.py),
finding nothing to free.

Two tools:
- `gc_paused()`: no collection during one synchronous burst of allocations (a decoded page or watch
  batch). Reference counting still frees what dies.
- `settle()`: the burst's survivors leave the collector's sight (`gc.freeze`, constant time). A
  process opts in with `install()`; every long-running component (API server, manager, node
  agent, scheduler) does; the API server settles once a second. Freezing also hides any garbage
  cycle alive at that moment, so a full collection (unfreeze, collect, freeze) runs once the
  frozen heap has grown `growth` times since the last one, or `interval` seconds have passed:
  cycles are still reclaimed, and full passes cost a constant number of visits per object
  instead of one per quarter of growth.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def gc_paused(pause: bool = True) -> Iterator[None]:
    """Pause the cyclic GC for a synchronous burst of allocations (never across an await)."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class FreezePolicy:
    def __init__(
        self,
        growth: float = 8.0,
        interval: float = 600.0,
        min_baseline: int = 100_000,  # objects: below this, full passes are cheap anyway
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.growth = growth
        self.min_baseline = min_baseline
        self.interval = interval
        self.clock = clock
        self.full_passes = 0
        self._full_pass()

    def settle(self) -> None:
        # The young generation's count (allocations minus deallocations since it was last
        # emptied) is what this freeze adds; gc.get_freeze_count() would walk the whole heap.
        self._frozen_since += gc.get_count()[0]
        gc.freeze()
        grown = self._frozen_since > (self.growth - 1) * max(self._baseline, self.min_baseline)
        if grown or self.clock() - self._last_full >= self.interval:
            self._full_pass()

    def _full_pass(self) -> None:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self._baseline = gc.get_freeze_count()
        self._frozen_since = 0
        self._last_full = self.clock()
        self.full_passes += 1


_policy: FreezePolicy | None = None


def install(growth: float = 8.0, interval: float = 600.0) -> FreezePolicy:
    """Opt this process in: from now on `settle()` freezes. Idempotent."""
    global _policy
    if _policy is None:
        _policy = FreezePolicy(growth, interval)
    return _policy


def uninstall() -> None:
    """Back to the stock collector (tests); everything frozen becomes collectable again."""
    global _policy
    _policy = None
    gc.unfreeze()


def settle() -> None:
    """Call right after a burst of allocations that will live long (cached objects), while the GC
    is still paused, so no young collection scans them first. A no-op unless installed."""
    if _policy is not None:
        _policy.settle()
