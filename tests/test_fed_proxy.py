"""sxflow.fed.host and sxflow.fed.proxy joined by an in-process Transport: the layer HTTP and Ray share."""

from __future__ import annotations

import pytest

from sxflow import Interpreter, SchemeError, Symbol
from sxflow.errors import ErrorObject
from sxflow.fed.host import Host
from sxflow.fed.proxy import TransportFailure, call_key, connect

UNREACHABLE = Symbol("flow-remote-unreachable")
NO_FN = Symbol("flow-remote-no-fn")


class LocalTransport:
    """A Transport calling a Host directly; ``down`` makes every method fail like a dead peer."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.down = False
        self.keys: list[str] = []

    def _check(self):
        if self.down:
            raise TransportFailure("connection refused")

    def call(self, function, argument, key, timeout):
        self._check()
        self.keys.append(key)
        return self.host.call(function, argument, key)

    def push_replica(self, origin, export, timeout):
        self._check()
        self.host.push_replica(origin, export)

    def fetch_replica(self, origin, timeout):
        self._check()
        return self.host.fetch_replica(origin)

    def names(self, timeout):
        self._check()
        return self.host.names()


SERVER_SOURCE = """
(define calls 0)
(define (double x) (set! calls (+ calls 1)) (* 2 x))
(define (fail x) (raise 'custom-failure))
(define (oops x) (error "oops happened" x 'sym))
(define (give-procedure x) car)
(fed-expose! (list (list 'double double) (list 'fail fail) (list 'oops oops)
                   (list 'give-procedure give-procedure)))
"""


@pytest.fixture
def server():
    sx = Interpreter().load_flow()
    sx.eval(SERVER_SOURCE)
    return sx, Host(sx, "B")


@pytest.fixture
def client(server):
    sx = Interpreter().load_flow()
    transport = LocalTransport(server[1])
    names = connect(sx, "peer-b", transport)
    assert names == ["double", "fail", "oops", "give-procedure"]
    return sx, transport


def test_proxy_calls_run_on_the_host_through_flow_transport(client, server):
    sx, _ = client
    assert sx.eval("(flow-transport \"peer-b\" 'double 21)") == 42
    assert sx.eval("((remote-node \"peer-b\" 'double) 5)") == 10
    assert server[0]["calls"] == 2


def test_raises_come_back_as_the_same_payload(client):
    sx, _ = client
    assert sx.eval("(guard (e (#t e)) (flow-transport \"peer-b\" 'fail 1))") == Symbol("custom-failure")
    error = sx.eval("(guard (e (#t e)) (flow-transport \"peer-b\" 'oops 7))")
    assert isinstance(error, ErrorObject)
    assert sx.eval("(guard (e ((error-object? e) (list (error-object-message e) (error-object-irritants e))))"
                   " (flow-transport \"peer-b\" 'oops 7))") == sx.eval("'(\"oops happened\" (7 sym))")


def test_unknown_function_and_unknown_peer(client, server):
    sx, _ = client
    server[0].eval("(fed-expose! (list))")
    connect(sx, "peer-c", LocalTransport(server[1]), names=["missing"])
    assert sx.eval("(guard (e (#t e)) (flow-transport \"peer-c\" 'missing 1))") == NO_FN
    assert sx.eval("(guard (e (#t e)) (flow-transport \"peer-c\" 'double 1))") == NO_FN  # no proxy here


def test_transport_failure_is_unreachable_and_failover_moves_on(client):
    sx, transport = client
    assert sx.eval("(fed-last-failure \"peer-b\")") is False
    transport.down = True
    assert sx.eval("(guard (e (#t e)) (flow-transport \"peer-b\" 'double 1))") == UNREACHABLE
    assert sx.eval("(fed-last-failure \"peer-b\")") == "connection refused"
    assert sx.eval("((remote-failover (list \"peer-b\") 'double (fn (x) (list 'local x))) 3)") == \
        sx.eval("'(local 3)")
    with pytest.raises(SchemeError) as caught:
        connect(Interpreter().load_flow(), "x", transport)
    assert caught.value.payload == UNREACHABLE


def test_vectors_cross_a_proxy_call_as_vectors_both_ways(server):
    server[0].eval("(define (reverse-vector v) (list->vector (reverse (vector->list v))))"
                   "(fed-expose! (list (list 'reverse-vector reverse-vector)))")
    sx = Interpreter().load_flow()
    connect(sx, "peer-b", LocalTransport(server[1]))
    assert sx.eval("(let ((r (flow-transport \"peer-b\" 'reverse-vector #(1 #(2) (3)))))"
                   "  (list (vector? r) (vector? (vector-ref r 1)) (list? (vector-ref r 0)) r))") == \
        sx.eval("'(#t #t #t #((3) #(2) 1))")


def test_connect_with_names_does_not_contact_the_peer(server):
    sx = Interpreter().load_flow()
    transport = LocalTransport(server[1])
    transport.down = True
    connect(sx, "peer-b", transport, names=[Symbol("double")])
    transport.down = False
    assert sx.eval("(flow-transport \"peer-b\" 'double 4)") == 8


def test_non_plain_argument_is_refused_before_sending(client, server):
    sx, transport = client
    message = sx.eval("(guard (e ((error-object? e) (error-object-message e))) (flow-transport \"peer-b\" 'double car))")
    assert "not plain data" in message and "car" in message
    assert transport.keys == []  # nothing was sent
    message = sx.eval("(guard (e ((error-object? e) (error-object-message e)))"
                      " (flow-transport \"peer-b\" 'give-procedure 1))")
    assert "cannot be sent" in message


def test_same_key_runs_once_and_fresh_keys_differ(client, server):
    sx, transport = client
    assert sx.eval("(fed-call-key \"step-1\" (fn () (flow-transport \"peer-b\" 'double 5)))") == 10
    assert sx.eval("(fed-call-key \"step-1\" (fn () (flow-transport \"peer-b\" 'double 5)))") == 10
    assert server[0]["calls"] == 1
    sx.eval("(flow-transport \"peer-b\" 'double 5) (flow-transport \"peer-b\" 'double 5)")
    assert server[0]["calls"] == 3
    assert transport.keys[:2] == ["step-1", "step-1"] and transport.keys[2] != transport.keys[3]


def test_flow_next_call_key_is_used_when_bound_and_not_false(client, server):
    sx, transport = client
    sx.eval("(define next-key #f) (define (flow-next-call-key) next-key)")
    sx.eval("(flow-transport \"peer-b\" 'double 1)")
    assert len(transport.keys[-1]) == 32  # #f: a fresh random key
    sx.eval("(set! next-key \"run-1/0/0\")")
    sx.eval("(flow-transport \"peer-b\" 'double 1) (flow-transport \"peer-b\" 'double 1)")
    assert transport.keys[-2:] == ["run-1/0/0", "run-1/0/0"]
    assert server[0]["calls"] == 2
    assert call_key(sx) == "run-1/0/0"
    assert sx.eval("(fed-call-key \"explicit\" (fn () (flow-transport \"peer-b\" 'double 2)))") == 4
    assert transport.keys[-1] == "explicit"


def test_idempotency_memory_is_bounded(server):
    sx, _ = server
    host = Host(sx, "B", memory_entries=3)
    from sxflow.fed import wire

    for index in range(5):
        host.call("double", wire.encode(index), f"k{index}")
    assert host.calls_run == 5
    host.call("double", wire.encode(4), "k4")
    assert host.calls_run == 5
    host.call("double", wire.encode(0), "k0")  # forgotten: runs again
    assert host.calls_run == 6


def test_replicas_push_fetch_and_restore_with_remote_sx(client, server):
    sx, _ = client
    sx.eval("(fed-set-name! \"A\") (flow-store-put! \"k\" '(1 #(2) \"s\" sym))")
    sx.eval("(fed-replicate-to \"peer-b\")")
    assert server[0].eval("(flow-replica-get \"A\")") == sx.eval("(flow-store-export)")
    assert server[0].eval("(flow-restore-from \"A\")") is True
    assert server[0].eval("(flow-store-get \"k\")") == sx.eval("'(1 #(2) \"s\" sym)")
    assert sx.eval("(fed-fetch-replica \"peer-b\")") == sx.eval("(flow-store-export)")
    assert sx.eval("(fed-fetch-replica \"peer-b\" \"nobody\")") is False
    assert sx.eval("(guard (e (#t e)) (fed-replicate-to \"unknown\"))") == UNREACHABLE


def test_replicate_needs_a_name(client):
    sx, _ = client
    message = sx.eval("(guard (e ((error-object? e) (error-object-message e))) (fed-replicate-to \"peer-b\"))")
    assert "fed-set-name!" in message
    assert sx.eval("(fed-name)") is False


def test_flow_set_replicator_is_told_when_bound(server):
    sx = Interpreter().load_flow()
    sx.eval("(define replicators (list)) (define (flow-set-replicator! addr thunk)"
            " (set! replicators (cons (list addr thunk) replicators)))")
    connect(sx, "peer-b", LocalTransport(server[1]))
    sx.eval("(fed-set-name! \"A\") (flow-store-put! \"x\" 1) ((car (cdr (car replicators))))")
    assert server[0].eval("(flow-restore-from \"A\")") is True
    assert server[0].eval("(flow-store-get \"x\")") == 1


def test_fed_expose_adds_and_replaces_and_checks_its_table(server):
    sx, host = server
    sx.eval("(fed-expose! (list (list 'double (fn (x) 'replaced)) (list 'extra (fn (x) x))))")
    assert host.names() == ["double", "fail", "oops", "give-procedure", "extra"]
    for bad in ["(fed-expose! 5)", "(fed-expose! (list (list 'a)))", "(fed-expose! (list (list 1 car)))",
                "(fed-expose! (list (list 'a 5)))"]:
        assert "fed-expose!" in sx.eval(f"(guard (e ((error-object? e) (error-object-message e))) {bad})")


def test_malformed_argument_bytes_raise_before_running(server):
    from sxflow.fed.wire import WireError

    sx, host = server
    with pytest.raises(WireError):
        host.call("double", b"garbage", "k")
    assert host.calls_run == 0
