"""The sxflow serve command and sxflow.fed.serve: secret required, the extra named, first line, graceful stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading

import pytest

from fedpeers import PEER_PROGRAM, ROOT, SECRET, Peer
from sxflow import Interpreter, Symbol
from sxflow.fed import serve

pytestmark = [pytest.mark.xdist_group("fed"), pytest.mark.slow]  # real server processes


def run_sxflow(*args, env=None, code=None):
    environment = {key: value for key, value in os.environ.items() if key != "SXFLOW_FED_SECRET"}
    environment.update(env or {}, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "sxflow", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=environment, timeout=120)


def test_serve_refuses_to_start_without_a_secret_and_says_how_to_set_it():
    result = run_sxflow("serve", str(PEER_PROGRAM), "--name", "A")
    assert result.returncode == 2
    assert "SXFLOW_FED_SECRET" in result.stderr and "--secret-file" in result.stderr
    short = run_sxflow("serve", str(PEER_PROGRAM), "--name", "A", env={"SXFLOW_FED_SECRET": "short"})
    assert short.returncode == 2 and "too short" in short.stderr
    missing = run_sxflow("serve", str(PEER_PROGRAM), "--name", "A", "--secret-file", "/nonexistent/secret")
    assert missing.returncode == 2 and "cannot read the secret file" in missing.stderr


def test_serve_without_the_extra_names_the_install_command():
    code = ("import sys; sys.modules['uvicorn'] = None; from sxflow.cli import main; "
            f"sys.exit(main(['serve', {str(PEER_PROGRAM)!r}, '--name', 'A']))")
    result = run_sxflow(code=code, env={"SXFLOW_FED_SECRET": SECRET})
    assert result.returncode == 2
    assert 'pip install "sxflow[fed]"' in result.stderr


def test_the_interpreter_does_not_import_httpx_or_uvicorn():
    code = ("import sys, sxflow; i = sxflow.Interpreter().load_flow(); i.eval('(fed-set-name! \"x\")'); "
            "print(sorted(m for m in ('httpx', 'uvicorn', 'ray') if m in sys.modules))")
    assert run_sxflow(code=code).stdout.strip() == "[]"


def test_bad_listen_address_is_a_usage_error():
    result = run_sxflow("serve", str(PEER_PROGRAM), "--name", "A", "--listen", "127.0.0.1:notaport",
                        env={"SXFLOW_FED_SECRET": SECRET})
    assert result.returncode == 2 and "--listen" in result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_lets_the_in_flight_call_finish_then_releases_the_port(tmp_path, stop):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    port = free_port()
    peer = Peer("S", args=["--listen", f"127.0.0.1:{port}", "--secret-file", str(secret_file)],
                env={"SXFLOW_FED_SECRET": ""})
    try:
        peer.started()
        assert peer.port == port
        sx = Interpreter().load_flow()
        sx.flow.connect("S", peer.url, timeout=60, secret=SECRET)
        result = {}
        work = sx.eval("'((\"S\" 2000000))")  # a second or more: still running at the signal
        call = threading.Thread(target=lambda: result.setdefault("value", sx["flow-transport"]("S", Symbol("slow"), work)))
        call.start()
        peer.wait_for_line("slow-started", 30)
        peer.signal(stop)
        call.join(60)
        assert result["value"] == sx.eval("'(\"S\" slow-done)")
        assert peer.process.wait(30) == 0
        with socket.socket() as again:  # the port is free again
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", port))
    finally:
        peer.close()


def test_embedded_serve_handle():
    server_side = Interpreter().load_flow()
    server_side.eval("(fed-expose! (list (list 'triple (fn (x) (* 3 x)))))")
    handle = serve(server_side, name="embedded", secret=SECRET)
    try:
        assert handle.url == f"http://127.0.0.1:{handle.port}"
        client = Interpreter().load_flow()
        assert client.flow.connect("E", handle.url, secret=SECRET) == ["triple"]
        assert client.eval('(flow-transport "E" \'triple 14)') == 42
    finally:
        handle.close()
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", handle.port))
    assert client.eval('(guard (e (#t e)) (flow-transport "E" \'triple 1))') == Symbol("flow-remote-unreachable")


def test_any_function_origin_or_key_name_crosses_intact():
    server_side = Interpreter().load_flow()
    server_side.eval("(fed-expose! (list (list 'valid? (fn (x) (list 'ok x)))"
                     " (list '|a b/c&d=e| (fn (x) 2)) (list (string->symbol \"λ+%20\") (fn (x) 3))))")
    handle = serve(server_side, name="ü/name", secret=SECRET)
    try:
        client = Interpreter().load_flow()
        assert client.flow.connect("p", handle.url, secret=SECRET) == ["valid?", "a b/c&d=e", "λ+%20"]
        assert client.eval('(fed-call-key "ключ/ü?&=#" (fn () (flow-transport "p" (string->symbol "λ+%20") 1)))') == 3
        assert client.eval("(flow-transport \"p\" '|a b/c&d=e| 1)") == 2
        client.eval('(fed-set-name! "orígin/ü?#") (flow-store-put! "a" 1) (fed-replicate-to "p")')
        assert server_side.eval('(flow-restore-from "orígin/ü?#")') is True
        assert client.eval('(fed-fetch-replica "p")') == client.eval("'((\"a\" 1))")
    finally:
        handle.close()


def test_a_call_that_never_ends_does_not_keep_a_stopped_server_alive(tmp_path):
    program = tmp_path / "forever.sx"
    program.write_text("(define (forever x) (display \"forever-started\") (newline) (flush-output-port)"
                       " (let loop () (loop)))\n(fed-expose! (list (list 'forever forever)))\n")
    peer = Peer("F", program, args=["--shutdown-timeout", "2"])
    try:
        peer.started()
        sx = Interpreter().load_flow()
        sx.flow.connect("F", peer.url, timeout=1, secret=SECRET)
        assert sx.eval('(guard (e (#t e)) (flow-transport "F" \'forever 1))') == Symbol("flow-remote-unreachable")
        peer.wait_for_line("forever-started", 30)
        peer.signal(signal.SIGTERM)
        assert peer.process.wait(60) == 0  # after the shutdown timeout (2 s here)
    finally:
        peer.close()
