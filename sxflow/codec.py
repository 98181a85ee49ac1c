"""Plain data as tagged JSON tokens: the one exact encoding shared by the federation wire and the store file.

A value becomes a flat list of tokens in postfix order, written and read by the C
``json`` module. Being flat, the JSON never nests deeper than two levels whatever the
depth of the value (a list nested 100,000 deep is encoded like any other, and no JSON
parser recursion is ever at stake):

=========================  ==================================================
Scheme value               token
=========================  ==================================================
string                     JSON string
boolean                    ``true`` / ``false`` (never confused with 0 / 1)
``()``                     ``null``
exact integer              JSON integer when ``|n| < 2**63``, else ``["i", hex]``
float                      JSON number (``repr``: exact round trip, ``-0.0`` kept);
                           ``["f", "+nan.0" | "+inf.0" | "-inf.0"]``
exact rational             ``["q", numerator hex, denominator hex]``
symbol                     ``["y", name]``
character                  ``["c", char]``
proper list of n items     the n items' tokens, then ``["L", n]``
vector of n items          the n items' tokens, then ``["V", n]`` (a ``Vector``)
=========================  ==================================================

Only plain data is encoded — the store's notion (``sxflow.library.plaindata``):
anything else (a procedure, an environment, a hash table, a dotted or circular list)
raises ``CodecError`` naming the offending part. sxflow/fed/wire.py wraps the tokens
in its versioned documents; sxflow/storedb.py keeps one token list per store value.
This module imports nothing beyond the standard library and sxflow's data types.
"""

from __future__ import annotations

import gc
import json
import re
from contextlib import contextmanager
from fractions import Fraction

from .data import NIL, Char, Pair, Symbol, Vector
from .errors import SxError
from .printer import write_string

_SMALL = 2**63  # integers below this in magnitude are JSON numbers
_SPECIAL_FLOATS = {"+nan.0": float("nan"), "+inf.0": float("inf"), "-inf.0": float("-inf")}
_HEX = re.compile(r"-?[0-9a-f]+")
_ATOMS = (str, bool, int, float, Fraction, Symbol, Char)


class CodecError(SxError, ValueError):
    """A value that is not plain data, or tokens / JSON text that do not encode one."""


@contextmanager
def collector_paused():
    """Pause the cyclic garbage collector: a big value makes millions of objects, none of
    them garbage yet, and each generation-0 overflow would otherwise walk them all again
    (measured: decoding 100,000 store entries took twice as long with it running)."""
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def dumps(document) -> str:
    """JSON text for tokens (or a document holding them): ASCII, so lone surrogates stay representable; no bare NaN."""
    return json.dumps(document, allow_nan=False, separators=(",", ":"))


def _refuse_constant(name):
    raise CodecError(f"bare {name} in JSON (special floats are tagged)")


def loads(text):
    """The JSON value of ``text`` (str or bytes); CodecError when it is malformed or holds a bare NaN/Infinity."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except CodecError:
        raise
    except (ValueError, TypeError, RecursionError) as error:
        raise CodecError(f"malformed JSON ({error})") from None


# -- encoding ------------------------------------------------------------------------


def to_tokens(value) -> list:
    """The postfix tokens of ``value``, checking on the way that it is plain data.

    One walk both checks and encodes (a separate copy_plain_data pass cost as much again):
    atoms of any other type, dotted tails and cycles (a list or vector entered again while
    it is still on the path from the root; a spine running in a circle, found by Brent's
    algorithm) are refused, exactly what copy_plain_data refuses.
    """
    out: list = []
    append = out.append
    on_path: set[int] = set()
    symbols: dict = {}  # symbol -> its token, made once (json writes a shared list as often as it occurs)
    # Frames of [items, next index, closing tag, id of the container]; the root's frame has no tag.
    frames = [[(value,), 0, None, None]]
    while frames:
        frame = frames[-1]
        items, index, tag, identity = frame
        length = len(items)
        while index < length:
            item = items[index]
            index += 1
            kind = type(item)
            if kind is str or kind is bool:
                append(item)
            elif kind is int:
                append(item if -_SMALL < item < _SMALL else ["i", format(item, "x")])
            elif kind is float:
                if item - item == 0.0:  # finite
                    append(item)
                else:
                    append(["f", "+nan.0" if item != item else ("+inf.0" if item > 0 else "-inf.0")])
            elif item is NIL:
                append(None)
            elif kind is Symbol:
                token = symbols.get(item)
                if token is None:
                    token = symbols[item] = ["y", item.name]
                append(token)
            elif kind is Char:
                append(["c", item.char])
            elif kind is Fraction:
                if item.denominator == 1:  # never made by Scheme arithmetic, but exact all the same
                    append(int(item) if -_SMALL < item < _SMALL else ["i", format(int(item), "x")])
                else:
                    append(["q", format(item.numerator, "x"), format(item.denominator, "x")])
            elif kind is Vector:
                if id(item) in on_path:
                    raise _refusal(value)
                on_path.add(id(item))
                frame[1] = index
                frames.append([item, 0, "V", id(item)])
                break
            elif isinstance(item, Pair):
                if id(item) in on_path:
                    raise _refusal(value)
                elements = []
                push = elements.append
                cursor = slow = item
                steps = power = 1
                while isinstance(cursor, Pair):
                    push(cursor.car)
                    cursor = cursor.cdr
                    if cursor is slow:
                        raise _refusal(value)
                    steps -= 1
                    if not steps:
                        slow = cursor
                        power += power
                        steps = power
                if cursor is not NIL:
                    raise _refusal(value)
                # A list of atoms (most lists in a store) is encoded here, without a frame:
                # nothing in it can close a cycle.
                mark = len(out)
                for element in elements:
                    kind = type(element)
                    if kind is str or kind is bool:
                        append(element)
                    elif kind is Symbol:
                        token = symbols.get(element)
                        if token is None:
                            token = symbols[element] = ["y", element.name]
                        append(token)
                    elif kind is int and -_SMALL < element < _SMALL:
                        append(element)
                    elif kind is float and element - element == 0.0:
                        append(element)
                    elif element is NIL:
                        append(None)
                    else:
                        del out[mark:]
                        break
                else:
                    append(["L", len(elements)])
                    continue
                on_path.add(id(item))
                frame[1] = index
                frames.append([elements, 0, "L", id(item)])
                break
            else:
                raise _refusal(value)
        else:
            frames.pop()
            if tag is not None:
                on_path.discard(identity)
                append([tag, length])
    return out


def _refusal(value) -> CodecError:
    return CodecError(f"not plain data: {describe_not_plain(value)}")


def describe_not_plain(value, limit: int = 80) -> str:
    """Words naming the first part of ``value`` that is not plain data (for error messages)."""
    def shown(item) -> str:
        try:
            text = write_string(item)
        except Exception:  # a printer failure must not hide the real error
            text = repr(item)
        return text if len(text) <= limit else text[: limit - 3] + "..."

    seen: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) in _ATOMS or item is NIL:
            continue
        if type(item) is Vector:
            if id(item) in seen:
                return "a circular (or self-containing) structure"
            seen.add(id(item))
            stack.extend(reversed(item))
            continue
        if not isinstance(item, Pair):
            return shown(item)
        cursor = item
        elements = []
        while isinstance(cursor, Pair):
            if id(cursor) in seen:
                return "a circular (or self-containing) structure"
            seen.add(id(cursor))
            elements.append(cursor.car)
            cursor = cursor.cdr
        if cursor is not NIL:
            return f"a dotted list ending in {shown(cursor)}"
        stack.extend(reversed(elements))
    return shown(value)


# -- decoding ------------------------------------------------------------------------


def from_tokens(tokens):
    """The value a token list encodes; CodecError saying what is wrong with one that encodes none."""
    if type(tokens) is not list:
        raise CodecError("bad data: expected a list of tokens")
    stack: list = []
    push = stack.append
    symbols: dict = {}  # name -> symbol, looked up once
    for token in tokens:
        kind = type(token)
        if kind is list:
            # the commonest tagged tokens inline: a proper list of the last n values, a symbol
            if len(token) == 2:
                tag, operand = token
                if tag == "L" and type(operand) is int and 0 <= operand <= len(stack):
                    result = NIL
                    if operand:
                        start = len(stack) - operand
                        for item in reversed(stack[start:]):
                            result = Pair(item, result)
                        del stack[start:]
                    push(result)
                    continue
                if tag == "y" and type(operand) is str:
                    symbol = symbols.get(operand)
                    if symbol is None:
                        symbol = symbols[operand] = Symbol(operand)
                    push(symbol)
                    continue
            if not token:
                raise CodecError(f"bad token {_short(token)}")
            push(_tagged(token, stack))
        elif kind is str or kind is int or kind is float or kind is bool:
            push(token)
        elif token is None:
            push(NIL)
        else:
            raise CodecError(f"bad token {_short(token)}")
    if len(stack) != 1:
        raise CodecError(f"bad data: {len(stack)} values where one was expected")
    return stack[0]


def _tagged(token: list, stack: list):
    tag = token[0]
    size = len(token)
    if (tag == "L" or tag == "V") and size == 2:
        count = token[1]
        if type(count) is not int or not 0 <= count <= len(stack):
            raise CodecError(f"bad token {_short(token)}: count out of range")
        start = len(stack) - count
        items = stack[start:]
        del stack[start:]
        if tag == "V":
            return Vector(items)
        result = NIL
        for item in reversed(items):
            result = Pair(item, result)
        return result
    text = token[1] if size >= 2 else None
    if type(text) is not str:
        raise CodecError(f"bad token {_short(token)}")
    if tag == "y" and size == 2:
        return Symbol(text)
    if tag == "c" and size == 2 and len(text) == 1:
        return Char(text)
    if tag == "i" and size == 2:
        return _hex(text, token)
    if tag == "f" and size == 2 and text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    if tag == "q" and size == 3 and type(token[2]) is str:
        numerator, denominator = _hex(text, token), _hex(token[2], token)
        if denominator <= 1:
            raise CodecError(f"bad token {_short(token)}: denominator must exceed 1")
        return Fraction(numerator, denominator)
    raise CodecError(f"bad token {_short(token)}")


def _hex(text: str, token) -> int:
    if not _HEX.fullmatch(text):
        raise CodecError(f"bad token {_short(token)}: not a hexadecimal integer")
    return int(text, 16)


def _short(token) -> str:
    text = json.dumps(token)
    return text if len(text) <= 60 else text[:57] + "..."
