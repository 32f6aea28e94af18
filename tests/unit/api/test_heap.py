"""kruise.api.heap: what settle() freezes, and that frozen garbage cycles are still reclaimed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from kruise.api import heap
from kruise.api.heap import FreezePolicy


class Node:
    """A weak-referenceable object that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


def garbage_cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture(autouse=True)
def stock_gc() -> Iterator[None]:
    heap.uninstall()
    yield
    heap.uninstall()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_settle_is_a_no_op_until_installed() -> None:
    before = gc.get_freeze_count()
    kept = [[i] for i in range(1000)]
    heap.settle()
    assert gc.get_freeze_count() == before
    assert len(kept) == 1000


def test_install_is_idempotent_and_settle_freezes_survivors() -> None:
    policy = heap.install()
    assert heap.install() is policy
    assert policy.full_passes == 1  # the first pass: collect, then freeze everything alive
    before = gc.get_freeze_count()
    kept = [[i] for i in range(5000)]
    heap.settle()
    assert gc.get_freeze_count() >= before + 5000
    assert len(kept) == 5000


def test_a_frozen_garbage_cycle_is_reclaimed_by_the_next_full_pass() -> None:
    clock = FakeClock()
    policy = FreezePolicy(growth=1000.0, interval=60.0, clock=clock)
    with heap.gc_paused():
        cycle = garbage_cycle()
        policy.settle()  # frozen while unreachable: no ordinary collection can see it now
    gc.collect()
    assert cycle() is not None
    clock.now = 59.0
    policy.settle()
    assert cycle() is not None and policy.full_passes == 1
    clock.now = 60.0
    policy.settle()  # the interval has passed: unfreeze, collect, freeze
    assert cycle() is None
    assert policy.full_passes == 2


def test_a_full_pass_runs_once_the_frozen_heap_has_grown_by_the_factor() -> None:
    policy = FreezePolicy(growth=2.0, interval=1e9, min_baseline=1000, clock=FakeClock())
    baseline = gc.get_freeze_count()
    with heap.gc_paused():  # as a decoded batch: no young collection before settle()
        cycle = garbage_cycle()
        small = [[i] for i in range(baseline // 4)]
        policy.settle()
    assert policy.full_passes == 1 and cycle() is not None
    with heap.gc_paused():
        big = [[i] for i in range(baseline)]  # the frozen heap has now more than doubled
        policy.settle()
    assert policy.full_passes == 2
    assert cycle() is None
    assert len(small) + len(big) > baseline
