"""Whole procedures compiled to Python source (sxflow/procedures.py), tested against a reference evaluator.

Random well-formed programs — tail and non-tail recursion, named-let loops, closures
with ``set!``, guard/raise, redefinition of globals and of builtins, deep data — run
in sxflow and in tests/reference_scheme.py; values, output and raised payloads must
agree. Direct tests then pin what the generated code must keep: errors, positions,
traces, deep recursion, redefinition.
"""

import io
import os
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sxflow import ErrorObject, Interpreter, SchemeError, Symbol, read_all, write_string
from sxflow.runtime import Closure

from reference_scheme import Fault, run_program

# -- the program generator -------------------------------------------------------

NUMBER = st.integers(min_value=-20, max_value=20)


@st.composite
def expression(draw, variables, depth, procedures=()):
    """An integer-valued expression over ``variables`` (never a type error, always terminating)."""
    choices = ["number", "variable"] if depth <= 0 else [
        "number", "variable", "arithmetic", "if", "let", "let*", "cond", "and-or", "list", "call",
        "guard", "display", "when", "case", "do", "closure",
    ]
    kind = draw(st.sampled_from(choices))
    sub = lambda names=variables: expression(names, depth - 1, procedures)  # noqa: E731
    if kind == "number" or (kind == "variable" and not variables):
        return str(draw(NUMBER))
    if kind == "variable":
        return draw(st.sampled_from(variables))
    if kind == "arithmetic":
        operator = draw(st.sampled_from(["+", "-", "*"]))
        return f"({operator} {draw(sub())} {draw(sub())})"
    if kind == "if":
        test = draw(st.sampled_from(["<", ">", "="]))
        return f"(if ({test} {draw(sub())} {draw(sub())}) {draw(sub())} {draw(sub())})"
    if kind == "let":
        name = f"v{depth}{draw(st.integers(0, 3))}"
        return f"(let (({name} {draw(sub())})) {draw(sub(variables + [name]))})"
    if kind == "let*":
        first, second = f"a{depth}", f"b{depth}"
        return (f"(let* (({first} {draw(sub())}) ({second} (+ {first} {draw(sub())}))) "
                f"{draw(sub(variables + [first, second]))})")
    if kind == "cond":
        return (f"(cond ((< {draw(sub())} {draw(sub())}) {draw(sub())}) "
                f"((= {draw(sub())} 0) {draw(sub())}) (else {draw(sub())}))")
    if kind == "and-or":
        junction = draw(st.sampled_from(["and", "or"]))
        return f"(if ({junction} (< {draw(sub())} 0) (> {draw(sub())} 0)) {draw(sub())} {draw(sub())})"
    if kind == "list":
        return f"(car (cdr (list {draw(sub())} {draw(sub())} {draw(sub())})))"
    if kind == "call" and procedures:
        name = draw(st.sampled_from(procedures))
        return f"({name} {draw(sub())} {draw(sub())})"
    if kind == "guard":
        payload = draw(st.sampled_from(["'boom", "7", "(list 1 2)"]))
        return (f"(guard (e ((symbol? e) {draw(sub())}) ((number? e) (+ e {draw(sub())})))"
                f" (if (< {draw(sub())} 0) (raise {payload}) {draw(sub())}))")
    if kind == "display":
        return f"(begin (display {draw(sub())}) (display \" \") {draw(sub())})"
    if kind == "case":
        return (f"(case {draw(sub())} ((0 1 2) {draw(sub())}) ((-1 -2 -3) {draw(sub())}) "
                f"(else {draw(sub())}))")
    if kind == "do":
        name = f"d{depth}"
        # Counting down with -: a program may redefine + so that (+ d 1) is d.
        return (f"(do (({name} {draw(st.integers(0, 4))} (- {name} 1)) "
                f"(s{depth} 0 (+ s{depth} {draw(sub(variables + [name]))}))) ((< {name} 1) s{depth}))")
    if kind == "closure":  # a closure made and called at once, over the variables in scope
        name = f"c{depth}"
        return f"((lambda ({name}) (+ {name} {draw(sub(variables + [name]))})) {draw(sub())})"
    if kind == "when":
        word = draw(st.sampled_from(["when", "unless"]))
        return f"(begin ({word} (< {draw(sub())} 0) (display 'w)) {draw(sub())})"
    return str(draw(NUMBER))


@st.composite
def program(draw):
    """Definitions of procedures of every kind, uses of them, redefinitions, and a final result list."""
    forms = [f"(define g {draw(NUMBER)})"]
    procedures = []
    # Two-argument helpers over their parameters and the global g.
    for index in range(draw(st.integers(1, 3))):
        name = f"f{index}"
        body = draw(expression(["x", "y", "g"], 3, tuple(procedures)))
        if draw(st.booleans()):
            body = f"(begin (set! x (+ x 1)) {body})"  # set! of a parameter: the nodes' path
        forms.append(f"(define ({name} x y) {body})")
        procedures.append(name)
    step = draw(expression(["i", "acc"], 2, tuple(procedures)))
    forms.append(f"(define (tail-loop i acc) (if (< i 1) acc (tail-loop (- i 1) (+ {step} 0))))")
    forms.append(f"(define (named-loop n) (let loop ((i n) (acc 0)) (if (= i 0) acc (loop (- i 1) (- {step} acc)))))")
    leaf = draw(expression(["n"], 2, tuple(procedures)))
    forms.append(f"(define (deep n) (if (= n 0) {leaf} (+ 1 (deep (- n 1)))))")
    forms.append("(define (build n) (if (= n 0) '() (cons n (build (- n 1)))))")
    forms.append(f"(define (make-counter) (let ((c 0)) (lambda (k) (set! c (+ (+ c k) {draw(NUMBER)})) c)))")
    forms.append("(define counter (make-counter))")
    # Closures over loop variables (each iteration its own binding), set! of captured and
    # local variables, internal definitions, case on symbols, deep data.
    forms.append("(define (sum-calls fs v) (if (null? fs) 0 (+ ((car fs) v) (sum-calls (cdr fs) v))))")
    forms.append("(define (adders n) (let loop ((i n) (acc '())) (if (< i 1) acc (loop (- i 1) (cons (lambda (x) (+ x i)) acc)))))")
    forms.append("(define (do-thunks n) (do ((i n (- i 1)) (fs '() (cons (lambda (x) (* x i)) fs))) ((< i 1) fs)))")
    forms.append(f"(define (accumulate n) (let ((total {draw(NUMBER)})) (do ((i n (- i 1))) ((< i 1) total) "
                 f"(set! total (+ total {draw(expression(['i', 'n', 'total'], 1))})))))")
    forms.append(f"(define (with-helper n) (define (helper k) (if (< k 1) 0 (+ k (helper (- k 1))))) "
                 f"(define base {draw(expression(['n'], 1))}) (+ (helper n) base))")
    forms.append("(define (kind s) (case s ((a e i o u) 'vowel) ((y) 'sometimes) (else 'consonant)))")
    forms.append("(define (nest n) (if (= n 0) '() (list (nest (- n 1)))))")
    forms.append("(define (depth t) (if (null? t) 0 (+ 1 (depth (car t)))))")
    forms.append("(define (swap-counter) (let ((a 1) (b 2)) (lambda () (let ((t a)) (set! a b) (set! b (+ t b)) a))))")
    forms.append("(define (odd-raise n) (if (< n 0) (raise 'negative) (* n 2)))")
    # An internal definition looping by its own tail call; a named let continued from the one inside it.
    forms.append(f"(define (inner-loop n) (define (step i acc) (if (< i 1) acc (step (- i 1) (+ {step} 0))))"
                 f" (step n {draw(NUMBER)}))")
    forms.append("(define (nested-loops n) (let outer ((i n) (acc '())) (if (< i 1) (length acc)"
                 " (let inner ((j i) (acc acc)) (if (< j 1) (outer (- i 1) acc) (inner (- j 2) (cons j acc)))))))")
    uses = []
    for _ in range(draw(st.integers(2, 5))):
        kind = draw(st.sampled_from(["call", "tail", "named", "deep", "data", "counter", "raise", "guarded",
                                     "adders", "thunks", "accumulate", "helper", "case", "nest", "swap",
                                     "inner-loop", "nested-loops"]))
        argument = draw(expression([], 2, tuple(procedures)))
        if kind == "call":
            uses.append(f"({draw(st.sampled_from(procedures))} {argument} {draw(NUMBER)})")
        elif kind == "tail":
            uses.append(f"(tail-loop {draw(st.integers(0, 300))} {argument})")
        elif kind == "named":
            uses.append(f"(named-loop {draw(st.integers(0, 300))})")
        elif kind == "deep":
            uses.append(f"(deep {draw(st.integers(0, 150))})")
        elif kind == "data":
            uses.append(f"(length (build {draw(st.integers(0, 150))}))")
        elif kind == "counter":
            uses.append(f"(begin (counter {argument}) (counter 1))")
        elif kind == "raise":
            uses.append(f"(odd-raise {argument})")
        elif kind == "guarded":
            uses.append(f"(guard (e ((symbol? e) 'caught)) (odd-raise {argument}))")
        elif kind == "adders":
            uses.append(f"(sum-calls (adders {draw(st.integers(0, 6))}) {argument})")
        elif kind == "thunks":
            uses.append(f"(sum-calls (do-thunks {draw(st.integers(0, 6))}) {argument})")
        elif kind == "accumulate":
            uses.append(f"(accumulate {draw(st.integers(0, 30))})")
        elif kind == "helper":
            uses.append(f"(with-helper {draw(st.integers(0, 30))})")
        elif kind == "case":
            uses.append(f"(kind '{draw(st.sampled_from(['a', 'y', 'z', 'o']))})")
        elif kind == "nest":
            uses.append(f"(depth (nest {draw(st.integers(0, 400))}))")
        elif kind == "inner-loop":
            uses.append(f"(inner-loop {draw(st.integers(0, 300))})")
        elif kind == "nested-loops":
            uses.append(f"(nested-loops {draw(st.integers(0, 40))})")
        else:
            uses.append("(let ((s (swap-counter))) (s) (s) (s))")
    forms.append(f"(define first-results (list {' '.join(uses)}))")
    # Redefine a global and a builtin the compiled procedures use, then run them again.
    forms.append(f"(set! g {draw(NUMBER)})")
    if draw(st.booleans()):
        forms.append(f"(define (+ a b) (- a (- 0 b) {draw(st.sampled_from(['0', '1']))}))")
    if draw(st.booleans()):
        forms.append("(define (car pair) (cdr pair))")
    if draw(st.booleans()):
        # A builtin redefined in the middle of a procedure that inlines it.
        forms.append("(define (redefine-mid x) (let ((a (* x 2))) (set! * (lambda (p q) (- p q))) (* a 3)))")
        forms.append(f"(define mid-result (redefine-mid {draw(NUMBER)}))")
    forms.append(f"(list first-results {' '.join(uses)})")
    return "\n".join(forms)


def run_sxflow(text: str):
    output = io.StringIO()
    interpreter = Interpreter(output=output)
    try:
        value = interpreter.eval(text)
    except SchemeError as error:
        return ("raised", error.payload, output.getvalue())
    return ("value", value, output.getvalue())


def same(left, right) -> bool:
    return write_string(left) == write_string(right)


@settings(max_examples=int(os.environ.get("SXFLOW_DIFFERENTIAL_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(program())
def test_random_programs_agree_with_the_reference_evaluator(text):
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # the reference evaluator recurses in Python
    try:
        expected = run_program(read_all(text))
    finally:
        sys.setrecursionlimit(limit)
    outcome = run_sxflow(text)
    assert outcome[0] == expected[0], (text, outcome, expected)
    if outcome[0] == "raised" and type(expected[1]) is Fault:
        # A runtime fault: the reference names its kind; sxflow raises an error object.
        assert type(outcome[1]) is ErrorObject, (text, outcome)
    else:
        assert same(outcome[1], expected[1]), (text, write_string(outcome[1]), write_string(expected[1]))
    assert outcome[2] == expected[2], text


# -- what the generated code must keep ------------------------------------------------


@pytest.fixture
def interp():
    return Interpreter()


def is_generated(closure) -> bool:
    # A generated procedure converts its own failures (a node-backed one leaves that to its nodes).
    return type(closure) is Closure and "procedure_failed" in closure.procedure.__code__.co_names


def test_common_procedures_are_generated_and_others_keep_the_nodes(interp):
    interp.eval("""
      (define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
      (define (sum n) (let loop ((i 0) (t 0)) (if (> i n) t (loop (+ i 1) (+ t i)))))
      (define (counter) (let ((c 0)) (lambda () (set! c (+ c 1)) c)))
      (define (adders n) (let loop ((i n) (fs '())) (if (= i 0) fs (loop (- i 1) (cons (lambda (x) (+ x i)) fs)))))""")
    assert is_generated(interp["fib"]) and is_generated(interp["sum"])
    # An inner lambda is a nested def (set! of its captured variable through nonlocal).
    assert is_generated(interp["counter"]) and is_generated(interp.eval("(counter)"))
    # A closure over a loop variable needs a fresh binding each turn: left to the nodes.
    assert not is_generated(interp["adders"])
    assert interp.eval("(let ((f (car (adders 3)))) (f 10))") == 11
    assert interp.eval("(fib 20)") == 6765
    assert interp.eval("(sum 100)") == 5050


@pytest.mark.slow
def test_million_deep_recursion_and_ten_million_tail_loop(interp):
    interp.eval("(define (count n) (if (= n 0) 0 (+ 1 (count (- n 1)))))")
    assert is_generated(interp["count"])
    assert interp.eval("(count 1000000)") == 1_000_000
    interp.eval("(define (loop i) (if (< i 3000000) (loop (+ i 1)) i))")
    assert interp.eval("(loop 0)") == 3_000_000


def test_mutual_tail_calls_between_generated_procedures_use_constant_stack(interp):
    interp.eval("""
      (define (my-even? n) (if (= n 0) #t (my-odd? (- n 1))))
      (define (my-odd? n) (if (= n 0) #f (my-even? (- n 1))))""")
    assert interp.eval("(my-even? 1000001)") is False


def test_errors_keep_message_position_and_trace(interp):
    interp.eval('(define (bad x)\n  (+ x "a"))\n(define (outer y) (* 2 (bad y)))', filename="errors.sx")
    assert is_generated(interp["bad"]) and is_generated(interp["outer"])
    with pytest.raises(SchemeError) as caught:
        interp.eval("(outer 1)", filename="use.sx")
    text = str(caught.value)
    assert '+: expected a number as argument 2, got "a"' in text
    assert "errors.sx:2:3" in text
    assert "bad" in text and "errors.sx:3:24" in text  # the trace names the call site in outer


def test_unbound_global_and_non_procedure_messages(interp):
    interp.eval("(define (uses-missing) (+ 1 missing-thing))\n(define (calls-number) (5 1))", filename="u.sx")
    with pytest.raises(SchemeError, match=r"unbound variable: missing-thing") as caught:
        interp.eval("(uses-missing)")
    assert "u.sx:1:29" in str(caught.value)
    with pytest.raises(SchemeError, match=r"not a procedure: 5"):
        interp.eval("(calls-number)")


def test_redefining_a_builtin_is_seen_by_compiled_procedures(interp):
    interp.eval("(define (first-of p) (car p))")
    assert interp.eval("(first-of '(1 2))") == 1
    interp.eval("(define (car p) 'mine)")
    assert interp.eval("(first-of '(1 2))").name == "mine"


def test_a_builtin_redefined_in_the_middle_of_a_loop_is_seen_at_once(interp):
    # The procedure keeps INTACT in a local: a call or a set! of a global must read it again.
    interp.eval("""
      (define original-car car)
      (define (switch!) (set! car cdr))
      (define (firsts lists switch-at)
        (let loop ((i 0) (result '()))
          (if (= i (vector-length lists))
              (reverse result)
              (begin (if (= i switch-at) (switch!))
                     (loop (+ i 1) (cons (car (vector-ref lists i)) result))))))
      (define (firsts-set lists switch-at)
        (let loop ((i 0) (result '()))
          (if (= i (vector-length lists))
              (reverse result)
              (begin (if (= i switch-at) (set! car cdr))
                     (loop (+ i 1) (cons (car (vector-ref lists i)) result))))))""")
    assert is_generated(interp["firsts"]) and is_generated(interp["firsts-set"])
    assert write_string(interp.eval("(firsts #((1 2) (3 4) (5 6)) 1)")) == "(1 (4) (6))"
    interp.eval("(set! car original-car)")
    assert write_string(interp.eval("(firsts-set #((1 2) (3 4) (5 6)) 2)")) == "(1 3 (6))"


def test_guard_in_a_loop_reads_the_current_loop_variables(interp):
    # The clause tests are one def per call of the procedure, not one per turn of the loop.
    interp.eval("""
      (define (classify limit)
        (let loop ((i 0) (result '()))
          (if (= i limit)
              (reverse result)
              (loop (+ i 1)
                    (cons (guard (e ((symbol? e) e) ((= e i) 'same))
                            (if (even? i) (raise i) (raise 'odd)))
                          result)))))""")
    assert is_generated(interp["classify"])
    assert write_string(interp.eval("(classify 4)")) == "(same odd same odd)"
    with pytest.raises(SchemeError, match="uncaught raise: 7"):
        interp.eval("(guard (e ((string? e) e)) (classify 4) (raise 7))")


def test_parameter_type_tests_before_the_loop_follow_rebinding(interp):
    # A parameter the self tail call never rebinds is type-tested once; one it rebinds, each turn.
    interp.eval("""
      (define (count-equal key items n)
        (cond ((null? items) n)
              ((= key (car items)) (count-equal key (cdr items) (+ n 1)))
              (else (count-equal key (cdr items) n))))""")
    assert is_generated(interp["count-equal"])
    assert interp.eval("(count-equal 2 '(1 2 3 2 2) 0)") == 3
    assert interp.eval("(count-equal 2.0 '(1 2 3 2 2) 0)") == 3
    assert interp.eval("(count-equal 2 '(1 2.0 3 2 2) 0.0)") == 3.0
    with pytest.raises(SchemeError, match=r'=: expected a number as argument 2, got "x"'):
        interp.eval("(count-equal 2 '(1 \"x\") 0)")


def test_float_arithmetic_is_inlined_and_agrees_with_the_builtins(interp):
    # Two floats, or a float and a small integer literal, take the inlined path after the
    # two-ints one; everything else (mixed variables, huge ints, strings) goes to the builtin.
    interp.eval("""
      (define (fibfp n) (if (< n 2.) n (+ (fibfp (- n 1.)) (fibfp (- n 2.)))))
      (define (mix a b) (list (+ a b) (- a b) (* a b) (- a) (< a b) (= a b) (>= a 2) (* a 2)))
      (define (scale a) (* a 1.5))""")
    assert is_generated(interp["fibfp"]) and is_generated(interp["mix"])
    assert interp.eval("(fibfp 15.)") == 610.0
    assert interp.eval("(fibfp 15)") == 610
    for a, b in (("2.5", "0.5"), ("3", "0.5"), ("0.5", "3"), ("7", "2"), ("1/2", "2.0"), ("(expt 10 400)", "1.5")):
        assert write_string(interp.eval(f"(mix {a} {b})")) == write_string(interp.eval(
            f"(let ((a {a}) (b {b})) (map (lambda (f) (f)) (list (lambda () (apply + (list a b))) "
            f"(lambda () (apply - (list a b))) (lambda () (apply * (list a b))) (lambda () (apply - (list a))) "
            f"(lambda () (apply < (list a b))) (lambda () (apply = (list a b))) (lambda () (apply >= (list a 2))) "
            f"(lambda () (apply * (list a 2))))))"))
    with pytest.raises(SchemeError, match=r'\*: expected a number as argument 1, got "x"'):
        interp.eval('(scale "x")')
    assert interp.eval("(scale 2.0)") == 3.0 and interp.eval("(scale 2)") == 3.0


def test_list_and_three_operand_product_are_inlined(interp):
    interp.eval("""
      (define (triple a b c) (list (* a b c) (list a) (list a b) (list a b c) (list a b c a)))""", filename="t.sx")
    assert is_generated(interp["triple"])
    assert write_string(interp.eval("(triple 2 3 4)")) == "(24 (2) (2 3) (2 3 4) (2 3 4 2))"
    assert write_string(interp.eval("(triple 2. 3. -0.)")) == "(-0.0 (2.0) (2.0 3.0) (2.0 3.0 -0.0) (2.0 3.0 -0.0 2.0))"
    assert write_string(interp.eval("(triple 1/2 4 1.5)")) == "(3.0 (1/2) (1/2 4) (1/2 4 1.5) (1/2 4 1.5 1/2))"
    with pytest.raises(SchemeError) as caught:
        interp.eval('(triple 1 2 "x")')
    assert str(caught.value).startswith('t.sx:2:36: *: expected a number as argument 3, got "x"')


def test_two_and_three_step_accessors_are_inlined_and_fail_as_the_builtins_do(interp):
    interp.eval("(define (parts l) (list (cadr l) (cddr l) (caddr l) (caar l)))", filename="c.sx")
    assert is_generated(interp["parts"])
    assert write_string(interp.eval("(parts '((1) 2 3))")) == "(2 (3) 3 1)"
    for call, message in (("(parts '((1) 2))", "c.sx:1:43: caddr: expected a pair"),
                          ("(parts '(1 2 3))", "c.sx:1:53: caar: expected a pair"),
                          ("(parts '(1))", "c.sx:1:25: cadr: expected a pair")):
        with pytest.raises(SchemeError) as caught:
            interp.eval(call)
        assert str(caught.value).startswith(message), str(caught.value)


# Builtins with inline forms guarded by a further condition, and the operands each is
# tried with: the guard's cases, the fallback's (negative, zero, wrong type, out of range);
# the last one fails. Then a piece of the inline form, to see it is in the generated code.
_GUARDED_INLINES = {
    "quotient": (["17 5", "0 3", "-17 5", "17 -5", "-17 -5", "(expt 10 30) 7", "17.0 5", "7 2.5", "17 0"], "//"),
    "remainder": (["17 5", "0 3", "-17 5", "17 -5", "-17 -5", "(expt 10 30) 7", "17.0 5", "'a 5"], "%"),
    "modulo": (["17 5", "-17 5", "17 -5", "-17 -5", "(expt 10 30) -7", "17.0 5", "17 0", "5 'a"], "%"),
    "positive?": (["3", "0", "-3", "2.5", "-0.0", "1/2", "'a"], "> 0"),
    "negative?": (["3", "0", "-3", "-2.5", "0.0", "-1/2", '"x"'], "< 0"),
    "string-length": (['"abc"', '""', "'abc"], "len("),
    "string-ref": (['"abc" 0', '"abc" 2', '"λx" 0', '"abc" -1', "'abc 0", '"abc" 1.0', '"abc" 3'], "CHARACTERS.get("),
    "symbol->string": (["'abc", "'|a b|", '"abc"'], ".name"),
    "char->integer": (["#\\a", "#\\λ", "97"], "ord("),
    "vector-length": (["(vector 1 2)", "(vector)", "'(1 2)"], "len("),
    "set-car!": (["(list 1 2) 9", "'(1 2) 9", "5 9", "'() 9"], "'car'"),
    "set-cdr!": (["(list 1 2) 9", "'(1 2) 9", "(vector 1) 9", "'() 9"], "'cdr'"),
    **{name: (["0.5", "-0.0", "2.0", "-1.0", "1e300", "+nan.0", "+inf.0", "-inf.0", "1", "1/2", "+i", '"a"'],
              f"math.{name}(") for name in ("sin", "cos", "tan", "asin", "acos", "atan")},
}


@pytest.mark.parametrize("name", sorted(_GUARDED_INLINES))
def test_inlined_builtins_agree_with_the_builtin_called_through_apply(interp, name):
    """Each inline form gives the builtin's value, or the builtin's own error at the call's position."""
    import linecache

    operand_lists, fragment = _GUARDED_INLINES[name]
    one, two = f"({name} x)", f"({name} x (car y))"
    definition = (f"(define (inlined . arguments) (let ((x (car arguments)) (y (cdr arguments)))"
                  f" (if (null? y) {one} {two})))")
    interp.eval(definition, filename="g.sx")
    interp.eval("(define (outcome thunk) (guard (e ((error-object? e) (list 'error (error-object-message e))))"
                " (thunk)))")
    procedure = interp["inlined"]
    assert is_generated(procedure)
    assert fragment in "".join(linecache.getlines(procedure.procedure.__code__.co_filename))
    for operands in operand_lists:
        inlined = write_string(interp.eval(f"(outcome (lambda () (inlined {operands})))"))
        applied = write_string(interp.eval(f"(outcome (lambda () (apply {name} (list {operands}))))"))
        assert inlined == applied, (name, operands)
    failing = operand_lists[-1]
    one_operand = name in ("positive?", "negative?", "string-length", "symbol->string", "char->integer",
                           "vector-length", "sin", "cos", "tan", "asin", "acos", "atan")
    column = definition.index(one if one_operand else two) + 1
    with pytest.raises(SchemeError) as caught:
        interp.eval(f"(inlined {failing})")
    assert str(caught.value).startswith(f"g.sx:1:{column}: {name}: "), str(caught.value)
    interp.eval(f"(set! {name} (lambda arguments (cons 'redefined arguments)))")
    assert write_string(interp.eval(f"(inlined {operand_lists[0]})")).startswith("(redefined ")


@pytest.mark.parametrize("name", ["eq?", "eqv?"])
def test_inlined_eq_and_eqv_agree_with_the_builtin(interp, name):
    import linecache

    interp.eval(f"(define (same? a b) ({name} a b))")
    assert " in EQV_BY_VALUE" in "".join(linecache.getlines(interp["same?"].procedure.__code__.co_filename))
    for operands in ["'a 'a", "'a 'b", "1 1", "1 1.0", "2.5 2.5", "#\\a #\\a", "#\\a #\\b", '"x" "x"',
                     "'() '()", "(list 1) (list 1)", "+nan.0 +nan.0", "(expt 10 30) (expt 10 30)", "1/2 1/2",
                     "#t #t", "#t 1", "0 #f", "car car", "(string->symbol \"a\") 'a"]:
        assert interp.eval(f"(same? {operands})") is interp.eval(f"(apply {name} (list {operands}))"), operands
    interp.eval(f"(set! {name} (lambda (a b) 'redefined))")
    assert interp.eval("(same? 1 1)") is Symbol("redefined")


def test_an_internal_definition_calling_itself_in_tail_position_loops_in_place(interp):
    import linecache

    interp.eval("(define (count-to n) (define (step i sum) (if (= i n) sum (step (+ i 1) (+ sum 1)))) (step 0 0))",
                filename="i.sx")
    procedure = interp["count-to"]
    assert is_generated(procedure)
    source = "".join(linecache.getlines(procedure.procedure.__code__.co_filename))
    assert "if v_step_" in source and " is lambda" in source  # the self call checks the variable, then loops
    assert interp.eval("(count-to 1000000)") == 1_000_000
    # A closure keeping a parameter the loop would rebind: each keeps its own (tail calls instead).
    interp.eval("(define (collect n) (define (go i acc) (if (= i 0) acc (go (- i 1) (cons (lambda () i) acc))))"
                " (map (lambda (f) (f)) (go n '())))")
    assert write_string(interp.eval("(collect 3)")) == "(1 2 3)"
    # The variable assigned in the middle: the next call goes to its new value.
    interp.eval("(define (swap n) (define (g i) (if (= i 0) 'done (begin (if (= i 5) (set! g (lambda (i)"
                " (list 'replaced i)))) (g (- i 1))))) (g n))")
    assert write_string(interp.eval("(swap 10)")) == "(replaced 4)"
    interp.eval("(define (down n) (define (g) (if (= n 0) 'zero (begin (set! n (- n 1)) (g)))) (g))")
    assert interp.eval("(down 5)") is Symbol("zero")
    # Errors after some turns: the same message, position and trace as a tail call gives.
    interp.eval("(define (walk-off l) (define (walk l n) (if (= n 0) (car l) (walk (cdr l) (- n 1)))) (walk l 5))",
                filename="w.sx")
    with pytest.raises(SchemeError) as caught:
        interp.eval("(walk-off '(1 2))", filename="call.sx")
    assert str(caught.value).splitlines()[0] == "w.sx:1:67: cdr: expected a pair, got ()"
    assert str(caught.value).splitlines()[-1] == "  call.sx:1:1: call to walk-off"
    interp.eval("(define (short n) (define (g i) (if (= i 0) 'done (g))) (g n))", filename="a.sx")
    with pytest.raises(SchemeError) as caught:
        interp.eval("(short 3)")
    assert str(caught.value).startswith("a.sx:1:51: g: expected 1 argument, got 0")


@pytest.mark.parametrize("definition, call, expected", [
    # The outer named let returns the procedure's value, is bound to a variable, or is an effect.
    ("(define (f n) (let loop ((i 0) (acc '())) (if (= i n) (reverse acc) (let inner ((k 0) (acc acc))"
     " (if (< k i) (inner (+ k 1) (cons k acc)) (loop (+ i 1) acc))))))", "(f 4)", "(0 0 1 0 1 2)"),
    ("(define (f n) (let ((r (let loop ((i 0) (s 0)) (if (= i n) s (let bit ((m i) (s s)) (if (> m 0)"
     " (bit (quotient m 2) (+ s 1)) (loop (+ i 1) s))))))) (list 'bits r)))", "(f 10)", "(bits 25)"),
    ("(define (f n) (let loop ((i 0)) (if (< i n) (let bit ((m i)) (if (> m 0) (bit (- m 1)) (loop (+ i 1))))))"
     " 'done)", "(f 5)", "done"),
    ("(define (f n) (let loop ((i 0)) (if (= i n) i (let bit ((m 0)) (if (< m 1) (bit (+ m 1)) (loop (+ i 1)))))))",
     "(f 200000)", "200000"),
])
def test_a_tail_call_of_the_named_let_around_continues_it_in_place(interp, definition, call, expected):
    interp.eval(definition)
    assert is_generated(interp["f"])  # before, such a call left the whole procedure to the nodes
    assert write_string(interp.eval(call)) == expected


def test_continuing_the_named_let_around_keeps_errors_and_the_other_cases(interp):
    # A failure after some turns: the same message and position as ever.
    interp.eval("(define (e n) (let loop ((i 0)) (let bit ((m i)) (if (> m 2) (car m)"
                " (if (> m 0) (bit (- m 1)) (loop (+ i 1)))))))", filename="e.sx")
    assert is_generated(interp["e"])
    with pytest.raises(SchemeError) as caught:
        interp.eval("(e 0)")
    assert str(caught.value).startswith("e.sx:1:62: car: expected a pair, got 3")
    # The wrong number of operands: left to the nodes, which say so.
    interp.eval("(define (w n) (let loop ((i 0)) (let bit ((m i)) (if (> m 0) (bit (- m 1)) (loop)))))", filename="w.sx")
    with pytest.raises(SchemeError) as caught:
        interp.eval("(w 0)")
    assert str(caught.value).startswith("w.sx:1:76: loop: expected 1 argument, got 0")
    # A closure keeping the outer loop's variable: each keeps its own.
    interp.eval("(define (c n) (let loop ((i 0) (fs '())) (if (= i n) (map (lambda (f) (f)) fs) (let inner ((k 0))"
                " (if (< k 1) (inner (+ k 1)) (loop (+ i 1) (cons (lambda () i) fs)))))))")
    assert write_string(interp.eval("(c 3)")) == "(2 1 0)"
    # Not in tail position of the outer loop, or two loops out: values as ever.
    interp.eval("(define (p n) (let loop ((i 0) (t 0)) (if (= i n) t (loop (+ i 1) (+ t (let inner ((k i) (s 0))"
                " (if (= k 0) s (inner (- k 1) (+ s k)))))))))")
    assert interp.eval("(p 5)") == 20
    interp.eval("(define (t3 n) (let a ((i 0)) (if (= i n) i (let b ((j 0)) (let c ((k 0))"
                " (if (< k 1) (c (+ k 1)) (a (+ i 1))))))))")
    assert interp.eval("(t3 3)") == 3


def test_vector_ref_and_set_are_inlined_with_bounds_checks(interp):
    # Inlined only for a vector and an index within it; anything else is the builtin's own error.
    interp.eval("""
      (define (reverse! v)
        (do ((i 0 (+ i 1)) (j (- (vector-length v) 1) (- j 1))) ((>= i j) v)
          (let ((x (vector-ref v i))) (vector-set! v i (vector-ref v j)) (vector-set! v j x))))
      (define (at v k) (vector-ref v k))
      (define (put! v k x) (vector-set! v k x))""", filename="v.sx")
    assert is_generated(interp["reverse!"]) and is_generated(interp["at"])
    assert write_string(interp.eval("(reverse! (vector 1 2 3 4 5))")) == "#(5 4 3 2 1)"
    assert interp.eval("(put! (vector 1 2) 1 'x)") is None
    for call, message in (("(at (vector 1 2) 2)", "v.sx:5:24: vector-ref: index 2 out of range for a vector of length 2"),
                          ("(at (vector 1 2) -1)", "v.sx:5:24: vector-ref: index -1 out of range"),
                          ("(at '(1 2) 0)", "v.sx:5:24: vector-ref: expected a vector"),
                          ("(put! (vector 1) 1 0)", "v.sx:6:28: vector-set!: index 1 out of range")):
        with pytest.raises(SchemeError) as caught:
            interp.eval(call)
        assert str(caught.value).startswith(message), str(caught.value)


def test_guard_catches_errors_raised_inside_generated_code(interp):
    interp.eval("(define (risky x) (if (< x 0) (raise 'negative) (car x)))")
    assert interp.eval("(guard (e ((symbol? e) e)) (risky -1))").name == "negative"
    assert interp.eval("(guard (e ((error-object? e) (error-object-message e))) (risky 5))").startswith("car:")


def test_python_tuple_values_pass_through_generated_code(interp):
    from sxflow import Symbol

    interp.environment.define(Symbol("tuple-value"), ("a", "b"))
    interp.eval("(define (get) (if #t tuple-value 0))")
    assert interp.eval("(get)") == ("a", "b")


def test_guard_in_generated_code_keeps_positions_and_traces(interp):
    interp.eval("(define (f) (guard (e ((car e) 1)) (raise 5)))\n"
                "(define (g x) (guard (e (#f 0)) (raise x)))", filename="g.sx")
    assert is_generated(interp["f"]) and is_generated(interp["g"])
    with pytest.raises(SchemeError) as caught:
        interp.eval("(f)", filename="use.sx")
    text = str(caught.value)
    # The clause test failed at the raise point: its position, then the raise in the trace.
    assert "g.sx:1:24: car: expected a pair, got 5" in text and "g.sx:1:36: call to raise" in text
    with pytest.raises(SchemeError) as caught:
        interp.eval("(g 'boom)", filename="use.sx")
    assert str(caught.value).startswith("g.sx:2:33: uncaught raise: boom")
    assert "use.sx:1:1: call to g" in str(caught.value)


def test_inner_lambdas_case_do_and_internal_definitions_are_generated(interp):
    interp.eval("""
      (define (kind s) (case s ((a e i o u) 'vowel) ((y) 'sometimes) (else 'consonant)))
      (define (total n) (let ((sum 0)) (do ((i n (- i 1))) ((< i 1) sum) (set! sum (+ sum i)))))
      (define (tri n) (define (helper k) (if (< k 1) 0 (+ k (helper (- k 1))))) (helper n))
      (define (early f) (define a (f)) (define b 1) a)""")
    for name in ("kind", "total", "tri", "early"):
        assert is_generated(interp[name]), name
    assert interp.eval("(list (kind 'e) (kind 'y) (kind 'z) (total 10) (tri 4))") == interp.eval(
        "'(vowel sometimes consonant 55 10)")
    with pytest.raises(SchemeError, match="variable b used before its definition"):
        interp.eval("(define (early2) (define a b) (define b 1) a) (early2)")
