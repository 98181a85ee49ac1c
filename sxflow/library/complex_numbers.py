"""Complex numbers (R7RS 6.2.6): make-rectangular, make-polar, real-part, imag-part, magnitude, angle.

Exact parts make an exact complex number (an ``ExactComplex``: ``(make-rectangular 1 2)``
is ``1+2i``); an inexact part makes a Python ``complex``: ``(make-rectangular 1.0 2)`` is
``1.0+2.0i``. An exact zero imaginary part gives the real part itself; an inexact zero
keeps the number complex (``(make-rectangular -2.5 0.0)`` is not real, as R7RS says).
"""

from __future__ import annotations

import cmath
import math
from fractions import Fraction

from ..data import ExactComplex
from ..lexical import make_complex
from .numbers import NumberTypeError, _number
from .registry import builtin

_REAL = frozenset((int, float, Fraction))


def _real(value):
    if type(value) not in _REAL:
        raise NumberTypeError("expected a real number")
    return value


@builtin("make-rectangular", types=("real", "real"))
def make_rectangular(real, imaginary):
    return make_complex(_real(real), _real(imaginary))


@builtin("make-polar", types=("real", "real"))
def make_polar(magnitude, angle):
    _real(magnitude), _real(angle)
    if type(angle) is not float and angle == 0:
        return magnitude
    try:
        return cmath.rect(float(magnitude), float(angle))
    except OverflowError:
        raise ValueError("make-polar: the magnitude is beyond the range of an inexact number") from None


@builtin("real-part", types=("number",))
def real_part(number):
    kind = type(_number(number))
    return number.real if kind is complex or kind is ExactComplex else number


@builtin("imag-part", types=("number",))
def imag_part(number):
    kind = type(_number(number))
    if kind is complex or kind is ExactComplex:
        return number.imag
    return 0.0 if kind is float else 0


@builtin("magnitude", types=("number",))
def magnitude(number):
    return abs(_number(number))


@builtin("angle", types=("number",))
def angle(number):
    kind = type(_number(number))
    if kind is complex or kind is ExactComplex:
        return cmath.phase(complex(number))
    if kind is float:
        return math.atan2(0.0, number) if number == number else number
    # An exact real: 0 for a positive one, pi (inexact) for a negative one.
    return math.pi if number < 0 else 0
