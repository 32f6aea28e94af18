"""Rate limiters: per-item exponential backoff, the global token bucket, and their maximum."""

from __future__ import annotations

import pytest

from kruise.client.clock import FakeClock
from kruise.client.ratelimit import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    default_controller_rate_limiter,
)

# ------------------------------------------------------------------ per-item exponential


def test_exponential_doubles_from_base_and_caps() -> None:
    rl = ItemExponentialFailureRateLimiter()
    delays = [rl.when("a") for _ in range(22)]
    expected = [min(0.005 * 2**n, 1000.0) for n in range(22)]
    assert delays == expected
    assert delays[:4] == [0.005, 0.01, 0.02, 0.04]
    assert delays[17] == 655.36  # last uncapped step
    assert delays[18:] == [1000.0] * 4
    assert rl.num_requeues("a") == 22


def test_exponential_is_per_item_and_forget_resets() -> None:
    rl = ItemExponentialFailureRateLimiter()
    assert [rl.when("a") for _ in range(3)] == [0.005, 0.01, 0.02]
    assert rl.when("b") == 0.005  # another item has its own history
    assert (rl.num_requeues("a"), rl.num_requeues("b"), rl.num_requeues("c")) == (3, 1, 0)
    rl.forget("a")
    assert rl.num_requeues("a") == 0
    assert rl.when("a") == 0.005
    rl.forget("never-seen")  # harmless


def test_exponential_many_failures_do_not_overflow() -> None:
    rl = ItemExponentialFailureRateLimiter(base=1.0, max_delay=60.0)
    for _ in range(3000):
        delay = rl.when("a")
    assert delay == 60.0


@pytest.mark.parametrize(
    ("base", "max_delay", "failures", "expected"),
    [
        (1.0, 10.0, 0, 1.0),
        (1.0, 10.0, 3, 8.0),
        (1.0, 10.0, 4, 10.0),
        (0.1, 1.0, 3, 0.8),
        (0.1, 1.0, 4, 1.0),
    ],
)
def test_exponential_custom_parameters(base: float, max_delay: float, failures: int, expected: float) -> None:
    rl = ItemExponentialFailureRateLimiter(base, max_delay)
    for _ in range(failures):
        rl.when("x")
    assert rl.when("x") == pytest.approx(expected)


# ------------------------------------------------------------------ token bucket


def test_bucket_burst_then_spaced_by_qps() -> None:
    clock = FakeClock()
    rl = BucketRateLimiter(qps=10, burst=100, clock=clock)
    assert [rl.when(i) for i in range(100)] == [0.0] * 100
    # Tokens are borrowed from the future: each further call waits one more 1/qps.
    assert rl.when("x") == pytest.approx(0.1)
    assert rl.when("y") == pytest.approx(0.2)
    assert rl.when("z") == pytest.approx(0.3)


def test_bucket_refills_with_time_up_to_burst() -> None:
    clock = FakeClock()
    rl = BucketRateLimiter(qps=10, burst=100, clock=clock)
    for i in range(102):
        rl.when(i)  # tokens now -2
    clock.advance(1.0)  # +10 tokens -> 8
    assert [rl.when(i) for i in range(8)] == [0.0] * 8
    assert rl.when("next") == pytest.approx(0.1)

    clock.advance(10_000)  # refill is capped at the burst
    assert [rl.when(i) for i in range(100)] == [0.0] * 100
    assert rl.when("over") == pytest.approx(0.1)


def test_bucket_partial_refill() -> None:
    clock = FakeClock()
    rl = BucketRateLimiter(qps=1, burst=1, clock=clock)
    assert rl.when("a") == 0.0
    assert rl.when("a") == pytest.approx(1.0)
    assert rl.when("a") == pytest.approx(2.0)
    clock.advance(0.5)  # tokens -2 + 0.5, then one more reserved
    assert rl.when("a") == pytest.approx(2.5)


def test_bucket_is_global_forget_returns_nothing() -> None:
    clock = FakeClock()
    rl = BucketRateLimiter(qps=1, burst=1, clock=clock)
    rl.when("a")
    rl.forget("a")
    assert rl.when("b") == pytest.approx(1.0)
    assert rl.num_requeues("a") == 0


@pytest.mark.parametrize(("qps", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_bucket_rejects_nonsense(qps: float, burst: int) -> None:
    with pytest.raises(ValueError):
        BucketRateLimiter(qps=qps, burst=burst, clock=FakeClock())


# ------------------------------------------------------------------ max-of and the default


def test_max_of_asks_every_limiter_and_takes_the_longest() -> None:
    clock = FakeClock()
    rl = MaxOfRateLimiter(
        ItemExponentialFailureRateLimiter(0.5, 100.0), BucketRateLimiter(qps=1, burst=2, clock=clock)
    )
    assert rl.when("a") == 0.5  # exponential 0.5, bucket 0
    assert rl.when("a") == 1.0  # exponential 1.0, bucket 0
    assert rl.when("b") == pytest.approx(1.0)  # exponential 0.5, bucket 1.0 (burst used up)
    assert rl.when("a") == pytest.approx(2.0)  # exponential 2.0, bucket 2.0
    assert rl.num_requeues("a") == 3
    rl.forget("a")
    assert rl.num_requeues("a") == 0


def test_max_of_needs_a_limiter() -> None:
    with pytest.raises(ValueError):
        MaxOfRateLimiter()


def test_default_controller_rate_limiter() -> None:
    clock = FakeClock()
    rl = default_controller_rate_limiter(clock)
    # First failure of 100 distinct keys: 5 ms each, the bucket has room.
    assert [rl.when(f"k{i}") for i in range(100)] == [0.005] * 100
    # The 101st failure in the same instant waits for the bucket: 100 ms.
    assert rl.when("k100") == pytest.approx(0.1)

    clock.advance(3600)
    # One key failing repeatedly: the per-item backoff dominates and is capped at 1000 s.
    delays = [rl.when("hot") for _ in range(20)]
    assert delays[:3] == [0.005, 0.01, 0.02]
    assert delays[-1] == 1000.0
    assert rl.num_requeues("hot") == 20
