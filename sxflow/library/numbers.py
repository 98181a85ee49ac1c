"""Numbers: exact integers and rationals (int, Fraction), inexact reals (float), complex (ExactComplex, complex)."""

from __future__ import annotations

import cmath
import math
from fractions import Fraction

from ..bigtext import integer_text
from ..data import ExactComplex, MultipleValues, Symbol
from ..lexical import decode_atom_text, parse_number
from ..printer import _complex_text, _float_text, exact_complex_text
from .registry import builtin

_NUMERIC = frozenset((int, float, Fraction, complex, ExactComplex))
# Complex numbers: ExactComplex (exact rational parts) and Python complex (inexact).
_REAL = frozenset((int, float, Fraction))
_COMPLEX = frozenset((complex, ExactComplex))
# Results that may need normalizing: a whole Fraction, a complex with a zero imaginary part.
_NORMALIZED = frozenset((Fraction, complex))
# An exact power larger than this many bits is refused rather than left to exhaust memory.
MAX_EXACT_BITS = 64_000_000
_EXACT = frozenset((int, Fraction))
# The two types of nearly every number a program computes with: the fast paths below
# take them (a bool is neither: ``type(True) is bool``) and leave the rest to the full code.
_INT_FLOAT = frozenset((int, float))


class NumberTypeError(TypeError):
    """An argument that is not a number; the caller's diagnosis names it."""


def _number(value):
    if type(value) not in _NUMERIC:
        raise NumberTypeError("expected a number")
    return value


def inexact_of(value) -> float:
    """float(value), with +inf.0 or -inf.0 for an exact value beyond the float range
    (where Python raises OverflowError)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _overflowed(operation, numbers) -> float:
    """An inexact result that overflowed on the way (a huge exact integer met a float):
    computed exactly, then made inexact, so it is +inf.0, -inf.0 or the right float."""
    if any(type(number) in _COMPLEX or (type(number) is float and not math.isfinite(number))
           for number in numbers):
        values = [complex(number) if type(number) in _COMPLEX else inexact_of(number) for number in numbers]
    else:
        values = [Fraction(number) if type(number) is float else number for number in numbers]
    result = values[0]
    for value in values[1:]:
        result = operation(result, value)
    return inexact_of(result)


def normalize(value):
    """Exact results are ints whenever the rational is whole (``(/ 4 2)`` is 2); a complex
    result with a zero imaginary part is its real part (a float)."""
    if type(value) is Fraction and value.denominator == 1:
        return value.numerator
    if type(value) is complex and value.imag == 0:
        return value.real
    return value


# Two floats (or a float and a small integer literal): Python's own operation is the builtin's
# answer (no OverflowError is possible, unlike a huge int meeting a float), so generated code
# inlines it after the two-ints case.
_FLOAT_PAIR = ("float", "float")


@builtin("+", rest="number", inline={2: (("int", "int"), "{0} + {1}", _FLOAT_PAIR)})
def add(*numbers):
    if len(numbers) == 2:
        left, right = numbers
        if type(left) in _INT_FLOAT and type(right) in _INT_FLOAT:
            try:
                return left + right
            except OverflowError:  # a huge int met a float
                return _overflowed(lambda left, right: left + right, numbers)
    total = 0
    try:
        for number in numbers:
            if type(number) not in _NUMERIC:
                raise NumberTypeError("expected a number")
            total += number
    except OverflowError:
        return _overflowed(lambda left, right: left + right, numbers)
    return normalize(total) if type(total) in _NORMALIZED else total


@builtin("*", rest="number", inline={2: (("int", "int"), "{0} * {1}", _FLOAT_PAIR),
                                     # 1 * a * b * c, as below, is a * b * c (-0.0 and nan too)
                                     3: (("int", "int", "int"), "{0} * {1} * {2}", ("float", "float", "float"))})
def multiply(*numbers):
    if len(numbers) == 2:
        left, right = numbers
        if type(left) in _INT_FLOAT and type(right) in _INT_FLOAT:
            try:
                return left * right
            except OverflowError:
                return _overflowed(lambda left, right: left * right, numbers)
        if (type(left) is float and type(right) is Fraction) or (type(left) is Fraction and type(right) is float):
            # (* 3. 1/40): what Python's Fraction does with a float (both made floats, then
            # multiplied), without its abstract-base-class checks on the way.
            try:
                return float(left) * float(right)
            except OverflowError:
                return _overflowed(lambda left, right: left * right, numbers)
    product = 1
    try:
        for number in numbers:
            if type(number) not in _NUMERIC:
                raise NumberTypeError("expected a number")
            product *= number
    except OverflowError:
        return _overflowed(lambda left, right: left * right, numbers)
    return normalize(product) if type(product) in _NORMALIZED else product


@builtin("-", types=("number",), rest="number",
         inline={2: (("int", "int"), "{0} - {1}", _FLOAT_PAIR), 1: (("int",), "-{0}", ("float",))})
def subtract(first, *numbers):
    if len(numbers) == 1 and type(first) in _INT_FLOAT and type(numbers[0]) in _INT_FLOAT:
        try:
            return first - numbers[0]
        except OverflowError:
            return _overflowed(lambda left, right: left - right, (first, *numbers))
    _number(first)
    if not numbers:
        return -first
    result = first
    try:
        for number in numbers:
            if type(number) not in _NUMERIC:
                raise NumberTypeError("expected a number")
            result -= number
    except OverflowError:
        return _overflowed(lambda left, right: left - right, (first, *numbers))
    return normalize(result) if type(result) in _NORMALIZED else result


def _divide(left, right):
    if type(right) is ExactComplex or type(left) is ExactComplex:
        if type(right) is float or type(left) is float or type(right) is complex or type(left) is complex:
            left, right = complex(left), complex(right)  # inexact: the complex case below
        else:
            return left / right  # exact; an exact zero divisor raises ZeroDivisionError
    if type(right) is complex or type(left) is complex:
        return normalize(complex(left) / right if right != 0 else left / right)
    if type(right) is float or type(left) is float:
        if right == 0:
            if left == 0 or left != left:
                return math.nan
            return math.copysign(math.inf, left) * math.copysign(1.0, right)
        return left / right
    return normalize(Fraction(left, right))


@builtin("/", types=("number",), rest="number")
def divide(first, *numbers):
    if len(numbers) == 1:
        right = numbers[0]
        left_type, right_type = type(first), type(right)
        # At least one float, the other a float or an int, no zero divisor: Python's own
        # division is the inexact quotient (two ints stay exact, below).
        if ((left_type is float and right_type in _INT_FLOAT) or (right_type is float and left_type is int)) and right:
            try:
                return first / right
            except OverflowError:  # a huge int met a float: the general code below
                pass
    _number(first)
    if not numbers:
        return _divide(1, first)
    result = first
    try:
        for number in numbers:
            result = _divide(result, _number(number))
    except OverflowError:
        return _overflowed(_divide, (first, *numbers))
    return result


def _comparison(name, test):
    def compare(*numbers):
        if len(numbers) == 2:
            left, right = numbers
            if type(left) in _INT_FLOAT and type(right) in _INT_FLOAT:
                return test(left, right)  # exact even between an int and a float
        for number in numbers:
            if type(number) not in _NUMERIC:
                raise NumberTypeError("expected a number")
        for index in range(len(numbers) - 1):
            if not test(numbers[index], numbers[index + 1]):
                return False
        return True

    compare.__name__ = name
    return compare


_INT_PAIR = ("int", "int")
equal_numbers = builtin("=", types=("number", "number"), rest="number", inline={2: (_INT_PAIR, "{0} == {1}", _FLOAT_PAIR)})(
    _comparison("=", lambda a, b: a == b))
less = builtin("<", types=("real", "real"), rest="real", inline={2: (_INT_PAIR, "{0} < {1}", _FLOAT_PAIR)})(
    _comparison("<", lambda a, b: a < b))
greater = builtin(">", types=("real", "real"), rest="real", inline={2: (_INT_PAIR, "{0} > {1}", _FLOAT_PAIR)})(
    _comparison(">", lambda a, b: a > b))
less_equal = builtin("<=", types=("real", "real"), rest="real", inline={2: (_INT_PAIR, "{0} <= {1}", _FLOAT_PAIR)})(
    _comparison("<=", lambda a, b: a <= b))
greater_equal = builtin(">=", types=("real", "real"), rest="real", inline={2: (_INT_PAIR, "{0} >= {1}", _FLOAT_PAIR)})(
    _comparison(">=", lambda a, b: a >= b))


def _integer(value):
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return value
    raise NumberTypeError("expected an integer")


def _integer_result(value, *inputs):
    """Integer operations are inexact when any input is."""
    return float(value) if any(type(item) is float for item in inputs) else int(value)


# Inlined for two exact integers, the dividend not negative and the divisor positive:
# there truncating, flooring and Python's // and % all agree.
@builtin("quotient", "truncate-quotient", types=("integer", "integer"),
         inline={2: (("int", "int"), "{0} // {1}", None, "0 <= {0} and 0 < {1}")})
def quotient(left, right):
    if type(left) is int and type(right) is int and right:
        if left >= 0 and right > 0:
            return left // right
        result = abs(left) // abs(right)
        return -result if (left < 0) != (right < 0) else result
    left, right = _integer(left), _integer(right)
    result = abs(int(left)) // abs(int(right))
    if (left < 0) != (right < 0):
        result = -result
    return _integer_result(result, left, right)


@builtin("remainder", "truncate-remainder", types=("integer", "integer"),
         inline={2: (("int", "int"), "{0} % {1}", None, "0 <= {0} and 0 < {1}")})
def remainder(left, right):
    if type(left) is int and type(right) is int and right:
        if left >= 0 and right > 0:
            return left % right
        result = abs(left) % abs(right)
        return -result if left < 0 else result
    left, right = _integer(left), _integer(right)
    result = abs(int(left)) % abs(int(right))
    if left < 0:
        result = -result
    return _integer_result(result, left, right)


@builtin("modulo", "floor-remainder", types=("integer", "integer"),
         inline={2: (("int", "int"), "{0} % {1}", None, "{1} != 0")})
def modulo(left, right):
    if type(left) is int and type(right) is int and right:
        return left % right  # Python's % takes the divisor's sign, as modulo does
    left, right = _integer(left), _integer(right)
    return _integer_result(int(left) % int(right), left, right)


@builtin("floor-quotient", types=("integer", "integer"))
def floor_quotient(left, right):
    if type(left) is int and type(right) is int and right:
        return left // right
    left, right = _integer(left), _integer(right)
    return _integer_result(int(left) // int(right), left, right)


@builtin("floor/", types=("integer", "integer"))
def floor_divide(left, right):
    return MultipleValues((floor_quotient(left, right), modulo(left, right)))


@builtin("truncate/", types=("integer", "integer"))
def truncate_divide(left, right):
    return MultipleValues((quotient(left, right), remainder(left, right)))


def _rounder(name, exact_function):
    def rounded(number):
        kind = type(number)
        if kind is int:
            return number
        if kind is float:
            if math.isinf(number) or math.isnan(number):
                return number
            return float(exact_function(number))
        if kind is Fraction:
            return int(exact_function(number))
        raise NumberTypeError("expected a number")

    rounded.__name__ = name
    return builtin(name, types=("real",))(rounded)


floor = _rounder("floor", math.floor)
ceiling = _rounder("ceiling", math.ceil)
truncate = _rounder("truncate", math.trunc)
# Python's round() rounds half to even, as R7RS requires.
round_ = _rounder("round", round)


@builtin("abs", types=("real",))
def absolute(number):
    if type(number) in _INT_FLOAT:
        return abs(number)
    if type(_number(number)) in _COMPLEX:  # magnitude is the complex one
        raise NumberTypeError("expected a real number")
    return abs(number)


def _extremum(name, pick):
    def extremum(first, *numbers):
        if len(numbers) == 1:
            second = numbers[0]
            if type(first) is int and type(second) is int:
                return pick((first, second))
        values = (first, *numbers)
        for value in values:
            if type(value) not in _NUMERIC:
                raise NumberTypeError("expected a number")
        result = pick(values)
        # Any inexact argument makes the result inexact.
        if any(type(value) is float for value in values):
            return inexact_of(result)
        return result

    extremum.__name__ = name
    return builtin(name, types=("real",), rest="real")(extremum)


maximum = _extremum("max", max)
minimum = _extremum("min", min)


@builtin("gcd", rest="integer")
def gcd(*numbers):
    result = 0
    for number in numbers:
        result = math.gcd(result, int(_integer(number)))
    return _integer_result(result, *numbers)


@builtin("lcm", rest="integer")
def lcm(*numbers):
    result = 1
    for number in numbers:
        value = int(_integer(number))
        if value == 0:
            return _integer_result(0, *numbers)
        result = abs(result * value) // math.gcd(result, value)
    return _integer_result(result, *numbers)


@builtin("expt", types=("number", "number"))
def expt(base, power):
    _number(base), _number(power)
    if type(power) is int and type(base) in _EXACT:
        if power < 0 and base == 0:
            raise ZeroDivisionError("division by zero")
        size = abs(power) * max(abs(Fraction(base).numerator).bit_length(), abs(Fraction(base).denominator).bit_length())
        if size > MAX_EXACT_BITS:
            raise ValueError(f"the exact result would have about {size} bits, more than {MAX_EXACT_BITS}")
        return normalize(Fraction(base) ** power) if type(base) is Fraction or power < 0 else base ** power
    if type(base) is ExactComplex and type(power) is int:
        if power < 0 and base == 0:
            raise ZeroDivisionError("division by zero")
        return base ** power  # exact
    if type(base) in _COMPLEX or type(power) in _COMPLEX:
        if base == 0:
            return 0.0 if power != 0 else 1.0
        return normalize(complex(base) ** complex(power))
    try:
        result = float(base) ** float(power)
    except ZeroDivisionError:
        return math.inf
    return normalize(result)  # complex for a negative base and a fractional power


@builtin("exact-integer-sqrt", types=("index",))
def exact_integer_sqrt(number):
    root = math.isqrt(number)
    return MultipleValues((root, number - root * root))


@builtin("sqrt", types=("number",))
def sqrt(number):
    _number(number)
    if type(number) is ExactComplex:
        return _exact_complex_sqrt(number)
    if type(number) is complex:
        if number.imag == 0:
            # On the real axis, the root of the real part (as the R7RS suites expect of
            # -1.0-0.0i: +i, not IEEE's -i for a negative zero imaginary part).
            return complex(0.0, math.sqrt(-number.real)) if number.real < 0 else complex(math.sqrt(number.real), 0.0)
        return normalize(cmath.sqrt(number))
    if number < 0:
        # The root of a negative exact square is exact: (sqrt -4) is +2i; else inexact, (sqrt -2.0) is +1.414…i.
        root = sqrt(-number)
        if type(root) is not float:
            return ExactComplex.make(0, root)
        return complex(0.0, root)
    if type(number) is int:
        root = math.isqrt(number)
        if root * root == number:
            return root
    if type(number) is Fraction:
        numerator, denominator = math.isqrt(number.numerator), math.isqrt(number.denominator)
        if numerator * numerator == number.numerator and denominator * denominator == number.denominator:
            return normalize(Fraction(numerator, denominator))
    return math.sqrt(inexact_of(number))  # +inf.0 beyond the float range


def _exact_complex_sqrt(number):
    """The exact root when there is one (sqrt of -3+4i is 1+2i), else the inexact one."""
    magnitude = abs(number)
    if type(magnitude) is not float:
        # For z = a+bi with |z| = m: the root is sqrt((m+a)/2) + sign(b) sqrt((m-a)/2) i.
        real, imaginary = sqrt((magnitude + number.real) / Fraction(2)), sqrt((magnitude - number.real) / Fraction(2))
        if type(real) is not float and type(imaginary) is not float:
            return ExactComplex.make(real, imaginary if number.imag > 0 else -imaginary)
    return normalize(cmath.sqrt(complex(number)))


@builtin("square", types=("number",))
def square(number):
    return normalize(_number(number) * number) if type(number) is Fraction else _number(number) * number


def _real_or_complex(real_function, complex_function, number):
    """``real_function`` of a real number; ``complex_function`` for a complex one or outside the real domain."""
    kind = type(_number(number))
    if kind is ExactComplex:
        number = complex(number)
    elif kind is not complex:
        try:
            return real_function(number)
        except ValueError:  # asin 2, log -1: the result is complex
            pass
    return normalize(complex_function(number))


@builtin("exp", types=("number",))
def exponential(number):
    return _real_or_complex(math.exp, cmath.exp, number)


def _log(number):
    if number == 0:
        return -math.inf
    return _real_or_complex(math.log, cmath.log, number)


@builtin("log", types=("number", "number"))
def logarithm(number, base=None):
    _number(number)
    if base is None:
        return _log(number)
    return _divide(_log(number), _log(_number(base)))


for _name, _function, _complex_function in (("sin", math.sin, cmath.sin), ("cos", math.cos, cmath.cos),
                                            ("tan", math.tan, cmath.tan), ("asin", math.asin, cmath.asin),
                                            ("acos", math.acos, cmath.acos)):
    def _make(function=_function, complex_function=_complex_function, name=_name):
        def trigonometric(number):
            return _real_or_complex(function, complex_function, number)

        trigonometric.__name__ = name
        # Inlined for a finite float (math's own function is then the answer: asin and acos
        # also need the argument within [-1, 1]; outside, or infinite, it is complex or nan).
        check = "-1.0 <= {0} <= 1.0" if name in ("asin", "acos") else "{0} - {0} == 0.0"
        inline = {1: (("float",), f"math.{name}({{0}})", None, check)}
        return builtin(name, types=("number",), inline=inline)(trigonometric)

    _make()


@builtin("atan", types=("real", "real"), inline={1: (("float",), "math.atan({0})")})
def arctangent(y, x=None):
    if x is None:
        return _real_or_complex(math.atan, cmath.atan, y)
    return math.atan2(_number(y), _number(x))


@builtin("exact", "inexact->exact", types=("number",))
def exact(number):
    kind = type(number)
    if kind is float:
        if math.isinf(number) or math.isnan(number):
            raise ValueError(f"{number} has no exact representation")
        return normalize(Fraction(number))
    if kind in _EXACT or kind is ExactComplex:
        return number
    if kind is complex:
        if not (math.isfinite(number.real) and math.isfinite(number.imag)):
            raise ValueError(f"{format_number(number)} has no exact representation")
        return ExactComplex.make(Fraction(number.real), Fraction(number.imag))
    raise NumberTypeError("expected a number")


@builtin("inexact", "exact->inexact", types=("number",))
def inexact(number):
    kind = type(_number(number))
    if kind is complex:
        return number
    if kind is ExactComplex:
        return complex(number)
    return inexact_of(number)


@builtin("numerator", types=("real",))
def numerator(number):
    if type(number) is float:
        return float(Fraction(number).numerator)
    return Fraction(_number(number)).numerator


@builtin("denominator", types=("real",))
def denominator(number):
    if type(number) is float:
        return float(Fraction(number).denominator)
    return Fraction(_number(number)).denominator


@builtin("number?", "complex?", types=("any",))
def is_number(value):
    return type(value) in _NUMERIC


@builtin("real?", types=("any",))
def is_real(value):
    return type(value) in _REAL


@builtin("rational?", types=("any",))
def is_rational(value):
    # Infinities and NaN are real but not rational.
    kind = type(value)
    return kind in _EXACT or (kind is float and math.isfinite(value))


@builtin("integer?", types=("any",))
def is_integer(value):
    kind = type(value)
    return kind is int or (kind is float and value.is_integer())


@builtin("exact?", types=("number",))
def is_exact(number):
    return type(_number(number)) in _EXACT or type(number) is ExactComplex


@builtin("inexact?", types=("number",))
def is_inexact(number):
    return type(_number(number)) is float or type(number) is complex



@builtin("exact-integer?", types=("any",))
def is_exact_integer(value):
    return type(value) is int


@builtin("exact-rational?", types=("any",))
def is_exact_rational(value):
    return type(value) in _EXACT


@builtin("nan?", types=("number",))
def is_nan(number):
    if type(_number(number)) is ExactComplex:
        return False
    if type(number) is complex:
        return cmath.isnan(number)
    return type(number) is float and number != number


@builtin("infinite?", types=("number",))
def is_infinite(number):
    if type(_number(number)) is ExactComplex:
        return False
    if type(number) is complex:
        return cmath.isinf(number)
    return type(number) is float and math.isinf(number)


@builtin("finite?", types=("number",))
def is_finite(number):
    if type(_number(number)) is ExactComplex:
        return True
    if type(number) is complex:
        return cmath.isfinite(number)
    return type(number) is not float or math.isfinite(number)


@builtin("zero?", types=("number",), inline={1: (("int",), "{0} == 0")})
def is_zero(number):
    if type(number) in _INT_FLOAT:
        return number == 0
    return _number(number) == 0


@builtin("positive?", types=("real",), inline={1: (("int",), "{0} > 0", ("float",))})
def is_positive(number):
    if type(number) in _INT_FLOAT:
        return number > 0
    return _number(number) > 0


@builtin("negative?", types=("real",), inline={1: (("int",), "{0} < 0", ("float",))})
def is_negative(number):
    if type(number) in _INT_FLOAT:
        return number < 0
    return _number(number) < 0


@builtin("odd?", types=("integer",), inline={1: (("int",), "{0} & 1 == 1")})
def is_odd(number):
    if type(number) is int:
        return number & 1 == 1
    return int(_integer(number)) % 2 == 1


@builtin("even?", types=("integer",), inline={1: (("int",), "{0} & 1 == 0")})
def is_even(number):
    if type(number) is int:
        return number & 1 == 0
    return int(_integer(number)) % 2 == 0


@builtin("rationalize", types=("real", "real"))
def rationalize(number, tolerance):
    """The simplest rational within ``tolerance`` of ``number`` (R7RS); inexact if either argument is."""
    if type(_number(number)) in _COMPLEX or type(_number(tolerance)) in _COMPLEX:
        raise NumberTypeError("expected a real number")
    inexact_result = type(number) is float or type(tolerance) is float
    if inexact_result:
        if number != number or tolerance != tolerance:
            return math.nan
        if math.isinf(tolerance):
            return math.nan if math.isinf(number) else 0.0
        if math.isinf(number):
            return float(number)
    exact_number, exact_tolerance = Fraction(number), abs(Fraction(tolerance))
    result = _simplest_between(exact_number - exact_tolerance, exact_number + exact_tolerance)
    return float(result) if inexact_result else normalize(result)


def _simplest_between(low: Fraction, high: Fraction) -> Fraction:
    """The rational with the smallest denominator (then numerator) in [low, high]."""
    if low > 0:
        return _simplest_positive(low, high)
    if high < 0:
        return -_simplest_positive(-high, -low)
    return Fraction(0)


def _simplest_positive(low: Fraction, high: Fraction) -> Fraction:
    # Continued fractions, as a loop: each step keeps the common integer part and inverts the rest.
    terms = []
    while True:
        whole = math.floor(low)
        if whole == low or whole < math.floor(high):
            result = Fraction(whole if whole == low else whole + 1)
            break
        terms.append(whole)
        low, high = 1 / (high - whole), 1 / (low - whole)
    for whole in reversed(terms):
        result = whole + 1 / result
    return result


def format_number(number, radix: int = 10) -> str:
    """A number as ``write`` shows it (R7RS syntax: ``+inf.0``, ``1/3``, ``1.0``)."""
    kind = type(number)
    if kind is int:
        return _integer_in_radix(number, radix)
    if kind is Fraction:
        return f"{_integer_in_radix(number.numerator, radix)}/{_integer_in_radix(number.denominator, radix)}"
    if kind is complex:
        if radix != 10:
            raise ValueError("a complex number is written in radix 10 only")
        return _complex_text(number)
    if kind is ExactComplex:
        return exact_complex_text(number, lambda part: format_number(part, radix))
    if number != number:
        return "+nan.0"
    if math.isinf(number):
        return "+inf.0" if number > 0 else "-inf.0"
    if radix != 10:
        return _float_in_radix(number, radix)
    return _float_text(number)


_RADIX_FORMATS = {2: "b", 8: "o", 16: "x"}


def _integer_in_radix(number: int, radix: int) -> str:
    # format() and integer_text take time near-linear in the digits, and no digit limit.
    if radix == 10:
        return integer_text(number)
    return format(number, _RADIX_FORMATS[radix])


def _float_in_radix(number: float, radix: int) -> str:
    """A finite float in radix 2, 8 or 16: exact, since a float is a fraction over a power of two."""
    sign = "-" if math.copysign(1.0, number) < 0 else ""
    numerator, denominator = abs(number).as_integer_ratio()
    whole, rest = divmod(numerator, denominator)
    digits = []
    while rest:
        rest *= radix
        digit, rest = divmod(rest, denominator)
        digits.append("0123456789abcdef"[digit])
    return f"{sign}{_integer_in_radix(whole, radix)}.{''.join(digits) or '0'}"


@builtin("number->string", types=("number", "exact-integer"))
def number_to_string(number, radix=10):
    _number(number)
    if radix not in (2, 8, 10, 16):
        raise ValueError(f"radix must be 2, 8, 10 or 16, got {radix}")
    return format_number(number, radix)


@builtin("string->number", types=("string", "exact-integer"))
def string_to_number(text, radix=10):
    if type(text) is not str:
        raise NumberTypeError("expected a string")
    try:
        if text[:1] == "#":  # a radix or exactness prefix: #xff, #e1.5
            if len(text) < 2:
                return False
            value = decode_atom_text(text)
            return value if type(value) in _NUMERIC else False
        value = parse_number(text, radix)
    except (ZeroDivisionError, ValueError):  # "1/0" and malformed prefixes (AtomError) are not numbers
        return False
    return False if value is None else value


del Symbol
