"""Int-or-percent resolution and the partition rule (kruise-behaviour.md §0.2)."""

from __future__ import annotations

import pytest

from kruise.api.intstr import IntOrPercentError, partition_replicas, scaled


@pytest.mark.parametrize(
    ("value", "total", "round_up", "expected"),
    [
        (3, 10, True, 3),
        (3, 10, False, 3),
        ("25%", 10, True, 3),  # ceil(2.5)
        ("25%", 10, False, 2),  # floor(2.5)
        ("20%", 1, True, 1),  # the default maxUnavailable still lets one pod go with one replica
        ("20%", 1, False, 0),
        ("0%", 7, True, 0),
        ("100%", 7, False, 7),
        (None, 10, True, 0),
    ],
)
def test_scaled(value: int | str | None, total: int, round_up: bool, expected: int) -> None:
    assert scaled(value, total, round_up) == expected


@pytest.mark.parametrize("value", ["abc", "5", "%", "x%"])
def test_non_numeric_percent_is_an_error(value: str) -> None:
    with pytest.raises(IntOrPercentError):
        scaled(value, 10, True)


@pytest.mark.parametrize(
    ("partition", "replicas", "expected"),
    [
        ("99%", 4, 3),  # ceil(3.96)=4, but a percent below 100% always lets one pod update
        ("50%", 2, 1),
        ("100%", 5, 5),
        (None, 5, 0),
        (3, 5, 3),
        (8, 5, 5),  # clamped to replicas
        (-1, 5, 0),  # clamped to 0
        ("99%", 1, 1),  # one replica: nothing to leave updatable
        (5, 5, 5),  # an int equal to replicas is kept
    ],
)
def test_partition_replicas(partition: int | str | None, replicas: int, expected: int) -> None:
    assert partition_replicas(partition, replicas) == expected
