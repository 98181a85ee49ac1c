"""Hash tables: SRFI-69 procedures, equal? keys that Python would conflate, insertion order, deep keys."""

from __future__ import annotations

import pytest

from sxflow import Interpreter, SchemeError, Symbol, write_string
from sxflow.data import NIL, Pair, make_list
from sxflow.library.hashtables import HashTable, equal_key


@pytest.fixture
def sx():
    return Interpreter()


def run(sx, text):
    return write_string(sx.eval(text))


def test_make_and_predicate(sx):
    assert run(sx, "(hash-table? (make-hash-table))") == "#t"
    assert run(sx, "(hash-table? '())") == "#f"
    assert run(sx, "(hash-table-count (make-hash-table))") == "0"
    assert run(sx, "(make-hash-table)") == "#<hash-table 0>"


def test_set_ref_default_contains_delete_count(sx):
    sx.eval("(define h (make-hash-table)) (hash-table-set! h 'a 1) (hash-table-set! h \"b\" 2)")
    assert run(sx, "(hash-table-ref/default h 'a 0)") == "1"
    assert run(sx, "(hash-table-ref/default h 'missing 'none)") == "none"
    assert run(sx, "(hash-table-ref h \"b\")") == "2"
    assert run(sx, "(list (hash-table-contains? h 'a) (hash-table-exists? h 'zz))") == "(#t #f)"
    assert run(sx, "(list (hash-table-count h) (hash-table-size h))") == "(2 2)"
    sx.eval("(hash-table-delete! h 'a) (hash-table-delete! h 'never)")
    assert run(sx, "(list (hash-table-contains? h 'a) (hash-table-count h))") == "(#f 1)"


def test_ref_failure_and_success_procedures(sx):
    sx.eval("(define h (make-hash-table)) (hash-table-set! h 'a 1)")
    assert run(sx, "(hash-table-ref h 'zz (lambda () 'failed))") == "failed"
    assert run(sx, "(hash-table-ref h 'a (lambda () 'failed) (lambda (v) (+ v 100)))") == "101"
    with pytest.raises(SchemeError) as caught:
        sx.eval("(hash-table-ref h 'zz)")
    assert "hash-table-ref: no such key: zz" in caught.value.message
    assert run(sx, "(guard (e ((error-object? e) 'caught)) (hash-table-ref h 'zz))") == "caught"


def test_keys_that_python_would_conflate_stay_apart(sx):
    sx.eval("""(define h (make-hash-table))
      (for-each (lambda (k) (hash-table-set! h k (list 'key k)))
                (list 1 1.0 #t 0 0.0 -0.0 #f "a" 'a #\\a 1/2 0.5 '() "" (list 1) (vector 1) (list "1") (list 1.0)))""")
    assert run(sx, "(hash-table-count h)") == "18"
    for key in ["1", "1.0", "#t", "0", "0.0", "-0.0", "#f", '"a"', "'a", "#\\a", "1/2", "0.5", "'()", '""',
                "(list 1)", "(vector 1)", "(list \"1\")", "(list 1.0)"]:
        assert run(sx, f"(equal? (cadr (hash-table-ref h {key})) {key})") == "#t", key


def test_equal_keys_are_structural(sx):
    sx.eval("(define h (make-hash-table)) (hash-table-set! h (list 1 (vector 2 \"x\") 'y) 'found)")
    assert run(sx, "(hash-table-ref/default h (list 1 (vector 2 \"x\") 'y) #f)") == "found"
    assert run(sx, "(hash-table-ref/default h (list 1 (vector 2 \"x\") \"y\") #f)") == "#f"
    # exact rationals equal to integers are integers; 2 and (/ 4 2) are the same key
    sx.eval("(hash-table-set! h 2 'two)")
    assert run(sx, "(hash-table-ref/default h (/ 4 2) #f)") == "two"
    # NaN is a key like any other float
    sx.eval("(hash-table-set! h (/ 0. 0.) 'nan)")
    assert run(sx, "(hash-table-ref/default h (/ 0. 0.) #f)") == "nan"


def test_structure_keys_holding_procedures_compare_them_by_identity(sx):
    sx.eval("""(define (f x) x) (define (g x) x)
      (define h (make-hash-table)) (hash-table-set! h (list 1 f) 'with-f)""")
    assert run(sx, "(hash-table-ref/default h (list 1 f) #f)") == "with-f"
    # a different procedure that prints the same is a different key
    sx.eval("(define f2 f) (set! f (lambda (x) x))")
    assert run(sx, "(hash-table-ref/default h (list 1 f) #f)") == "#f"
    assert run(sx, "(hash-table-ref/default h (list 1 f2) #f)") == "with-f"


@pytest.mark.slow
def test_deep_and_long_keys_do_not_recurse():
    sx = Interpreter()
    deep = NIL
    for _ in range(100_000):
        deep = Pair(deep, NIL)
    same = NIL
    for _ in range(100_000):
        same = Pair(same, NIL)
    long = make_list(range(100_000))
    sx["deep"], sx["same"], sx["long"] = deep, same, long
    sx.eval("(define h (make-hash-table)) (hash-table-set! h deep 'deep) (hash-table-set! h long 'long)")
    assert sx.eval("(hash-table-ref/default h same #f)") is Symbol("deep")
    assert sx.eval("(hash-table-ref/default h (list-copy long) #f)") is Symbol("long")


def test_insertion_order_overwrite_keeps_place_delete_moves_to_end(sx):
    sx.eval("(define h (make-hash-table)) (for-each (lambda (k) (hash-table-set! h k (symbol->string k))) '(c a b))")
    assert run(sx, "(hash-table-keys h)") == "(c a b)"
    assert run(sx, "(hash-table-values h)") == '("c" "a" "b")'
    sx.eval("(hash-table-set! h 'c 'again)")
    assert run(sx, "(hash-table-keys h)") == "(c a b)"
    sx.eval("(hash-table-delete! h 'c) (hash-table-set! h 'c 'back)")
    assert run(sx, "(hash-table->alist h)") == '((a . "a") (b . "b") (c . back))'


def test_update(sx):
    sx.eval("(define h (make-hash-table)) (hash-table-set! h 'n 1)")
    sx.eval("(hash-table-update! h 'n (lambda (v) (+ v 1)))")
    assert run(sx, "(hash-table-ref h 'n)") == "2"
    sx.eval("(hash-table-update! h 'm (lambda (v) (+ v 1)) (lambda () 10))")
    assert run(sx, "(hash-table-ref h 'm)") == "11"
    with pytest.raises(SchemeError, match="no such key"):
        sx.eval("(hash-table-update! h 'absent (lambda (v) v))")
    sx.eval("(hash-table-update!/default h 'count (lambda (v) (+ v 1)) 0)")
    sx.eval("(hash-table-update!/default h 'count (lambda (v) (+ v 1)) 0)")
    assert run(sx, "(hash-table-ref h 'count)") == "2"


def test_walk_fold_and_modifying_during_walk(sx):
    sx.eval("(define h (make-hash-table)) (for-each (lambda (k) (hash-table-set! h k (* k k))) '(1 2 3))")
    assert run(sx, "(let ((seen '())) (hash-table-walk h (lambda (k v) (set! seen (cons (list k v) seen)))) (reverse seen))") \
        == "((1 1) (2 4) (3 9))"
    assert run(sx, "(hash-table-fold h (lambda (k v acc) (+ v acc)) 0)") == "14"
    # the walk sees a snapshot, so the callback may change the table
    sx.eval("(hash-table-walk h (lambda (k v) (hash-table-delete! h k) (hash-table-set! h (+ k 10) v)))")
    assert run(sx, "(hash-table-keys h)") == "(11 12 13)"


def test_copy_clear_alist(sx):
    sx.eval("(define h (alist->hash-table '((a . 1) (b . 2) (a . 3))))")
    assert run(sx, "(hash-table->alist h)") == "((a . 1) (b . 2))"
    sx.eval("(define c (hash-table-copy h)) (hash-table-set! c 'z 26) (hash-table-clear! h)")
    assert run(sx, "(list (hash-table-count h) (hash-table-count c) (hash-table-ref c 'a))") == "(0 3 1)"
    assert run(sx, "(hash-table-keys h)") == "()"


def test_other_equalities(sx):
    sx.eval("(define q (make-hash-table eq?)) (define k (list 1 2)) (hash-table-set! q k 'k)")
    assert run(sx, "(list (hash-table-ref/default q k #f) (hash-table-ref/default q (list 1 2) #f))") == "(k #f)"
    sx.eval("(hash-table-set! q \"s\" 's) (hash-table-set! q 'sym 'sym) (hash-table-set! q 1 'one)")
    assert run(sx, "(map (lambda (x) (hash-table-ref/default q x #f)) (list \"s\" 'sym 1 1.0))") == "(s sym one #f)"
    sx.eval("(define n (make-hash-table =)) (hash-table-set! n 1 'one)")
    assert run(sx, "(list (hash-table-ref/default n 1.0 #f) (hash-table-ref/default n 2/2 #f))") == "(one one)"
    sx.eval("(define v (make-hash-table eqv? (lambda (x) 0)))")
    assert run(sx, "(hash-table? v)") == "#t"
    sx.eval("(define s (make-hash-table string=?)) (hash-table-set! s \"k\" 1)")
    assert run(sx, "(hash-table-ref s \"k\")") == "1"
    with pytest.raises(SchemeError, match="unsupported equality predicate"):
        sx.eval("(make-hash-table (lambda (a b) #t))")


def test_wrong_types_are_named(sx):
    with pytest.raises(SchemeError) as caught:
        sx.eval("(hash-table-set! '(1) 'a 1)")
    assert "hash-table-set!: expected a hash table as argument 1, got (1)" in caught.value.message
    with pytest.raises(SchemeError, match="hash-table-count: expected a hash table"):
        sx.eval("(hash-table-count 5)")
    with pytest.raises(SchemeError, match="a table made with = takes only numbers"):
        sx.eval("(hash-table-set! (make-hash-table =) 'a 1)")


def test_from_python():
    sx = Interpreter()
    table = sx.eval("(let ((h (make-hash-table))) (hash-table-set! h \"k\" '(1 2)) h)")
    assert isinstance(table, HashTable)
    assert table.keys() == ["k"]
    assert equal_key("k") == "k" and equal_key(Symbol("k")) is Symbol("k")
    assert equal_key(1) != equal_key(True) and equal_key(1) != equal_key(1.0)


def test_shared_and_unshared_structures_holding_procedures_are_the_same_key(sx):
    sx.eval("""(define (f x) x) (define inner (list f))
      (define h (make-hash-table)) (hash-table-set! h (list inner inner) 'shared)""")
    assert run(sx, "(hash-table-ref/default h (list (list f) (list f)) #f)") == "shared"
    # anonymous procedures print alike; their order still matters
    sx.eval("(define a (lambda () 1)) (define b (lambda () 2)) (hash-table-set! h (list a b) 'ab)")
    assert run(sx, "(hash-table-ref/default h (list b a) #f)") == "#f"
    assert run(sx, "(hash-table-ref/default h (list a b) #f)") == "ab"


def test_cyclic_keys_end(sx):
    sx.eval("""(define c (list 1 car 3)) (set-cdr! (cddr c) c)
      (define v (vector 1 car)) (vector-set! v 0 v)
      (define h (make-hash-table)) (hash-table-set! h c 'cycle) (hash-table-set! h v 'vector-cycle)""")
    assert run(sx, "(list (hash-table-ref/default h c #f) (hash-table-ref/default h v #f))") == "(cycle vector-cycle)"
