"""Failover on real process death: kill -9 during a long call, a SIGSTOPped (hung) peer, every peer gone.

Three fresh `sxflow serve` peers, killed one by one with real signals.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest

from fedpeers import SECRET, start_peers
from sxflow import Interpreter, Symbol

pytestmark = [pytest.mark.xdist_group("fed"), pytest.mark.slow]  # real server processes


@pytest.fixture
def peers():
    started = start_peers("A", "B", "C")
    yield started
    for peer in started:
        peer.close()


def test_failover_follows_real_process_death_and_hangs(peers):
    a, b, c = peers
    sx = Interpreter().load_flow()
    # A long call needs a long timeout on A; B is given a short one so its hang is noticed.
    sx.flow.connect("A", a.url, timeout=60, secret=SECRET)
    sx.flow.connect("B", b.url, timeout=3.0, secret=SECRET)
    sx.flow.connect("C", c.url, timeout=10, secret=SECRET)
    local = "(fn (x) (list \"local\" x))"
    node = sx.eval(f'(remote-failover (list "A" "B" "C") \'whoami {local})')
    assert node(1) == sx.eval("'(\"A\" 1)")  # answers from the first
    # A replicates its store to B over HTTP (A's own fed-connect! and fed-replicate-to).
    assert sx.eval(f'(flow-transport "A" \'handoff "{b.url}")') == Symbol("pushed")

    # kill -9 A during a long call: the call fails over to B, which answers.
    slow = sx.eval(f'(remote-failover (list "A" "B" "C") \'slow {local})')
    result = {}
    work = sx.eval("'((\"A\" 1000000000))")  # a very long loop on A, none elsewhere
    worker = threading.Thread(target=lambda: result.setdefault("value", slow(work)))
    worker.start()
    a.wait_for_line("slow-started", 30)
    a.kill()
    worker.join(60)
    assert not worker.is_alive()
    assert result["value"] == sx.eval("'(\"B\" slow-done)")
    assert node(2) == sx.eval("'(\"B\" 2)")
    # A is dead; B restores A's store from the replica with remote.sx's flow-restore-from.
    restored = sx.eval('(flow-transport "B" \'restore "A")')
    assert restored == sx.eval("'((\"job\" \"invoice-7\") (\"done\" (fetch parse #(1 2) 1/3 #\\x)))")

    # SIGSTOP B: a hung peer; the 3 s timeout moves on to C.
    b.signal(signal.SIGSTOP)
    started = time.monotonic()
    assert node(3) == sx.eval("'(\"C\" 3)")
    assert 2.5 < time.monotonic() - started < 15
    b.signal(signal.SIGCONT)
    b.kill()

    # Every peer killed: the local node answers.
    c.kill()
    assert node(4) == sx.eval("'(\"local\" 4)")
    assert sx.eval('(guard (e (#t e)) (flow-transport "C" \'whoami 1))') == Symbol("flow-remote-unreachable")
