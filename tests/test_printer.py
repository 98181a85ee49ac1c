"""Tests of the printer: write and display output, cycles, deep data, and read(write(d)) == d."""

from __future__ import annotations

import math
import re
import sys
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sxflow.data import EOF_OBJECT, NIL, Char, ExactComplex, MultipleValues, Pair, Symbol, Vector, is_equal, make_list
from sxflow import lexical, printer
from sxflow.printer import display_string, write_shared_string, write_string
from sxflow.reader import read

S = Symbol


def L(*items, tail=NIL):
    return make_list(list(items), tail)


def V(*items):
    return Vector(items)


# -- write ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, text", [
    (L(1, 2, 3), "(1 2 3)"),
    (Pair(1, 2), "(1 . 2)"),
    (L(1, 2, tail=3), "(1 2 . 3)"),
    (NIL, "()"),
    (L(NIL, L()), "(() ())"),
    (V(1, 2), "#(1 2)"),
    (V(), "#()"),
    (V(L(1), V(2)), "#((1) #(2))"),
    (Pair(V(1), V(2)), "(#(1) . #(2))"),
    ([1, 2], "#<python list>"),  # a plain Python list is not a vector (to_scheme makes it a list)
    (True, "#t"),
    (False, "#f"),
    (0, "0"),
    (-17, "-17"),
    (1.0, "1.0"),
    (-0.5, "-0.5"),
    (1e21, "1.0e21"),
    (1.5e-7, "1.5e-7"),
    (math.inf, "+inf.0"),
    (-math.inf, "-inf.0"),
    (math.nan, "+nan.0"),
    (Fraction(1, 3), "1/3"),
    (Fraction(-7, 2), "-7/2"),
    (Fraction(4, 1), "4"),
    ("abc", '"abc"'),
    ("a\nb", r'"a\nb"'),
    ('say "hi"\\', r'"say \"hi\"\\"'),
    ("\t\r\a\b", r'"\t\r\a\b"'),
    ("\0\x01\x1f\x7f", r'"\x0;\x1;\x1f;\x7f;"'),
    ("λ 日本", '"λ 日本"'),
    ("\u2028\u00a0", r'"\x2028;\xa0;"'),
    (Char("a"), r"#\a"),
    (Char(" "), r"#\space"),
    (Char("\n"), r"#\newline"),
    (Char("\t"), r"#\tab"),
    (Char("\0"), r"#\null"),
    (Char("\x7f"), r"#\delete"),
    (Char("\x1b"), r"#\escape"),
    (Char("\a"), r"#\alarm"),
    (Char("\x01"), r"#\x1"),
    (Char("("), r"#\("),
    (Char("λ"), r"#\λ"),
    (Char("x"), r"#\x"),
    (S("abc"), "abc"),
    (S("flow-peer-register!"), "flow-peer-register!"),
    (S("..."), "..."),
    (S("+"), "+"),
    (S("->x"), "->x"),
    (S("a b"), "|a b|"),
    (S(""), "||"),
    (S("1"), "|1|"),
    (S("-5"), "|-5|"),
    (S("1/2"), "|1/2|"),
    (S("+inf.0"), "|+inf.0|"),
    (S("."), "|.|"),
    (S("#foo"), "|#foo|"),
    (S("#t"), "|#t|"),
    (S("a|b"), r"|a\|b|"),
    (S("a(b"), "|a(b|"),
    (S("'x"), "|'x|"),
    (S("a;b"), "|a;b|"),
    (S('a"b'), '|a"b|'),
    (S("tab\there"), r"|tab\there|"),
    (S("1+"), "|1+|"),
    (S("\\123"), r"|\\123|"),
    (S("+NaN.0abc"), "|+NaN.0abc|"),
    (S("-inf.0x"), "|-inf.0x|"),
    (S("+i"), "|+i|"),
    (S("-.4"), "|-.4|"),
    (S("a#b"), "|a#b|"),
    (S("@x"), "|@x|"),
    (S("+.a"), "+.a"),
    (S("λx"), "λx"),
    (L(S("quote"), S("x")), "(quote x)"),
    (L(S("quasiquote"), L(S("unquote"), S("x"))), "(quasiquote (unquote x))"),
    (None, "#<unspecified>"),
    (EOF_OBJECT, "#<eof>"),
    (MultipleValues((1, "a", L(2))), '1 "a" (2)'),
    (MultipleValues(()), ""),
])
def test_write(value, text):
    assert write_string(value) == text


def test_write_booleans_are_not_numbers():
    assert write_string(L(True, 1, False, 0)) == "(#t 1 #f 0)"


def test_big_numbers():
    big = 7 ** 20000  # over 16000 digits: past Python's str() limit
    text = write_string(big)
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        expected = str(big)
    finally:
        sys.set_int_max_str_digits(limit)
    assert text == expected and len(text) == 16902 and read(text) == big
    assert read(write_string(-big)) == -big
    assert read(write_string(Fraction(big, big + 2))) == Fraction(big, big + 2)
    assert write_string(10 ** 5000) == "1" + "0" * 5000


# -- display -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, text", [
    ("a\nb", "a\nb"),
    (Char("a"), "a"),
    (Char(" "), " "),
    (S("a b"), "a b"),
    (L("x", Char("y"), S("z w")), "(x y z w)"),
    (V("s", L("t")), "#(s (t))"),
    (L(1, 2.5, True), "(1 2.5 #t)"),
    (None, "#<unspecified>"),
    (MultipleValues(("a", "b")), "a b"),
])
def test_display(value, text):
    assert display_string(value) == text


# -- other objects -------------------------------------------------------------------------------


def test_procedures_and_python_objects():
    def named():
        pass

    class WithName:
        name = "my-proc"

        def __call__(self):
            pass

    class Plain:
        pass

    assert write_string(named) == "#<procedure named>"
    assert write_string(len) == "#<procedure len>"
    assert write_string(WithName()) == "#<procedure my-proc>"
    assert write_string(Plain()) == "#<python Plain>"
    assert write_string({}) == "#<python dict>"
    assert write_string((1, 2)) == "#<python tuple>"
    assert write_string(L(named)) == "(#<procedure named>)"


def test_sx_write_hook():
    class Closure:
        def sx_write(self):
            return "#<procedure square>"

    assert write_string(Closure()) == "#<procedure square>"
    assert display_string(L(Closure(), "s")) == "(#<procedure square> s)"


def test_sx_display_hook():
    class Condition:
        def sx_write(self):
            return "#<error \"boom\">"

        def sx_display(self):
            return "boom"

    assert write_string(L(Condition())) == '(#<error "boom">)'
    assert display_string(L(Condition())) == "(boom)"


def test_subclasses_of_basic_types():
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    class Text(str):
        pass

    assert write_string(Level.HIGH) == "3"
    assert write_string(Text("a b")) == '"a b"'
    assert display_string(Text("a b")) == "a b"


# -- cycles and sharing ----------------------------------------------------------------------------


def test_cycles_get_datum_labels():
    ring = Pair(1, NIL)
    ring.cdr = ring
    assert write_string(ring) == "#0=(1 . #0#)"
    assert display_string(ring) == "#0=(1 . #0#)"

    loop = L(1, 2, 3)
    loop.cdr.cdr.cdr = loop.cdr
    assert write_string(loop) == "(1 . #0=(2 3 . #0#))"

    itself = L(1)
    itself.car = itself
    assert write_string(itself) == "#0=(#0#)"

    vector = V(1, 2)
    vector.append(vector)
    assert write_string(vector) == "#0=#(1 2 #0#)"

    two = L(1, 2)
    two.car = two
    two.cdr.car = two.cdr
    assert write_string(two) == "#0=(#0# . #1=(#1#))"


def test_shared_structure_without_cycle_has_no_labels():
    shared = L(1, 2)
    assert write_string(L(shared, shared)) == "((1 2) (1 2))"
    tail = L(3)
    assert write_string(L(Pair(1, tail), Pair(2, tail))) == "((1 3) (2 3))"
    vector = V(1)
    assert write_string(V(vector, vector)) == "#(#(1) #(1))"


def test_cycle_inside_a_larger_structure():
    ring = Pair(S("r"), NIL)
    ring.cdr = ring
    text = write_string(L(1, ring, ring))
    assert text == "(1 #0=(r . #0#) #0#)"


def test_big_acyclic_data_without_labels():
    # Past the size where the printer checks for a cycle, once.
    data = make_list([L(n, V(n)) for n in range(40_000)])
    text = write_string(data)
    assert "#0" not in text and text.startswith("((0 #(0)) (1 #(1))")


def test_cycle_found_late():
    data = make_list(list(range(150_000)))
    cell = data
    while cell.cdr is not NIL:
        cell = cell.cdr
    cell.cdr = data
    text = write_string(data)
    assert text.startswith("#0=(0 1 2 ") and text.endswith(" 149999 . #0#)")


def test_cyclic_multiple_values():
    ring = Pair(1, NIL)
    ring.cdr = ring
    assert write_string(MultipleValues((ring, 2))) == "#0=(1 . #0#) 2"


# -- deep and long data ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_million_element_list():
    data = make_list(range(1_000_000))
    text = write_string(data)
    assert text.startswith("(0 1 2 ") and text.endswith(" 999999)")
    assert display_string(data) == text


@pytest.mark.slow
def test_nesting_a_hundred_thousand_deep():
    depth = 100_000
    data = NIL
    for _ in range(depth):
        data = Pair(data, NIL)
    assert write_string(data) == "(" * depth + "()" + ")" * depth
    vector = V()
    for _ in range(depth):
        vector = V(vector)
    assert write_string(vector) == "#(" * depth + "#()" + ")" * depth
    tails = 1
    for _ in range(depth):
        tails = Pair(0, V(tails))
    assert write_string(tails).startswith("(0 . #((0 . #(")


def test_no_recursion_needed():
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(150)
    try:
        data = NIL
        for _ in range(5_000):
            data = L(V(data), 1)
        write_string(data)
    finally:
        sys.setrecursionlimit(limit)


# -- round trip --------------------------------------------------------------------------------------

atoms = st.one_of(
    st.integers(),
    st.tuples(st.integers(0, 15_000), st.sampled_from([1, -1])).map(lambda pair: pair[1] * 3 ** pair[0]),
    st.floats(allow_nan=False),
    st.fractions().filter(lambda value: value.denominator != 1),
    st.text(),
    st.characters().map(Char),
    st.text().map(Symbol),
    st.sampled_from([S("..."), S("+"), S("-"), S("."), S("1"), S("#t"), S("a.b"), S("|"), S(""), S("->x"),
                     S("1+"), S("+inf.0"), S("-nan.0"), S("#\\a"), S("'"), S("λ"), S("+i"), S("-i"),
                     S("1+2i"), S("1@2"), S("+inf.0i"), S("+NaN.0"), S("#u8"), S("#0#"), S("#1="),
                     S("#!fold-case")]),
    st.booleans(),
    st.just(NIL),
    st.binary(max_size=8).map(bytearray),
    st.complex_numbers(allow_nan=False),
    st.builds(ExactComplex.make, st.fractions(), st.fractions().filter(lambda part: part != 0)),
)


def _pairs(children):
    proper = st.lists(children, max_size=5).map(lambda items: make_list(items))
    dotted = st.tuples(st.lists(children, min_size=1, max_size=4), children.filter(lambda v: v is not NIL)).map(
        lambda parts: make_list(parts[0], parts[1]))
    vectors = st.lists(children, max_size=4).map(Vector)
    return st.one_of(proper, dotted, vectors)


data = st.recursive(atoms, _pairs, max_leaves=25)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data)
def test_read_of_write_is_equal(datum):
    text = write_string(datum)
    again = read(text)
    assert is_equal(again, datum), (text, again, datum)
    # And it is stable: writing what was read gives the same text.
    assert write_string(again) == text


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False))
def test_floats_read_back_exactly(number):
    again = read(write_string(number))
    assert type(again) is float and again == number
    assert math.copysign(1, again) == math.copysign(1, number)


@settings(max_examples=300, deadline=None)
@given(st.complex_numbers(allow_nan=False))
def test_complex_numbers_read_back_exactly(number):
    again = read(write_string(number))
    assert type(again) is complex and again == number
    for part, expected in ((again.real, number.real), (again.imag, number.imag)):
        assert math.copysign(1, part) == math.copysign(1, expected)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_bytevectors_read_back(data):
    value = bytearray(data)
    again = read(write_string(value))
    assert type(again) is bytearray and again == value


# -- labelled (cyclic and shared) data ------------------------------------------------------------


def _containers(root) -> list:
    """Every pair and vector reachable from ``root`` (each once)."""
    found, seen, stack = [], set(), [root]
    while stack:
        value = stack.pop()
        if not isinstance(value, (Pair, Vector)) or id(value) in seen:
            continue
        seen.add(id(value))
        found.append(value)
        stack.extend((value.car, value.cdr) if isinstance(value, Pair) else value)
    return found


@st.composite
def cyclic_data(draw):
    """Data with one to three pointers tied back into itself: cycles and shared parts."""
    root = draw(st.one_of(st.lists(data, min_size=1, max_size=4).map(make_list),
                          st.lists(data, min_size=1, max_size=4).map(Vector)))
    containers = _containers(root)
    for _ in range(draw(st.integers(1, 3))):
        source = containers[draw(st.integers(0, len(containers) - 1))]
        target = containers[draw(st.integers(0, len(containers) - 1))]
        if isinstance(source, Pair):
            if draw(st.booleans()):
                source.car = target
            else:
                source.cdr = target
        elif source:
            source[draw(st.integers(0, len(source) - 1))] = target
    return root


def same_graph(first, second, one_to_one: bool) -> bool:
    """Whether two (possibly cyclic) data have the same shape and atoms.

    Without ``one_to_one`` it is bisimilarity (what ``write`` keeps: cycles, but
    sharing without a cycle comes back as copies); with it, the containers must
    also correspond one to one (what ``write-shared`` keeps).
    """
    forward: dict = {}
    backward: dict = {}
    stack = [(first, second)]
    while stack:
        a, b = stack.pop()
        a_container, b_container = isinstance(a, (Pair, Vector)), isinstance(b, (Pair, Vector))
        if not a_container or not b_container:
            if a_container or b_container or not is_equal(a, b):
                return False
            continue
        if type(a) is Vector and type(b) is not Vector or isinstance(a, Pair) != isinstance(b, Pair):
            return False
        if id(a) in forward:
            if not one_to_one:
                if id(b) in forward[id(a)]:
                    continue
            elif forward[id(a)] == {id(b)}:
                continue
            else:
                return False
        if one_to_one and backward.get(id(b), id(a)) != id(a):
            return False
        forward.setdefault(id(a), set()).add(id(b))
        backward[id(b)] = id(a)
        if one_to_one and len(forward[id(a)]) > 1:
            return False
        if isinstance(a, Pair):
            stack.append((a.car, b.car))
            stack.append((a.cdr, b.cdr))
        else:
            if len(a) != len(b):
                return False
            stack.extend(zip(a, b))
    return True


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cyclic_data())
def test_labelled_cyclic_data_reads_back(datum):
    # write finds a cycle only after printing CYCLE_CHECK_AFTER containers (100,000, tens of
    # milliseconds each time): a small threshold takes the same path quickly.
    threshold = printer.CYCLE_CHECK_AFTER
    printer.CYCLE_CHECK_AFTER = 50
    try:
        text = write_string(datum)
        again = read(text)
        assert same_graph(datum, again, one_to_one=False), (text, write_string(again))
        assert write_string(again) == text
    finally:
        printer.CYCLE_CHECK_AFTER = threshold
    shared = write_shared_string(datum)
    again = read(shared)
    assert same_graph(datum, again, one_to_one=True), (shared, write_shared_string(again))
    assert write_shared_string(again) == shared


def test_write_shared_labels_sharing_not_only_cycles():
    x = L(1, 2)
    assert write_string(L(x, x)) == "((1 2) (1 2))"
    assert write_shared_string(L(x, x)) == "(#0=(1 2) #0#)"
    tail = L(3)
    assert write_shared_string(L(Pair(1, tail), Pair(2, tail))) == "((1 . #0=(3)) (2 . #0#))"
    vector = V(1)
    assert write_shared_string(V(vector, vector)) == "#(#0=#(1) #0#)"
    assert write_shared_string(L(1, 2)) == "(1 2)"


def test_same_graph_tells_copies_from_sharing():
    x = L(1)
    shared, copied = L(x, x), L(L(1), L(1))
    assert same_graph(shared, copied, one_to_one=False)
    assert not same_graph(shared, copied, one_to_one=True)
    cycle = L(1)
    cycle.cdr = cycle
    assert not same_graph(cycle, L(1), one_to_one=False)


exact_rationals = st.one_of(st.integers(-10 ** 30, 10 ** 30), st.fractions())


@settings(max_examples=500, deadline=None)
@given(exact_rationals, exact_rationals.filter(lambda part: part != 0))
def test_exact_complex_numbers_read_back_exactly(real, imaginary):
    number = ExactComplex.make(real, imaginary)
    text = write_string(number)
    again = read(text)
    assert type(again) is ExactComplex and again == number, text
    assert write_string(again) == text


@pytest.mark.parametrize("number, text", [
    (ExactComplex.make(1, 2), "1+2i"),
    (ExactComplex.make(1, -2), "1-2i"),
    (ExactComplex.make(0, 1), "+i"),
    (ExactComplex.make(0, -1), "-i"),
    (ExactComplex.make(0, -2), "-2i"),
    (ExactComplex.make(Fraction(1, 2), Fraction(3, 4)), "1/2+3/4i"),
    (ExactComplex.make(-1, Fraction(-1, 3)), "-1-1/3i"),
    (ExactComplex.make(5, 0), "5"),
    (complex(-2.5, 0.0), "-2.5+0.0i"),
])
def test_write_complex(number, text):
    assert write_string(number) == text


# Names that need bars: not R7RS identifiers, or spelled like numbers (the reader's own syntax).
_SYMBOL_ALPHABET = st.sampled_from(list("ai+-.@#\\|/0123456789 ;'\"()λ") + ["inf.0", "nan.0", "NaN.0", "\t"])


@settings(max_examples=1000, deadline=None)
@given(st.lists(_SYMBOL_ALPHABET, max_size=6).map("".join))
def test_symbols_read_back_as_themselves(name):
    symbol = Symbol(name)
    text = write_string(symbol)
    assert read(text) is symbol, text
    if not text.startswith("|"):
        assert re.match(lexical.R7RS_IDENTIFIER, name), text
