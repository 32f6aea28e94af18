"""Resource quantities ("100m", "1.5Gi", "2e3") as the integers the scheduler compares.

The API server has already validated every quantity it stores, so anything unparseable counts as
zero here rather than failing a scheduling attempt.
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction
from typing import Any

_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|([numkKMGTPE]|[KMGTPE]i)?)$")
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


def parse(raw: Any) -> Fraction:
    if isinstance(raw, bool) or raw is None:
        return Fraction(0)
    if isinstance(raw, int | float):
        return Fraction(raw)
    return _parse_text(str(raw))


@functools.lru_cache(maxsize=4096)  # a cluster uses few distinct quantities, over and over
def _parse_text(text: str) -> Fraction:
    m = _QUANTITY.match(text.strip())
    if m is None:
        return Fraction(0)
    number, exponent, suffix = m.groups()
    value = Fraction(number)
    if exponent:
        return value * Fraction(10) ** int(exponent[1:])
    return value * _SUFFIX.get(suffix or "", Fraction(0))


@functools.lru_cache(maxsize=4096)
def _milli(text: str) -> int:
    return math.ceil(_parse_text(text) * 1000)


@functools.lru_cache(maxsize=4096)
def _whole(text: str) -> int:
    return math.ceil(_parse_text(text))


def milli_value(raw: Any) -> int:
    """Thousandths, rounded up (kube's MilliValue): how cpu is compared."""
    return _milli(raw) if isinstance(raw, str) else math.ceil(parse(raw) * 1000)


def value(raw: Any) -> int:
    """Whole units, rounded up (kube's Value): memory, pods, extended resources."""
    return _whole(raw) if isinstance(raw, str) else math.ceil(parse(raw))
