"""Characters: char?, conversions to and from integers, n-ary comparisons, classes and case mapping."""

from __future__ import annotations

import unicodedata

from ..data import Char
from ..runtime import fault
from .registry import builtin


class CharacterTypeError(TypeError):
    """An argument that is not a character; the caller's declared types explain it."""


@builtin("char?", types=("any",), inline={1: ((None,), "type({0}) is Char")})
def is_char(value):
    return type(value) is Char


@builtin("char->integer", types=("char",), inline={1: (("Char",), "ord({0}.char)")})
def char_to_integer(character):
    return ord(character.char)


@builtin("integer->char", types=("index",))
def integer_to_char(code):
    if type(code) is not int:  # chr(True) would be #\x1
        raise CharacterTypeError("expected an exact integer")
    if code < 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise fault(f"integer->char: {code} is not a Unicode scalar value "
                    "(0 to #x10FFFF, excluding the surrogates #xD800 to #xDFFF)", kind="wrong-type")
    return Char(chr(code))


def _fold(text: str) -> str:
    """Simple case folding of one character (a fold that would change the length leaves it alone)."""
    folded = text.casefold()
    return folded if len(folded) == 1 else text.lower() if len(text.lower()) == 1 else text


def _comparison(name: str, test, key):
    """An n-ary comparison (at least two characters), true when ``test`` holds for each adjacent pair."""
    by_code_point = key is ord  # one-character strings compare as their code points do

    def compare(first, second, *rest):
        if by_code_point and not rest and type(first) is Char and type(second) is Char:
            return test(first.char, second.char)
        characters = (first, second, *rest)
        for character in characters:
            if type(character) is not Char:
                raise CharacterTypeError("expected characters")
        keys = [key(character.char) for character in characters]
        for index in range(len(keys) - 1):
            if not test(keys[index], keys[index + 1]):
                return False
        return True

    compare.__name__ = name
    return builtin(name, types=("char", "char"), rest="char")(compare)


_TESTS = {
    "=?": lambda a, b: a == b,
    "<?": lambda a, b: a < b,
    ">?": lambda a, b: a > b,
    "<=?": lambda a, b: a <= b,
    ">=?": lambda a, b: a >= b,
}

for _suffix, _test in _TESTS.items():
    _comparison(f"char{_suffix}", _test, ord)
    _comparison(f"char-ci{_suffix}", _test, lambda text: ord(_fold(text)))


@builtin("char-alphabetic?", types=("char",))
def is_alphabetic(character):
    return character.char.isalpha()


@builtin("char-numeric?", types=("char",))
def is_numeric(character):
    # R7RS: the Unicode Nd category (decimal digits of any script).
    return character.char.isdecimal()


@builtin("char-whitespace?", types=("char",))
def is_whitespace(character):
    return character.char.isspace()


@builtin("char-upper-case?", types=("char",))
def is_upper_case(character):
    return character.char.isupper()


@builtin("char-lower-case?", types=("char",))
def is_lower_case(character):
    return character.char.islower()


@builtin("digit-value", types=("char",))
def digit_value(character):
    value = unicodedata.decimal(character.char, None)
    return False if value is None else value


def _single(mapped: str, original: str) -> str:
    """A case mapping that yields several characters (ß -> SS) leaves the character unchanged."""
    return mapped if len(mapped) == 1 else original


@builtin("char-upcase", types=("char",))
def char_upcase(character):
    text = character.char
    return Char(_single(text.upper(), text))


@builtin("char-downcase", types=("char",))
def char_downcase(character):
    text = character.char
    return Char(_single(text.lower(), text))


@builtin("char-foldcase", types=("char",))
def char_foldcase(character):
    return Char(_fold(character.char))
