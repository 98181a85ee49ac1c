"""Peers as Ray actors (sxflow.ray): hosting, the Ray transport behind fed's proxies, failover on actor death.

One local Ray instance serves the whole pytest run (the session fixture ``ray_cluster``),
and every test that uses it sits in the xdist group "ray", so one worker runs them all.
Actors are real: each is its own process in that instance, started by ``serve_actor``
as the user would, killed with ``ray.kill`` (or restarted by Ray).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

# Before Ray is imported anywhere in this process: a one-machine instance listening on
# 127.0.0.1 (by default Ray binds and advertises the machine's outward address), and
# no usage report sent off the machine.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.pop("RAY_ADDRESS", None)  # the tests start their own instance, whatever cluster the shell points at

import pytest

import sxflow.ray as sxray
from sxflow import Interpreter, SchemeError, SxSyntaxError, Symbol
from sxflow.data import NIL, make_list
from sxflow.errors import ErrorObject
from sxflow.fed.proxy import TransportFailure

pytestmark = pytest.mark.slow  # a Ray cluster and actor processes

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE = Symbol("flow-remote-unreachable")
NO_FN = Symbol("flow-remote-no-fn")

# What every test peer serves. (fed-name) is the actor's name, so answers say who answered;
# `slow` keeps the CPU of the peer named in its argument busy for a while (a long call).
PEER_SOURCE = """
(define calls 0)
(define (work x) (set! calls (+ calls 1)) (list (string->symbol (fed-name)) x))
(define (call-count x) calls)
(define (busy seconds)
  (let ((end (+ (current-second) seconds)))
    (let loop () (if (< (current-second) end) (loop) #t))))
(define (slow spec)
  (if (equal? (car spec) (fed-name)) (busy (cadr spec)))
  (list (string->symbol (fed-name)) 'slow))
(define (fail x) (raise 'custom-failure))
(define (oops x) (error "oops happened" x 'sym))
(define (store-put x) (flow-store-put! (car x) (cadr x)) #t)
(define (store-export x) (flow-store-export))
(define (restore-from origin) (flow-restore-from origin))
(fed-expose! (list (list 'work work) (list 'call-count call-count) (list 'slow slow)
                   (list 'fail fail) (list 'oops oops) (list 'store-put store-put)
                   (list 'store-export store-export) (list 'restore-from restore-from)))
"""
FALLBACK = "(fn (x) (list 'local x))"

ray_tests = pytest.mark.xdist_group("ray")


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray instance for the whole run (2 CPUs, no dashboard), shut down at the end; its address."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, namespace=sxray.NAMESPACE, log_to_driver=False,
             object_store_memory=256 * 1024 * 1024)
    address = ray.get_runtime_context().gcs_address
    assert address.startswith("127.0.0.1:"), address  # loopback only
    yield address
    ray.shutdown()


@pytest.fixture
def peer_file(tmp_path):
    path = tmp_path / "peer.sx"
    path.write_text(PEER_SOURCE, encoding="utf-8")
    return path


@pytest.fixture
def spawn(ray_cluster, peer_file):
    """Start peer actors with fresh names (``spawn("a")`` -> RayPeer); every one still alive is killed afterwards."""
    started = []
    tag = uuid.uuid4().hex[:8]

    def start(label, files=None, **options):
        peer = sxray.serve_actor(f"{label}-{tag}", files or [peer_file], **options)
        started.append(peer)
        return peer

    yield start
    for peer in started:
        sxray.stop_actor(peer.name)


@pytest.fixture
def sx():
    return Interpreter().load_flow()


def connect_all(sx, peers, timeout=10.0):
    """Register each peer under its label (the part of its name before the tag): "a", "b", ..."""
    labels = []
    for peer in peers:
        label = peer.name.rsplit("-", 1)[0]
        sx.flow.connect_ray(label, peer.name, timeout=timeout)
        labels.append(label)
    return labels


def failover(sx, labels, function, value):
    addresses = " ".join(f'"{label}"' for label in labels)
    return sx.eval(f"((remote-failover (list {addresses}) '{function} {FALLBACK}) '{value})")


def wait_until_busy(peer, limit=60.0):
    """Return once ``peer`` is running a call: twice running, a question it answers in milliseconds goes unanswered."""
    probe = sxray.RayTransport(peer.name)
    deadline = time.monotonic() + limit
    unanswered = 0
    while time.monotonic() < deadline:
        try:
            probe.names(1.0)
            unanswered = 0
        except TransportFailure:
            unanswered += 1
            if unanswered == 2:
                return
        time.sleep(0.05)
    raise AssertionError(f"{peer.name} never got busy")


def kill(peer, limit=60.0) -> None:
    """ray.kill ``peer`` for good and wait until the cluster has it dead (ray.kill acts asynchronously)."""
    import ray

    peer.kill()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            ray.get_actor(peer.name, namespace=peer.namespace)
        except ValueError:  # a dead actor's name is free again
            return
        time.sleep(0.05)
    raise AssertionError(f"{peer.name} still alive after ray.kill")


def restarted_process(peer, before: int, limit=60.0) -> int:
    """The id of the new process of ``peer`` once it answers after a restart (ray.kill acts asynchronously)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            process = peer.process_id(timeout=5)
            if process != before:
                return process
        except Exception:  # a Ray error while it restarts
            pass
        time.sleep(0.2)
    raise AssertionError(f"{peer.name} did not come back in a new process")


def raised(sx, text):
    with pytest.raises(SchemeError) as caught:
        sx.eval(text)
    return caught.value.payload


# -- without a cluster ------------------------------------------------------------------


def test_without_ray_the_message_names_the_extra(monkeypatch, sx):
    monkeypatch.setitem(sys.modules, "ray", None)  # what an environment without Ray looks like
    with pytest.raises(sxray.RayNotInstalled, match=r'pip install "sxflow\[ray\]"'):
        sxray.import_ray()
    with pytest.raises(SchemeError, match=r'ray-connect!: .*pip install "sxflow\[ray\]"'):
        sx.eval('(ray-connect! "p" "some-actor")')


def test_importing_sxflow_ray_does_not_import_ray():
    code = "import sys, sxflow.ray, sxflow; sxflow.Interpreter().load_flow(); print('ray' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_ray_connect_checks_its_arguments(sx):
    assert "wrong-type" == raised(sx, '(ray-connect! "p" 5)').kind
    error = raised(sx, "(ray-connect! \"p\" \"actor\" '(work . oops))")
    assert "proper list" in error.message
    error = raised(sx, "(ray-connect! \"p\" \"actor\" '(work) -1)")
    assert "timeout" in error.message


def test_serve_actor_checks_its_files_before_any_actor_starts(tmp_path):
    with pytest.raises(sxray.ActorStartError, match="cannot read .*missing.sx"):
        sxray.serve_actor("never", [tmp_path / "missing.sx"])
    broken = tmp_path / "broken.sx"
    broken.write_text("(define (f x)\n", encoding="utf-8")
    with pytest.raises(SxSyntaxError) as caught:
        sxray.serve_actor("never", [broken])
    assert caught.value.filename == str(broken) and caught.value.line == 1



# -- hosting ----------------------------------------------------------------------------


@ray_tests
def test_a_peer_actor_is_named_and_serves_what_its_files_expose(ray_cluster, spawn):
    import ray

    peer = spawn("host")
    assert peer.names() == ["work", "call-count", "slow", "fail", "oops", "store-put", "store-export",
                            "restore-from"]
    # Found by name in the sxflow namespace, from anywhere in the cluster.
    found = ray.get_actor(peer.name, namespace=sxray.NAMESPACE)
    assert ray.get(found.names.remote(), timeout=10) == peer.names()
    assert peer.process_id() != os.getpid()


@ray_tests
def test_a_name_in_use_is_refused(spawn):
    peer = spawn("taken")
    with pytest.raises(sxray.ActorStartError, match="taken"):
        sxray.serve_actor(peer.name, [])
    assert peer.names()  # the first one still serves


@ray_tests
def test_files_that_fail_are_reported_and_leave_the_name_free(ray_cluster, tmp_path):
    failing = tmp_path / "failing.sx"
    failing.write_text("(define x 1)\n(car '())\n", encoding="utf-8")
    name = f"failing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(sxray.ActorStartError) as caught:
        sxray.serve_actor(name, [failing])
    assert f"{failing}:2:1: car: expected a pair" in str(caught.value)
    deadline = time.monotonic() + 30
    while sxray.stop_actor(name) and time.monotonic() < deadline:  # the half-made actor goes away
        time.sleep(0.1)
    assert not sxray.stop_actor(name)


@ray_tests
def test_the_actor_outlives_the_process_that_started_it(ray_cluster, peer_file, sx):
    """`sxflow serve --ray` in another process: the command ends, the detached actor stays."""
    name = f"cli-{uuid.uuid4().hex[:8]}"
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "sxflow", "serve", "--ray", name, str(peer_file), "--ray-address", ray_cluster],
            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 0, result.stderr
        first_line = result.stdout.splitlines()[0]
        assert first_line == f"serving {name} as Ray actor {name} in namespace sxflow at {ray_cluster}"
        assert sx.flow.connect_ray("cli", name, timeout=10) == ["work", "call-count", "slow", "fail", "oops",
                                                               "store-put", "store-export", "restore-from"]
        assert sx.eval("(flow-transport \"cli\" 'work 1)") == make_list([Symbol(name), 1])
    finally:
        sxray.stop_actor(name)


def test_serve_ray_without_a_cluster_says_how_to_start_one(tmp_path, peer_file):
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    result = subprocess.run(
        [sys.executable, "-m", "sxflow", "serve", "--ray", "nowhere", str(peer_file), "--ray-address", address],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert f"no Ray cluster at {address}" in result.stderr and "ray start --head" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_ray_usage_errors(peer_file):
    result = subprocess.run(
        [sys.executable, "-m", "sxflow", "serve", "--ray", "x", str(peer_file), "--listen", "127.0.0.1:0"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2 and "--listen and --secret-file are for the HTTP server" in result.stderr
    result = subprocess.run([sys.executable, "-m", "sxflow", "serve", str(peer_file)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--name NAME (or --ray NAME" in result.stderr


# -- calls through the Ray transport ---------------------------------------------------


@ray_tests
def test_three_actor_peers_failover_answers_from_the_first(spawn, sx):
    peers = [spawn(label) for label in ("a", "b", "c")]
    labels = connect_all(sx, peers)
    assert failover(sx, labels, "work", 7) == make_list([Symbol(peers[0].name), 7])
    assert sx.eval("(flow-transport \"b\" 'work 8)") == make_list([Symbol(peers[1].name), 8])
    assert sx.eval("((remote-node \"c\" 'work) 9)") == make_list([Symbol(peers[2].name), 9])
    # Only the first ran the failover call.
    counts = [sx.eval(f"(flow-transport \"{label}\" 'call-count 0)") for label in labels]
    assert counts == [1, 1, 1]


@ray_tests
def test_kill_the_first_during_a_long_call_and_the_next_answers(spawn, sx):
    import ray

    peers = [spawn(label) for label in ("a", "b", "c")]
    labels = connect_all(sx, peers, timeout=60.0)
    outcome = {}

    def long_call():
        started = time.monotonic()
        outcome["value"] = sx.eval(f"((remote-failover (list \"a\" \"b\" \"c\") 'slow {FALLBACK}) "
                                   f"'(\"{peers[0].name}\" 45))")
        outcome["seconds"] = time.monotonic() - started

    caller = threading.Thread(target=long_call)
    caller.start()
    wait_until_busy(peers[0])
    killed_at = time.monotonic()
    ray.kill(peers[0].actor)
    caller.join(timeout=40)
    assert not caller.is_alive()
    assert outcome["value"] == make_list([Symbol(peers[1].name), Symbol("slow")])
    assert time.monotonic() - killed_at < 20  # moved on at the death, not after 45 s of work or a timeout
    assert raised(sx, "(flow-transport \"a\" 'work 1)") == UNREACHABLE


@ray_tests
def test_every_actor_killed_the_local_fallback_answers(spawn, sx):
    peers = [spawn(label) for label in ("a", "b", "c")]
    labels = connect_all(sx, peers)
    for peer in peers:
        kill(peer)
    assert failover(sx, labels, "work", 3) == make_list([Symbol("local"), 3])


@ray_tests
def test_no_such_function_and_raises_cross_back(spawn, sx):
    peer = spawn("a")
    # Named proxies: registered without asking the actor, one of them for a function it lacks.
    sx.eval(f"(ray-connect! \"a\" \"{peer.name}\" '(work nothing fail oops) 10)")
    assert raised(sx, "(flow-transport \"a\" 'nothing 1)") == NO_FN
    assert raised(sx, "(flow-transport \"a\" 'fail 1)") == Symbol("custom-failure")
    error = raised(sx, "(flow-transport \"a\" 'oops 5)")
    assert isinstance(error, ErrorObject)
    assert error.message == "oops happened" and error.irritants == (5, Symbol("sym"))
    assert sx.eval("(flow-transport \"a\" 'work \"ok\")") == make_list([Symbol(peer.name), "ok"])


@ray_tests
def test_a_missing_actor_is_unreachable(ray_cluster, sx):
    assert raised(sx, '(ray-connect! "ghost" "no-such-actor")') == UNREACHABLE
    sx.eval("(ray-connect! \"ghost\" \"no-such-actor\" '(work))")  # named proxies: no question asked
    assert raised(sx, "(flow-transport \"ghost\" 'work 1)") == UNREACHABLE
    assert sx.eval("((remote-failover (list \"ghost\") 'work %s) 2)" % FALLBACK) == make_list([Symbol("local"), 2])


@ray_tests
def test_a_call_past_its_timeout_is_unreachable(spawn, sx):
    peer = spawn("a")
    sx.flow.connect_ray("a", peer.name, timeout=0.5)
    started = time.monotonic()
    assert raised(sx, f"(flow-transport \"a\" 'slow '(\"{peer.name}\" 6))") == UNREACHABLE
    assert time.monotonic() - started < 4.5  # gave up at its timeout, well before the call's 6 s
    # The abandoned call finishes on its own; the actor then answers again.
    sx.flow.connect_ray("a", peer.name, timeout=30)
    assert sx.eval("(flow-transport \"a\" 'work 1)") == make_list([Symbol(peer.name), 1])


@ray_tests
def test_only_plain_data_is_sent(spawn, sx):
    peer = spawn("a")
    connect_all(sx, [peer])
    error = raised(sx, "(flow-transport \"a\" 'work car)")
    assert "not plain data" in error.message and "car" in error.message
    assert sx.eval("(flow-transport \"a\" 'call-count 0)") == 0  # nothing ran there


@ray_tests
def test_a_repeated_idempotency_key_runs_once(spawn, sx):
    connect_all(sx, [spawn("a")])
    sx.eval("""(define (twice) (fed-call-key "step-1" (fn () (flow-transport "a" 'work 1)))
                                (fed-call-key "step-1" (fn () (flow-transport "a" 'work 1))))""")
    sx.eval("(twice)")
    assert sx.eval("(flow-transport \"a\" 'call-count 0)") == 1


@ray_tests
def test_replicas_push_to_an_actor_and_restore_there(spawn, sx):
    connect_all(sx, [spawn("standby")])
    sx.eval('(fed-set-name! "origin") (flow-store-put! "order" (list 1 2 3)) (flow-store-put! \'total 6)')
    sx.eval('(fed-replicate-to "standby")')
    assert sx.eval('(fed-fetch-replica "standby")') == sx.eval("(flow-store-export)")
    assert sx.eval('(flow-transport "standby" \'restore-from "origin")') is True
    assert sx.eval("(flow-transport \"standby\" 'store-export 0)") == sx.eval("(flow-store-export)")
    assert sx.eval('(flow-transport "standby" \'restore-from "nobody")') is False


@ray_tests
def test_an_actor_restarted_by_ray_serves_again_with_its_memory_empty(spawn, sx):
    peer = spawn("a")
    connect_all(sx, [peer], timeout=30)
    sx.eval("(flow-transport \"a\" 'store-put '(\"k\" 1))")
    before = peer.process_id()
    peer.kill(restart=True)  # what Ray does after a crash, within max_restarts
    restarted_process(peer, before)
    # Same files, same functions; the store of the old process is gone.
    assert sx.eval("(flow-transport \"a\" 'store-export 0)") is NIL
    assert sx.eval("(flow-transport \"a\" 'work 2)") == make_list([Symbol(peer.name), 2])


@ray_tests
def test_the_readme_ray_example_runs_as_written(ray_cluster, tmp_path, sx):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```scheme\n(.*?)```", readme, re.S)
    pricing_source = next(block for block in blocks if block.startswith(";; pricing.sx"))
    client_source = next(block for block in blocks if block.startswith('(ray-connect! "eu-1" "eu-1")'))
    pricing = tmp_path / "pricing.sx"
    pricing.write_text(pricing_source, encoding="utf-8")
    peers = [sxray.serve_actor(name, [pricing]) for name in ("eu-1", "us-1")]
    try:
        assert sx.eval(client_source) == make_list(["eu-1", 36])
        price = "((remote-failover '(\"eu-1\" \"us-1\") 'price (fn (order) 'local)) '(tea 3))"
        kill(peers[0])
        assert sx.eval(price) == make_list(["us-1", 36])
        kill(peers[1])
        assert sx.eval(price) == Symbol("local")
    finally:
        for peer in peers:
            sxray.stop_actor(peer.name)


@ray_tests
def test_the_ray_demo_shows_failover_and_a_run_handed_over(ray_cluster, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("ray_demo", ROOT / "examples" / "ray" / "demo.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    demo.run(suffix=f"-{uuid.uuid4().hex[:8]}")  # in this process's Ray instance
    out = capsys.readouterr().out
    eu = re.search(r"^serving (eu-1-\w+) and (us-1-\w+) as Ray actors$", out, re.M)
    assert eu, out
    eu_name, us_name = eu.groups()
    assert f'price of (tea 3): ("{eu_name}" 36)' in out
    assert f'price of (tea 3) with {eu_name} dead: ("{us_name}" 36)' in out
    assert (f'{us_name} takes over invoice-7: ((fetch "{eu_name}") (check "{eu_name}") (price "{us_name}") '
            f'(ship "{us_name}"))') in out
    assert 'price of (tea 3) with every peer dead: ("local" 30)' in out


# -- resuming a run after the actor that ran it is gone ---------------------------------

# A 4-step flow; each step notes its key in this process's ledger. `crash-step`, when set,
# makes that step spin here until the process is killed: the crash happens mid-step.
FLOW_SOURCE = """
(define ledger '())
(define crash-step #f)
(define (busy seconds)
  (let ((end (+ (current-second) seconds)))
    (let loop () (if (< (current-second) end) (loop) #t))))
(define (step index)
  (fn (x)
    (set! ledger (cons (flow-step-key) ledger))
    (if (eqv? crash-step index) (busy 60))
    (append x (list index))))
(flow-define 'order (list (step 0) (step 1) (step 2) (step 3)))
(define (start spec)  ; (run-id standby-actor-name-or-#f crash-step)
  (set! crash-step (caddr spec))
  (if (cadr spec)
      (begin (ray-connect! "standby" (cadr spec)) (flow-standby! (list "standby"))))
  (flow-start! (car spec) 'order '()))
(define (resume run-id) (flow-resume! run-id))
(define (replica-status spec)  ; (origin run-id): the run as the latest replica from origin has it
  (if (flow-restore-from (car spec)) (flow-run-status (cadr spec)) #f))
(define (take-over spec)  ; (origin run-id): restore origin's replica here and finish its run
  (flow-restore-from (car spec))
  (flow-resume! (cadr spec)))
(define (run-ledger x) (reverse ledger))
(fed-expose! (list (list 'start start) (list 'resume resume) (list 'replica-status replica-status)
                   (list 'take-over take-over) (list 'run-ledger run-ledger)))
"""


@pytest.fixture
def flow_file(tmp_path):
    path = tmp_path / "flow.sx"
    path.write_text(FLOW_SOURCE, encoding="utf-8")
    return path


def start_in_background(peer, text):
    """Evaluate ``text`` in a thread with its own client interpreter, ``peer`` connected under its label.

    For a call that does not return while its actor is busy; returns the thread and its
    outcome (``{"value": ...}`` or ``{"raised": payload}``). One interpreter per thread:
    the test's own interpreter keeps asking other peers meanwhile.
    """
    caller = Interpreter().load_flow()
    connect_all(caller, [peer], timeout=120)
    outcome = {}

    def run():
        try:
            outcome["value"] = caller.eval(text)
        except SchemeError as error:
            outcome["raised"] = error.payload

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def status_field(status, name):
    for entry in status:
        if entry.car == Symbol(name):
            return entry.cdr.car
    raise KeyError(name)


@ray_tests
def test_a_run_resumes_on_the_standby_actor_after_the_origin_actor_is_killed(spawn, flow_file, sx):
    import ray

    origin, standby = spawn("origin", [flow_file]), spawn("standby", [flow_file])
    connect_all(sx, [origin, standby], timeout=120)
    # The origin runs the flow with the standby receiving a replica after every checkpoint,
    # and crashes in the middle of step 2.
    thread, outcome = start_in_background(origin, f"(flow-transport \"origin\" 'start '(\"r\" \"{standby.name}\" 2))")
    deadline = time.monotonic() + 60
    status = False
    while time.monotonic() < deadline:
        status = sx.eval(f"(flow-transport \"standby\" 'replica-status '(\"{origin.name}\" \"r\"))")
        if status is not False and status_field(status, "next") == 2:
            break
        time.sleep(0.1)
    assert status is not False and status_field(status, "next") == 2, status
    wait_until_busy(origin)
    ray.kill(origin.actor)
    thread.join(timeout=60)
    assert outcome == {"raised": UNREACHABLE}
    # The standby restores the origin's replica and resumes: steps 0 and 1 are not run again.
    assert sx.eval(f"(flow-transport \"standby\" 'take-over '(\"{origin.name}\" \"r\"))") == make_list([0, 1, 2, 3])
    assert sx.eval("(flow-transport \"standby\" 'run-ledger 0)") == make_list(['"r"/2', '"r"/3'])  # step keys start with the run id as written


@ray_tests
def test_a_run_resumes_from_sqlite_in_the_actor_ray_restarted(spawn, flow_file, tmp_path, sx):
    peer = spawn("durable", [flow_file], store_path=str(tmp_path / "peer-store.db"))
    connect_all(sx, [peer], timeout=120)
    before = peer.process_id()
    thread, outcome = start_in_background(peer, "(flow-transport \"durable\" 'start '(\"r\" #f 2))")
    wait_until_busy(peer)
    peer.kill(restart=True)  # a crash within max_restarts: Ray starts the actor again
    thread.join(timeout=60)
    assert outcome == {"raised": UNREACHABLE}
    restarted_process(peer, before)
    # The new process reopened the SQLite store: the run continues at step 2.
    assert sx.eval("(flow-transport \"durable\" 'resume \"r\")") == make_list([0, 1, 2, 3])
    assert sx.eval("(flow-transport \"durable\" 'run-ledger 0)") == make_list(['"r"/2', '"r"/3'])  # step keys start with the run id as written
