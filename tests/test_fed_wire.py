"""sxflow.fed.wire: exact round trips of plain data (property-tested), refusals, malformed documents, outcomes."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sxflow import NIL, Char, Interpreter, Pair, Symbol, read
from sxflow.data import Vector, make_list
from sxflow.errors import ErrorObject
from sxflow.fed import wire
from sxflow.fed.wire import WireError, decode, decode_outcome, encode


def same(left, right) -> bool:
    """Exact equality: same types all the way down, nan equals nan, -0.0 differs from 0.0."""
    stack = [(left, right)]
    while stack:
        a, b = stack.pop()
        if isinstance(a, Pair) and isinstance(b, Pair):  # the reader makes SourcePairs
            stack.append((a.car, b.car))
            stack.append((a.cdr, b.cdr))
            continue
        if type(a) is not type(b):
            return False
        if type(a) is float:
            if math.isnan(a) or math.isnan(b):
                if not (math.isnan(a) and math.isnan(b)):
                    return False
            elif a != b or math.copysign(1, a) != math.copysign(1, b):
                return False
        elif type(a) is Vector:
            if len(a) != len(b):
                return False
            stack.extend(zip(a, b))
        elif isinstance(a, Pair):
            stack.append((a.car, b.car))
            stack.append((a.cdr, b.cdr))
        elif a != b and a is not b:
            return False
    return True


atoms = st.one_of(
    st.text(),
    st.text(min_size=1).map(Symbol),
    st.characters().map(Char),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**300), max_value=2**300),
    st.fractions().filter(lambda f: f.denominator != 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(NIL),
)
plain = st.recursive(
    atoms,
    lambda children: st.one_of(st.lists(children, max_size=6).map(make_list), st.lists(children, max_size=6).map(Vector)),
    max_leaves=40,
)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(plain)
def test_every_plain_value_round_trips_exactly(value):
    assert same(decode(encode(value)), value)


@settings(max_examples=100, deadline=None)
@given(plain)
def test_outcomes_round_trip_values_and_raised_payloads(value):
    assert decode_outcome(wire.encode_value(value))[0] == "value"
    assert same(decode_outcome(wire.encode_value(value))[1], value)
    kind, payload = decode_outcome(wire.encode_raise(value))
    assert kind == "raise" and same(payload, value)


def test_the_kinds_that_must_not_be_confused_stay_apart():
    cases = [Symbol("a"), "a", True, 1, False, 0, NIL, Vector(), 1.0, Fraction(1, 3), -0.0, 0.0, Char("a"),
             make_list([1, 2]), Vector([1, 2]), 2**64, -(2**64), 2**63 - 1, -(2**63) + 1, math.inf, -math.inf]
    for value in cases:
        assert same(decode(encode(value)), value), value
    assert math.isnan(decode(encode(math.nan)))
    assert math.copysign(1, decode(encode(-0.0))) == -1


def test_vectors_cross_as_vectors_and_a_plain_python_list_is_refused():
    back = decode(encode(make_list([Vector([1, Vector([Symbol("a")]), make_list([2])]), Vector()])))
    assert type(back.car) is Vector and type(back.car[1]) is Vector and type(back.car[2]) is Pair
    assert type(back.cdr.car) is Vector and back.cdr.car == []
    kind, payload = decode_outcome(wire.encode_raise(Vector([Symbol("oops"), 1])))
    assert kind == "raise" and type(payload) is Vector
    with pytest.raises(WireError, match=r"not plain data: #<python list>"):
        encode([1, 2])  # not a vector: Scheme never holds one (to_scheme makes it a list)


def test_huge_integers_beyond_the_decimal_digit_limit_cross_exactly():
    value = 7**20000  # more digits than int(str) accepts by default
    assert decode(encode(value)) == value
    assert decode(encode(Fraction(value, value + 2))) == Fraction(value, value + 2)


@pytest.mark.slow
def test_deep_and_long_data_cross_without_recursion():
    deep = NIL
    for _ in range(100_000):
        deep = Pair(deep, NIL)
    back = decode(encode(deep))
    depth = 0
    while back is not NIL:
        back = back.car
        depth += 1
    assert depth == 100_000
    long = make_list(range(200_000))
    assert decode(encode(long)) == long


def test_data_read_from_text_round_trips():
    value = read('(1 "a" a #\\x #(1 2 (3)) () #t #f 1/3 123456789012345678901234567890 -0.0 +nan.0 |a b|)')
    assert same(decode(encode(value)), value)


@pytest.mark.parametrize("source, words", [
    ("(lambda (x) x)", "#<procedure"),
    ("(cons 1 2)", "dotted list ending in 2"),
    ("(make-hash-table)", "hash"),
    ("(list 1 (error-object-message 5))", "not plain"),
    ("(let ((x (list 1 2))) (set-cdr! (cdr x) x) x)", "circular"),
    ("(let ((v (vector 1))) (vector-set! v 0 v) v)", "circular"),
])
def test_non_plain_data_is_refused_naming_it(source, words):
    sx = Interpreter()
    try:
        value = sx.eval(source)
    except sxflow_error():
        value = sx.eval("(interaction-environment)")
        words = "environment"
    with pytest.raises(WireError) as caught:
        encode(value)
    assert "not plain data" in str(caught.value)
    assert words.lower() in str(caught.value).lower()


def sxflow_error():
    from sxflow import SchemeError

    return SchemeError


def test_environment_and_python_objects_are_refused():
    sx = Interpreter()
    with pytest.raises(WireError, match="not plain data"):
        encode(sx.environment)
    with pytest.raises(WireError, match="not plain data"):
        encode(make_list([1, object()]))


@pytest.mark.parametrize("data, words", [
    (b"", "malformed JSON"),
    (b"\xff\xfe", "malformed JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"sxflow-wire": 2, "data": [1]}', "unsupported wire version 2"),
    (b'{"data": [1]}', "unsupported wire version None"),
    (b'{"sxflow-wire": 1, "data": 5}', "list of tokens"),
    (b'{"sxflow-wire": 1, "data": []}', "0 values"),
    (b'{"sxflow-wire": 1, "data": [1, 2]}', "2 values"),
    (b'{"sxflow-wire": 1, "data": [["L", 3]]}', "count out of range"),
    (b'{"sxflow-wire": 1, "data": [["L", -1]]}', "count out of range"),
    (b'{"sxflow-wire": 1, "data": [["z", "a"]]}', "bad wire data: bad token"),
    (b'{"sxflow-wire": 1, "data": [["c", "ab"]]}', "bad wire data: bad token"),
    (b'{"sxflow-wire": 1, "data": [["i", "0x10"]]}', "hexadecimal"),
    (b'{"sxflow-wire": 1, "data": [["q", "1", "1"]]}', "denominator"),
    (b'{"sxflow-wire": 1, "data": [["q", "1", "0"]]}', "denominator"),
    (b'{"sxflow-wire": 1, "data": [NaN]}', "special floats"),
    (b'{"sxflow-wire": 1, "data": [{"a": 1}]}', "bad wire data: bad token"),
    (b'{"sxflow-wire": 1, "data": [[]]}', "bad wire data: bad token"),
    (b'{"sxflow-wire": 1, "data": [1' + b"0" * 5000 + b"]}", "malformed JSON"),
])
def test_malformed_documents_raise_clear_errors(data, words):
    with pytest.raises(WireError) as caught:
        decode(data)
    assert words in str(caught.value)


def test_deeply_nested_json_is_refused_not_crashed():
    data = b'{"sxflow-wire": 1, "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(WireError):
        decode(data)


def test_error_objects_come_back_as_error_objects_with_message_and_irritants():
    sx = Interpreter()
    error = ErrorObject("bad thing", (1, Symbol("x"), "s", sx.eval("car")), "error")
    kind, back = decode_outcome(wire.encode_raise(error))
    assert kind == "error" and isinstance(back, ErrorObject)
    assert back.message == "bad thing"
    assert back.irritants[:3] == (1, Symbol("x"), "s")
    assert "car" in back.irritants[3]  # a procedure irritant travels as its written text


def test_non_plain_raised_payload_becomes_an_error_naming_it():
    sx = Interpreter()
    kind, back = decode_outcome(wire.encode_raise(sx.eval("car")))
    assert kind == "error" and "not plain data" in back.message


def test_no_function_outcome_and_bad_outcomes():
    assert decode_outcome(wire.encode_no_function("double")) == ("no-fn", "double")
    with pytest.raises(WireError, match="bad wire outcome"):
        decode_outcome(b'{"sxflow-wire": 1, "outcome": "what"}')
    with pytest.raises(WireError, match="message"):
        decode_outcome(b'{"sxflow-wire": 1, "outcome": "error", "data": [null]}')


def test_the_document_is_versioned_json():
    document = json.loads(encode(Symbol("a")))
    assert document == {"sxflow-wire": 1, "data": [["y", "a"]]}


not_quite_plain = st.recursive(
    st.one_of(atoms, st.just(object())),
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(make_list),
        st.lists(children, max_size=4).map(Vector),
        st.lists(children, max_size=4),  # a plain Python list is not a vector: never plain data
        st.tuples(children, children).map(lambda pair: Pair(*pair)),  # dotted when the cdr is an atom
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(not_quite_plain)
def test_encode_accepts_exactly_what_the_store_accepts(value):
    from sxflow.library.plaindata import is_plain_data

    try:
        back = decode(encode(value))
    except WireError:
        assert not is_plain_data(value)
    else:
        assert is_plain_data(value) and same(back, value)
