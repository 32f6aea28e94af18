"""Run a workload's per-Pod writes concurrently, a bounded number at a time.

One reconcile may have hundreds of Pods to refresh, update or delete; awaiting them one by one
costs a round trip each. All are attempted; the first failure is raised once every write settled,
so one bad Pod never hides the outcome of the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_LIMIT = 32


async def run_limited(jobs: Iterable[Awaitable[T]], limit: int = DEFAULT_LIMIT) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Awaitable[T]) -> T:
        async with gate:
            return await job

    results = await asyncio.gather(*(one(j) for j in jobs), return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results  # type: ignore[return-value]
