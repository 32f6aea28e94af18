"""Kubernetes resource quantities ("100m", "1.5Gi", "2e3") as exact numbers and as the integers
kube compares (MilliValue for cpu, Value for the rest). Shared by the scheduler, the node agent
and the in-place update engine; the API server's validation keeps its own canonical formatting."""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction
from typing import Any

_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$")
_SUFFIX: dict[str, Fraction] = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}


def parse_quantity(raw: Any) -> Fraction:
    """The exact value; ValueError when malformed."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(f"invalid quantity {raw!r}")
    if isinstance(raw, int | float):
        return Fraction(str(raw))
    return _parse_text(str(raw).strip())


@functools.lru_cache(maxsize=4096)  # a cluster uses few distinct quantities, over and over
def _parse_text(text: str) -> Fraction:
    m = _QUANTITY.match(text)
    if m is None:
        raise ValueError(f"invalid quantity {text!r}")
    number, exponent, suffix = m.groups()
    value = Fraction(number)
    if exponent:
        return value * Fraction(10) ** int(exponent[1:])
    return value * _SUFFIX[suffix or ""]


def quantity_or_zero(raw: Any) -> Fraction:
    """For stored objects the API server already validated: anything unparseable counts as zero."""
    try:
        return parse_quantity(raw)
    except ValueError:
        return Fraction(0)


def milli_value(raw: Any) -> int:
    """Thousandths, rounded up (kube's MilliValue): how cpu is compared."""
    return math.ceil(quantity_or_zero(raw) * 1000)


def value(raw: Any) -> int:
    """Whole units, rounded up (kube's Value): memory, pods, extended resources."""
    return math.ceil(quantity_or_zero(raw))


def amount(name: str, raw: Any) -> int:
    """The integer kube compares for a resource: millicores for cpu, whole units otherwise."""
    return milli_value(raw) if name == "cpu" else value(raw)
