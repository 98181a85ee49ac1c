"""The flow library from Python: load_flow(), remote.sx's documented behaviour, the store, handoff, examples.

The same behaviours are tested from Scheme in tests/sx/flow-*.sx; here they go through
the Python API (``Interpreter.load_flow()``, ``interp["name"]``, ``sxflow.flow.Flow``)
with peers whose tables hold Scheme procedures and Python callables.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import sxflow
from sxflow import NIL, Interpreter, Pair, SchemeError, Symbol, read, to_python, to_scheme, write_string
from sxflow.data import make_list
from sxflow.errors import ErrorObject
from sxflow.flow import Flow, FlowStore, flow_library_directory, load_flow, peer_table

ROOT = Path(__file__).resolve().parent.parent
EXPORTED = [
    "flow-peer-register!", "flow-transport", "remote-node", "remote-failover", "flow-replicate-to",
    "flow-restore-from", "flow-replica-get", "flow-store-put!", "flow-store-get", "flow-store-has?",
    "flow-store-delete!", "flow-store-keys", "flow-store-clear!", "flow-store-export", "flow-store-import!",
    "flow-load-store!", "flow-load-remote!", "flow-store-open!", "flow-store-close!", "flow-store-path",
    "flow-define", "flow-start!", "flow-resume!", "flow-run-status", "flow-runs", "flow-step-key",
    "flow-current-step-key", "flow-next-call-key", "flow-standby!", "flow-set-replicator!", "flow-load-run!",
]
UNREACHABLE = Symbol("flow-remote-unreachable")
NO_FN = Symbol("flow-remote-no-fn")


@pytest.fixture
def sx():
    return Interpreter().load_flow()


@pytest.fixture
def flow(sx):
    return Flow(sx)


# -- loading -------------------------------------------------------------------------


def test_load_flow_defines_every_procedure_as_a_global():
    sx = Interpreter()
    assert "flow-transport" not in sx
    assert sx.load_flow() is sx
    for name in EXPORTED:
        assert name in sx, name
        assert callable(sx[name])


def test_library_files_are_found_and_remote_sx_is_loaded_verbatim():
    directory = flow_library_directory()
    assert (directory / "store.sx").is_file() and (directory / "remote.sx").is_file()
    sx = Interpreter().load_flow()
    forms = sxflow.read_all((directory / "remote.sx").read_text(encoding="utf-8"))
    assert len(forms) == 2
    source = forms[0].cdr.cdr.car
    # The code the loader evaluated is the string in the user's file: a fault inside the
    # library is shown at that string's own line (a registry that is not a list of peers).
    sx.eval('(flow-peer-register! "p" 5)')
    with pytest.raises(SchemeError) as raised:
        sx.eval("(flow-transport \"p\" 'f 1)")
    assert raised.value.filename == "lib/flow/remote.sx (flow-remote-src)"
    assert source.splitlines()[raised.value.line - 1].strip() in str(raised.value)


def test_loading_twice_keeps_peers_and_store(sx):
    sx.eval('(flow-peer-register! "p" (list (list \'f (lambda (x) x)))) (flow-store-put! "k" 1)')
    sx.load_flow()
    load_flow(sx)
    Flow(sx)
    assert sx.eval('(list (flow-transport "p" \'f 7) (flow-store-get "k"))') == make_list([7, 1])


def test_calling_a_loader_again_from_scheme_starts_that_library_afresh(sx):
    sx.eval('(flow-store-put! "k" 1) (flow-load-store! (interaction-environment))')
    assert sx.eval("(flow-store-keys)") is NIL


def test_a_fresh_environment_from_python_gets_its_own_instance(sx):
    other = sx.new_environment()
    sx.call("flow-load-store!", other)
    sx.call("flow-load-remote!", other)
    sx.eval('(flow-store-put! "k" "in the interaction environment")')
    assert sx.eval('(flow-store-get "k")', environment=other) is False
    assert sx.eval("(interaction-environment)") is sx.environment


# -- peers and flow-transport --------------------------------------------------------


def test_peer_with_scheme_procedures(sx):
    sx.eval("(flow-peer-register! \"peer-a\" (list (list 'double (lambda (x) (* x 2))) (list 'name (lambda (x) 'a))))")
    assert sx["flow-transport"]("peer-a", Symbol("double"), 21) == 42
    assert sx.call("flow-transport", "peer-a", Symbol("name"), None) is Symbol("a")


def test_peer_with_python_callables_through_the_raw_procedure(sx):
    seen = []

    def double(value):
        seen.append(value)
        return value * 2

    # a Python list becomes a Scheme list: ((double <fn>) (pair <fn>))
    sx["flow-peer-register!"]("peer-py", [[Symbol("double"), double], [Symbol("pair"), lambda v: (v, v)]])
    assert sx["flow-transport"]("peer-py", Symbol("double"), 5) == 10
    assert seen == [5]
    # a tuple or list a Python callable returns becomes a Scheme list
    assert write_string(sx["flow-transport"]("peer-py", Symbol("pair"), "x")) == '("x" "x")'


def test_python_callables_receive_scheme_values(flow):
    received = []
    flow.register_peer("peer", {"echo": lambda value: received.append(value) or value})
    flow.transport("peer", "echo", [1, "two", (3.5,)])
    flow.interpreter.eval("(flow-transport \"peer\" 'echo (list 'sym #\\c (vector 1 2)))")
    first, second = received
    assert isinstance(first, Pair) and to_python(first) == [1, "two", [3.5]]
    assert to_python(second) == [Symbol("sym"), sxflow.Char("c"), [1, 2]]


def test_register_peer_helper_accepts_mappings_pairs_and_scheme_procedures(flow):
    scheme_double = flow.interpreter.eval("(lambda (x) (* x 2))")
    flow.register_peer("a", {"double": scheme_double, "triple": lambda x: x * 3})
    flow.register_peer("b", [("double", lambda x: -x), (Symbol("half"), lambda x: x / 2)])
    assert flow.transport("a", "double", 4) == 8
    assert flow.transport("a", Symbol("triple"), 4) == 12
    assert flow.transport("b", "double", 4) == -4
    assert flow.transport("b", "half", 3) == 1.5
    table = peer_table({"f": scheme_double})
    # The table holds the procedure itself (the Python wrapper is taken off, as to_scheme does).
    assert table.car.car is Symbol("f") and table.car.cdr.car is to_scheme(scheme_double) and table.cdr is NIL
    assert flow.interpreter.eval("procedure?")(table.car.cdr.car) is True


def test_python_steps_and_peer_functions_return_lists_as_scheme_lists(flow):
    flow.register_peer("a", {"pair": lambda x: [x, x]})
    assert write_string(flow.transport("a", "pair", 1)) == "(1 1)"
    flow.define("listing", [lambda x: (x, "two"), lambda items: items.cdr.car])
    assert flow.start("run-lists", "listing", 1) == "two"


def test_re_registering_an_address_replaces_it(flow):
    flow.register_peer("p", {"f": lambda x: "old"})
    flow.register_peer("p", {"f": lambda x: "new"})
    assert flow.transport("p", "f", 0) == "new"


def test_unknown_address_raises_flow_remote_unreachable(flow):
    with pytest.raises(SchemeError) as caught:
        flow.transport("nowhere", "f", 1)
    assert caught.value.payload is UNREACHABLE
    assert "uncaught raise: flow-remote-unreachable" in str(caught.value)


def test_unknown_function_raises_flow_remote_no_fn(flow):
    flow.register_peer("p", {"f": lambda x: x})
    with pytest.raises(SchemeError) as caught:
        flow.transport("p", "g", 1)
    assert caught.value.payload is NO_FN
    with pytest.raises(SchemeError) as caught:
        flow.interpreter["flow-transport"]("p", Symbol("g"), 1)
    assert caught.value.payload is NO_FN


def test_guard_catches_both_in_scheme(flow):
    flow.register_peer("p", {"f": lambda x: x})
    assert flow.interpreter.eval("""
      (list (guard (e ((eq? e 'flow-remote-unreachable) 'unreachable)) (flow-transport "nowhere" 'f 1))
            (guard (e ((eq? e 'flow-remote-no-fn) 'no-fn)) (flow-transport "p" 'g 1)))""") \
        == make_list([Symbol("unreachable"), Symbol("no-fn")])


def test_a_python_exception_in_a_peer_is_a_scheme_error(flow):
    def broken(value):
        raise ValueError("disk on fire")

    flow.register_peer("p", {"f": broken})
    with pytest.raises(SchemeError) as caught:
        flow.transport("p", "f", 1)
    assert isinstance(caught.value.payload, ErrorObject)
    assert isinstance(caught.value.payload.python_exception, ValueError)
    assert flow.interpreter.eval('(guard (e ((error-object? e) (error-object-message e))) (flow-transport "p" \'f 1))') \
        == "disk on fire"


# -- remote-node -----------------------------------------------------------------------


def test_remote_node_calls_the_peer_each_time_it_runs(flow):
    calls = []
    flow.register_peer("p", {"f": lambda x: calls.append(("first", x)) or "first"})
    node = flow.node("p", "f")
    assert node(1) == "first" and node(2) == "first"
    flow.register_peer("p", {"f": lambda x: calls.append(("second", x)) or "second"})
    assert node(3) == "second"
    assert calls == [("first", 1), ("first", 2), ("second", 3)]
    # the raw procedure gives the same node
    assert flow.interpreter["remote-node"]("p", Symbol("f"))(4) == "second"


def test_remote_node_for_an_unknown_peer_raises_when_run(flow):
    node = flow.node("later", "f")
    with pytest.raises(SchemeError) as caught:
        node(1)
    assert caught.value.payload is UNREACHABLE
    flow.register_peer("later", {"f": lambda x: x + 1})
    assert node(1) == 2


# -- remote-failover ---------------------------------------------------------------------


@pytest.fixture
def recorded(flow):
    """Peers that record their calls in order: answering, raising in Scheme, raising in Python, lacking the fn."""
    calls = []

    def answering(name):
        return lambda value: calls.append(name) or [name, value]

    def python_raising(name):
        def peer(value):
            calls.append(name)
            raise RuntimeError(f"{name} is down")
        return peer

    flow.register_peer("ok-1", {"work": answering("ok-1")})
    flow.register_peer("ok-2", {"work": answering("ok-2")})
    flow.register_peer("py-raise", {"work": python_raising("py-raise")})
    flow.interpreter["record"] = lambda name: calls.append(name.name)
    flow.interpreter.eval("""
      (flow-peer-register! "scheme-raise" (list (list 'work (lambda (x) (record 'scheme-raise) (raise 'down)))))
      (flow-peer-register! "scheme-error" (list (list 'work (lambda (x) (record 'scheme-error) (vector-ref (vector) 3)))))
      (flow-peer-register! "other-fn" (list (list 'other (lambda (x) (record 'other-fn) x))))""")

    def local(value):
        calls.append("local")
        return ["local", value]

    return calls, local


def test_failover_returns_the_first_answer_and_never_calls_later_peers(flow, recorded):
    calls, local = recorded
    node = flow.failover(["ok-1", "ok-2"], "work", local)
    assert to_python(node(1)) == ["ok-1", 1]
    assert calls == ["ok-1"]


def test_failover_skips_every_kind_of_failure_in_order(flow, recorded):
    calls, local = recorded
    order = ["unknown", "scheme-raise", "py-raise", "other-fn", "scheme-error", "ok-2", "ok-1"]
    node = flow.failover(order, "work", local)
    assert to_python(node(2)) == ["ok-2", 2]
    assert calls == ["scheme-raise", "py-raise", "scheme-error", "ok-2"]


def test_failover_runs_local_on_the_same_input_when_all_fail(flow, recorded):
    calls, local = recorded
    node = flow.failover(["unknown", "py-raise", "scheme-raise", "other-fn"], "work", local)
    assert to_python(node([1, 2])) == ["local", [1, 2]]
    assert calls == ["py-raise", "scheme-raise", "local"]


def test_failover_with_no_addresses_runs_local(flow, recorded):
    calls, local = recorded
    assert to_python(flow.failover([], "work", local)(3)) == ["local", 3]
    assert to_python(flow.interpreter["remote-failover"](NIL, Symbol("work"), local)(4)) == ["local", 4]
    assert calls == ["local", "local"]


def test_failover_local_errors_propagate(flow, recorded):
    calls, _ = recorded

    def local(value):
        calls.append("local")
        raise KeyError("no cache")

    with pytest.raises(SchemeError) as caught:
        flow.failover(["py-raise"], "work", local)(5)
    assert isinstance(caught.value.payload.python_exception, KeyError)
    assert calls == ["py-raise", "local"]
    scheme_local = flow.interpreter.eval("(lambda (x) (raise 'local-down))")
    with pytest.raises(SchemeError) as caught:
        flow.failover(["unknown"], "work", scheme_local)(6)
    assert caught.value.payload is Symbol("local-down")


def test_failover_tries_afresh_on_each_run(flow, recorded):
    calls, local = recorded
    node = flow.failover(["late", "ok-1"], "work", local)
    node(1)
    flow.register_peer("late", {"work": lambda value: calls.append("late") or "late"})
    assert node(2) == "late"
    assert calls == ["ok-1", "late"]


def test_failover_node_works_as_a_local_fallback_and_from_scheme(flow, recorded):
    calls, local = recorded
    inner = flow.failover(["py-raise", "ok-2"], "work", local)
    outer = flow.failover(["unknown"], "work", inner)
    assert to_python(outer(7)) == ["ok-2", 7]
    flow.interpreter["outer"] = outer
    assert to_python(flow.interpreter.eval("(outer 8)")) == ["ok-2", 8]


# -- replication ---------------------------------------------------------------------------


def test_replica_get_and_restore_without_a_replica(flow):
    flow.store["k"] = 1
    assert flow.replica("nowhere") is None
    assert flow.interpreter.call("flow-replica-get", "nowhere") is False
    assert flow.restore_from("nowhere") is False
    assert dict(flow.store) == {"k": 1}


def test_replicate_copies_the_current_export(flow):
    flow.store["a"] = [1, 2]
    flow.store["b"] = "text"
    flow.replicate_to("peer-b")
    assert write_string(flow.replica("peer-b")) == '(("a" (1 2)) ("b" "text"))'
    assert sxflow.data.is_equal(flow.replica("peer-b"), flow.store.export())


def test_one_replica_slot_per_address(flow, sx):
    flow.store["v"] = 1
    flow.replicate_to("peer-b")
    flow.store["v"] = 2
    flow.replicate_to("peer-c")
    flow.store["v"] = 3
    flow.replicate_to("peer-b")
    assert write_string(flow.replica("peer-b")) == '(("v" 3))'
    assert write_string(flow.replica("peer-c")) == '(("v" 2))'
    assert sx.eval("(length flow-replicas)") == 2


def test_replicate_change_restore_gives_the_state_at_replication_time(flow):
    flow.store["step"] = 1
    flow.store["items"] = ["tea", ["cake", 2]]
    flow.replicate_to("peer-b")
    at_replication = write_string(flow.store.export())
    flow.store["step"] = 2
    del flow.store["items"]
    flow.store["later"] = True
    assert flow.restore_from("peer-b") is True
    assert write_string(flow.store.export()) == at_replication
    # the restored store is not tied to the replica
    flow.store["step"] = 3
    flow.interpreter.eval('(set-car! (flow-store-get "items") \'changed)')
    assert write_string(flow.replica("peer-b")) == at_replication


def test_handoff_between_two_interpreters_as_text():
    first = Flow(Interpreter())
    values = {
        "job": "invoice-7",
        "step": 3,
        "ratio": 2.5,
        "exact": read("1/3"),
        "flags": [True, False],
        "nested": [["a", Symbol("b")], read("#(1 #\\x \"quote \\\" and newline \\n\")"), NIL],
        "big": 2**100,
    }
    for key, value in values.items():
        first.store[key] = value
    first.store[Symbol("symbol-key")] = Symbol("v")
    first.replicate_to("second")
    wire = write_string(first.replica("second"))
    assert isinstance(wire, str)

    second = Flow(Interpreter())
    second.store.import_(read(wire))
    assert list(second.store) == list(first.store)
    for key in first.store:
        assert write_string(second.store[key]) == write_string(first.store[key])
        assert sxflow.data.is_equal(second.store[key], first.store[key])
    assert sxflow.data.is_equal(second.store.export(), first.store.export())
    # the second instance resumes independently
    second.store["step"] = 4
    assert first.store["step"] == 3


# -- the store from Python ------------------------------------------------------------------


def test_store_mapping(flow):
    store = flow.store
    assert isinstance(store, FlowStore) and len(store) == 0
    store["a"] = 1
    store[Symbol("b")] = (1, 2)
    assert store["a"] == 1 and to_python(store[Symbol("b")]) == [1, 2]
    assert "a" in store and "zz" not in store and len(store) == 2
    with pytest.raises(KeyError):
        store["zz"]
    with pytest.raises(KeyError):
        del store["zz"]
    store["off"] = False
    assert store["off"] is False
    assert list(store) == ["a", Symbol("b"), "off"]
    del store["a"]
    assert list(store) == [Symbol("b"), "off"]
    store.clear()
    assert len(store) == 0 and repr(store) == "<FlowStore with 0 keys>"


def test_store_errors_from_python(flow):
    with pytest.raises(SchemeError) as caught:
        flow.store["p"] = lambda x: x
    assert caught.value.payload is Symbol("flow-store-not-plain")
    with pytest.raises(SchemeError) as caught:
        flow.store[3] = 1
    assert caught.value.payload is Symbol("flow-store-bad-key")
    cyclic = flow.interpreter.eval("(let ((c (list 1 2))) (set-cdr! (cdr c) c) c)")
    with pytest.raises(SchemeError) as caught:
        flow.store["c"] = cyclic
    assert caught.value.payload is Symbol("flow-store-not-plain")
    environment = flow.interpreter.new_environment()
    with pytest.raises(SchemeError) as caught:
        flow.store["e"] = environment
    assert caught.value.payload is Symbol("flow-store-not-plain")
    assert len(flow.store) == 0


@pytest.mark.parametrize("bad", [
    "not a list", [["a", 1], ["b"]], [["a", 1], ["a", 2]], [[1, 2]], [["a", 1, 2]], [["a", lambda: 1]],
    read('(("a" 1) . tail)'), [["a", None]],
])
def test_store_import_rejects_bad_data_and_changes_nothing(flow, bad):
    flow.store["kept"] = [1, 2]
    before = write_string(flow.store.export())
    with pytest.raises(SchemeError) as caught:
        flow.store.import_(bad)
    assert caught.value.payload is Symbol("flow-store-bad-import")
    assert write_string(flow.store.export()) == before


def test_export_is_a_snapshot(flow):
    flow.store["list"] = [1, [2, 3]]
    snapshot = flow.store.export()
    flow.store["list"] = "replaced"
    flow.store["new"] = 1
    flow.interpreter.eval('(flow-store-delete! "list")')
    assert write_string(snapshot) == '(("list" (1 (2 3))))'
    # changing the snapshot does not change the store
    flow.store.import_(snapshot)
    snapshot.car.cdr.car.car = "mutated"
    assert write_string(flow.store["list"]) == "(1 (2 3))"


@pytest.mark.slow
def test_store_with_many_keys(flow):
    put = flow.interpreter["flow-store-put!"]
    get = flow.interpreter["flow-store-get"]
    for index in range(100_000):
        put(f"key-{index}", index)
    assert get("key-99999") == 99999 and get("key-0") == 0
    assert len(flow.store) == 100_000
    export = flow.store.export()
    assert export.car.car == "key-0"


# -- examples -------------------------------------------------------------------------------


def run_example(name: str) -> str:
    output = io.StringIO()
    sx = Interpreter(output=output).load_flow()
    sx.load(ROOT / "examples" / name)
    return output.getvalue()


def test_failover_example():
    text = run_example("failover.sx")
    assert "eu-1 -> raises flow-remote-unreachable" in text
    assert "eu-2 -> raises rate-service-down" in text
    assert "us-1 -> answers" in text
    step1 = text[text.index("Step 1:"):text.index("Step 2:")]
    assert step1.index("eu-2: pricing (order 3)") < step1.index("us-1: pricing (order 3)")
    assert "local" not in step1
    assert "Step 1 result: 36" in text
    step2 = text[text.index("Step 2:"):text.index("Step 3:")]
    assert step2.index("eu-2") < step2.index("us-1") < step2.index("local: pricing (order 3)")
    assert "Step 2 result: 30" in text
    assert "Step 3 result: 50" in text


def test_handoff_example():
    text = run_example("handoff.sx")
    lines = text.splitlines()
    assert "A: stopping after (fetch parse)" in lines
    assert 'wire text: (("job" "invoice-7") ("done" (parse fetch)) ("todo" (check price ship)))' in lines
    assert 'B\'s keys: ("job" "done" "todo")' in lines
    assert "B has the note written after the replica? #f" in lines
    assert lines.index("B: step check") < lines.index("B: step ship")
    assert "A: step check" not in lines
    assert "B: job finished, done (fetch parse check price ship)" in lines
    assert "restored: #t" in lines
    assert "restoring from an address with no replica: #f" in lines
    snapshots = [line for line in lines if line.startswith("replica for instance-b:")]
    assert len(snapshots) == 2 and snapshots[0] == snapshots[1]


@pytest.mark.parametrize(("name", "last_line"), [
    ("failover.sx", "Step 3 result: 50"),
    ("handoff.sx", "restoring from an address with no replica: #f"),
])
def test_examples_through_the_command_line(name, last_line):
    import subprocess
    import sys

    completed = subprocess.run([sys.executable, "-m", "sxflow", "run", str(ROOT / "examples" / name)],
                               capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[-1] == last_line
    assert completed.stdout == run_example(name)


def test_replica_returns_a_copy_that_python_cannot_change_behind_the_store(flow):
    flow.store["order"] = ["tea", 2]
    flow.replicate_to("peer-b")
    replica = flow.replica("peer-b")
    entry = replica.car                      # ("order" ("tea" 2))
    entry.cdr.car.car = "coffee"             # mutate the copy
    replica.cdr = sxflow.read('(("extra" 1))')
    flow.store["order"] = "gone"
    assert flow.restore_from("peer-b") is True
    assert write_string(flow.store.export()) == '(("order" ("tea" 2)))'
    assert write_string(flow.replica("peer-b")) == '(("order" ("tea" 2)))'


# -- durable runs from Python: define, start, resume, status, runs ---------------------------


def test_runs_from_python_define_start_status_resume(flow):
    calls = []

    def price(order):
        calls.append(("price", flow.step_key()))
        return order * 3

    declined = [True]

    def pay(amount):
        calls.append(("pay", flow.step_key()))
        if declined[0]:
            raise ValueError("card declined")
        return ["charged", amount]

    assert flow.define("checkout", [price, pay, flow.interpreter.eval("(lambda (receipt) (list 'shipped receipt))")]) \
        == "checkout"
    with pytest.raises(SchemeError, match="card declined"):
        flow.start("order-1", "checkout", 2)
    status = flow.status("order-1")
    assert status == {"flow": "checkout", "status": "failed", "next": 1, "steps": 3,
                      "error": status["error"]} and "card declined" in status["error"]
    declined[0] = False
    assert to_python(flow.resume("order-1")) == [Symbol("shipped"), ["charged", 6]]
    # price ran once; pay ran twice under the same key (at-least-once, one key)
    assert calls == [("price", '"order-1"/0'), ("pay", '"order-1"/1'), ("pay", '"order-1"/1')]
    assert flow.status("order-1")["status"] == "done" and flow.status("order-1")["next"] == 3
    assert flow.step_key() is None  # outside a step
    assert flow.runs() == ["order-1"]


def test_run_helpers_keep_string_and_symbol_ids_apart(flow):
    flow.define(Symbol("inc"), [lambda x: x + 1])
    flow.define("sub", [Symbol("inc"), lambda x: x * 2])  # a flow name as a step: a sub-run
    assert flow.start("a", Symbol("inc"), 1) == 2
    assert flow.start(Symbol("a"), "sub", [5][0]) == 12
    assert flow.runs() == ["a", Symbol("a")]
    assert flow.status(Symbol("a"))["flow"] == "sub" and flow.status("a")["flow"] == Symbol("inc")
    with pytest.raises(SchemeError) as raised:
        flow.start("a", Symbol("inc"), 1)
    assert raised.value.payload is Symbol("flow-run-exists")
    with pytest.raises(SchemeError) as raised:
        flow.resume("b")
    assert raised.value.payload is Symbol("flow-run-unknown")


def test_run_input_from_python_lists_and_standby(flow):
    flow.define("total", [lambda items: sum(to_python(items))])
    flow.standby(["standby-b"])
    assert flow.start("r", "total", [1, 2, 3]) == 6
    replica = to_python(flow.replica("standby-b"))
    assert ["flow-run:r", ["r", Symbol("done"), False, ["total", 1, 6, 1, NIL]]] in replica
    flow.standby([])
