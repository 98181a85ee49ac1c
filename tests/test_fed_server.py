"""sxflow serve over HTTP, against real peer processes: calls, raises, keys, replicas, security, bad input.

Three peers are started once for the module (they are never killed here; the tests
that kill peers are in test_fed_failover.py).
"""

from __future__ import annotations

import os
import socket
import threading
import time

import httpx
import pytest

from fedpeers import SECRET, start_peers
from sxflow import Interpreter, SchemeError, Symbol
from sxflow.errors import ErrorObject
from sxflow.fed import auth, wire

pytestmark = [pytest.mark.xdist_group("fed"), pytest.mark.slow]  # real server processes
UNREACHABLE = Symbol("flow-remote-unreachable")


@pytest.fixture(scope="module")
def peers():
    os.environ["SXFLOW_FED_SECRET"] = SECRET  # what fed-connect! in the client reads
    started = start_peers("P1", "P2", "P3", args=["--max-body", "100000", "--body-timeout", "4"])
    yield started
    for peer in started:
        peer.close()


@pytest.fixture
def sx(peers):
    interp = Interpreter().load_flow()
    for peer in peers:
        interp.flow.connect(peer.name, peer.url)
    return interp


def count(sx, name: str) -> int:
    return sx.eval(f'(flow-transport "{name}" \'call-count 0)')


def signed_request(peer, method: str, target: str, body: bytes = b"", secret=SECRET.encode(), headers=None):
    if headers is None:
        headers = auth.sign_request(secret, method, target, body)
    return httpx.request(method, peer.url + target, content=body, headers=headers, timeout=10)


# -- calls ------------------------------------------------------------------------------


def test_calls_raises_and_missing_functions_cross_the_wire(sx):
    assert sx.eval('(flow-transport "P1" \'double 21)') == 42
    assert sx.eval('((remote-node "P2" \'whoami) \'hello)') == sx.eval("'(\"P2\" hello)")
    assert sx.eval('(guard (e (#t e)) (flow-transport "P1" \'fail 1))') == Symbol("custom-failure")
    error = sx.eval('(guard (e (#t e)) (flow-transport "P1" \'oops 7))')
    assert isinstance(error, ErrorObject) and error.message == "oops happened"
    assert list(error.irritants) == [7, Symbol("irritant")]
    assert sx.eval('(guard (e (#t e)) (flow-transport "P1" \'no-such 1))') == Symbol("flow-remote-no-fn")
    sx.flow.connect("P1-extra", _url(sx, "P1"), names=["missing"])
    assert sx.eval('(guard (e (#t e)) (flow-transport "P1-extra" \'missing 1))') == Symbol("flow-remote-no-fn")


def _url(sx, address):
    from sxflow.fed.state import fed_state

    return fed_state(sx).peers[address].transport.url


def test_plain_data_crosses_exactly(sx):
    value = sx.eval("(list \"s\" 's #\\x (vector 1 (list 2)) '() #t #f 0 1/3 (expt 2 200) -0.0 +nan.0 +inf.0)")
    back = sx.eval("(lambda (v) (flow-transport \"P3\" 'echo v))")(value)
    assert sxflow_write(back) == sxflow_write(value)


def sxflow_write(value):
    from sxflow import write_string

    return write_string(value)


def test_failover_answers_from_the_first_live_peer(sx, peers):
    before = [count(sx, name) for name in ("P1", "P2")]
    sx.flow.connect("down", "http://127.0.0.1:9", names=["whoami"])  # port 9: nothing listens
    answer = sx.eval('((remote-failover (list "down" "P1" "P2") \'whoami (fn (x) \'local)) 1)')
    assert "Connection refused" in sx.eval('(fed-last-failure "down")')
    assert answer == sx.eval("'(\"P1\" 1)")
    sx.eval('((remote-failover (list "P1" "P2") \'double (fn (x) \'local)) 1)')
    assert [count(sx, name) for name in ("P1", "P2")] == [before[0] + 1, before[1]]


def test_the_same_idempotency_key_runs_once(sx):
    before = count(sx, "P1")
    key_call = '(fed-call-key "order-17/step-2" (fn () (flow-transport "P1" \'double 5)))'
    assert sx.eval(key_call) == 10
    assert sx.eval(key_call) == 10
    assert count(sx, "P1") == before + 1
    sx.eval('(flow-transport "P1" \'double 5) (flow-transport "P1" \'double 5)')
    assert count(sx, "P1") == before + 3


def test_connect_fetches_names_or_takes_them_without_contacting(sx, peers):
    interp = Interpreter().load_flow()
    names = interp.flow.connect("P1", peers[0].url)
    assert "double" in names and "slow" in names
    with pytest.raises(SchemeError) as caught:
        interp.flow.connect("gone", "http://127.0.0.1:9")
    assert caught.value.payload == UNREACHABLE
    interp.eval('(fed-connect! "later" "http://127.0.0.1:9" \'(double))')
    assert interp.eval('(guard (e (#t e)) (flow-transport "later" \'double 1))') == UNREACHABLE
    assert interp.eval(f'(fed-connect! "P2" "{peers[1].url}") (flow-transport "P2" \'double 4)') == 8


def test_non_plain_arguments_are_refused_before_sending(sx):
    before = count(sx, "P1")
    message = sx.eval('(guard (e ((error-object? e) (error-object-message e))) (flow-transport "P1" \'double car))')
    assert "not plain data" in message
    assert count(sx, "P1") == before


def test_replica_push_fetch_and_restore_between_processes(sx, peers):
    """Peer P1 replicates its store to P2 over HTTP; P2 restores it with remote.sx's flow-restore-from."""
    assert sx.eval(f'(flow-transport "P1" \'handoff "{peers[1].url}")') == Symbol("pushed")
    exported = sx.eval('(flow-transport "P2" \'restore "P1")')
    assert sxflow_write(exported) == '(("job" "invoice-7") ("done" (fetch parse #(1 2) 1/3 #\\x)))'
    sx.eval('(fed-set-name! "client") (flow-store-put! "k" (list 1 2))')
    sx.eval('(fed-replicate-to "P3")')
    assert sxflow_write(sx.eval('(fed-fetch-replica "P3")')) == '(("k" (1 2)))'
    assert sx.eval('(fed-fetch-replica "P3" "nobody")') is False


# -- security ---------------------------------------------------------------------------


def call_target(function="double", key=None):
    return f"/v1/call?fn={function}&key={key or os.urandom(8).hex()}"


def test_a_correctly_signed_request_runs(sx, peers):
    before = count(sx, "P1")
    response = signed_request(peers[0], "POST", call_target(), wire.encode(4))
    assert response.status_code == 200
    assert wire.decode_outcome(response.content) == ("value", 8)
    assert count(sx, "P1") == before + 1


@pytest.mark.parametrize("attack", ["wrong secret", "tampered body", "tampered path", "stale", "future",
                                    "unsigned", "bad signature shape"])
def test_refused_requests_run_nothing(sx, peers, attack):
    before = count(sx, "P1")
    target, body = call_target(), wire.encode(4)
    headers = auth.sign_request(SECRET.encode(), "POST", target, body)
    if attack == "wrong secret":
        headers = auth.sign_request(b"another-secret-0123456789", "POST", target, body)
    elif attack == "tampered body":
        body = wire.encode(5)
    elif attack == "tampered path":
        target = call_target("fail")
    elif attack in ("stale", "future"):
        stamp = f"{time.time() + (-120 if attack == 'stale' else 120):.6f}"
        headers[auth.TIMESTAMP] = stamp
        headers[auth.SIGNATURE] = auth.request_signature(SECRET.encode(), "POST", target, stamp,
                                                         headers[auth.NONCE], body)
    elif attack == "unsigned":
        headers = {}
    else:
        headers[auth.SIGNATURE] = "zz"
    response = signed_request(peers[0], "POST", target, body, headers=headers)
    assert response.status_code == 401
    assert response.text.startswith("refused:")
    assert count(sx, "P1") == before


def test_a_replayed_request_is_refused(sx, peers):
    before = count(sx, "P1")
    target, body = call_target(), wire.encode(1)
    headers = auth.sign_request(SECRET.encode(), "POST", target, body)
    assert signed_request(peers[0], "POST", target, body, headers=headers).status_code == 200
    replay = signed_request(peers[0], "POST", target, body, headers=headers)
    assert replay.status_code == 401 and "replayed" in replay.text
    assert count(sx, "P1") == before + 1
    deadline = time.monotonic() + 10  # the server reports it on stderr
    while not any("replayed" in line for line in peers[0].errors) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any("sxflow serve P1: POST /v1/call from 127.0.0.1" in line and "401 refused: replayed" in line
               for line in peers[0].errors)


def test_a_response_failing_authentication_is_unreachable(peers):
    interp = Interpreter().load_flow()
    interp.flow.connect("P1", peers[0].url, names=["double"], secret="a-different-secret-42")
    assert interp.eval('(guard (e (#t e)) (flow-transport "P1" \'double 1))') == UNREACHABLE


def test_health_needs_no_secret_and_says_little(peers):
    response = httpx.get(peers[0].url + "/v1/health", timeout=10)
    assert response.status_code == 200 and response.json() == {"status": "ok", "wire": 1}


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("body, status, words", [
    (b"garbage", 400, "malformed body"),
    (b'{"sxflow-wire": 1, "data": [1', 400, "malformed JSON"),  # truncated
    (b'{"sxflow-wire": 9, "data": [1]}', 400, "unsupported wire version"),
    (b"x" * 200_000, 413, "too large"),
])
def test_bad_bodies_get_clean_errors_and_run_nothing(sx, peers, body, status, words):
    before = count(sx, "P1")
    response = signed_request(peers[0], "POST", call_target(), body)
    assert response.status_code == status
    assert words in response.text
    assert count(sx, "P1") == before
    assert sx.eval('(flow-transport "P1" \'double 1)') == 2  # still serving


def test_bad_routes_and_queries(peers):
    assert signed_request(peers[0], "POST", "/v1/call?fn=double", wire.encode(1)).status_code == 400
    assert signed_request(peers[0], "GET", "/v1/nothing").status_code == 404
    assert signed_request(peers[0], "GET", call_target(), b"").status_code == 405
    assert signed_request(peers[0], "POST", "/v1/replica?origin=X", b"not wire").status_code == 400
    assert signed_request(peers[0], "GET", "/v1/replica").status_code == 400


def raw_connection(peer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", peer.port), timeout=10)


def test_truncated_and_oversized_declared_bodies_and_slow_clients_do_not_block_others(sx, peers):
    # A client declaring more than the limit is refused before it sends the body.
    big = raw_connection(peers[0])
    big.sendall(b"POST /v1/call?fn=double&key=k HTTP/1.1\r\nhost: x\r\ncontent-length: 999999999\r\n\r\n")
    assert b" 413 " in big.recv(4096)
    big.close()
    # Slow clients: headers sent, body trickling; others are served meanwhile.
    slow = [raw_connection(peers[0]) for _ in range(5)]
    for connection in slow:
        connection.sendall(b"POST /v1/call?fn=double&key=k HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nab")
    started = time.monotonic()
    assert sx.eval('(flow-transport "P1" \'double 3)') == 6
    assert time.monotonic() - started < 3  # not waiting for the slow clients (they have 4 s)
    for connection in slow:  # the server gives up on them after --body-timeout 4
        assert b" 408 " in connection.recv(4096)
        connection.close()
    # A truncated body: the client hangs up half-way.
    cut = raw_connection(peers[0])
    cut.sendall(b"POST /v1/call?fn=double&key=k HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{\"sxf")
    cut.close()
    garbage = raw_connection(peers[0])
    garbage.sendall(b"\x00\x01 not http at all\r\n\r\n")
    garbage.recv(4096)
    garbage.close()
    assert sx.eval('(flow-transport "P1" \'double 5)') == 10


def test_concurrent_clients_never_corrupt_the_server(peers):
    before = Interpreter().load_flow()
    before.flow.connect("P3", peers[2].url)
    start = before.eval('(flow-transport "P3" \'call-count 0)')
    errors = []

    def client():
        from sxflow.fed.client import HttpTransport

        transport = HttpTransport(peers[2].url, secret=SECRET)
        try:
            for index in range(25):
                outcome = wire.decode_outcome(transport.call("double", wire.encode(index), os.urandom(8).hex(), 10))
                if outcome != ("value", 2 * index):
                    errors.append(outcome)
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert before.eval('(flow-transport "P3" \'call-count 0)') == start + 200
