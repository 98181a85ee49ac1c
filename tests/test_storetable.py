"""sxflow/library/storetable.py: the flow store's bulk export and import builtins, one Python pass each."""

from __future__ import annotations

import pytest

from sxflow import Interpreter, SchemeError, Symbol
from sxflow.library.storetable import entries_of


@pytest.fixture
def sx():
    interpreter = Interpreter()
    interpreter.eval("(define failed (list 'failed))")
    return interpreter


def test_export_lists_entries_in_key_order_as_deep_copies(sx):
    sx.eval("(define t (make-hash-table))")
    sx.eval("(hash-table-set! t \"b\" (list 1 (vector 2 (list 3))))")
    sx.eval("(hash-table-set! t 'a \"text\")")
    assert sx.eval("(flow-store-table-export t)") == sx.eval("'((\"b\" (1 #(2 (3)))) (a \"text\"))")
    assert sx.eval("(eq? (cadr (car (flow-store-table-export t))) (hash-table-ref t \"b\"))") is False
    assert sx.eval("(eq? (vector-ref (cadr (cadr (car (flow-store-table-export t)))) 1)"
                   " (vector-ref (cadr (hash-table-ref t \"b\")) 1))") is False


def test_export_refuses_a_value_made_not_plain_afterwards(sx):
    sx.eval("(define t (make-hash-table)) (define v (list 1 2)) (hash-table-set! t \"k\" v) (set-cdr! (cdr v) car)")
    with pytest.raises(SchemeError, match="no longer plain data"):
        sx.eval("(flow-store-table-export t)")


def test_shared_entries_are_for_encoding_at_once(sx):
    sx.eval("(define t (make-hash-table)) (hash-table-set! t \"k\" (list 1 2))")
    entries = entries_of(sx.eval("t"))
    assert entries.car.cdr.car is sx.eval("(hash-table-ref t \"k\")")


@pytest.mark.parametrize("data", [
    "'((\"a\" 1) (b (2 #(3))) (\"b\" ()))",
    "(list (list \"long\" (iota 100)) (list 'deep (list (list (list 1)))))",
    "'()",
])
def test_import_builds_a_table_holding_copies(sx, data):
    sx.eval(f"(define data {data}) (define t (flow-store-table-import data failed))")
    assert sx.eval("(hash-table? t)") is True
    assert sx.eval("(equal? (flow-store-table-export t) data)") is True
    assert sx.eval("(let loop ((d data)) (cond ((null? d) #t)"
                   " ((and (pair? (cadr (car d))) (eq? (cadr (car d)) (hash-table-ref t (car (car d))))) #f)"
                   " (else (loop (cdr d)))))") is True


@pytest.mark.parametrize("data", [
    "5",
    "'((\"a\" 1) . 2)",
    "(let ((x (list (list \"a\" 1)))) (set-cdr! x x) x)",
    "'((\"a\" 1 2))",
    "'((\"a\"))",
    "'(\"a\")",
    "'((1 2))",
    "'((\"a\" 1) (\"a\" 2))",
    "(list (list \"a\" car))",
    "(list (list \"a\" (cons 1 2)))",
    "(list (list \"a\" (let ((x (list 1))) (set-cdr! x x) x)))",
    "(list (list \"a\" (let ((v (vector 1))) (vector-set! v 0 v) v)))",
    "(list (list \"a\" (list 1 car)))",
])
def test_import_answers_failure_for_anything_but_an_export(sx, data):
    assert sx.eval(f"(eq? (flow-store-table-import {data} failed) failed)") is True


def test_a_string_key_and_a_symbol_key_are_two_entries(sx):
    sx.eval("(define t (flow-store-table-import '((\"a\" 1) (a 2)) failed))")
    assert sx.eval("(list (hash-table-ref t \"a\") (hash-table-ref t 'a))") == sx.eval("'(1 2)")
    assert sx.eval("(hash-table-keys t)").cdr.car is Symbol("a")
