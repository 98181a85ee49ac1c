"""sxflow.codec: the one plain-data encoding — exact round trips, refusals, bad tokens, shared by wire and store file."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given, settings

from sxflow import NIL, Char, Interpreter, Symbol
from sxflow import codec, storedb
from sxflow.codec import CodecError, from_tokens, to_tokens
from sxflow.data import Vector, make_list
from sxflow.fed import wire

from test_fed_wire import plain, same


@settings(max_examples=200, deadline=None)
@given(plain)
def test_round_trip_through_json_text_is_exact(value):
    assert same(from_tokens(codec.loads(codec.dumps(to_tokens(value)))), value)


def test_tokens_are_postfix_and_flat():
    value = make_list([1, "a", Symbol("b"), Vector([Char("c"), NIL]), Fraction(1, 3), 2**70, float("-inf")])
    assert to_tokens(value) == [1, "a", ["y", "b"], ["c", "c"], None, ["V", 2], ["q", "1", "3"],
                                ["i", format(2**70, "x")], ["f", "-inf.0"], ["L", 7]]


def test_the_same_symbol_and_list_shapes_decode_to_fresh_lists():
    tokens = to_tokens(make_list([make_list([Symbol("s"), 1]), make_list([Symbol("s"), 1])]))
    value = from_tokens(json.loads(json.dumps(tokens)))
    assert value.car.car is Symbol("s") and value.cdr.car.car is Symbol("s")
    assert value.car is not value.cdr.car  # lists are never shared by decoding


def test_deep_nesting_round_trips_without_recursion():
    value = NIL
    for _ in range(100_000):
        value = make_list([value])
    text = codec.dumps(to_tokens(value))
    back = from_tokens(codec.loads(text))
    for _ in range(100_000):
        back = back.car
    assert back is NIL


def test_a_value_that_is_not_plain_is_refused_naming_it():
    sx = Interpreter()
    with pytest.raises(CodecError, match="not plain data: #<procedure car>"):
        to_tokens(make_list([1, sx.eval("car")]))
    with pytest.raises(CodecError, match="dotted list"):
        to_tokens(sx.eval("(list 1 (cons 2 3))"))
    with pytest.raises(CodecError, match="circular"):
        to_tokens(sx.eval("(let ((x (list 1 2))) (set-car! x x) x)"))


@pytest.mark.parametrize("tokens, words", [
    ("not a list", "list of tokens"),
    ([], "0 values"),
    ([1, 2], "2 values"),
    ([["L", 3]], "count out of range"),
    ([["z", "a"]], "bad token"),
    ([["y", ["nested"]]], "bad token"),
    ([[]], "bad token"),
    ([{"a": 1}], "bad token"),
    ([["i", "xyz"]], "hexadecimal"),
    ([["q", "1", "1"]], "denominator"),
    ([["c", "ab"]], "bad token"),
])
def test_tokens_that_encode_no_value_are_refused(tokens, words):
    with pytest.raises(CodecError, match=words):
        from_tokens(tokens)


def test_bare_nan_and_malformed_json_are_refused():
    with pytest.raises(CodecError, match="bare NaN"):
        codec.loads("[NaN]")
    with pytest.raises(CodecError, match="malformed JSON"):
        codec.loads("[1,")


def test_the_wire_and_the_store_file_write_the_same_tokens():
    value = make_list([Symbol("run"), "text", 1.5, Vector([True, Char("x")]), Fraction(-7, 2)])
    assert json.loads(storedb.encode(value)) == to_tokens(value)
    assert json.loads(wire.encode(value))["data"] == to_tokens(value)
    assert same(storedb.decode(storedb.encode(value)), wire.decode(wire.encode(value)))
