"""Decimal text of huge exact integers in subquadratic time (CPython 3.11's str(int) is quadratic and capped)."""

from __future__ import annotations

import decimal  # loaded anyway: fractions imports it

# Below this many bits str() is fast and within sys.int_max_str_digits (4,300 digits).
SAFE_BITS = 13_000
_BITS_PER_LEAF = 128


def integer_text(number: int) -> str:
    """``str(number)`` for an int of any size: 1,000,000 digits take about a second.

    The integer is split in binary halves and rebuilt as a ``decimal.Decimal``, whose
    multiplication of huge values is subquadratic; a Decimal prints in linear time.
    The method is CPython 3.12's ``_pylong.int_to_decimal``.
    """
    if number.bit_length() <= SAFE_BITS:
        return str(number)
    two = decimal.Decimal(2)
    powers: dict = {}

    def power_of_two(width: int):
        result = powers.get(width)
        if result is None:
            if width <= _BITS_PER_LEAF:
                result = two ** width
            elif width - 1 in powers:
                result = powers[width - 1] * 2
            else:
                half = width >> 1
                result = power_of_two(half) * power_of_two(width - half)
            powers[width] = result
        return result

    def convert(value: int, width: int):
        if width <= _BITS_PER_LEAF:
            return decimal.Decimal(value)
        half = width >> 1
        high = value >> half
        low = value - (high << half)
        return convert(low, half) + convert(high, width - half) * power_of_two(half)

    with decimal.localcontext() as context:
        context.prec = decimal.MAX_PREC
        context.Emax = decimal.MAX_EMAX
        context.Emin = decimal.MIN_EMIN
        context.traps[decimal.Inexact] = True
        magnitude = abs(number)
        text = str(convert(magnitude, magnitude.bit_length()))
    return "-" + text if number < 0 else text
