"""sxflow.lexical: the atom syntax written once, read and written by the same rules."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from sxflow import lexical
from sxflow.data import Char, ExactComplex, Symbol
from sxflow.lexical import AtomError, decode_atom_text, parse_number, symbol_reads_plain


@pytest.mark.parametrize(("text", "value"), [
    ("42", 42), ("-1/2", Fraction(-1, 2)), ("1e3", 1000.0), ("1s2", 100.0), ("#x-ff", -255),
    ("1+2i", ExactComplex(1, 2)), ("+i", ExactComplex(0, 1)), ("#t", True), ("#false", False),
    ("#\\space", Char(" ")), ('"a\\nb"', "a\nb"), ("|a b|", Symbol("a b")), ("1+", Symbol("1+")),
])
def test_atoms_decode(text, value):
    decoded = decode_atom_text(text)
    assert decoded == value and type(decoded) is type(value)


def test_parse_number_answers_none_for_other_text():
    assert parse_number("ff", 16) == 255
    assert parse_number("abc") is None and parse_number("1+") is None


def test_bad_atoms_are_atom_errors():
    with pytest.raises(AtomError):
        decode_atom_text("#foo")


@pytest.mark.parametrize(("name", "plain"), [
    ("abc", True), ("list->vector", True), ("+", True), ("...", True), ("1+", False), ("a b", False),
    ("+inf.0x", False), ("", False), ("#foo", False), (".", False), ("λ", True),
])
def test_symbol_reads_plain(name, plain):
    assert symbol_reads_plain(name) is plain


def test_the_token_shapes_agree_with_the_lexer():
    # What the grammar's ATOM matches at the start of a plain atom, the shapes here match too.
    atom = re.compile(f"{lexical.ATOM_START}{lexical.CONSTITUENT}*")
    assert atom.fullmatch("list->vector") and atom.fullmatch("#t") and not atom.fullmatch("(a")
    string = re.compile(lexical.STRING_TOKEN)
    assert string.match('"a\\"b" rest').group() == '"a\\"b"'
    assert string.match('"unterminated').group() == '"unterminated'
    assert re.compile(lexical.BAR_SYMBOL_TOKEN).match("|a\\|b| c").group() == "|a\\|b|"
