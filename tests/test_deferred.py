"""sxflow.deferred: modules imported on first use behave as if they had been imported at start-up.

The behaviour is checked in fresh processes: in the test process, earlier tests have
imported every module already, and nothing would be deferred any more.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sxflow import deferred
from sxflow.library import registry

ROOT = Path(__file__).resolve().parent.parent


def run_fresh(code: str) -> str:
    """Run ``code`` in a new Python process started in the checkout; its standard output."""
    completed = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True,
                               text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_each_deferred_module_registers_the_names_its_entry_lists():
    for module in deferred.BUILTIN_MODULES:
        deferred.load_builtin_module(module)
    registered: dict[str, set[str]] = {module: set() for module in deferred.BUILTIN_MODULES}
    for name, function in registry.BUILTINS.items():
        if function.__module__ in registered:
            registered[function.__module__].add(name)
    for name, (factory, *_) in registry.INTERPRETER_BUILTINS.items():
        if factory.__module__ in registered:
            registered[factory.__module__].add(name)
    for module, (importer, names) in deferred.BUILTIN_MODULES.items():
        assert set(names) == registered[module], module
        assert len(set(names)) == len(names), module


def test_no_name_is_deferred_twice():
    names = [name for importer, entry in deferred.BUILTIN_MODULES.values() for name in entry]
    assert len(names) == len(set(names))


def test_a_fresh_process_loads_a_deferred_module_on_first_use_only():
    output = run_fresh("""
        import sys, sxflow
        interp = sxflow.Interpreter()
        assert "sxflow.library.strings" not in sys.modules
        assert "string-append" in interp.keys() and "make-hash-table" in interp.keys()
        assert interp.eval('(string-append "a" "b")') == "ab"
        assert "sxflow.library.strings" in sys.modules and "sxflow.library.hashtables" not in sys.modules
        print("ok")
    """)
    assert output.strip() == "ok"


def test_first_use_leaves_definitions_and_deletions_as_they_were():
    output = run_fresh("""
        import sys, sxflow
        early = sxflow.Interpreter()  # made before any deferred module is loaded
        early.eval('(define (string-append . parts) "mine")')
        assert early.eval('(string-append "x")') == "mine"
        assert early.eval('(string-length "abc")') == 3  # the module's other names came with it
        assert sxflow.Interpreter().eval('(string-append "x" "y")') == "xy"  # a later one has the builtin
        del early["vector-ref"]  # deleting loads the module first, then unbinds
        assert early.eval("(vector-length (vector 1 2))") == 2
        assert "vector-ref" not in early and "vector-ref" not in early.keys()
        early["make-polar"] = 5  # defining from Python
        assert early.eval("make-polar") == 5 and early.eval("(real-part 7)") == 7
        print("ok")
    """)
    assert output.strip() == "ok"


def test_environments_made_before_the_first_use_get_the_procedures():
    output = run_fresh(r"""
        import sxflow
        interp = sxflow.Interpreter()
        interp.eval("(define e (environment '(scheme base)))")
        assert interp.eval(r"(eval '(char->integer #\a) e)") == 97
        assert interp.eval(r"(import (prefix (scheme base) s:)) (s:char-upcase #\a)") == sxflow.Char("A")
        assert interp.eval("(s:hash-table-count (s:make-hash-table))") == 0
        print("ok")
    """)
    assert output.strip() == "ok"


def test_errors_and_hints_name_deferred_procedures_without_loading_them():
    output = run_fresh("""
        import sys, sxflow
        interp = sxflow.Interpreter()
        try:
            interp.eval("(make-hash-tabel)")
        except sxflow.SchemeError as error:
            assert "unbound variable: make-hash-tabel (did you mean make-hash-table?)" in str(error), str(error)
        else:
            raise AssertionError("no error")
        assert "sxflow.library.hashtables" not in sys.modules
        print("ok")
    """)
    assert output.strip() == "ok"


def test_sxflow_check_knows_the_deferred_procedures():
    output = run_fresh("""
        from sxflow.check import check_files
        report = check_files([("program.sx", '(define t (make-hash-table)) (display (string-length "ab"))')],
                             flow=False)
        assert not report.warnings and not report.errors, (report.warnings, report.errors)
        print("ok")
    """)
    assert output.strip() == "ok"


def test_threads_using_a_deferred_module_first_all_get_it():
    output = run_fresh("""
        import threading, sxflow
        interpreters = [sxflow.Interpreter() for _ in range(4)]
        results, barrier = [], threading.Barrier(4)

        def work(interp):
            barrier.wait()
            results.append(interp.eval("(real-part (make-rectangular 3 4))"))

        threads = [threading.Thread(target=work, args=(interp,)) for interp in interpreters]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert results == [3, 3, 3, 3], results
        print("ok")
    """)
    assert output.strip() == "ok"


def test_the_package_reaches_its_subsystems_on_first_use():
    output = run_fresh("""
        import sys, sxflow
        assert "sxflow.fed" not in sys.modules and "sxflow.flow" not in sys.modules
        assert callable(sxflow.fed.serve) and sxflow.flow.Flow and sxflow.ray.serve_actor
        try:
            sxflow.no_such_thing
        except AttributeError as error:
            assert "no_such_thing" in str(error)
        else:
            raise AssertionError("no error")
        interp = sxflow.Interpreter().load_flow()
        assert "fed-connect!" in interp and "ray-connect!" in interp  # the extensions came with the library
        print("ok")
    """)
    assert output.strip() == "ok"


def test_an_unknown_subsystem_is_an_attribute_error():
    with pytest.raises(AttributeError):
        deferred.subsystem("nothing")


def test_a_form_placeholder_rewrites_exactly_when_its_real_handler_does():
    from sxflow.compiler import SPECIAL_FORMS
    from sxflow.data import Symbol

    for module, (importer, forms) in deferred.FORM_MODULES.items():
        importer()
        for name, rewrites in forms.items():
            handler = SPECIAL_FORMS[Symbol(name)]
            assert handler.__module__ == module, name  # the real handler replaced the placeholder
            assert (getattr(handler, "rewrite", None) is not None) is rewrites, name


def test_deferred_special_forms_work_on_first_use_anywhere():
    output = run_fresh(r"""
        import sys, sxflow
        interp = sxflow.Interpreter()
        assert "sxflow.library.records" not in sys.modules and "sxflow.library.libraries" not in sys.modules
        # First met inside a body, where the compiler asks the form to rewrite itself into definitions.
        assert interp.eval("(define (f) (define-record-type p (make-p a) p? (a p-a)) (p-a (make-p 5))) (f)") == 5
        assert interp.eval("(import (scheme base) (prefix (scheme char) c:)) (c:char-upcase #\\a)") == sxflow.Char("A")
        print("ok")
    """)
    assert output.strip() == "ok"


def test_a_malformed_deferred_form_gets_its_own_message():
    code = """
        import sxflow
        for text in ("(define-record-type)", "(define (g) (import (scheme base)))"):
            try:
                sxflow.Interpreter().eval(text)
            except sxflow.SxSyntaxError as error:
                print(str(error).splitlines()[0])
    """
    fresh = run_fresh(code)
    assert "bad syntax; expected (define-record-type <name>" in fresh
    assert "import: only at the top level of a program" in fresh
    loaded_first = "import sxflow\nsxflow.Interpreter().eval('(define-record-type a (b) c?) (import (scheme base))')\n"
    assert run_fresh(loaded_first + textwrap.dedent(code)) == fresh  # as when the modules were loaded
