"""Tests of the reader: every piece of syntax, positions, error messages, deep and long input, fuzzing."""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sxflow.data import NIL, Char, Pair, SourcePair, Symbol, Vector, is_equal, make_list
from sxflow.errors import SxSyntaxError
from sxflow.reader import read, read_all

S = Symbol


def L(*items, tail=NIL):
    """A Scheme list (plain pairs) for comparisons."""
    return make_list(list(items), tail)


def same(a, b) -> bool:
    """equal? plus the float details equal? leaves out (NaN, the sign of zero)."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return is_equal(a, b)


def read_error(text: str) -> SxSyntaxError:
    with pytest.raises(SxSyntaxError) as caught:
        read_all(text, "test.sx")
    return caught.value


# -- lists and symbols -----------------------------------------------------------------


def test_proper_and_dotted_lists():
    assert read("(a b c)") == L(S("a"), S("b"), S("c"))
    assert read("()") is NIL
    assert read("(a . b)") == Pair(S("a"), S("b"))
    assert read("(a b . c)") == L(S("a"), S("b"), tail=S("c"))
    assert read("(a . (b c))") == L(S("a"), S("b"), S("c"))
    assert read("(a . ())") == L(S("a"))
    assert read("((a) (b . c) ())") == L(L(S("a")), Pair(S("b"), S("c")), NIL)
    assert read("(a .b)") == L(S("a"), S(".b"))


@pytest.mark.parametrize("name", [
    "flow-peer-register!", "->x", "+", "-", "...", "<=?", "a.b", "x1", "set-car!", "*", "/",
    "a->b", "λ", "1+", "-x", "+a", "..", "a#b", "%x", "&rest", "~", "^", ":key", "@", "a\\b",
])
def test_symbols(name):
    value = read(name)
    assert value is S(name)


def test_symbols_are_case_sensitive_and_interned():
    a, b, c = read_all("Abc abc Abc")
    assert a is c and a is not b


def test_bar_symbols():
    assert read("|sym with space|") is S("sym with space")
    assert read("||") is S("")
    assert read(r"|a\|b|") is S("a|b")
    assert read(r"|a\x41;b|") is S("aAb")
    assert read(r"|tab\there|") is S("tab\there")
    assert read("|(|") is S("(")
    assert read("|1|") is S("1")
    assert read("(|a b| c)") == L(S("a b"), S("c"))


# -- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("42", 42), ("-17", -17), ("+5", 5), ("-0", 0), ("007", 7),
    ("1.5", 1.5), ("-0.25", -0.25), (".5", 0.5), ("-.5", -0.5), ("+.5", 0.5), ("1.", 1.0),
    ("1e3", 1000.0), ("1E3", 1000.0), ("2.5e-3", 0.0025), ("-1e+21", -1e21), ("1e400", math.inf),
    ("+inf.0", math.inf), ("-inf.0", -math.inf),
    ("1/3", Fraction(1, 3)), ("-2/4", Fraction(-1, 2)), ("4/2", 2), ("0/5", 0),
    ("#x1F", 31), ("#X1f", 31), ("#x-ff", -255), ("#b101", 5), ("#o17", 15), ("#d99", 99),
    ("#e1.5", Fraction(3, 2)), ("#e1e400", 10 ** 400), ("#e0.1", Fraction(1, 10)), ("#e1e3", 1000), ("#i1/2", 0.5), ("#i5", 5.0),
    ("#x#e10", 16), ("#e#x10", 16), ("#x1/2", Fraction(1, 2)), ("#i#x10", 16.0),
])
def test_numbers(text, value):
    result = read(text)
    assert type(result) is type(value)
    assert same(result, value)


def test_extreme_numbers():
    digits = "1" * 5000
    assert read("#e" + digits + ".5") == Fraction(int(digits[:4000]) * 10 ** 1000 + int(digits[4000:]), 1) \
        + Fraction(1, 2)
    assert read("#i" + digits) == math.inf
    assert read("#i-" + digits) == -math.inf
    assert read("#x" + "f" * 5000) == 16 ** 5000 - 1
    assert read("1" + "0" * 6000 + "/3") == Fraction(10 ** 6000, 3)


def test_nan():
    assert math.isnan(read("+nan.0"))
    assert math.isnan(read("-nan.0"))


def test_big_integers():
    digits = "1234567890" * 1000  # past Python's 4300-digit limit for int()
    value = read(digits)
    assert value % 10**10 == 1234567890 and value.bit_length() > 30000
    assert read("-" + digits) == -value
    assert read(digits + "/3") == Fraction(value, 3)


def test_number_types_stay_apart():
    assert type(read("1")) is int
    assert type(read("1.0")) is float
    assert read("#t") is True and read("#f") is False
    assert type(read("2/1")) is int


@pytest.mark.parametrize("text", ["1+", "1e", "1/", "-", "+", "...", "1.2.3", "1/2/3", "--1", "+-1", "١٢", "1_000",
                                  "inf", "nan", "+inf", "1/2e3", "0x10", "1a"])
def test_not_numbers_are_symbols(text):
    assert read(text) is S(text)


# -- strings, booleans, characters ------------------------------------------------------------


@pytest.mark.parametrize("text, value", [
    (r'""', ""),
    (r'"abc"', "abc"),
    (r'"a\nb"', "a\nb"),
    (r'"\t\r\a\b\0"', "\t\r\a\b\0"),
    (r'"\\ \""', '\\ "'),
    (r'"\x41;\x3bb;\x1F600;"', "A\u03bb\U0001F600"),
    (r'"\|"', "|"),
    ('"line one\\\n     line two"', "line oneline two"),
    ('"tabs \\  \t\n\t  after"', "tabs after"),
    ('"crlf\\\r\n  next"', "crlfnext"),
    ('"real\nnewline"', "real\nnewline"),
    ('"semi ; colon ( paren #| not a comment |#"', "semi ; colon ( paren #| not a comment |#"),
    ('"unicode λ 日本"', "unicode λ 日本"),
])
def test_strings(text, value):
    assert read(text) == value


@pytest.mark.parametrize("text, value", [("#t", True), ("#f", False), ("#true", True), ("#false", False),
                                         ("#T", True), ("#F", False)])
def test_booleans(text, value):
    assert read(text) is value


@pytest.mark.parametrize("text, char", [
    (r"#\a", "a"), (r"#\A", "A"), (r"#\space", " "), (r"#\newline", "\n"), (r"#\tab", "\t"),
    (r"#\nul", "\0"), (r"#\null", "\0"), (r"#\alarm", "\a"), (r"#\backspace", "\b"), (r"#\delete", "\x7f"),
    (r"#\escape", "\x1b"), (r"#\return", "\r"), (r"#\x41", "A"), (r"#\x3bb", "\u03bb"), (r"#\x", "x"),
    (r"#\(", "("), (r"#\)", ")"), (r"#\;", ";"), (r'#\"', '"'), (r"#\|", "|"), (r"#\#", "#"), ("#\\ ", " "),
    (r"#\\", "\\"), (r"#\λ", "λ"), (r"#\'", "'"), (r"#\1", "1"),
])
def test_characters(text, char):
    assert read(text) is Char(char)


def test_blank_characters_and_the_blanks_after_them():
    # Tokens take the whitespace after them; a blank character must survive that.
    assert read_all("#\\    x") == [Char(" "), S("x")]
    assert read("(#\\  )") == L(Char(" "))
    assert read("#\\\n") is Char("\n")
    assert read("#\\\t\n") is Char("\t")
    assert read_all("#\\space\n\n") == [Char(" ")]


def test_blanks_after_marks():
    assert read("'\n  x") == L(S("quote"), S("x"))
    assert read_all(", @x") == [L(S("unquote"), S("@x"))]
    assert read("(a .\n b)") == Pair(S("a"), S("b"))
    assert read("#(  1  )") == [1]
    assert read_all("#;  \n a b") == [S("b")]


def test_characters_next_to_delimiters():
    assert read(r"(#\a #\( #\))") == L(Char("a"), Char("("), Char(")"))
    assert read(r"(#\a)") == L(Char("a"))


# -- abbreviations, vectors ----------------------------------------------------------------------


def test_abbreviations():
    assert read("'x") == L(S("quote"), S("x"))
    assert read("`x") == L(S("quasiquote"), S("x"))
    assert read(",x") == L(S("unquote"), S("x"))
    assert read(",@x") == L(S("unquote-splicing"), S("x"))
    assert read("'(a b)") == L(S("quote"), L(S("a"), S("b")))
    assert read("''x") == L(S("quote"), L(S("quote"), S("x")))
    assert read("`(a ,b ,@c)") == L(S("quasiquote"), L(S("a"), L(S("unquote"), S("b")),
                                                        L(S("unquote-splicing"), S("c"))))
    assert read("' x") == L(S("quote"), S("x"))
    assert read("'()") == L(S("quote"), NIL)
    assert read("(a . 'b)") == L(S("a"), S("quote"), S("b"))
    assert read("'#(1)") == L(S("quote"), Vector([1]))


def test_vectors():
    assert read("#(1 2 3)") == [1, 2, 3]
    assert read("#()") == []
    assert read("#(a (b) #(c))") == [S("a"), L(S("b")), [S("c")]]
    assert read("(#(1) . #(2))") == Pair(Vector([1]), Vector([2]))
    assert read("(#(1) . #(2))") != Pair([1], [2])  # plain Python lists are not vectors
    assert type(read("#(1)")) is Vector
    assert type(read("#(#(1))")[0]) is Vector and type(read("(#(1))").car) is Vector
    assert type(read("#0=#(1 #0#)")[1]) is Vector


# -- comments ------------------------------------------------------------------------------------


def test_line_comments():
    assert read_all("; nothing\n(a ; inside\n b) ; after") == [L(S("a"), S("b"))]
    assert read_all(";; only a comment") == []
    assert read_all("a;b\nc") == [S("a"), S("c")]


def test_block_comments_nest():
    assert read_all("#| outer #| inner |# still outer |# a") == [S("a")]
    assert read_all("(a #| x |# b)") == [L(S("a"), S("b"))]
    assert read_all("a #| x |#b") == [S("a"), S("b")]
    # Inside a block comment a double quote means nothing: the first |# closes it.
    assert read_all('#| "not a string |# x') == [S("x")]
    assert read_all('#| ; |# x') == [S("x")]
    assert read_all("#|\nmulti\nline\n|#\n(a)") == [L(S("a"))]
    assert read_all("#||# x") == [S("x")]


def test_block_comment_lookalikes_are_not_comments():
    assert read_all('"#| in a string |#"') == ["#| in a string |#"]
    assert read_all("|#| x") == [S("#"), S("x")]
    assert read_all(r"|a #\| b| x") == [S("a #| b"), S("x")]
    assert read_all("; #| in a line comment\nx") == [S("x")]
    assert read_all(r"#\| x") == [Char("|"), S("x")]
    # `a#` is a symbol, so `a#|b|` is the symbol a# then |b|, as the lexer sees it.
    assert read_all("a#|b|") == [S("a#"), S("b")]


def test_block_comment_keeps_positions():
    form = read_all("#| one\n two |# (a\n  b)", "f.sx")[0]
    assert form.position[1:] == (2, 9)
    assert form.cdr.position[1:] == (3, 3)


def test_datum_comments():
    assert read_all("#;a b") == [S("b")]
    assert read_all("#; (a (b)) c") == [S("c")]
    assert read_all("(a #;b c)") == [L(S("a"), S("c"))]
    assert read_all("(a #;b)") == [L(S("a"))]
    assert read_all("#; #; a b c") == [S("c")]
    assert read_all("(#; #; a b)") == [NIL]
    assert read_all("'#;a b") == [L(S("quote"), S("b"))]
    assert read_all("(a . #;b c)") == [Pair(S("a"), S("c"))]
    assert read_all("(a . b #;c)") == [Pair(S("a"), S("b"))]
    assert read_all("(a #;b . c)") == [Pair(S("a"), S("c"))]
    assert read_all("#;'a b") == [S("b")]
    assert read_all("#;#(1 2) 3") == [3]


# -- whole texts ----------------------------------------------------------------------------------


def test_read_all_and_read():
    assert read_all("") == []
    assert read_all("  \n\t ") == []
    assert read_all("1 2 (3)") == [1, 2, L(3)]
    assert read(" (3) ; a trailing comment\n") == L(3)
    with pytest.raises(SxSyntaxError, match="no datum"):
        read("  ; just a comment\n")
    # Trailing data is an error (it used to be dropped silently), at the second datum.
    with pytest.raises(SxSyntaxError, match="more than one datum") as raised:
        read("1\n  2")
    assert (raised.value.line, raised.value.column) == (2, 3)


def test_whitespace_kinds():
    assert read_all("a\tb\r\nc\fd\u00a0e") == [S("a"), S("b"), S("c"), S("d"), S("e")]


def test_brackets_are_rejected():
    assert "brackets" in read_error("[a b]").message
    assert "brackets" in read_error("(a {b})").message


# -- positions -------------------------------------------------------------------------------------


def test_positions_of_list_heads_and_elements():
    text = "(define (f x)\n  (+ x\n     1))"
    form = read(text, "prog.sx")
    assert isinstance(form, SourcePair)
    source, line, column = form.position
    assert (source.name, line, column) == ("prog.sx", 1, 1)
    assert source.text == text
    # Later cells: the position of their own element.
    assert form.cdr.position[1:] == (1, 9)  # the cell holding (f x) starts at its '('
    header = form.cdr.car
    assert header.position[1:] == (1, 9)  # the list (f x) itself
    assert header.cdr.position[1:] == (1, 12)  # the cell holding x
    body = form.cdr.cdr.car
    assert body.position[1:] == (2, 3)
    assert body.cdr.position[1:] == (2, 6)
    assert body.cdr.cdr.position[1:] == (3, 6)


def test_positions_share_one_source():
    first, second = read_all("(a)\n(b c)", "two.sx")
    assert first.position[0] is second.position[0] is second.cdr.position[0]
    assert second.position[1:] == (2, 1)


def test_positions_of_abbreviations():
    form = read("(list\n  'sym)")
    quoted = form.cdr.car
    assert isinstance(quoted, SourcePair) and quoted.car is S("quote")
    assert quoted.position[1:] == (2, 3)
    assert quoted.cdr.position[1:] == (2, 4)
    assert form.cdr.position[1:] == (2, 3)


def test_columns_count_characters_not_bytes():
    form = read('("λλλ" x)')
    assert form.cdr.position[1:] == (1, 8)


def test_positions_after_multiline_string():
    form = read('(a "one\ntwo" b)')
    assert form.cdr.cdr.position[1:] == (2, 6)


def test_vectors_and_dotted_tails_are_plain_data():
    form = read("(a . b)")
    assert type(form) is SourcePair and form.cdr is S("b")
    vector = read("#((a))")
    assert type(vector) is Vector and type(vector[0]) is SourcePair


# -- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, message, line, column", [
    ("(a b", "unclosed '(' opened at 1:1", 1, 1),
    ("(   \n", "unclosed '(' opened at 1:1", 1, 1),
    ("#(\n", "unclosed '#(' opened at 1:1", 1, 1),
    ("(a '  \n)", "nothing follows the quote mark ' at 1:4", 1, 4),
    (")  \n", "unexpected ')' at 1:1", 1, 1),
    ("(a\n  (b c)\n   (d", "unclosed '(' opened at 3:4", 3, 4),
    ("(define (f x)\n  (let ((y 1))\n    (+ x y))", "unclosed '(' opened at 1:1", 1, 1),
    ("#(1 2", "unclosed '#(' opened at 1:1", 1, 1),
    ("(a))", "unexpected ')' at 1:4", 1, 4),
    ("\n\n\n\n\n\n)", "unexpected ')' at 7:1", 7, 1),
    ('(a\n "abc', "unterminated string starting at 2:2", 2, 2),
    ('x\n         "abc\ndef', "unterminated string starting at 2:10", 2, 10),
    ('\n\n\n  "ab\\q"', r"unknown escape \q in string at 4:6", 4, 6),
    ('"ok"\n\n\n"..\\qx"', r"unknown escape \q in string at 4:4", 4, 4),
    ('"a\nb\\q"', r"unknown escape \q in string at 2:2", 2, 2),
    (r'"\x41"', r"bad \x escape in string at 1:2", 1, 2),
    (r'"\x110000;"', r"bad escape \x110000; in string at 1:2: no such character", 1, 2),
    (r"|a\qb|", r"unknown escape \q in |symbol| at 1:3", 1, 3),
    (r"(a #\foo)", r"bad character name #\foo", 1, 4),
    (r"#\x110000", r"bad character name #\x110000", 1, 1),
    (r"#\spac", r"bad character name #\spac", 1, 1),
    ("#\\", "bad character name: nothing after #\\", 1, 1),
    ("a\n  #| never closed", "unterminated block comment opened at 2:3", 2, 3),
    ("#| #| |# only one closed", "unterminated block comment opened at 1:1", 1, 1),
    ("( . a)", "'.' in a wrong place at 1:3: no datum before it", 1, 3),
    ("(a . b c)", "'.' in a wrong place: a second datum after '.' at 1:8", 1, 8),
    ("(a .)", "'.' in a wrong place at 1:4: no datum after it", 1, 4),
    ("(a . b . c)", "'.' in a wrong place at 1:8", 1, 8),
    (". a", "'.' in a wrong place at 1:1", 1, 1),
    ("(a . )", "'.' in a wrong place at 1:4", 1, 4),
    ("#(a . b)", "'.' in a wrong place at 1:5", 1, 5),
    ("(a ')", "nothing follows the quote mark ' at 1:4", 1, 4),
    ("'", "nothing follows the quote mark ' at 1:1", 1, 1),
    ("(a ,@)", "nothing follows the unquote-splicing mark ,@ at 1:4", 1, 4),
    ("(a #;)", "nothing follows the datum comment #; at 1:4", 1, 4),
    ("#;", "nothing follows the datum comment #; at 1:1", 1, 1),
    ("#foo", "bad # syntax #foo", 1, 1),
    ("(#)", "bad # syntax #) at 1:2", 1, 2),
    ("# a", "bad # syntax: '#' followed by a space", 1, 1),
    ("a #", "bad # syntax: '#' at the end of the text", 1, 3),
    ("##", "bad # syntax ##", 1, 1),
    ("#!no-such-directive", "bad # syntax #!no-such-directive", 1, 1),
    ("#0#", "datum label #0# at 1:1 refers to no #0= before it", 1, 1),
    ("|abc", "unterminated |symbol| starting at 1:1", 1, 1),
    ("a |# b", "'|#' outside a block comment at 1:3", 1, 3),
    ("1/0", "bad number 1/0: division by zero", 1, 1),
    ("#x1G", "bad number #x1G", 1, 1),
    ("#e+inf.0", "bad number #e+inf.0", 1, 1),
    ("#x#x1", "bad number #x#x1", 1, 1),
    ("#e1e999999999", "exponent too large for an exact number", 1, 1),
    ("#e1e-999999", "exponent too large for an exact number", 1, 1),
    ("[a]", "unexpected '['", 1, 1),
])
def test_error_messages_and_positions(text, message, line, column):
    error = read_error(text)
    assert message in error.message
    assert (error.filename, error.line, error.column) == ("test.sx", line, column)


def test_error_str_shows_line_and_caret():
    error = read_error("(define x\n  (list 1 \"two\\q\"))")
    text = str(error)
    assert text.splitlines()[0] == "test.sx:2:15: unknown escape \\q in string at 2:15"
    assert text.splitlines()[1] == '    (list 1 "two\\q"))'
    assert text.splitlines()[2] == "  " + " " * 14 + "^"


def test_unclosed_error_points_at_the_paren():
    error = read_error("(ok)\n  (define (f)\n    (g)")
    lines = str(error).splitlines()
    assert lines[0] == "test.sx:2:3: unclosed '(' opened at 2:3"
    assert lines[2] == "    ^"


def test_incomplete_marks_input_a_repl_could_continue():
    assert read_error("(a").incomplete
    assert read_error('"abc').incomplete
    assert read_error("#| x").incomplete
    assert read_error("'").incomplete
    assert not read_error(")").incomplete
    assert not read_error("#foo").incomplete


def test_only_sx_syntax_error_is_a_syntax_error_class():
    error = read_error(")")
    assert type(error) is SxSyntaxError
    assert error.__cause__ is None and error.__suppress_context__


def test_non_string_input_is_a_type_error():
    with pytest.raises(TypeError):
        read_all(b"(a)")


# -- deep and long input -----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_million_element_list():
    text = "(" + " ".join(["x"] * 1_000_000) + ")"
    form = read(text)
    count = 0
    cell = form
    while cell is not NIL:
        count += 1
        cell = cell.cdr
    assert count == 1_000_000
    assert form.cdr.cdr.position[1:] == (1, 6)


def test_nesting_a_hundred_thousand_deep():
    depth = 100_000
    form = read("(" * depth + "x" + ")" * depth)
    for _ in range(depth - 1):
        form = form.car
    assert form.car is S("x") and form.cdr is NIL


def test_deep_quotes_and_vectors():
    depth = 50_000
    form = read("'" * depth + "x")
    for _ in range(depth):
        assert form.car is S("quote")
        form = form.cdr.car
    assert form is S("x")
    vector = read("#(" * depth + ")" * depth)
    for _ in range(depth - 1):
        vector = vector[0]
    assert type(vector) is Vector and vector == []


def test_deep_unclosed_error():
    error = read_error("(" * 100_000)
    assert error.message == "unclosed '(' opened at 1:100000"


def test_many_top_level_forms():
    forms = read_all("(a) " * 100_000)
    assert len(forms) == 100_000


def test_reentrant_from_threads():
    import threading

    results = []

    def work(number):
        for _ in range(20):
            results.append(read(f"(n {number})").cdr.car == number)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 80 and all(results)


# -- fuzzing -------------------------------------------------------------------------------------------

REMOTE = (Path(__file__).resolve().parent.parent / "lib" / "flow" / "remote.sx").read_text(encoding="utf-8")

PROGRAMS = [
    REMOTE,
    "(define (f x) (if (< x 1) 'done `(a ,x ,@(list 1 2))))",
    '(display "a\\nb\\x41;\\t") #\\a #\\space #(1 2.5 -3/4) (a . b)',
    "#| block #| nested |# |# #;(skipped) (kept ; line\n) |odd sym| #true #x1F",
    "(let loop ((i 0)) (when (< i 10) (loop (+ i 1)))) +inf.0 -nan.0 .5 1e3",
]

SYNTAX_ALPHABET = st.sampled_from(list("()#|\\\"';`,@.;xe1/ \n\t+-") + ["#|", "|#", "#;", "#\\", "#(", ",@", "\\x",
                                                                       "λ", "\0", "\r", "[", "}"])


def check_reads_or_fails_cleanly(text: str) -> None:
    try:
        result = read_all(text, "fuzz.sx")
    except SxSyntaxError as error:
        assert isinstance(error.message, str) and error.message
        assert not error.message.startswith("cannot read this text"), error.message  # the reader's bug net
        assert error.line >= 1 and error.column >= 1
        str(error)  # formats without failing
    else:
        assert isinstance(result, list)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SYNTAX_ALPHABET, max_size=40).map("".join))
def test_fuzz_syntax_soup(text):
    check_reads_or_fails_cleanly(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_any_text(text):
    check_reads_or_fails_cleanly(text)


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="0123456789+-./eEiIxXbBoOdD#naf", max_size=14))
def test_fuzz_number_like_atoms(text):
    check_reads_or_fails_cleanly(text)


@settings(max_examples=800, deadline=None)
@given(st.text(alphabet='\\x;0aF9 \n\t"|qλ', max_size=16))
def test_fuzz_strings_and_bar_symbols(body):
    check_reads_or_fails_cleanly('"' + body + '"')
    check_reads_or_fails_cleanly("|" + body + "|")
    check_reads_or_fails_cleanly("#\\" + body)


@st.composite
def mutated_programs(draw):
    text = draw(st.sampled_from(PROGRAMS))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        position = draw(st.integers(0, len(text)))
        piece = draw(st.one_of(SYNTAX_ALPHABET, st.characters()))
        if kind == "insert":
            text = text[:position] + piece + text[position:]
        elif kind == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 3)):]
        else:
            text = text[:position] + piece + text[position + 1:]
    return text


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_programs())
def test_fuzz_mutated_programs(text):
    check_reads_or_fails_cleanly(text)


def test_recursion_limit_is_not_needed():
    # The reader never recurses per nesting level: a low recursion limit does not matter.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        depth = 5_000
        assert read("(" * depth + ")" * depth) is not None
    finally:
        sys.setrecursionlimit(limit)


def test_a_read_inside_a_read(monkeypatch):
    # A read started while another is running on the same thread (a signal handler
    # could do it) must not disturb either.
    from sxflow import reader

    inner = []
    original = reader.decode_atom_text

    def decoding(text):
        if text == "marker":
            inner.append(read_all("(inner 1)", "inner.sx"))
        return original(text)

    monkeypatch.setattr(reader, "decode_atom_text", decoding)
    outer = read_all("(a marker b)", "outer.sx")
    assert outer == [L(S("a"), S("marker"), S("b"))]
    assert inner == [[L(S("inner"), 1)]]
    assert outer[0].cdr.cdr.position[0].name == "outer.sx"
    assert inner[0][0].cdr.position[0].name == "inner.sx"


def test_a_byte_order_mark_at_the_start_is_skipped(tmp_path):
    from sxflow import Interpreter

    assert read_all("\ufeff(a b) c") == read_all("(a b) c")
    path = tmp_path / "bom.sx"
    path.write_bytes("\ufeff(define x 41)\n(+ x 1)\n".encode("utf-8"))
    assert Interpreter().load(path) == 42
    with pytest.raises(SxSyntaxError) as caught:
        read_all("\ufeff(a")
    assert (caught.value.line, caught.value.column) == (1, 1)


# -- nesting beyond the documented limit is refused before parsing --------------------------------


def test_absurd_nesting_fails_fast_with_file_line_and_column():
    from sxflow import limits

    depth = 1_000_000  # parsing it would take about half a minute; the check refuses it first
    text = "(+ 1 " * depth + "0" + ")" * depth
    with pytest.raises(SxSyntaxError, match="nested too deeply at 1:500001: text may nest at most 100,000 levels") \
            as caught:
        read_all(text, "deep.sx")
    error = caught.value
    assert (error.filename, error.line, error.column) == ("deep.sx", 1, 5 * limits.MAX_NESTING + 1)


def test_nesting_at_the_limit_reads():
    from sxflow import limits

    depth = limits.MAX_NESTING
    value = read("(" * depth + ")" * depth)
    for _ in range(depth - 2):  # "()" is the innermost list, NIL
        value = value.car
    assert value.car is NIL


def test_nesting_counts_brackets_of_lists_and_vectors_only(monkeypatch):
    from sxflow import reader

    monkeypatch.setattr(reader, "MAX_NESTING", 3)
    # Brackets inside strings, characters, |symbols| and comments do not count.
    hidden = '(((x "((((" #\\( |((((| ; ((((\n #| (((( |# #;y)))'
    assert is_equal(read(hidden), read('(((x "((((" #\\( |((((|)))'))
    with pytest.raises(SxSyntaxError, match="nested too deeply at 1:7"):
        read("(((a#\\(b))))")  # the atom a#\ ends at the bracket, as the lexer reads it
    assert read_all("(()) (()) ((()))")  # many brackets, none deeper than 3
    for text, line, column in [("((((a))))", 1, 4), ("(a\n (b #(c\n   #u8(1)\n )))", 3, 4),
                               ("'(1 `(2 ,(3 (4))))", 1, 13)]:
        with pytest.raises(SxSyntaxError, match="nested too deeply") as caught:
            read_all(text, "t.sx")
        assert (caught.value.line, caught.value.column) == (line, column), text


# -- exponent markers s f d l (R7RS 7.1.1) ----------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from("sSfFdDlL"))
def test_every_exponent_marker_reads_as_e(number, marker):
    text = f"{number:e}".replace("e", marker)
    assert read(text) == read(f"{number:e}") and type(read(text)) is float
    assert read(f"{text}+1.0i") == complex(read(f"{number:e}"), 1.0)


@pytest.mark.parametrize("text", ["1s", "s2", "1s2.5", "1x2", "1e2s3", "#x1s2q"])
def test_malformed_exponents_are_not_floats(text):
    try:
        value = read(text)
    except SxSyntaxError:
        return
    assert type(value) is not float, text
