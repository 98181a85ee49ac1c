"""The README's flow examples against real `sxflow serve` peers: the Federation section as written,
the flow library example and the failover walk-through with real peers, and examples/fed/demo.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from fedpeers import ROOT, SECRET, start_peers
from sxflow import Interpreter, Symbol, to_python, write_string

pytestmark = [pytest.mark.xdist_group("fed"), pytest.mark.slow]  # real server processes
README = (ROOT / "README.md").read_text(encoding="utf-8")
PEER_A = """
(define (double x) (* 2 x))
(define (price order) (raise 'rate-service-down))
(fed-expose! (list (list 'double double) (list 'price price)))
"""


def block(first_line: str) -> str:
    """The README code block whose first line is ``first_line``."""
    for match in re.finditer(r"```(?:scheme|sh|python)\n(.*?)```", README, re.S):
        if match.group(1).startswith(first_line):
            return match.group(1)
    raise AssertionError(f"no README block starting {first_line!r}")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    os.environ["SXFLOW_FED_SECRET"] = SECRET
    directory = tmp_path_factory.mktemp("readme")
    pricing = directory / "pricing.sx"
    pricing.write_text(block(";; pricing.sx"))
    peer_a = directory / "peer-a.sx"
    peer_a.write_text(PEER_A)
    from fedpeers import Peer

    peers = [Peer("eu-1", pricing), Peer("us-1", pricing), Peer("peer-a", peer_a)]
    try:
        yield {peer.name: peer.started() for peer in peers}
    finally:
        for peer in peers:
            peer.close()


def test_the_flow_library_example_with_a_real_peer(servers):
    """The README's flow library example, peer-a being a real server instead of a table."""
    interp = Interpreter().load_flow()
    flow = interp.flow
    flow.connect("peer-a", servers["peer-a"].url)
    assert flow.transport("peer-a", "double", 21) == 42
    flow.connect("peer-down", "http://127.0.0.1:9", names=["double"])
    node = flow.failover(["peer-down", "peer-a"], "double", lambda x: -1)
    assert node(5) == 10
    flow.store["order"] = ["tea", 2]
    interp.eval('(fed-set-name! "me") (fed-replicate-to "peer-a")')
    flow.store["order"] = "gone"
    flow.store.import_(interp.eval('(fed-fetch-replica "peer-a")'))
    assert to_python(flow.store["order"]) == ["tea", 2]


def test_the_failover_walk_through_with_real_peers(servers):
    """examples/failover.sx's story: one peer unreachable, one raising, one answering, then local."""
    sx = Interpreter().load_flow()
    sx.eval(f'(fed-connect! "eu-1" "http://127.0.0.1:9" \'(price))')
    sx.eval(f'(fed-connect! "eu-2" "{servers["peer-a"].url}")')
    sx.eval(f'(fed-connect! "us-1" "{servers["us-1"].url}" \'(price))')
    price = sx.eval("(remote-failover '(\"eu-1\" \"eu-2\" \"us-1\") 'price (fn (order) (* 10 (cadr order))))")
    assert sx.eval('(guard (e (#t e)) (flow-transport "eu-1" \'price \'(probe 0)))') == Symbol("flow-remote-unreachable")
    assert sx.eval('(guard (e (#t e)) (flow-transport "eu-2" \'price \'(probe 0)))') == Symbol("rate-service-down")
    assert write_string(price(sx.eval("'(order 3)"))) == '("us-1" 36)'
    assert write_string(sx.eval("((remote-failover '() 'price (fn (order) (* 10 (cadr order)))) '(order 5))")) == "50"


def test_the_federation_section_runs_as_written(servers):
    """Runs last of the module's server tests: it kills eu-1 and us-1."""
    sx = Interpreter().load_flow()
    text = block(";; client").replace("http://127.0.0.1:8701", servers["eu-1"].url)
    text = text.replace("http://127.0.0.1:8702", servers["us-1"].url)
    checked = 0
    for line in text.splitlines():
        code, _, expected = line.partition("; -> ")
        value = sx.eval(code)  # one form a line; the reader skips the comments
        if expected:
            assert write_string(value) == expected.strip(), line
            checked += 1
    assert checked == 3
    servers["eu-1"].kill()
    assert write_string(sx.eval("(price '(tea 3))")) == '("us-1" 36)'
    servers["us-1"].kill()
    assert write_string(sx.eval("(price '(tea 3))")) == '("local" 30)'


def test_the_demo_script_shows_failover_and_handoff():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "fed" / "demo.py")], capture_output=True,
                            text=True, timeout=180, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"^serving eu-1 at http://127\.0\.0\.1:\d+$", out, re.M)
    assert 'price of (tea 3): ("eu-1" 36)' in out
    assert 'price of (tea 3) with eu-1 dead: ("us-1" 36)' in out
    assert '("us-1" finished invoice-7 (fetch parse check price ship))' in out
    assert 'price of (tea 3) with every peer dead: ("local" 30)' in out
