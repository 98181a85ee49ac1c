"""The wire format: plain data and call outcomes as versioned, tagged JSON, exact in both directions.

A document is one JSON object ``{"sxflow-wire": 1, "data": [token, ...]}`` read and
written by the C ``json`` module. The data is the flat postfix token list of
sxflow/codec.py — the one plain-data encoding, shared with the store file
(sxflow/storedb.py), which documents the tokens. Only plain data is encoded
(``sxflow.library.plaindata``'s notion): anything else (a procedure, an environment, a
hash table, a dotted or circular list) is refused before anything is sent, with a
``WireError`` naming the offending part.

A call outcome (what a host answers) is the same document with an ``"outcome"`` field:
``"value"`` (data is the result), ``"raise"`` (data is the raised plain value),
``"error"`` (an error object: ``"message"``, ``"kind"``, data is the list of
irritants, each irritant that is not plain data replaced by its written text) and
``"no-fn"`` (the host exposes no such function; ``"function"`` names it).
"""

from __future__ import annotations

from ..codec import CodecError, collector_paused, describe_not_plain, from_tokens, to_tokens
from ..codec import dumps as _dumps
from ..codec import loads as _loads
from ..data import NIL, Pair, make_list
from ..errors import ErrorObject
from ..library.plaindata import copy_plain_data
from ..printer import write_string

__all__ = ["VERSION", "WireError", "encode", "decode", "encode_value", "encode_raise", "encode_no_function",
           "decode_outcome", "collector_paused", "describe_not_plain"]

VERSION = 1
VERSION_FIELD = "sxflow-wire"
_NOT_PLAIN = object()


class WireError(CodecError):
    """Data that cannot be encoded (not plain), or bytes that are not a wire document of this version."""


# -- encoding ------------------------------------------------------------------------


def encode(value) -> bytes:
    """The wire document for plain data ``value``; a WireError naming the part that is not plain data."""
    with collector_paused():
        return _document({VERSION_FIELD: VERSION, "data": _tokens(value)})


def _document(document: dict) -> bytes:
    return _dumps(document).encode("ascii")


def _tokens(value) -> list:
    try:
        return to_tokens(value)
    except CodecError as error:
        raise WireError(f"{error}, cannot be sent") from None


# -- decoding ------------------------------------------------------------------------


def decode(data: bytes):
    """The plain data in a wire document; a WireError saying what is wrong with malformed bytes."""
    with collector_paused():
        return _decode_tokens(_read_document(data).get("data"))


def _read_document(data) -> dict:
    try:
        document = _loads(data)
    except CodecError as error:
        raise WireError(f"not a wire document: {error}") from None
    if type(document) is not dict:
        raise WireError("not a wire document: expected a JSON object")
    version = document.get(VERSION_FIELD)
    if version != VERSION:
        raise WireError(f"unsupported wire version {version!r} (this side speaks version {VERSION})")
    return document


def _decode_tokens(tokens):
    try:
        return from_tokens(tokens)
    except CodecError as error:
        raise WireError(f"bad wire data: {error}") from None


# -- call outcomes -------------------------------------------------------------------

VALUE, RAISE, ERROR, NO_FUNCTION = "value", "raise", "error", "no-fn"


def encode_value(value) -> bytes:
    """The outcome of a call that returned ``value`` (a WireError if it is not plain data)."""
    return _document({VERSION_FIELD: VERSION, "outcome": VALUE, "data": _tokens(value)})


def encode_raise(payload) -> bytes:
    """The outcome of a call that raised ``payload``: plain data as itself, an error object as one.

    A raised value that is neither travels as an error object whose message says so.
    """
    if isinstance(payload, ErrorObject):
        irritants = [item if copy_plain_data(item, _NOT_PLAIN) is not _NOT_PLAIN else _written(item)
                     for item in payload.irritants]
        return _document({VERSION_FIELD: VERSION, "outcome": ERROR, "message": str(payload.message),
                          "kind": str(payload.kind), "data": _tokens(make_list(irritants))})
    if copy_plain_data(payload, _NOT_PLAIN) is not _NOT_PLAIN:
        return _document({VERSION_FIELD: VERSION, "outcome": RAISE, "data": _tokens(payload)})
    message = f"the remote function raised a value that is not plain data: {describe_not_plain(payload)}"
    return _document({VERSION_FIELD: VERSION, "outcome": ERROR, "message": message, "kind": "error",
                      "data": [None]})


def encode_no_function(function: str) -> bytes:
    """The outcome of a call of a function the host does not expose."""
    return _document({VERSION_FIELD: VERSION, "outcome": NO_FUNCTION, "function": function})


def _written(item) -> str:
    try:
        return write_string(item)
    except Exception:
        return repr(item)


def decode_outcome(data: bytes) -> tuple[str, object]:
    """``(kind, value)``: ("value", result), ("raise", payload), ("error", ErrorObject) or ("no-fn", name)."""
    document = _read_document(data)
    kind = document.get("outcome")
    if kind == VALUE or kind == RAISE:
        return kind, _decode_tokens(document.get("data"))
    if kind == ERROR:
        message, error_kind = document.get("message"), document.get("kind", "error")
        irritants = _decode_tokens(document.get("data"))
        if type(message) is not str or type(error_kind) is not str or not _is_list(irritants):
            raise WireError("bad wire outcome: an error needs a message, a kind and a list of irritants")
        return kind, ErrorObject(message, list(irritants), error_kind)
    if kind == NO_FUNCTION:
        function = document.get("function")
        if type(function) is not str:
            raise WireError("bad wire outcome: no-fn needs the function name")
        return kind, function
    raise WireError(f"bad wire outcome {kind!r}")


def _is_list(value) -> bool:
    while isinstance(value, Pair):
        value = value.cdr
    return value is NIL
