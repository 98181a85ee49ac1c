"""Strings and symbols: R7RS string procedures (strings are immutable Python str) and a few documented helpers.

Non-R7RS helpers, each named as in the SRFI it comes from:

- ``(string-index string char-or-predicate [start end])`` (SRFI-13): the index of the
  first matching character, or #f.
- ``(string-contains string pattern)`` (SRFI-13): the index where ``pattern`` first
  occurs in ``string``, or #f.
- ``(string-prefix? prefix string)``, ``(string-suffix? suffix string)`` (SRFI-13).
- ``(string-join list-of-strings [delimiter])`` (SRFI-130): the strings joined by
  ``delimiter``, a string, by default " ".
- ``(string-split string [delimiter])``: the fields of ``string`` between occurrences of
  ``delimiter`` (a character or a non-empty string), empty fields kept:
  ``(string-split "a,,b" #\\,)`` is ``("a" "" "b")``. Without a delimiter, the words
  between runs of whitespace: ``(string-split " a  b ")`` is ``("a" "b")``.
- ``(string-null? string)`` (SRFI-13).

Strings are immutable in sxflow (``eq?`` compares them by value): ``string-set!``,
``string-fill!`` and ``string-copy!`` raise an error saying so.
"""

from __future__ import annotations

from ..data import Char, NIL, Pair, Symbol, Vector, make_list
from ..limits import check_allocation
from ..printer import write_string
from ..runtime import apply_procedure, fault, is_procedure
from .indexes import check_index, check_range
from .lists import elements
from .registry import builtin


class StringTypeError(TypeError):
    """An argument that is not a string (or character); the caller's declared types explain it."""


def _string(value) -> str:
    if type(value) is not str:
        raise StringTypeError("expected a string")
    return value


def _characters_to_text(name: str, items) -> str:
    """The characters of a Python sequence as one string; a non-character names itself in the error."""
    try:
        return "".join([item.char for item in items])
    except AttributeError:
        for item in items:
            if type(item) is not Char:
                raise fault(f"{name}: expected a character, got {write_string(item)}", kind="wrong-type")
        raise


# -- basics -----------------------------------------------------------------------


@builtin("string?", types=("any",), inline={1: ((None,), "type({0}) is str")})
def is_string(value):
    return type(value) is str


@builtin("make-string", types=("index", "char"))
def make_string(count, fill=Char(" ")):
    if type(count) is not int or count < 0 or type(fill) is not Char:
        raise StringTypeError("expected a count and a character")
    return fill.char * check_allocation(count, "characters")


@builtin("string", rest="char")
def string(*characters):
    return _characters_to_text("string", characters)


@builtin("string-length", types=("string",), inline={1: (("str",), "len({0})")})
def string_length(text):
    return len(_string(text))


@builtin("string-ref", types=("string", "index"),
         inline={2: (("str", "int"), "(CHARACTERS.get({0}[{1}]) or Char({0}[{1}]))", None, "0 <= {1} < len({0})")})
def string_ref(text, index):
    if type(text) is str and type(index) is int and 0 <= index < len(text):
        return Char(text[index])
    return Char(_string(text)[check_index("string-ref", index, len(text), "string")])


@builtin("substring", types=("string", "index", "index"))
def substring(text, start, end=None):
    start, end = check_range("substring", start, end, len(_string(text)), "string")
    return text[start:end]


@builtin("string-copy", types=("string", "index", "index"))
def string_copy(text, start=0, end=None):
    start, end = check_range("string-copy", start, end, len(_string(text)), "string")
    return text[start:end]


@builtin("string-append", rest="string")
def string_append(*texts):
    return "".join(texts)


@builtin("string-null?", types=("string",))
def is_string_null(text):
    return len(_string(text)) == 0


def _immutable(name: str):
    def refuse(text, *arguments):
        raise fault(f"{name}: strings are immutable in sxflow (build a new string instead, "
                    "e.g. with string-append, substring or list->string)", kind="immutable")

    refuse.__name__ = name
    return builtin(name, types=("string",), rest="any")(refuse)


for _name in ("string-set!", "string-fill!", "string-copy!"):
    _immutable(_name)


# -- comparisons --------------------------------------------------------------------

_TESTS = {
    "=?": lambda a, b: a == b,
    "<?": lambda a, b: a < b,
    ">?": lambda a, b: a > b,
    "<=?": lambda a, b: a <= b,
    ">=?": lambda a, b: a >= b,
}


def _comparison(name: str, test, fold: bool):
    """An n-ary comparison (at least two strings), by code point, true when each adjacent pair passes."""

    def compare(first, second, *rest):
        if not rest and not fold and type(first) is str and type(second) is str:
            return test(first, second)
        texts = (first, second, *rest)
        for text in texts:
            if type(text) is not str:
                raise StringTypeError("expected strings")
        if fold:
            texts = [text.casefold() for text in texts]
        for index in range(len(texts) - 1):
            if not test(texts[index], texts[index + 1]):
                return False
        return True

    compare.__name__ = name
    return builtin(name, types=("string", "string"), rest="string")(compare)


for _suffix, _test in _TESTS.items():
    _comparison(f"string{_suffix}", _test, False)
    _comparison(f"string-ci{_suffix}", _test, True)


# -- case ---------------------------------------------------------------------------


@builtin("string-upcase", types=("string",))
def string_upcase(text):
    return _string(text).upper()


@builtin("string-downcase", types=("string",))
def string_downcase(text):
    return _string(text).lower()


@builtin("string-foldcase", types=("string",))
def string_foldcase(text):
    return _string(text).casefold()


# -- conversions --------------------------------------------------------------------


@builtin("string->list", types=("string", "index", "index"))
def string_to_list(text, start=0, end=None):
    start, end = check_range("string->list", start, end, len(_string(text)), "string")
    result = NIL
    for character in reversed(text[start:end]):
        result = Pair(Char(character), result)
    return result


@builtin("list->string", types=("list",))
def list_to_string(value):
    return _characters_to_text("list->string", elements(value))


@builtin("string->vector", types=("string", "index", "index"))
def string_to_vector(text, start=0, end=None):
    start, end = check_range("string->vector", start, end, len(_string(text)), "string")
    return Vector([Char(character) for character in text[start:end]])


@builtin("vector->string", types=("vector", "index", "index"))
def vector_to_string(vector, start=0, end=None):
    if type(vector) is not Vector:
        raise StringTypeError("expected a vector")
    start, end = check_range("vector->string", start, end, len(vector), "vector")
    return _characters_to_text("vector->string", vector[start:end])


@builtin("string->symbol", types=("string",))
def string_to_symbol(text):
    return Symbol(_string(text))


@builtin("symbol->string", types=("symbol",), inline={1: (("Symbol",), "{0}.name")})
def symbol_to_string(symbol):
    if type(symbol) is not Symbol:
        raise StringTypeError("expected a symbol")
    return symbol.name


@builtin("symbol?", types=("any",), inline={1: ((None,), "type({0}) is Symbol")})
def is_symbol(value):
    return type(value) is Symbol


@builtin("symbol=?", types=("symbol", "symbol"), rest="symbol")
def symbol_equal(first, second, *rest):
    symbols = (first, second, *rest)
    for symbol in symbols:
        if type(symbol) is not Symbol:
            raise StringTypeError("expected symbols")
    return all(symbol is first for symbol in symbols)


# -- higher order -------------------------------------------------------------------


def _rows(procedure, texts):
    """The characters of several strings side by side, up to the shortest."""
    if not is_procedure(procedure):
        raise StringTypeError("expected a procedure")
    for text in texts:
        _string(text)
    count = min(len(text) for text in texts)
    if len(texts) == 1:
        return [(Char(character),) for character in texts[0]]
    return [tuple(Char(text[index]) for text in texts) for index in range(count)]


@builtin("string-for-each", types=("procedure", "string"), rest="string")
def string_for_each(procedure, first, *rest):
    for row in _rows(procedure, (first, *rest)):
        apply_procedure(procedure, row)
    return None


@builtin("string-map", types=("procedure", "string"), rest="string")
def string_map(procedure, first, *rest):
    results = [apply_procedure(procedure, row) for row in _rows(procedure, (first, *rest))]
    return _characters_to_text("string-map", results)


# -- searching, joining and splitting (SRFI-13/130 names; not R7RS) -----------------


@builtin("string-index", types=("string", "any", "index", "index"))
def string_index(text, wanted, start=0, end=None):
    start, end = check_range("string-index", start, end, len(_string(text)), "string")
    if type(wanted) is Char:
        found = text.find(wanted.char, start, end)
        return False if found < 0 else found
    if not is_procedure(wanted):
        raise fault("string-index: expected a character or a predicate as argument 2", wanted,
                    kind="wrong-type")
    for index in range(start, end):
        if apply_procedure(wanted, (Char(text[index]),)) is not False:
            return index
    return False


@builtin("string-contains", types=("string", "string"))
def string_contains(text, pattern):
    found = _string(text).find(_string(pattern))
    return False if found < 0 else found


@builtin("string-prefix?", types=("string", "string"))
def is_string_prefix(prefix, text):
    return _string(text).startswith(_string(prefix))


@builtin("string-suffix?", types=("string", "string"))
def is_string_suffix(suffix, text):
    return _string(text).endswith(_string(suffix))


@builtin("string-join", types=("list", "string"))
def string_join(value, delimiter=" "):
    texts = elements(value)
    _string(delimiter)
    for text in texts:
        if type(text) is not str:
            raise fault(f"string-join: expected a list of strings, got {write_string(text)} in it",
                        kind="wrong-type")
    return delimiter.join(texts)


@builtin("string-split", types=("string", "any"))
def string_split(text, delimiter=None):
    _string(text)
    if delimiter is None:
        return make_list(text.split())
    if type(delimiter) is Char:
        delimiter = delimiter.char
    elif type(delimiter) is not str or not delimiter:
        raise fault("string-split: the delimiter must be a character or a non-empty string", delimiter,
                    kind="wrong-type")
    return make_list(text.split(delimiter))
