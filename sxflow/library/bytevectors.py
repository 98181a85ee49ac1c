"""Bytevectors (R7RS 6.9): Python bytearray; construction, access, copying and UTF-8 conversion.

A bytevector is a ``bytearray`` in both directions: Scheme procedures get and return
``bytearray``; ``bytes`` coming from Python become a ``bytearray`` (a bytevector).
"""

from __future__ import annotations

from ..runtime import fault
from .indexes import check_index, check_range
from .registry import builtin


class BytevectorTypeError(TypeError):
    """An argument that is not a bytevector or a byte; the caller's declared types explain it."""


def _bytevector(value) -> bytearray:
    if type(value) is not bytearray:
        raise BytevectorTypeError("expected a bytevector")
    return value


def _byte(value) -> int:
    if type(value) is not int or not 0 <= value <= 255:
        raise BytevectorTypeError("expected a byte")
    return value


@builtin("bytevector?", types=("any",))
def is_bytevector(value):
    return type(value) is bytearray


@builtin("make-bytevector", types=("index", "byte"))
def make_bytevector(count, fill=0):
    if type(count) is not int or count < 0:
        raise BytevectorTypeError("expected a non-negative count")
    return bytearray([_byte(fill)]) * count


@builtin("bytevector", rest="byte")
def bytevector(*items):
    for item in items:
        _byte(item)
    return bytearray(items)


@builtin("bytevector-length", types=("bytevector",))
def bytevector_length(value):
    return len(_bytevector(value))


@builtin("bytevector-u8-ref", types=("bytevector", "index"))
def bytevector_u8_ref(value, index):
    return _bytevector(value)[check_index("bytevector-u8-ref", index, len(value), "bytevector")]


@builtin("bytevector-u8-set!", types=("bytevector", "index", "byte"))
def bytevector_u8_set(value, index, byte):
    _bytevector(value)[check_index("bytevector-u8-set!", index, len(value), "bytevector")] = _byte(byte)


@builtin("bytevector-copy", types=("bytevector", "index", "index"))
def bytevector_copy(value, start=0, end=None):
    start, end = check_range("bytevector-copy", start, end, len(_bytevector(value)), "bytevector")
    return value[start:end]


@builtin("bytevector-copy!", types=("bytevector", "index", "bytevector", "index", "index"))
def bytevector_copy_into(target, at, source, start=0, end=None):
    start, end = check_range("bytevector-copy!", start, end, len(_bytevector(source)), "bytevector")
    length = len(_bytevector(target))
    if type(at) is not int or at < 0 or at > length:
        raise fault(f"bytevector-copy!: index {at} out of range for a bytevector of length {length}",
                    kind="wrong-type")
    if length - at < end - start:
        raise fault(f"bytevector-copy!: {end - start} bytes do not fit at index {at} of a bytevector of "
                    f"length {length}", kind="wrong-type")
    # A slice assignment copies first, so overlapping ranges of one bytevector are safe.
    target[at:at + end - start] = source[start:end]


@builtin("bytevector-append", rest="bytevector")
def bytevector_append(*values):
    result = bytearray()
    for value in values:
        result += _bytevector(value)
    return result


@builtin("utf8->string", types=("bytevector", "index", "index"))
def utf8_to_string(value, start=0, end=None):
    start, end = check_range("utf8->string", start, end, len(_bytevector(value)), "bytevector")
    try:
        return value[start:end].decode("utf-8")
    except UnicodeDecodeError as error:
        raise fault(f"utf8->string: the bytes are not valid UTF-8 (at byte {start + error.start})",
                    kind="wrong-type") from None


@builtin("string->utf8", types=("string", "index", "index"))
def string_to_utf8(text, start=0, end=None):
    if type(text) is not str:
        raise BytevectorTypeError("expected a string")
    start, end = check_range("string->utf8", start, end, len(text), "string")
    # surrogatepass: a lone surrogate read from a \xD800; escape still converts (as WTF-8).
    return bytearray(text[start:end].encode("utf-8", "surrogatepass"))
