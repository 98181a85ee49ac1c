"""sxflow check: syntax errors (all of them, with carets) and references to globals nothing defines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sxflow.check import check_files, read_with_recovery, toplevel_starts
from sxflow.flow import flow_library_directory

REPOSITORY = Path(__file__).resolve().parent.parent


def unknown(text: str, *, flow: bool = False, name: str = "t.sx") -> list[str]:
    """The names check reports as unknown globals in ``text``."""
    report = check_files([(name, text)], flow=flow)
    assert not report.errors, [str(error) for error in report.errors]
    return [warning.message.split("'")[1] for warning in report.warnings]


def run_check(*args, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "sxflow", "check", *args], capture_output=True, text=True,
                          timeout=30, cwd=cwd, env=env)


# -- the command ----------------------------------------------------------------------


def test_clean_files_pass_silently(tmp_path):
    path = tmp_path / "ok.sx"
    path.write_text("(define (f x) (* x 2))\n(display (f 2))\n", encoding="utf-8")
    result = run_check(str(path))
    assert result.returncode == 0
    assert result.stdout == "" and result.stderr == ""


def test_the_flow_library_itself_is_clean():
    directory = flow_library_directory()
    result = run_check(str(directory / "store.sx"), str(directory / "remote.sx"), str(directory / "run.sx"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_every_syntax_error_is_reported_and_exits_1(tmp_path):
    path = tmp_path / "bad.sx"
    path.write_text(
        "(define (ok) 1)\n"
        "(define (missing-paren x)\n"
        "  (+ x 1)\n"
        "(define (fine) 2)\n"
        "(display \"a\"))\n"
        "(define s \"unterminated)\n",
        encoding="utf-8",
    )
    result = run_check(str(path))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert f"{path}:2:1: unclosed '(' opened at 2:1" in lines
    assert lines[lines.index(f"{path}:2:1: unclosed '(' opened at 2:1") + 1:][:2] == [
        "  (define (missing-paren x)", "  ^"]
    assert f"{path}:5:14: unexpected ')' at 5:14" in lines
    assert f"{path}:6:11: unterminated string starting at 6:11" in lines
    assert lines[-1] == "3 syntax errors, 0 warnings in 1 file"
    assert "Traceback" not in result.stderr


def test_malformed_special_forms_are_syntax_errors(tmp_path):
    path = tmp_path / "forms.sx"
    path.write_text("(define (f) (if))\n(let ((x)) x)\n", encoding="utf-8")
    result = run_check(str(path))
    assert result.returncode == 1
    assert f"{path}:1:13: bad syntax" in result.stderr
    assert f"{path}:2:6: bad syntax" in result.stderr


def test_unknown_global_warning_format_and_exit_0(tmp_path):
    path = tmp_path / "typo.sx"
    path.write_text("(define (foo x) x)\n(define (bar y)\n  (fob y))\n", encoding="utf-8")
    result = run_check(str(path))
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        f"{path}:3:3: warning: unknown global 'fob' (did you mean foo?)",
        "    (fob y))",
        "    ^",
        "0 syntax errors, 1 warning in 1 file",
    ]


def test_globals_defined_in_another_checked_file_are_known(tmp_path):
    (tmp_path / "a.sx").write_text("(define (helper x) x)\n", encoding="utf-8")
    (tmp_path / "b.sx").write_text("(helper 1)\n", encoding="utf-8")
    assert run_check("a.sx", "b.sx", cwd=tmp_path).stderr == ""
    result = run_check("b.sx", cwd=tmp_path)
    assert "b.sx:1:1: warning: unknown global 'helper'" in result.stderr


def test_check_does_not_run_the_program(tmp_path):
    path = tmp_path / "effects.sx"
    path.write_text('(display "ran")\n(exit 9)\n', encoding="utf-8")
    result = run_check(str(path))
    assert result.returncode == 0
    assert result.stdout == ""


def test_missing_file_exits_2(tmp_path):
    result = run_check(str(tmp_path / "nope.sx"))
    assert result.returncode == 2
    assert "nope.sx" in result.stderr


# -- what counts as a reference ----------------------------------------------------------


def test_standard_procedures_and_special_forms_are_known():
    assert unknown("(define (f l) (if (null? l) (quote ()) (map car (cdr l))))\n"
                   "(when #t (and 1 (or 2 3)))\n(unless #f (begin (display 1) (newline)))") == []


def test_flow_library_globals_are_known_unless_no_flow():
    text = "(flow-peer-register! \"a\" (list))\n(flow-store-export)\n"
    assert unknown(text, flow=True) == []
    assert unknown(text, flow=False) == ["flow-peer-register!", "flow-store-export"]


@pytest.mark.parametrize("text", [
    "(lambda (x) x)",
    "(fn (x y) (+ x y))",
    "(lambda args args)",
    "(lambda (a . rest) (cons a rest))",
    "(define (f x) (define inner (* x 2)) (begin (define more 1)) (+ inner more))",
    "(define ((curried a) b) (+ a b))",
    "(let ((x 1) (y 2)) (+ x y))",
    "(let loop ((i 0)) (if (< i 3) (loop (+ i 1)) i))",
    "(let* ((x 1) (y x)) y)",
    "(letrec ((even? (lambda (n) (if (= n 0) #t (odd? (- n 1))))) (odd? (lambda (n) (even? n)))) (even? 2))",
    "(letrec* ((a 1) (b a)) b)",
    "(do ((i 0 (+ i 1)) (acc '() (cons i acc))) ((= i 3) acc) (display i))",
    "(let-values (((a b) (values 1 2)) ((c . d) (values 3 4))) (list a b c d))",
    "(let*-values (((a) (values 1)) ((b) (values a))) b)",
    "(define-values (p q) (values 1 2)) (+ p q)",
    "(guard (e ((symbol? e) e) ((string? e) => string-length) (else (raise e))) (raise 'x))",
    "(guard (e (#t e)) (define inside 1) inside)",
    "(cond ((assv 1 '((1 . 2))) => cdr) (else 'no))",
    "(case 2 ((1 2) 'low) ((3) => (lambda (x) x)) (else 'high))",
    "(define later-global 1) (define (use) later-global)",
    "(define (use) defined-below) (define defined-below 2)",
    "(when #t (define made-in-when 1)) made-in-when",
])
def test_local_bindings_are_not_unknown(text):
    assert unknown(text) == []


def test_a_local_binding_shadows_a_special_form():
    # remote.sx names a parameter `fn`, which is also the SX spelling of lambda.
    assert unknown("(define (apply-it fn x) (fn x))") == []
    assert unknown("(define (g if) (if undefined-a))") == ["undefined-a"]


def test_bindings_do_not_leak_out_of_their_scope():
    assert unknown("(define (f x) x) x") == ["x"]
    assert unknown("(let ((a 1)) a) a") == ["a"]
    assert unknown("(let ((a 1) (b a)) b)") == ["a"]  # let inits do not see each other
    assert unknown("(let loop ((i loop)) i)") == ["loop"]
    assert unknown("(do ((i 0 (+ i 1))) (#t i)) i") == ["i"]
    assert unknown("(guard (e (#t e)) e)") == ["e"]


def test_quoted_data_is_not_code():
    assert unknown("'(fob bar (baz))\n(quote qux)\n#(vector of symbols)\n(case 1 ((unknown-datum) 1))") == []


def test_quasiquote_checks_only_unquoted_parts():
    assert unknown("`(a b ,undefined-one (c ,@undefined-two) . ,undefined-three)") == [
        "undefined-one", "undefined-two", "undefined-three"]
    assert unknown("`#(a ,undefined-v)") == ["undefined-v"]
    # Inside a nested quasiquote, one unquote is still data.
    assert unknown("``(a ,b ,,undefined-deep)") == ["undefined-deep"]


def test_set_of_an_unknown_global_warns():
    assert unknown("(define x 1) (set! x 2) (set! y 3)") == ["y"]


def test_suggestions_include_local_names():
    report = check_files([("t.sx", "(lambda (input) (list inptu))")], flow=False)
    assert report.warnings[0].message == "unknown global 'inptu' (did you mean input?)"


def test_an_operator_is_reported_where_running_reports_it():
    text = "(define (f x) x)\n(display\n  ( fob 1))"
    report = check_files([("t.sx", text)], flow=False)
    warning = report.warnings[0]
    assert (warning.position[1], warning.position[2]) == (3, 3)
    from sxflow import Interpreter, SchemeError

    with pytest.raises(SchemeError) as raised:
        Interpreter().eval(text, "t.sx")
    assert (raised.value.line, raised.value.column) == (3, 3)


def test_each_use_is_reported_once_per_position():
    report = check_files([("t.sx", "(list nope nope)\n(list nope)")], flow=False)
    assert [(w.position[1], w.position[2]) for w in report.warnings] == [(1, 7), (1, 12), (2, 7)]


# -- two-layer flow files: code inside a string given to scheme-parse-all -----------------


TWO_LAYER = '''\
(define my-lib-src "(define (my-double x) (* 2 x))\\n(define (my-broken y) (my-doubel y))")
(define my-load! (fn (env) (begin (scheme-eval-program (scheme-parse-all my-lib-src) env) env)))
'''


def test_code_in_a_loader_string_is_checked():
    report = check_files([("lib.sx", TWO_LAYER)], flow=False)
    assert not report.errors
    [warning] = report.warnings
    assert str(warning).splitlines()[0] == (
        "lib.sx[my-lib-src]:2:23: warning: unknown global 'my-doubel' (did you mean my-double?)")


def test_definitions_in_a_loader_string_are_globals_for_other_files():
    report = check_files([("lib.sx", TWO_LAYER.replace("my-doubel", "my-double")),
                          ("use.sx", "(my-double 2)")], flow=False)
    assert report.warnings == [] and report.errors == []


def test_syntax_errors_in_a_loader_string_are_reported():
    text = '(define src "(define (f x) (+ x 1)")\n(define load! (lambda (env) (scheme-parse-all src)))\n'
    report = check_files([("lib.sx", text)], flow=False)
    [error] = report.errors
    assert str(error).startswith("lib.sx[src]:1:1: unclosed '('")


def test_a_literal_string_given_to_scheme_parse_all_is_checked():
    report = check_files([("t.sx", '(scheme-parse-all "(undefined-in-literal)")')], flow=False)
    assert [w.message for w in report.warnings] == ["unknown global 'undefined-in-literal'"]


# -- reading after an error ------------------------------------------------------------


def test_toplevel_starts_ignore_strings_comments_and_characters():
    text = '(a "\n(not a start")\n;\n(b #\\( #| \n( |#)\n(c)'
    starts = toplevel_starts(text)
    assert [text[start:start + 2] for start in starts] == ["(a", "(b", "(c"]


def test_read_with_recovery_keeps_the_good_forms():
    forms, errors = read_with_recovery("(define a 1)\n(define (b\n(define c 3)\n", "t.sx")
    assert len(errors) == 1
    assert [str(form.cdr.car) for form in forms] == ["a", "c"]


@pytest.mark.slow
def test_long_forms_and_nesting_within_the_limits_are_checked():
    long = "(list " + "1 " * 300_000 + "undefined-long)"
    deep = "(list " * 500 + "undefined-deep" + ")" * 500
    assert unknown(long + "\n" + deep) == ["undefined-long", "undefined-deep"]


def test_the_compiler_reports_the_globals_it_resolves():
    """check's scope analysis is the compiler's: a reporting hook in its name resolution."""
    from sxflow import Interpreter
    from sxflow.compiler import Compiler
    from sxflow.reader import read_all

    heard = []

    class Observer:
        def global_name(self, name, position, scope, defining):
            heard.append((name.name, position[1:] if position else None, defining))

    compiler = Compiler(Interpreter().new_environment("check"))
    compiler.observer = Observer()
    for form in read_all("(define (f x) (g x y))\n(set! z (lambda (y) y))"):
        compiler.compile_toplevel(form)
    assert sorted(heard) == [("f", (1, 1), True), ("g", (1, 15), False), ("y", (1, 20), False),
                             ("z", (2, 1), False)]


@pytest.mark.slow
def test_deeply_nested_quoted_data_checks_quickly():
    depth = 100_000
    assert unknown("'" + "(" * depth + ")" * depth + " (undefined-after)") == ["undefined-after"]


def test_import_names_libraries_not_globals():
    assert unknown("(import (scheme base) (scheme write) (srfi 1))\n(display (bytevector 1 2))\n") == []
    report = check_files([("t.sx", "(import (no such library))\n")], flow=False)
    assert [error.message.split(":")[0] for error in report.errors] == ["import"]

# -- macros -----------------------------------------------------------------------------


def test_names_a_macro_binds_are_not_unknown_globals():
    text = (
        "(define-syntax my-let\n"
        "  (syntax-rules ()\n"
        "    ((_ ((name value) ...) body ...) ((lambda (name ...) body ...) value ...))))\n"
        "(define (f) (my-let ((a 1) (b 2)) (+ a b undefined-in-body)))\n"
        "(define-syntax while\n"
        "  (syntax-rules () ((_ test body ...) (let loop () (when test body ... (loop))))))\n"
        "(define i 0)\n"
        "(while (< i 3) (set! i (+ i 1)))\n"
    )
    assert unknown(text) == ["undefined-in-body"]


def test_the_macro_keyword_itself_is_known_in_every_file():
    report = check_files([("a.sx", "(define-syntax twice (syntax-rules () ((_ e) (begin e e))))\n"),
                          ("b.sx", "(twice (display 1))\n")], flow=False)
    assert not report.errors and not report.warnings


def test_definitions_a_macro_expands_into_count():
    text = (
        "(define-syntax define-two\n"
        "  (syntax-rules () ((_ a b) (begin (define a 1) (define b 2)))))\n"
        "(define-two top-one top-two)\n"
        "(define (f) (define-two p q) (+ p q top-one top-two))\n"
        "(define-syntax jabberwocky\n"
        "  (syntax-rules () ((_ hatter) (begin (define march-hare 42)\n"
        "                                    (define-syntax hatter (syntax-rules () ((_) march-hare)))))))\n"
        "(jabberwocky mad-hatter)\n"
        "(display (list (mad-hatter) march-hare))\n"
    )
    assert unknown(text) == []


def test_local_macros_are_expanded():
    text = (
        "(define (g)\n"
        "  (define-syntax local-mac (syntax-rules () ((_ v) (list v))))\n"
        "  (local-mac missing-one))\n"
        "(let-syntax ((m (syntax-rules () ((_ q) (* q 2)))))\n"
        "  (m missing-two))\n"
        "(letrec-syntax ((count-args (syntax-rules () ((_) 0) ((_ x y ...) (+ 1 (count-args y ...))))))\n"
        "  (count-args 1 2))\n"
        "(define (h x)\n"
        "  (define (helper y) y)\n"
        "  (define-syntax call-helper (syntax-rules () ((_ e) (helper e))))\n"
        "  (call-helper x))\n"
    )
    assert unknown(text) == ["missing-one", "missing-two"]


def test_a_template_variable_is_the_users_binding_not_a_global():
    text = (
        "(define-syntax swap!\n"
        "  (syntax-rules () ((_ a b) (let ((tmp a)) (set! a b) (set! b tmp)))))\n"
        "(define (f x y) (swap! x y) (list x y))\n"
        "(define (g) (swap! nowhere y))\n"
    )
    assert unknown(text) == ["nowhere", "y"]


def test_a_macro_use_no_rule_matches_is_a_syntax_error(tmp_path):
    path = tmp_path / "m.sx"
    path.write_text("(define-syntax two (syntax-rules () ((_ a b) (list a b))))\n(display (two 1))\n",
                    encoding="utf-8")
    result = run_check(str(path))
    assert result.returncode == 1
    assert "m.sx:2:10: no rule of the macro two matches (two 1)" in result.stderr


def test_a_bad_macro_definition_is_a_syntax_error():
    report = check_files([("t.sx", "(define-syntax bad (syntax-rules () ((_ a a) a)))\n")], flow=False)
    assert [error.message for error in report.errors] == ["in the macro bad: the pattern variable a appears twice"]


def test_a_macro_that_never_stops_expanding_is_reported_and_the_check_ends():
    report = check_files([("t.sx", "(define-syntax forever (syntax-rules () ((_ x) (forever (x)))))\n"
                                   "(forever 1)\n")], flow=False)
    assert len(report.errors) == 1 and "macro expansion too deep" in report.errors[0].message


def test_records_parameters_and_case_lambda_are_understood():
    text = (
        "(define-record-type <point> (make-point x y) point? (x point-x) (y point-y set-point-y!))\n"
        "(display (point-x (make-point 1 2)))\n"
        "(define r (make-parameter 1))\n"
        "(parameterize ((r 2)) (display (r)))\n"
        "(define h (case-lambda ((a) a) ((a b) (+ a b c))))\n"
        "(define (local) (define-record-type thing (make-thing v) thing? (v thing-v)) (thing-v (make-thing 1)))\n"
    )
    assert unknown(text) == ["c"]
