"""Resource quantities as exact numbers and as the integers kube compares."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kruise.api.quantity import amount, milli_value, parse_quantity, quantity_or_zero, value


@pytest.mark.parametrize(
    ("raw", "exact"),
    [
        ("100m", Fraction(1, 10)),
        ("1.5Gi", Fraction(3 * 2**29)),
        ("2e3", Fraction(2000)),
        ("1k", Fraction(1000)),
        ("64Mi", Fraction(64 * 2**20)),
        (2, Fraction(2)),
        (0.5, Fraction(1, 2)),
        ("  3 ", Fraction(3)),
    ],
)
def test_parse(raw, exact):
    assert parse_quantity(raw) == exact


@pytest.mark.parametrize("raw", ["", "1x", "Mi", "1.2.3", True, None, "1KiB"])
def test_malformed(raw):
    with pytest.raises(ValueError):
        parse_quantity(raw)
    assert quantity_or_zero(raw) == 0


def test_compared_integers_round_up_as_kube():
    assert milli_value("1.0001") == 1001  # MilliValue rounds up
    assert value("1500m") == 2
    assert amount("cpu", "250m") == 250
    assert amount("memory", "1Ki") == 1024
