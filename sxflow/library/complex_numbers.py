"""Complex numbers (R7RS 6.2.6): make-rectangular, make-polar, real-part, imag-part, magnitude, angle.

A complex number with a non-zero imaginary part is a Python ``complex``, so it is
always inexact (as in Guile): ``(make-rectangular 1 2)`` is ``1.0+2.0i``. Exact
complex numbers are not supported. A result whose imaginary part is an exact zero
is the real part itself, an inexact zero gives the real part as a float.
"""

from __future__ import annotations

import cmath
import math
from fractions import Fraction

from ..reader import complex_value
from .numbers import NumberTypeError, _number
from .registry import builtin

_REAL = frozenset((int, float, Fraction))


def _real(value):
    if type(value) not in _REAL:
        raise NumberTypeError("expected a real number")
    return value


@builtin("make-rectangular", types=("real", "real"))
def make_rectangular(real, imaginary):
    _real(real), _real(imaginary)
    if type(imaginary) is not float and imaginary == 0:
        return real
    return complex_value(complex(float(real), float(imaginary)))


@builtin("make-polar", types=("real", "real"))
def make_polar(magnitude, angle):
    _real(magnitude), _real(angle)
    if type(angle) is not float and angle == 0:
        return magnitude
    return complex_value(cmath.rect(float(magnitude), float(angle)))


@builtin("real-part", types=("number",))
def real_part(number):
    return number.real if type(_number(number)) is complex else number


@builtin("imag-part", types=("number",))
def imag_part(number):
    kind = type(_number(number))
    if kind is complex:
        return number.imag
    return 0.0 if kind is float else 0


@builtin("magnitude", types=("number",))
def magnitude(number):
    return abs(_number(number))


@builtin("angle", types=("number",))
def angle(number):
    kind = type(_number(number))
    if kind is complex:
        return cmath.phase(number)
    if kind is float:
        return math.atan2(0.0, number) if number == number else number
    # An exact real: 0 for a positive one, pi (inexact) for a negative one.
    return math.pi if number < 0 else 0
