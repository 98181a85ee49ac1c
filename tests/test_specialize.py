"""Node templates (sxflow/specialize.py): generated source is visible, dumpable, and inline forms are checked."""

import linecache
import traceback

import pytest

from sxflow import Interpreter, SchemeError, Symbol
from sxflow import procedures, specialize
from sxflow.library.registry import BUILTINS, builtin


@pytest.fixture(autouse=True)
def forget_test_builtins():
    """Builtins registered here are global: take them out again so other tests never see them."""
    yield
    for name in [name for name in BUILTINS if name.startswith("test-inline-")]:
        del BUILTINS[name]
    for key in [key for key in specialize.INLINE_PRIMITIVES if key[0].name.startswith("test-inline-")]:
        del specialize.INLINE_PRIMITIVES[key]


def test_generated_source_is_registered_with_linecache(monkeypatch):
    interp = Interpreter()
    # With the procedure writer declining (see sxflow/procedures.py), the body is the if template.
    monkeypatch.setattr(procedures, "compile_procedure", lambda *arguments: None)
    interp.eval("(define (twice-plus x y) (if (< x y) (delay x) (- y 1)))", filename="twice.sx")
    procedure = interp["twice-plus"].procedure
    body = procedure.__closure__[procedure.__code__.co_freevars.index("body")].cell_contents
    code = body.__code__
    lines = linecache.getlines(code.co_filename)
    assert lines, code.co_filename
    assert any("if " in line for line in lines)
    # The node is named after the Scheme position it was compiled from.
    assert code.co_name == "node twice.sx:1:26"


def test_a_python_traceback_inside_generated_code_shows_its_line_and_the_scheme_position():
    seen = []

    def spy():
        seen.append(traceback.format_stack())
        return 1

    interp = Interpreter()
    interp["spy"] = spy
    interp.eval("(define (caller n)\n  (+ n (spy)))", filename="spy.sx")
    assert interp.eval("(caller 1)") == 2
    stack = "".join(seen[0])
    # The generated function is named after the procedure and where it is defined; the
    # generated line shown carries the position of the call as a comment.
    assert "in procedure caller spy.sx:1:1" in stack
    assert "# spy.sx:2:8" in stack
    assert "<sxflow node" in stack


def test_dump_switch_writes_every_generated_source(tmp_path, monkeypatch):
    monkeypatch.setenv(specialize.DUMP_VARIABLE, str(tmp_path))
    interp = Interpreter()
    # Shapes no other test compiles, so they are generated (not found in the cache) now: a
    # procedure (written as Python source) and a top-level expression (node templates).
    interp.eval("(define (dumped a b c d e f g) (if (< a b) (dumped b a c d e f g) (list a b c d e f g)))")
    assert interp.eval("(let ((a 2) (b 1) (c 3) (d 4) (e 5)) (if (< a b) (dumped b a c d e e e) (list a b c d e)))") \
        == interp.eval("'(2 1 3 4 5)")
    files = sorted(tmp_path.glob("node-*.py"))
    assert files
    texts = [path.read_text() for path in files]
    assert any("def factory(" in text and "def node(frame):" in text for text in texts)
    assert interp["dumped"].procedure.__code__.co_filename in {str(path) for path in files}
    assert interp.eval("(dumped 1 2 3 4 5 6 7)") == interp.eval("'(2 1 3 4 5 6 7)")


def test_inline_expression_naming_something_missing_fails_at_registration():
    with pytest.raises(ValueError, match="names frobnicate, which templates do not define"):
        builtin("test-inline-missing", inline={1: ((None,), "frobnicate({0})")})(lambda x: x)
    assert (Symbol("test-inline-missing"), 1) not in specialize.INLINE_PRIMITIVES


@pytest.mark.parametrize("inline, message", [
    ({1: ((None,), "{0} +")}, "bad expression"),
    ({1: ((None,), "{1} + 1")}, "bad expression"),
    ({2: ((None,), "{0} + {1}")}, "the guard names 1 types for 2 operands"),
    ({1: (("Widget",), "{0}")}, "unknown guard type 'Widget'"),
    ({2: (("int", "int"), "{0} + {1}", ("int", "float"))}, "the alternative guard must name 'float'"),
])
def test_malformed_inline_forms_are_refused(inline, message):
    with pytest.raises(ValueError, match=message):
        builtin("test-inline-bad", inline=inline)(lambda *x: x)
    assert "test-inline-bad" not in BUILTINS


def test_valid_inline_form_registers_and_attribute_names_are_not_globals():
    function = builtin("test-inline-good", inline={1: (("Pair",), "{0}.car")})(lambda x: x.car)
    assert specialize.INLINE_PRIMITIVES[(Symbol("test-inline-good"), 1)] == (function, ("Pair",), "{0}.car")


def test_inlined_primitive_falls_back_to_the_builtin_with_its_own_message():
    interp = Interpreter()
    interp.eval("(define (add x) (+ x 1))")
    assert interp.eval("(add 2)") == 3
    assert interp.eval("(add 1/2)") == interp.eval("3/2")
    with pytest.raises(SchemeError, match=r"\+: expected a number as argument 1, got \"a\""):
        interp.eval('(add "a")')


def test_inlined_primitive_follows_a_redefinition_of_the_builtin():
    interp = Interpreter()
    interp.eval("(define (add x) (+ x 1))")
    interp.eval("(set! + (lambda (a b) (* a b 10)))")
    assert interp.eval("(add 2)") == 20


def test_same_shape_is_compiled_once():
    interp = Interpreter()
    interp.eval("(define (p x) (car x))")
    count = len(specialize._factories)
    interp.eval("(define (q y) (car y))")
    assert len(specialize._factories) == count
