"""sxflow.data.ExactComplex: exact complex arithmetic agrees with exact algebra, Python's complex and eqv?/hashing."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sxflow import Interpreter
from sxflow.data import ExactComplex, is_eqv

exact_rationals = st.one_of(st.integers(-10 ** 6, 10 ** 6),
                            st.fractions(max_denominator=1000).map(lambda value: value.numerator
                                                                   if value.denominator == 1 else value))
exact_numbers = st.builds(ExactComplex.make, exact_rationals, exact_rationals)


def parts(number):
    if type(number) is ExactComplex:
        return Fraction(number.real), Fraction(number.imag)
    return Fraction(number), Fraction(0)


def test_make_collapses_a_zero_imaginary_part_and_whole_fractions():
    assert ExactComplex.make(3, 0) == 3 and type(ExactComplex.make(3, 0)) is int
    assert type(ExactComplex.make(Fraction(4, 2), 0)) is int
    number = ExactComplex.make(Fraction(4, 2), Fraction(6, 3))
    assert type(number.real) is int and type(number.imag) is int


@settings(max_examples=300, deadline=None)
@given(exact_numbers, exact_numbers)
def test_arithmetic_is_exact_and_matches_the_algebra(left, right):
    (a, b), (c, d) = parts(left), parts(right)
    assert parts(left + right) == (a + c, b + d)
    assert parts(left - right) == (a - c, b - d)
    assert parts(left * right) == (a * c - b * d, a * d + b * c)
    if ExactComplex not in (type(left), type(right)):
        # Two reals: Python's own int and Fraction arithmetic, not ExactComplex's (1 / 499999
        # is a float; 0 * Fraction(1, 2) is Fraction(0, 1)).
        return
    if right != 0:
        assert (left / right) * right == left
    for result in (left + right, left - right, left * right):
        # Results are normalised: never an ExactComplex with a zero imaginary part or a whole Fraction.
        if type(result) is ExactComplex:
            assert result.imag != 0
        assert type(result) is not Fraction or result.denominator != 1


@settings(max_examples=200, deadline=None)
@given(exact_numbers, st.floats(-1e6, 1e6))
def test_meeting_an_inexact_number_gives_a_python_complex(number, inexact):
    for result in (number + inexact, inexact + number, number * inexact, inexact - number):
        assert type(result) in (complex, float)


@settings(max_examples=300, deadline=None)
@given(exact_numbers)
def test_equal_values_hash_alike(number):
    if type(number) is ExactComplex:
        inexact = complex(number)
        if number == inexact:  # parts exactly representable as floats
            assert hash(number) == hash(inexact)
        assert hash(ExactComplex.make(number.real, number.imag)) == hash(number)
        assert is_eqv(number, ExactComplex.make(number.real, number.imag))
        assert not is_eqv(number, inexact)


def test_powers_and_magnitude():
    one_plus_i = ExactComplex.make(1, 1)
    assert one_plus_i ** 4 == -4
    assert one_plus_i ** -1 == ExactComplex.make(Fraction(1, 2), Fraction(-1, 2))
    assert abs(ExactComplex.make(3, 4)) == 5 and type(abs(ExactComplex.make(3, 4))) is int
    assert type(abs(one_plus_i)) is float
    with pytest.raises(ZeroDivisionError):
        one_plus_i / 0


def test_crossing_the_python_boundary():
    interpreter = Interpreter()
    number = interpreter.eval("(make-rectangular 1/2 3)")
    assert type(number) is ExactComplex and number == ExactComplex.make(Fraction(1, 2), 3)
    assert complex(number) == 0.5 + 3j
    assert interpreter.eval("(lambda (z) (* z z))")(number) == ExactComplex.make(Fraction(-35, 4), 3)
    assert interpreter.eval("(lambda (z) (exact? z))")(number) is True
    assert interpreter.eval("(lambda (z) (exact? z))")(0.5 + 3j) is False
