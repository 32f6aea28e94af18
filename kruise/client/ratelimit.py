"""Rate limiters for the work queue, with client-go's semantics.

A limiter answers `when(item)`: how many seconds to wait before the item may be processed again.
Calling `when` *counts*: it records a failure (per-item limiters) or reserves a token (bucket).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Protocol

from .clock import Clock, RealClock

__all__ = [
    "BucketRateLimiter",
    "ItemExponentialFailureRateLimiter",
    "MaxOfRateLimiter",
    "RateLimiter",
    "default_controller_rate_limiter",
]


class RateLimiter(Protocol):
    def when(self, item: Hashable) -> float:
        """Seconds to wait before `item` may be processed; records the attempt."""
        ...

    def forget(self, item: Hashable) -> None:
        """Stop tracking `item` (it succeeded); its backoff starts over."""
        ...

    def num_requeues(self, item: Hashable) -> int: ...


class ItemExponentialFailureRateLimiter:
    """Per-item backoff: `base * 2**failures`, capped at `max_delay`."""

    def __init__(self, base: float = 0.005, max_delay: float = 1000.0) -> None:
        self.base = base
        self.max_delay = max_delay
        self._failures: dict[Hashable, int] = {}

    def when(self, item: Hashable) -> float:
        exp = self._failures.get(item, 0)
        self._failures[item] = exp + 1
        # ldexp avoids building 2**exp as an int; past ~1000 doublings it would overflow a float.
        if exp > 1000:
            return self.max_delay
        backoff = math.ldexp(self.base, exp)
        return min(backoff, self.max_delay)

    def forget(self, item: Hashable) -> None:
        self._failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        return self._failures.get(item, 0)


class BucketRateLimiter:
    """A token bucket shared by all items (golang.org/x/time/rate reservation semantics).

    The bucket starts full (`burst` tokens) and refills at `qps`. Each `when` takes a token now;
    when the bucket is empty the token is borrowed from the future (tokens go negative) and the
    answer is how long until it exists, so successive calls are spaced 1/qps apart.
    """

    def __init__(self, qps: float = 10.0, burst: int = 100, clock: Clock | None = None) -> None:
        if qps <= 0 or burst <= 0:
            raise ValueError("qps and burst must be positive")
        self.qps = qps
        self.burst = burst
        self.clock = clock or RealClock()
        self._tokens = float(burst)
        self._last = self.clock.now()

    def when(self, item: Hashable) -> float:
        now = self.clock.now()
        elapsed = max(0.0, now - self._last)
        tokens = min(float(self.burst), self._tokens + elapsed * self.qps) - 1.0
        self._tokens = tokens
        self._last = now
        return -tokens / self.qps if tokens < 0 else 0.0

    def forget(self, item: Hashable) -> None:
        # The bucket is global: one item's success returns nothing to it.
        pass

    def num_requeues(self, item: Hashable) -> int:
        return 0


class MaxOfRateLimiter:
    """The longest wait of several limiters (every limiter records each attempt)."""

    def __init__(self, *limiters: RateLimiter) -> None:
        if not limiters:
            raise ValueError("MaxOfRateLimiter needs at least one limiter")
        self.limiters = limiters

    def when(self, item: Hashable) -> float:
        # Every limiter is asked (no short-circuit): each must record the attempt.
        return max([limiter.when(item) for limiter in self.limiters])

    def forget(self, item: Hashable) -> None:
        for limiter in self.limiters:
            limiter.forget(item)

    def num_requeues(self, item: Hashable) -> int:
        return max(limiter.num_requeues(item) for limiter in self.limiters)


def default_controller_rate_limiter(clock: Clock | None = None) -> MaxOfRateLimiter:
    """client-go's default: per-item 5 ms → 1000 s exponential backoff, and 10 qps / burst 100 overall."""
    return MaxOfRateLimiter(
        ItemExponentialFailureRateLimiter(0.005, 1000.0),
        BucketRateLimiter(qps=10.0, burst=100, clock=clock),
    )
