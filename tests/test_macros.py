"""sxflow.macros from Python: renamed identifiers, stripping them from data, expansion once at compile time."""

from __future__ import annotations

import pickle

import pytest

import sxflow
from sxflow.data import NIL, Pair, Symbol, Vector, make_list
from sxflow.macros import rename, root_of, strip_syntax
from sxflow.syntax_rules import SyntaxRules


def test_an_alias_is_an_uninterned_symbol_that_remembers_its_original():
    plain = Symbol("temp")
    alias = rename(plain, None)
    again = rename(alias, None)
    assert type(alias) is Symbol and alias is not plain and alias.name == "temp"
    assert plain.alias is None
    assert alias.alias.original is plain and root_of(alias) is plain
    assert again.alias.original is alias and root_of(again) is plain
    assert root_of(5) == 5 and root_of(plain) is plain
    assert sxflow.write_string(alias) == "temp"
    assert pickle.loads(pickle.dumps(alias)) is plain  # crossing a process boundary, it is the plain symbol


def test_strip_syntax_replaces_aliases_and_copies_only_when_needed():
    alias = rename(Symbol("x"), None)
    data = make_list([1, make_list([alias, "s"]), Vector([alias, 2])])
    stripped = strip_syntax(data)
    assert sxflow.write_string(stripped) == '(1 (x "s") #(x 2))'
    assert stripped.cdr.car.car is Symbol("x") and stripped.cdr.cdr.car[0] is Symbol("x")
    assert type(stripped.cdr.cdr.car) is Vector
    untouched = make_list([Symbol("a"), make_list([1, 2])])
    assert strip_syntax(untouched) is untouched


@pytest.mark.slow
def test_strip_syntax_handles_long_and_circular_data():
    alias = rename(Symbol("y"), None)
    long = make_list([*range(300_000), alias])
    stripped = strip_syntax(long)
    cell = stripped
    while cell.cdr is not NIL:
        cell = cell.cdr
    assert cell.car is Symbol("y")
    ring = Pair(alias, NIL)
    ring.cdr = ring
    copy = strip_syntax(ring)
    assert copy.car is Symbol("y") and copy.cdr is copy


def test_a_macro_is_expanded_once_however_often_the_code_runs(monkeypatch):
    calls = []
    original = SyntaxRules.expand

    def counting(self, form, scope, compiler, position):
        calls.append(self.name)
        return original(self, form, scope, compiler, position)

    monkeypatch.setattr(SyntaxRules, "expand", counting)
    interpreter = sxflow.Interpreter()
    interpreter.eval("(define-syntax twice (syntax-rules () ((_ e) (* 2 e))))"
                     "(define (f n) (let loop ((i 0) (total 0)) (if (= i n) total (loop (+ i 1) (+ total (twice i))))))")
    # Expanded when f is compiled: by the nodes, and again by the procedure writer (sxflow.procedures)
    # while the nodes are still compiled first; never while f runs.
    compiled = list(calls)
    assert compiled and set(compiled) == {"twice"} and len(compiled) <= 2
    assert interpreter.call("f", 1000) == 999_000
    assert interpreter.call("f", 10) == 90
    assert calls == compiled


def test_macros_from_python():
    interpreter = sxflow.Interpreter()
    interpreter.eval("(define-syntax swap! (syntax-rules () ((_ a b) (let ((tmp a)) (set! a b) (set! b tmp)))))")
    assert "swap!" in interpreter
    assert sxflow.write_string(interpreter["swap!"]) == "#<syntax swap!>"
    assert sxflow.to_python(interpreter.eval("(define p 1) (define q 2) (swap! p q) (list p q)")) == [2, 1]
    with pytest.raises(sxflow.SxSyntaxError) as caught:
        interpreter.eval("(swap! p)", "prog.sx")
    assert (caught.value.filename, caught.value.line, caught.value.column) == ("prog.sx", 1, 1)
    assert "no rule of the macro swap! matches (swap! p)" in str(caught.value)


def test_an_error_inside_an_expansion_carries_the_use_position_and_trace():
    interpreter = sxflow.Interpreter()
    text = ("(define-syntax first-of (syntax-rules () ((_ x) (car x))))\n"
            "(define (g v)\n"
            "  (first-of v))\n"
            "(g 5)\n")
    with pytest.raises(sxflow.SchemeError) as caught:
        interpreter.eval(text, "prog.sx")
    error = caught.value
    assert (error.line, error.column) == (3, 3)
    assert error.message == "car: expected a pair, got 5"
    assert "prog.sx:4:1: call to g" in str(error)


def test_records_and_parameters_from_python():
    interpreter = sxflow.Interpreter()
    interpreter.eval("(define-record-type <point> (make-point x y) point? (x point-x) (y point-y))"
                     "(define radix (make-parameter 10))")
    point = interpreter.call("make-point", 1, [2, 3])
    assert sxflow.write_string(point) == "#<record point>"
    assert interpreter.call("point-x", point) == 1
    assert sxflow.to_python(interpreter.call("point-y", point)) == [2, 3]
    assert interpreter["radix"]() == 10
    with pytest.raises(sxflow.SchemeError, match="point-x: expected a point record"):
        interpreter.call("point-x", 5)


def test_a_circular_macro_definition_is_a_syntax_error():
    from sxflow.reader import read

    spec = read("(syntax-rules () ((_ a) (list a)))")
    template = spec.cdr.cdr.car.cdr.car
    template.cdr.cdr = template  # (list a list a ...)
    interpreter = sxflow.Interpreter()
    with pytest.raises(sxflow.SxSyntaxError, match="a macro definition cannot be circular data"):
        interpreter.eval_forms([make_list([Symbol("define-syntax"), Symbol("m"), spec])])


def test_a_circular_argument_to_a_macro_is_matched_without_looping():
    interpreter = sxflow.Interpreter()
    interpreter.eval("(define-syntax rest-of (syntax-rules () ((_ a ...) 'list) ((_ . r) 'other)))")
    ring = Pair(1, NIL)
    ring.cdr = ring
    form = Pair(Symbol("rest-of"), ring)
    assert interpreter.eval_forms([form]) is Symbol("other")


from hypothesis import given, settings, strategies as st  # noqa: E402

_atoms = st.one_of(st.integers(-1000, 1000), st.sampled_from(["s", "t"]),
                   st.sampled_from([Symbol("a"), Symbol("b"), Symbol("..."), Symbol("_")]))
_PROPERTY_INTERPRETER = sxflow.Interpreter()
_PROPERTY_INTERPRETER.eval(
    "(define-syntax nested (syntax-rules () ((_ (x ...) ...) '((x ...) ...))))"
    "(define-syntax flat (syntax-rules () ((_ (x ...) ...) '(x ... ...))))"
    "(define-syntax ends (syntax-rules () ((_ first middle ... last) '(last (middle ...) first))))"
    "(define-syntax vector-ends (syntax-rules () ((_ #(first middle ... last)) '#(last middle ... first))))")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_atoms, max_size=4), max_size=5))
def test_ellipsis_patterns_rebuild_what_they_matched(groups):
    interpreter = _PROPERTY_INTERPRETER
    written = sxflow.write_string
    use = make_list([Symbol("nested"), *[make_list(group) for group in groups]])
    assert written(interpreter.eval_forms([use])) == written(make_list([make_list(group) for group in groups]))
    flat = make_list([Symbol("flat"), *[make_list(group) for group in groups]])
    assert written(interpreter.eval_forms([flat])) == written(make_list([item for group in groups for item in group]))


@settings(max_examples=60, deadline=None)
@given(st.lists(_atoms, min_size=2, max_size=8))
def test_an_ellipsis_followed_by_more_patterns_takes_the_middle(items):
    interpreter = _PROPERTY_INTERPRETER
    written = sxflow.write_string
    result = interpreter.eval_forms([make_list([Symbol("ends"), *items])])
    assert written(result) == written(make_list([items[-1], make_list(items[1:-1]), items[0]]))
    result = interpreter.eval_forms([make_list([Symbol("vector-ends"), Vector(items)])])
    assert type(result) is Vector and result == [items[-1], *items[1:-1], items[0]]
