"""resource.Quantity as kube parses, compares and prints it (canonical form: "1500m", "1Gi", "1k")."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from typing import Any

QUANTITY_FORMAT_ERROR = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)

_RE = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL_BY_EXP = {v: k for k, v in _DECIMAL.items()}
_BINARY_SUFFIXES = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
_EXPONENT_RE = re.compile(r"[eE][-+]?[0-9]+")
# distinct quantity strings remembered (the same few recur in every pod); bounded against abuse
PARSE_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Quantity:
    value: Fraction
    format: str  # "DecimalSI" | "BinarySI" | "DecimalExponent"

    def __str__(self) -> str:
        if self.value.__class__ is Fraction:
            return _canonical_cached(self)
        return _canonical(self)


def parse_quantity(raw: Any) -> Quantity:
    """Parse a JSON quantity (string or number). Raises ValueError like kube's decoder would."""
    if raw.__class__ is str:
        return _parse_text_cached(raw)  # failures are not cached: they raise again each time
    if isinstance(raw, bool) or raw is None:
        raise ValueError(QUANTITY_FORMAT_ERROR)
    return _parse_text(repr(raw) if isinstance(raw, float) else str(raw))


def _parse_text(text: str) -> Quantity:
    m = _RE.match(text.strip())
    if not m:
        raise ValueError(QUANTITY_FORMAT_ERROR)
    number, suffix = m.groups()
    try:
        base = Fraction(Decimal(number))
    except (InvalidOperation, ValueError):
        raise ValueError(QUANTITY_FORMAT_ERROR) from None
    if suffix in _BINARY:
        value, fmt = base * 1024 ** _BINARY[suffix], "BinarySI"
    elif suffix in _DECIMAL:
        value, fmt = base * Fraction(10) ** _DECIMAL[suffix], "DecimalSI"
    elif _EXPONENT_RE.fullmatch(suffix):
        value, fmt = base * Fraction(10) ** int(suffix[1:]), "DecimalExponent"
    else:
        raise ValueError(QUANTITY_FORMAT_ERROR)
    # kube keeps at most nano precision and rounds away from zero
    scaled = value * 10**9
    if scaled.denominator != 1:
        whole = math.ceil(abs(scaled))
        value = Fraction(whole if value > 0 else -whole, 10**9)
    return Quantity(value, fmt)


_parse_text_cached = lru_cache(maxsize=PARSE_CACHE_SIZE)(_parse_text)


def _canonical(q: Quantity) -> str:
    v = q.value
    if v == 0:
        return "0"
    sign = "-" if v < 0 else ""
    v = abs(v)
    fmt = q.format
    if fmt == "BinarySI" and (v < 1024 or v.denominator != 1):
        fmt = "DecimalSI"  # small or fractional binary values print in decimal, as kube does
    if fmt == "BinarySI":
        n, exp = int(v), 0
        while exp < 6 and n % 1024 == 0:
            n //= 1024
            exp += 1
        return f"{sign}{n}{_BINARY_SUFFIXES[exp]}"
    exp = 0
    while v.denominator != 1:
        v *= 1000
        exp -= 3
    n = int(v)
    while n % 1000 == 0 and (fmt == "DecimalExponent" or exp < 18):
        n //= 1000
        exp += 3
    if fmt == "DecimalExponent":
        return f"{sign}{n}" + (f"e{exp}" if exp else "")
    return f"{sign}{n}{_DECIMAL_BY_EXP[exp]}"


_canonical_cached = lru_cache(maxsize=PARSE_CACHE_SIZE)(_canonical)


def quantity_string(raw: Any) -> str:
    """Canonical text of a JSON quantity; the raw text when it does not parse."""
    try:
        return str(parse_quantity(raw))
    except ValueError:
        return str(raw)


def quantity_value(raw: Any) -> Fraction | None:
    try:
        return parse_quantity(raw).value
    except ValueError:
        return None
