"""Int-or-percent values (`intstr.IntOrString`) and Kruise's partition rule (kruise-behaviour.md §0.2)."""

from __future__ import annotations

import math
import re

IntOrPercent = int | str

_PERCENT = re.compile(r"^(\d+)%$")


class IntOrPercentError(ValueError):
    """A string that is not `N%`; the message is the one kube's intstr helper gives."""


def percent_value(value: str) -> int:
    m = _PERCENT.match(value)
    if m is None:
        raise IntOrPercentError("invalid value for IntOrString: invalid type: string is not a percentage")
    return int(m.group(1))


def scaled(value: IntOrPercent | None, total: int, round_up: bool, default: IntOrPercent = 0) -> int:
    """An int is itself; `"N%"` is N percent of total, rounded up or down."""
    if value is None:
        value = default
    if isinstance(value, bool):
        raise IntOrPercentError("invalid value for IntOrString: boolean")
    if isinstance(value, int):
        return value
    if value.isdigit():  # kube's intstr accepts a quoted integer only via its percent parser: reject
        raise IntOrPercentError("invalid value for IntOrString: invalid type: string is not a percentage")
    pct = percent_value(value)
    exact = total * pct / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def partition_replicas(partition: IntOrPercent | None, replicas: int) -> int:
    """Pods kept at the old revision. A percent below 100% always lets at least one pod update."""
    if partition is None:
        return 0
    p = scaled(partition, replicas, round_up=True)
    if replicas > 1 and p == replicas and isinstance(partition, str) and partition != "100%":
        p = replicas - 1
    return max(0, min(p, replicas))
