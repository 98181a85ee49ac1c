"""The embedding API: eval, load, globals as a mapping, calls across the boundary, conversions."""

import inspect
import io
import typing

import pytest

import sxflow
from sxflow.flow import INTERNAL_BUILTINS, INTERNAL_NAMES, Flow, FlowStore
from sxflow import Interpreter, NIL, Pair, SchemeError, Symbol, SxError, SxSyntaxError


@pytest.fixture
def interp():
    return Interpreter()


def test_eval_returns_the_last_value(interp):
    assert interp.eval("1 2 (+ 1 2)") == 3
    assert interp.eval("") is None


def test_define_then_read_global(interp):
    interp.eval("(define answer 42)")
    assert interp["answer"] == 42
    assert "answer" in interp
    assert "nothing-here" not in interp


def test_unbound_global_is_a_key_error(interp):
    with pytest.raises(KeyError):
        interp["nothing-here"]


def test_set_global_from_python(interp):
    interp["x"] = 5
    assert interp.eval("(* x 2)") == 10


def test_delete_global(interp):
    interp["x"] = 5
    del interp["x"]
    assert "x" not in interp
    with pytest.raises(SchemeError, match="unbound variable: x"):
        interp.eval("x")


def test_python_lists_and_tuples_become_scheme_lists(interp):
    interp["items"] = [1, (2, 3), []]
    assert interp.eval("(length items)") == 3
    assert interp.eval("(cadr items)") == Pair(2, Pair(3, NIL))
    assert interp.eval("(caddr items)") is NIL


def test_scheme_procedure_is_a_python_callable(interp):
    interp.eval("(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))")
    assert interp["fib"](20) == 6765
    assert interp.call("fib", 10) == 55


def test_python_callable_is_a_scheme_procedure(interp):
    interp["py-add"] = lambda a, b: a + b
    assert interp.eval("(py-add 2 3)") == 5
    assert interp.eval("(map (lambda (x) (py-add x 1)) '(1 2 3))") == sxflow.to_scheme([2, 3, 4])
    assert interp.eval("(procedure? py-add)") is True


def test_python_callable_results_are_converted(interp):
    interp["pairs"] = lambda: [("a", 1), ("b", 2)]
    assert interp.eval("(car (pairs))") == Pair("a", Pair(1, NIL))
    interp["nothing"] = lambda: None
    assert interp.eval("(nothing)") is None


def test_python_callable_receives_scheme_values(interp):
    seen = []
    interp["spy"] = lambda value: seen.append(value)
    interp.eval("(spy '(1 2)) (spy 'sym) (spy \"text\") (spy #\\a)")
    assert seen[0] == Pair(1, Pair(2, NIL))
    assert seen[1] is Symbol("sym")
    assert seen[2] == "text"
    assert seen[3] is sxflow.Char("a")


def test_python_exception_becomes_catchable_error(interp):
    def explode(x):
        raise ValueError(f"bad value {x}")

    interp["explode"] = explode
    message = interp.eval("(guard (e ((error-object? e) (error-object-message e))) (explode 7))")
    assert message == "bad value 7"


def test_python_exception_is_kept_on_the_error(interp):
    def explode():
        raise ValueError("boom")

    interp["explode"] = explode
    with pytest.raises(SchemeError) as caught:
        interp.eval("(explode)")
    assert isinstance(caught.value.payload.python_exception, ValueError)
    assert caught.value.message == "boom"


@pytest.mark.parametrize("exception", [KeyboardInterrupt, SystemExit])
def test_base_exceptions_pass_through(interp, exception):
    def stop():
        raise exception()

    interp["stop"] = stop
    with pytest.raises(exception):
        interp.eval("(guard (e (#t 'caught)) (stop))")
    # The interpreter is still usable, and guard's handler stack is clean.
    assert interp.eval("(guard (e (#t 'caught)) (raise 'x))") is Symbol("caught")
    assert interp.eval("(with-exception-handler (lambda (e) 10) (lambda () (+ 1 (raise-continuable 'c))))") == 11


def test_uncaught_raise_carries_the_payload(interp):
    with pytest.raises(SchemeError) as caught:
        interp.eval("(raise 'flow-remote-unreachable)")
    assert caught.value.payload is Symbol("flow-remote-unreachable")
    assert isinstance(caught.value, SxError)


def test_error_object_payload(interp):
    with pytest.raises(SchemeError) as caught:
        interp.eval('(error "Something bad:" 42 (quote x))')
    payload = caught.value.payload
    assert isinstance(payload, sxflow.ErrorObject)
    assert payload.message == "Something bad:"
    assert payload.irritants == (42, Symbol("x"))
    assert caught.value.message == "Something bad: 42 x"


def test_scheme_error_raised_through_python_keeps_its_payload(interp):
    interp.eval("(define (fail) (raise 'inner))")
    interp["relay"] = lambda: interp["fail"]()
    assert interp.eval("(guard (e ((symbol? e) e)) (relay))") is Symbol("inner")


def test_syntax_error_from_eval(interp):
    with pytest.raises(SxSyntaxError) as caught:
        interp.eval("(define x 1)\n(+ 1", "prog.sx")
    assert caught.value.filename == "prog.sx"


def test_load_file(tmp_path, interp):
    path = tmp_path / "prog.sx"
    path.write_text("(define (double x) (* 2 x))\n(double 21)\n")
    assert interp.load(path) == 42
    assert interp["double"](4) == 8


def test_runtime_error_names_the_file(tmp_path, interp):
    path = tmp_path / "prog.sx"
    path.write_text("(define (foo x) x)\n\n(foo (fob 1))\n")
    with pytest.raises(SchemeError) as caught:
        interp.load(path)
    error = caught.value
    assert error.message == "unbound variable: fob (did you mean foo?)"
    assert (error.filename, error.line, error.column) == (str(path), 3, 6)
    assert str(error).startswith(f"{path}:3:6: unbound variable: fob (did you mean foo?)")


def test_output_can_be_redirected(interp):
    buffer = io.StringIO()
    interp.output = buffer
    interp.eval('(display "hello") (newline) (write "q")')
    assert buffer.getvalue() == 'hello\n"q"'


def test_output_defaults_to_stdout(interp, capsys):
    interp.eval('(display "to stdout")')
    assert capsys.readouterr().out == "to stdout"


def test_interpreters_are_independent():
    first, second = Interpreter(), Interpreter()
    first.eval("(define x 1)")
    assert "x" not in second


def test_redefining_a_builtin_is_respected(interp):
    interp.eval("(define (f a b) (+ a b))")
    assert interp.eval("(f 1 2)") == 3
    interp.eval("(define (+ a b) (* a b))")
    assert interp.eval("(f 3 4)") == 12


def test_new_environment_is_fresh(interp):
    interp.eval("(define x 1)")
    environment = interp.new_environment()
    assert interp.eval("(+ 1 2)", environment=environment) == 3
    with pytest.raises(SchemeError, match="unbound variable: x"):
        interp.eval("x", environment=environment)


def test_keys_lists_globals(interp):
    interp.eval("(define my-global 1)")
    assert "my-global" in interp.keys()
    assert "car" in interp.keys()


def test_unspecified_is_none(interp):
    assert interp.eval("(define x 1)") is None
    assert interp.eval("(set! x 2)") is None
    assert interp.eval("(if #f #f)") is None


def test_flow_property_gives_a_flow_helper(interp):
    flow = interp.flow
    assert flow is interp.flow
    flow.register_peer("peer-a", {"double": lambda x: x * 2})
    assert interp.eval('(flow-transport "peer-a" (quote double) 21)') == 42


def test_flow_library_files_are_found():
    from sxflow.flow import flow_library_directory

    directory = flow_library_directory()
    assert (directory / "remote.sx").is_file()
    assert (directory / "store.sx").is_file()
    assert (directory / "run.sx").is_file()


def test_store_path_backs_the_flow_store_with_a_file(tmp_path):
    path = tmp_path / "store.db"
    first = Interpreter(store_path=path)  # loads the flow library and opens (creates) the file
    first.eval('(flow-store-put! "answer" (list 42 (quote yes)))')
    assert first.eval("(flow-store-path)") == str(path)
    first.eval("(flow-store-close!)")
    second = Interpreter(store_path=str(path))
    assert sxflow.write_string(second.eval("(flow-store-export)")) == '(("answer" (42 yes)))'
    second.eval("(flow-store-close!)")


def test_vectors_stay_vectors_in_the_store_file_and_through_flow_store(tmp_path):
    path = tmp_path / "store.db"
    first = Interpreter(store_path=path)
    first.flow.store["python-vector"] = sxflow.Vector([1, sxflow.Vector(["a"])])
    first.flow.store["python-list"] = [1, [2]]  # a plain Python list is stored as a Scheme list
    first.eval("(flow-store-put! 'scheme-vector (vector 'x (list 1 #(2))))")
    assert type(first.flow.store["python-vector"]) is sxflow.Vector
    first.eval("(flow-store-close!)")
    second = Interpreter(store_path=str(path))
    assert sxflow.write_string(second.eval("(flow-store-export)")) == \
        '(("python-vector" #(1 #("a"))) ("python-list" (1 (2))) (scheme-vector #(x (1 #(2)))))'
    assert second.eval("(vector? (vector-ref (flow-store-get \"python-vector\") 1))") is True
    assert type(second.flow.store["python-vector"][1]) is sxflow.Vector
    second.eval("(flow-store-close!)")


# -- bytevectors and complex numbers across the boundary ----------------------------------


def test_bytevectors_are_bytearray_both_ways(interp):
    value = interp.eval("(bytevector 1 2 255)")
    assert type(value) is bytearray and value == bytearray([1, 2, 255])
    interp["data"] = b"\x00ab"  # Python bytes become a bytevector
    assert type(interp["data"]) is bytearray
    assert interp.eval("(list (bytevector? data) (bytevector-u8-ref data 1))") == sxflow.read("(#t 97)")
    interp["make-bytes"] = lambda: [b"x", b"yz"]  # inside a list returned by a Python callable too
    assert interp.eval("(map bytevector-length (make-bytes))") == sxflow.read("(1 2)")
    interp["length-of"] = len
    assert interp.eval("(length-of #u8(1 2 3))") == 3
    assert sxflow.write_string(b"\x01\x02") == "#u8(1 2)"


def test_a_vector_survives_a_python_identity_function(interp):
    interp["ident"] = lambda value: value
    assert interp.eval("(vector? (ident (vector 1 2)))") is True
    assert interp.eval("(let ((v (vector 1 2))) (eq? v (ident v)))") is True  # the same object, not a copy
    assert interp.eval("(vector? (ident #()))") is True
    assert interp.eval("(list? (ident (list 1 2)))") is True
    assert interp.eval("(equal? (ident '(1 #(2 (3 #(4))) 5)) '(1 #(2 (3 #(4))) 5))") is True
    # nested vectors in lists, and lists in vectors, keep their kinds both ways
    value = interp.eval("(ident (list (vector 1 (vector 2) (list 3)) 4))")
    assert type(value.car) is sxflow.Vector and type(value.car[1]) is sxflow.Vector and type(value.car[2]) is Pair
    assert sxflow.write_string(value) == "(#(1 #(2) (3)) 4)"


def test_a_python_callable_gets_a_vector_as_a_list_it_can_change(interp):
    def double_all(vector):
        assert isinstance(vector, list) and type(vector) is sxflow.Vector
        vector[:] = [item * 2 for item in vector]  # in place: Scheme sees the change
        return len(vector)

    interp["double-all!"] = double_all
    assert sxflow.write_string(interp.eval("(let ((v (vector 1 2 3))) (double-all! v) v)")) == "#(2 4 6)"
    vector = sxflow.Vector([1, 2])
    interp.call("vector-set!", vector, 0, "changed")  # and a Vector from Python is changed in place
    interp["vector-set!"](vector, 1, "too")
    assert vector == ["changed", "too"]


def test_python_values_going_into_scheme(interp):
    interp["ident"] = lambda value: value
    interp["make"] = lambda: [1, (2, 3), sxflow.Vector([4, [5]]), [sxflow.Vector()]]
    # A plain list or tuple becomes a Scheme list, deeply; a Vector stays a vector and its
    # elements are kept as they are (the plain list [5] inside it is not converted).
    assert interp.eval("(map vector? (make))") == sxflow.read("(#f #f #t #f)")
    assert interp.eval("(list? (cadr (make)))") is True
    assert interp.eval("(vector? (car (cadddr (make))))") is True
    assert type(interp.eval("(vector-ref (caddr (make)) 1)")) is list
    interp["tuple"] = (1, 2)
    interp["vector"] = sxflow.Vector([1, (2,)])
    assert interp.eval("(list (list? tuple) (vector? vector))") == sxflow.read("(#t #t)")
    assert interp.eval("(vector-ref vector 1)") == (2,)
    # Each other kind of Python value, as Scheme sees it.
    cases = {
        "text": ("hello", "(string? text)"),
        "whole": (7, "(exact-integer? whole)"),
        "real": (2.5, "(and (real? real) (inexact? real))"),
        "ratio": (__import__("fractions").Fraction(1, 3), "(and (exact? ratio) (= (* ratio 3) 1))"),
        "z": (1 + 2j, "(and (complex? z) (= (imag-part z) 2.0))"),
        "truth": (True, "(and (boolean? truth) (not (number? truth)))"),
        "nothing": (None, "(eq? nothing (if #f #f))"),
        "bytes": (b"ab", "(and (bytevector? bytes) (= (bytevector-u8-ref bytes 0) 97))"),
        "array": (bytearray(b"ab"), "(bytevector? array)"),
        "callable": (abs, "(and (procedure? callable) (= (callable -3) 3))"),
        "table": ({"a": 1}, "(not (or (pair? table) (vector? table) (procedure? table)))"),
    }
    for name, (value, test) in cases.items():
        interp[name] = value
        assert interp.eval(test) is True, name
    assert interp["array"] is cases["array"][0]  # a bytearray is a bytevector already: the same object
    assert interp["table"] is cases["table"][0]  # anything else passes as it is
    assert sxflow.write_string(interp["table"]) == "#<python dict>"
    assert interp.eval("(ident (list 1 2))") == sxflow.read("(1 2)")


def test_scheme_values_coming_out_to_python(interp):
    kinds = {
        "#(1 2)": sxflow.Vector, "(list 1 2)": Pair, "'()": type(NIL), "\"s\"": str, "#\\a": sxflow.Char,
        "'sym": Symbol, "#u8(1)": bytearray, "1": int, "1.5": float, "1/2": __import__("fractions").Fraction,
        "1+2i": sxflow.ExactComplex, "1.0+2.0i": complex, "#t": bool, "(if #f #f)": type(None),
    }
    for text, kind in kinds.items():
        assert type(interp.eval(text)) is kind, text
    assert callable(interp.eval("car")) and callable(interp.eval("(lambda (x) x)"))
    value = interp.eval("(list #(1 (2)) (vector))")
    assert sxflow.to_python(value) == [[1, [2]], []]
    assert all(type(item) is list for item in sxflow.to_python(value))  # plain lists, deeply


def test_complex_numbers_are_python_complex(interp):
    assert interp.eval("(make-rectangular 1 2)") == complex(1, 2)
    interp["z"] = 3 - 4j
    assert interp.eval("(magnitude z)") == 5.0
    assert interp.call("sqrt", -9) == 3j
    assert sxflow.write_string(complex(0.5, -1)) == "0.5-1.0i"


# -- the file capability ------------------------------------------------------------------------


def test_files_are_allowed_by_default(tmp_path):
    interp = Interpreter()
    assert interp.allow_files is True
    path = tmp_path / "note.txt"
    interp["path"] = str(path)
    interp.eval('(call-with-output-file path (lambda (port) (display "written" port)))')
    assert path.read_text(encoding="utf-8") == "written"
    assert interp.eval("(call-with-input-file path read-line)") == "written"


@pytest.mark.parametrize("call", [
    '(open-input-file path)', '(open-output-file path)', '(open-binary-input-file path)',
    '(open-binary-output-file path)', '(call-with-input-file path read)', '(call-with-output-file path write)',
    '(with-input-from-file path read)', '(with-output-to-file path newline)', '(file-exists? path)',
    '(delete-file path)', '(load path)',
])
def test_allow_files_false_refuses_file_access(tmp_path, call):
    path = tmp_path / "existing.sx"
    path.write_text("(define touched #t)", encoding="utf-8")
    interp = Interpreter(allow_files=False)
    interp["path"] = str(path)
    with pytest.raises(SchemeError) as caught:
        interp.eval(call)
    assert "file access is disabled" in caught.value.message
    assert interp.eval("(guard (e ((file-error? e) 'refused)) %s)" % call) == Symbol("refused")
    # Nothing was touched: the file is there, unchanged, and was not loaded.
    assert path.read_text(encoding="utf-8") == "(define touched #t)"
    assert "touched" not in interp
    assert sorted(item.name for item in tmp_path.iterdir()) == ["existing.sx"]


def test_allow_files_false_refuses_environment_variables(monkeypatch):
    monkeypatch.setenv("SXFLOW_TEST_SECRET", "hidden")
    assert Interpreter().eval('(get-environment-variable "SXFLOW_TEST_SECRET")') == "hidden"
    interp = Interpreter(allow_files=False)
    for call in ('(get-environment-variable "SXFLOW_TEST_SECRET")', "(get-environment-variables)"):
        with pytest.raises(SchemeError, match="environment access is disabled"):
            interp.eval(call)


def test_allow_files_can_be_switched_later(tmp_path):
    interp = Interpreter(allow_files=False)
    interp["path"] = str(tmp_path)
    with pytest.raises(SchemeError, match="file access is disabled"):
        interp.eval("(file-exists? path)")
    interp.allow_files = True
    assert interp.eval("(file-exists? path)") is True


def test_python_load_is_not_a_scheme_capability(tmp_path):
    # The embedding program chooses what to load; the switch is about what Scheme code may do.
    path = tmp_path / "program.sx"
    path.write_text("(define loaded 7)", encoding="utf-8")
    interp = Interpreter(allow_files=False)
    interp.load(path)
    assert interp["loaded"] == 7


# -- builtins fetched from Python behave like every other procedure (issue 8) ----------------


def test_a_builtin_fetched_from_python_raises_scheme_errors():
    from sxflow import SxError

    interp = Interpreter()
    with pytest.raises(SchemeError, match="car: expected a pair, got 1"):
        interp["car"](1)
    with pytest.raises(SchemeError, match=r'\+: expected a number as argument 2, got "a"'):
        interp["+"](1, "a")
    with pytest.raises(SchemeError, match="/: division by zero"):
        interp["/"](1, 0)
    with pytest.raises(SchemeError, match="vector-ref"):
        interp["vector-ref"]([1], 5)
    for failing in (lambda: interp["car"](), lambda: interp["length"](5), lambda: interp["apply"](1, 2)):
        with pytest.raises(SxError):
            failing()


def test_a_builtin_fetched_from_python_converts_its_arguments_like_a_closure():
    interp = Interpreter()
    assert interp["length"]([1, 2, 3]) == 3
    assert interp["car"]((1, 2)) == 1
    interp.eval("(define (my-length items) (length items))")
    assert interp["my-length"]([1, 2, 3]) == interp["length"]([1, 2, 3])
    assert interp.call("length", [1, 2]) == 2
    assert interp["map"](interp["car"], [[1, 2], [3, 4]]) == sxflow.read("(1 3)")


def test_a_fetched_builtin_stays_the_same_procedure_in_scheme():
    interp = Interpreter()
    first = interp["car"]
    assert first == interp["car"] and hash(first) == hash(interp["car"])
    interp["my-car"] = first
    assert interp.eval("(eq? my-car car)") is True
    assert interp.eval("(my-car '(5 6))") == 5


def test_interpreter_is_a_mutable_mapping_whose_keys_leave_out_flow_internals():
    from collections.abc import MutableMapping

    interp = Interpreter()
    assert isinstance(interp, MutableMapping)
    # The store's primitives are builtins of every interpreter, left out before the library loads too.
    assert INTERNAL_BUILTINS and not INTERNAL_BUILTINS & set(interp.keys())
    assert all(name in interp for name in INTERNAL_BUILTINS) and INTERNAL_BUILTINS <= INTERNAL_NAMES
    interp.update({"a-global": 1})
    assert interp.pop("a-global") == 1 and "a-global" not in interp
    assert interp != Interpreter() and len({interp, interp}) == 1  # identity, hashable
    interp.load_flow()
    names = set(interp.keys())
    assert {"flow-store-put!", "remote-failover", "flow-load!"} <= names
    # The library's own state and helpers (flow.INTERNAL_NAMES) are left out, not removed.
    assert INTERNAL_NAMES and not INTERNAL_NAMES & names
    assert all(name in interp for name in INTERNAL_NAMES)
    assert len(interp) == len(names)


def test_public_signatures_show_plain_annotations():
    import inspect

    shown = str(inspect.signature(Interpreter.eval)) + str(inspect.signature(sxflow.read))
    assert "'str'" not in shown and "text: str" in shown


def test_errors_inside_the_flow_library_name_the_library_file():
    interp = Interpreter()
    interp.load_flow()
    with pytest.raises(sxflow.SchemeError) as raised:
        interp.flow.store["the-key"] = lambda value: value
    assert raised.value.filename == "lib/flow/store.sx (flow-store-src)"
    assert "flow-store-not-plain" in raised.value.message and "'the-key'" in raised.value.message


# -- the public API is fully annotated (py.typed promises it) -------------------------------

def _public_callables():
    for name in sxflow.__all__:
        value = getattr(sxflow, name)
        if inspect.isfunction(value):
            yield name, value
    for owner in (Interpreter, Flow, FlowStore, sxflow.Environment):
        for name, value in vars(owner).items():
            if inspect.isfunction(value) and (not name.startswith("_") or name in ("__init__", "__getitem__", "__setitem__", "__delitem__", "__contains__", "__iter__", "__len__")):
                yield f"{owner.__name__}.{name}", value


@pytest.mark.parametrize("name, function", list(_public_callables()), ids=lambda item: item if isinstance(item, str) else "")
def test_public_api_is_annotated(name, function):
    signature = inspect.signature(function)
    missing = [parameter for parameter in signature.parameters.values()
               if parameter.name != "self" and parameter.annotation is inspect.Parameter.empty]
    assert not missing, f"{name}: parameters without annotations: {missing}"
    assert signature.return_annotation is not inspect.Signature.empty, f"{name}: no return annotation"
    # Every annotation names something real (no stale names, no doubly quoted strings).
    hints = typing.get_type_hints(function)
    assert not any(isinstance(hint, str) for hint in hints.values()), hints
    shown = [parameter.annotation for parameter in signature.parameters.values()] + [signature.return_annotation]
    assert not any(isinstance(annotation, str) for annotation in shown), f"help() shows quoted annotations: {signature}"
