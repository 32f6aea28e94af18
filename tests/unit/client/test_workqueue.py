"""The work queue contract: dedup, one worker per key, re-queue on done, delays, rate limits,
priorities, shutdown and metrics. Time is a FakeClock; "letting the loop run" is a fixed number
of event-loop turns, never a wall-clock sleep."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kruise.client.clock import FakeClock
from kruise.client.ratelimit import ItemExponentialFailureRateLimiter, default_controller_rate_limiter
from kruise.client.workqueue import ShutDown, WorkQueue


async def settle(turns: int = 20) -> None:
    """Let woken tasks run (the delay loop, waiting getters)."""
    for _ in range(turns):
        await asyncio.sleep(0)


def drain_ready(q: WorkQueue[Any]) -> list[Any]:
    """Take every ready key without blocking, marking each done."""
    out = []

    async def take() -> None:
        while len(q):
            key = await q.get()
            out.append(key)
            q.done(key)

    # get() returns without awaiting when a key is ready, so one step of the coroutine suffices.
    coro = take()
    with pytest.raises(StopIteration):
        coro.send(None)
    return out


def make_queue(**kw: Any) -> tuple[WorkQueue[str], FakeClock]:
    clock = FakeClock()
    return WorkQueue("test", clock=clock, **kw), clock


# ------------------------------------------------------------------ dedup and ordering


async def test_adds_collapse_while_queued_and_keep_fifo_order() -> None:
    q, _ = make_queue()
    for key in ["a", "b", "a", "c", "b", "a"]:
        q.add(key)
    assert len(q) == 3
    assert drain_ready(q) == ["a", "b", "c"]
    assert len(q) == 0


async def test_key_added_while_processing_is_requeued_on_done() -> None:
    q, _ = make_queue()
    q.add("a")
    key = await q.get()
    assert key == "a"
    q.add("a")
    q.add("a")
    assert len(q) == 0  # held: not queued a second time, not visible to other workers

    other = asyncio.create_task(q.get())
    await settle()
    assert not other.done()

    q.done("a")
    await settle()
    assert other.done() and other.result() == "a"
    q.done("a")
    assert len(q) == 0


async def test_done_without_readd_does_not_requeue_and_double_done_is_harmless() -> None:
    q, _ = make_queue()
    q.add("a")
    await q.get()
    q.done("a")
    q.done("a")
    q.done("never-got")
    assert len(q) == 0
    q.add("a")
    assert drain_ready(q) == ["a"]


async def test_a_held_key_is_not_handed_to_a_second_worker() -> None:
    q, _ = make_queue()
    q.add("a")
    q.add("b")
    w1 = await q.get()
    q.add(w1)
    w2 = await q.get()
    assert {w1, w2} == {"a", "b"}
    assert len(q) == 0


async def test_cancelled_getter_passes_its_wakeup_on() -> None:
    q, _ = make_queue()
    g1 = asyncio.create_task(q.get())
    g2 = asyncio.create_task(q.get())
    await settle()
    q.add("a")  # wakes g1 ...
    g1.cancel()  # ... which is cancelled before it can take the key
    await settle()
    assert g1.cancelled()
    assert g2.done() and g2.result() == "a"


# ------------------------------------------------------------------ randomized property


async def _scenario(workers: int, ops: list[tuple[str, int, bool]], holds: list[int]) -> None:
    q: WorkQueue[str] = WorkQueue("prop", clock=FakeClock())
    tick = 0
    last_add: dict[str, int] = {}
    starts: dict[str, list[int]] = defaultdict(list)
    held: set[str] = set()
    violations: list[str] = []

    async def worker(index: int) -> None:
        nonlocal tick
        n = 0
        while True:
            try:
                key = await q.get()
            except ShutDown:
                return
            if key in held:
                violations.append(key)
            held.add(key)
            tick += 1
            starts[key].append(tick)
            for _ in range(holds[(index + n) % len(holds)]):
                await asyncio.sleep(0)
            n += 1
            held.discard(key)
            q.done(key)

    async def producer() -> None:
        nonlocal tick
        for key, pause, low in ops:
            tick += 1
            last_add[key] = tick
            q.add(key, low_priority=low)
            for _ in range(pause):
                await asyncio.sleep(0)

    tasks = [asyncio.create_task(worker(i)) for i in range(workers)]
    await producer()
    for _ in range(10_000):
        if not len(q) and not held:
            break
        await asyncio.sleep(0)
    q.shutdown()
    await asyncio.gather(*tasks)

    assert violations == [], "a key was held by two workers at once"
    for key, added in last_add.items():
        assert starts[key] and max(starts[key]) > added, f"{key} not processed after its last add"


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    workers=st.integers(1, 6),
    ops=st.lists(
        st.tuples(st.sampled_from("abcdef"), st.integers(0, 4), st.booleans()), min_size=1, max_size=80
    ),
    holds=st.lists(st.integers(0, 5), min_size=1, max_size=10),
)
def test_one_worker_per_key_and_every_add_is_processed_after(
    workers: int, ops: list[tuple[str, int, bool]], holds: list[int]
) -> None:
    asyncio.run(_scenario(workers, ops, holds))


# ------------------------------------------------------------------ delayed adds


async def test_add_after_becomes_ready_at_the_deadline() -> None:
    q, clock = make_queue()
    q.add_after("a", 1.0)
    await settle()
    assert len(q) == 0
    clock.advance(0.999)
    await settle()
    assert len(q) == 0
    clock.advance(0.001)
    await settle()
    assert drain_ready(q) == ["a"]
    q.shutdown()


async def test_add_after_earlier_deadline_wins() -> None:
    q, clock = make_queue()
    q.add_after("a", 5.0)
    q.add_after("a", 2.0)  # earlier: replaces
    q.add_after("b", 2.0)
    q.add_after("b", 5.0)  # later: ignored
    await settle()
    clock.advance(2.0)
    await settle()
    assert sorted(drain_ready(q)) == ["a", "b"]
    clock.advance(10.0)
    await settle()
    assert len(q) == 0  # each waited once
    q.shutdown()


async def test_add_after_orders_by_deadline_and_wakes_for_a_new_earlier_one() -> None:
    q, clock = make_queue()
    q.add_after("late", 10.0)
    await settle()  # the delay loop is now asleep until t=10
    q.add_after("early", 1.0)
    await settle()
    clock.advance(1.0)
    await settle()
    assert drain_ready(q) == ["early"]
    clock.advance(9.0)
    await settle()
    assert drain_ready(q) == ["late"]
    q.shutdown()


async def test_add_after_non_positive_is_immediate_and_dedups_with_queued() -> None:
    q, clock = make_queue()
    q.add("a")
    q.add_after("a", 0)
    q.add_after("b", -1)
    assert drain_ready(q) == ["a", "b"]
    q.add("c")
    q.add_after("c", 1.0)
    await settle()
    clock.advance(1.0)
    await settle()
    assert drain_ready(q) == ["c"]  # still queued when the delay fired: collapsed
    q.shutdown()


async def test_delayed_key_fires_while_processing_is_requeued_after_done() -> None:
    q, clock = make_queue()
    q.add("a")
    assert await q.get() == "a"
    q.add_after("a", 1.0)
    await settle()
    clock.advance(1.0)
    await settle()
    assert len(q) == 0
    q.done("a")
    assert drain_ready(q) == ["a"]
    q.shutdown()


# ------------------------------------------------------------------ rate-limited adds


async def test_rate_limited_adds_back_off_exponentially_and_cap() -> None:
    q, clock = make_queue(rate_limiter=ItemExponentialFailureRateLimiter(0.005, 1000.0))
    expected = [min(0.005 * 2**n, 1000.0) for n in range(21)]
    assert expected[:3] == [0.005, 0.01, 0.02]
    for n, delay in enumerate(expected):
        assert q.num_requeues("a") == n
        q.add_rate_limited("a")
        await settle()
        clock.advance(delay * (1 - 1e-9))
        await settle()
        assert len(q) == 0, f"failure {n}: ready before {delay}s"
        clock.advance(delay * 2e-9)
        await settle()
        assert drain_ready(q) == ["a"], f"failure {n}: not ready after {delay}s"
    q.forget("a")
    assert q.num_requeues("a") == 0
    q.add_rate_limited("a")
    await settle()
    clock.advance(0.005)
    await settle()
    assert drain_ready(q) == ["a"]
    q.shutdown()


async def test_rate_limited_bucket_limits_after_the_burst() -> None:
    clock = FakeClock()
    q: WorkQueue[str] = WorkQueue("b", clock=clock, rate_limiter=default_controller_rate_limiter(clock))
    for i in range(103):
        q.add_rate_limited(f"k{i}")
    await settle()
    clock.advance(0.005)
    await settle()
    assert len(q) == 100  # the burst: only the 5 ms per-item backoff applies
    clock.advance(0.1 - 0.005)
    await settle()
    assert len(q) == 101
    clock.advance(0.1)
    await settle()
    assert len(q) == 102
    clock.advance(0.1)
    await settle()
    assert len(q) == 103
    q.shutdown()


# ------------------------------------------------------------------ priority


async def test_normal_adds_are_served_before_low_priority_resyncs() -> None:
    q, _ = make_queue()
    q.add("r1", low_priority=True)
    q.add("r2", low_priority=True)
    q.add("u1")
    q.add("r3", low_priority=True)
    q.add("u2")
    assert drain_ready(q) == ["u1", "u2", "r1", "r2", "r3"]


async def test_normal_add_promotes_a_low_priority_key_and_low_never_demotes() -> None:
    q, _ = make_queue()
    q.add("x", low_priority=True)
    q.add("y", low_priority=True)
    q.add("u")
    q.add("y")  # promoted behind the normal keys already queued
    q.add("u", low_priority=True)  # no demotion
    assert len(q) == 3
    assert drain_ready(q) == ["u", "y", "x"]


async def test_priority_of_a_key_readded_while_processing() -> None:
    q, _ = make_queue()
    q.add("a")
    assert await q.get() == "a"
    q.add("a", low_priority=True)
    q.add("r", low_priority=True)
    q.done("a")
    assert drain_ready(q) == ["r", "a"]  # both low: FIFO

    q.add("a")
    assert await q.get() == "a"
    q.add("a", low_priority=True)
    q.add("a")  # promoted while held
    q.add("r", low_priority=True)
    q.done("a")
    assert drain_ready(q) == ["a", "r"]


async def test_delayed_low_priority_add() -> None:
    q, clock = make_queue()
    q.add_after("resync", 1.0, low_priority=True)
    await settle()
    clock.advance(1.0)
    await settle()
    q.add("event")
    assert drain_ready(q) == ["event", "resync"]
    q.shutdown()


# ------------------------------------------------------------------ shutdown


async def test_shutdown_drains_queued_keys_then_raises() -> None:
    q, _ = make_queue()
    q.add("a")
    q.add("b")
    q.shutdown()
    assert q.shutting_down
    q.add("c")  # ignored
    q.add_rate_limited("d")  # ignored
    assert await q.get() == "a"
    assert await q.get() == "b"
    with pytest.raises(ShutDown):
        await q.get()


async def test_shutdown_without_drain_raises_at_once() -> None:
    q, _ = make_queue()
    q.add("a")
    q.shutdown(drain=False)
    with pytest.raises(ShutDown):
        await q.get()
    q.shutdown()  # a later draining shutdown does not bring the keys back
    with pytest.raises(ShutDown):
        await q.get()


async def test_shutdown_wakes_waiting_workers() -> None:
    q, _ = make_queue()
    getters = [asyncio.create_task(q.get()) for _ in range(3)]
    await settle()
    q.shutdown()
    results = await asyncio.gather(*getters, return_exceptions=True)
    assert all(isinstance(r, ShutDown) for r in results)


async def test_shutdown_drops_delayed_adds() -> None:
    q, clock = make_queue()
    q.add_after("a", 1.0)
    await settle()
    q.shutdown()
    q.add_after("b", 1.0)
    clock.advance(5.0)
    await settle()
    assert len(q) == 0
    with pytest.raises(ShutDown):
        await q.get()


async def test_shutdown_with_drain_waits_for_held_keys() -> None:
    q, _ = make_queue()
    q.add("a")
    q.add("b")
    assert await q.get() == "a"
    drained = asyncio.create_task(q.shutdown_with_drain())
    await settle()
    assert not drained.done()
    assert await q.get() == "b"
    q.done("a")
    await settle()
    assert not drained.done()
    q.done("b")
    await settle()
    assert drained.done()
    with pytest.raises(ShutDown):
        await q.get()


# ------------------------------------------------------------------ metrics


class RecordingMetrics:
    def __init__(self) -> None:
        self.adds = 0
        self.depths: list[int] = []
        self.latencies: list[float] = []
        self.work: list[float] = []
        self.retries = 0

    def add(self) -> None:
        self.adds += 1

    def depth(self, n: int) -> None:
        self.depths.append(n)

    def latency(self, seconds: float) -> None:
        self.latencies.append(seconds)

    def work_duration(self, seconds: float) -> None:
        self.work.append(seconds)

    def retry(self) -> None:
        self.retries += 1


async def test_metrics_hooks() -> None:
    m = RecordingMetrics()
    q, clock = make_queue(metrics=m, rate_limiter=ItemExponentialFailureRateLimiter(1.0, 10.0))
    q.add("a")
    q.add("a")  # duplicate: not an add
    q.add("b")
    assert m.adds == 2
    assert m.depths == [1, 2]
    clock.advance(2.0)
    assert await q.get() == "a"
    assert m.latencies == [2.0]
    assert m.depths[-1] == 1
    clock.advance(3.0)
    q.done("a")
    assert m.work == [3.0]

    q.add_rate_limited("a")
    assert m.retries == 1
    await settle()
    clock.advance(1.0)
    await settle()
    assert m.adds == 3
    assert m.depths[-1] == 2
    q.shutdown()


async def test_default_queue_works_with_real_clock() -> None:
    q: WorkQueue[str] = WorkQueue()
    q.add("a")
    assert await q.get() == "a"
    q.done("a")
    q.add_after("b", 0.001)
    assert await asyncio.wait_for(q.get(), timeout=5) == "b"
    q.shutdown()
