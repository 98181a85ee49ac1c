"""Benchmark federation over HTTP on loopback: call latency, failover, replica push + restore.

Run: ``python benchmarks/bench_fed.py`` (``--quick`` for fewer calls and no 100,000-entry
store). Needs ``pip install "sxflow[fed]"``. Starts real ``sxflow serve`` processes on
127.0.0.1 (OS-chosen ports, a made-up secret), and prints:

- calls/s, p50 and p99 of ``flow-transport`` through a proxy, one client and 8
  concurrent client processes (target p50 <= 2 ms);
- failover time past a dead peer (connection refused; target <= 10 ms) and past a hung
  peer (SIGSTOPped; about its timeout, 0.5 s here);
- replica push (``fed-replicate-to``) + restore on the server (``flow-restore-from``)
  of 1,000 and 100,000-entry stores, in seconds and MB/s of wire data (target 100,000
  entries <= 3 s), against the S-expression text path (``write`` the export, ``read``
  it back, ``flow-store-import!``), with the ratio.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from sxflow import Interpreter, read, write_string  # noqa: E402
from sxflow.fed import wire  # noqa: E402

PEER = """
(define (double x) (* 2 x))
(define (restore origin) (flow-restore-from origin))
(fed-expose! (list (list 'double double) (list 'restore restore)))
"""


def start_peer(name: str, program: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "sxflow", "serve", str(program), "--name", name],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT,
                               env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return process, process.stdout.readline().strip().split(" at ", 1)[1]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def client(url: str, calls: int) -> list[float]:
    sx = Interpreter().load_flow()
    sx.flow.connect("peer", url)
    call = sx.eval("(lambda (x) (flow-transport \"peer\" 'double x))")
    call(1)  # open the connection
    latencies = []
    for index in range(calls):
        start = time.perf_counter()
        call(index)
        latencies.append(time.perf_counter() - start)
    return latencies


def _client_worker(args):
    return client(*args)


def report_calls(label: str, latencies: list[float], elapsed: float) -> None:
    print(f"  {label:<22} {len(latencies) / elapsed:8.0f} calls/s   p50 {percentile(latencies, 0.5) * 1e3:6.2f} ms"
          f"   p99 {percentile(latencies, 0.99) * 1e3:6.2f} ms")


def bench_calls(url: str, calls: int) -> None:
    print(f"flow-transport through a proxy ({calls} calls)")
    start = time.perf_counter()
    latencies = client(url, calls)
    report_calls("1 client", latencies, time.perf_counter() - start)
    context = multiprocessing.get_context("fork")
    with context.Pool(8) as pool:
        start = time.perf_counter()
        results = pool.map(_client_worker, [(url, calls // 8)] * 8)
        elapsed = time.perf_counter() - start
    report_calls("8 concurrent clients", [x for result in results for x in result], elapsed)


def bench_failover(url: str, hung: subprocess.Popen, hung_url: str, rounds: int) -> None:
    print("failover (remote-failover: first peer fails, the second answers)")
    sx = Interpreter().load_flow()
    sx.flow.connect("live", url)
    sx.flow.connect("refused", "http://127.0.0.1:9", names=["double"])
    sx.flow.connect("hung", hung_url, names=["double"], timeout=0.5)
    direct = sx.eval("(remote-failover (list \"live\") 'double (fn (x) 0))")
    refused = sx.eval("(remote-failover (list \"refused\" \"live\") 'double (fn (x) 0))")
    hang = sx.eval("(remote-failover (list \"hung\" \"live\") 'double (fn (x) 0))")

    def times(node, count):
        node(1)
        samples = []
        for _ in range(count):
            start = time.perf_counter()
            node(1)
            samples.append(time.perf_counter() - start)
        return samples

    base = statistics.median(times(direct, rounds))
    past_refused = statistics.median(times(refused, rounds))
    print(f"  past a refused peer    {past_refused * 1e3:6.2f} ms  (direct call {base * 1e3:.2f} ms; "
          f"failover cost {(past_refused - base) * 1e3:.2f} ms)")
    hung.send_signal(signal.SIGSTOP)
    try:
        past_hung = statistics.median(times(hang, 3))
    finally:
        hung.send_signal(signal.SIGCONT)
    print(f"  past a hung peer       {past_hung * 1e3:6.1f} ms  (its timeout: 500 ms)")


def bench_replicas(url: str, sizes: list[int]) -> None:
    print("replica push + restore (fed-replicate-to, then flow-restore-from on the server)")
    for size in sizes:
        sx = Interpreter().load_flow()
        sx.flow.connect("peer", url, timeout=120)
        sx.eval('(fed-set-name! "bench")')
        sx.eval(f"""(let loop ((i 0)) (when (< i {size})
                      (flow-store-put! (string-append "key-" (number->string i)) (list i "text" 'sym 1.5 #t))
                      (loop (+ i 1))))""")
        export = sx.eval("(flow-store-export)")
        wire_bytes = len(wire.encode(export))
        start = time.perf_counter()
        sx.eval("(fed-replicate-to \"peer\")")
        pushed = time.perf_counter() - start
        assert sx.eval("(flow-transport \"peer\" 'restore \"bench\")") is True
        total = time.perf_counter() - start
        # The S-expression text path: write the export, read it back, import it.
        other = Interpreter().load_flow()
        start = time.perf_counter()
        text = write_string(sx.eval("(flow-store-export)"))
        other.call("flow-store-import!", read(text))
        text_time = time.perf_counter() - start
        print(f"  {size:>7} entries  push {pushed:6.2f} s  push+restore {total:6.2f} s  "
              f"{wire_bytes / total / 1e6:6.1f} MB/s ({wire_bytes / 1e6:.1f} MB)   "
              f"text path (in process, no network) {text_time:6.2f} s  ratio text/wire {text_time / total:5.1f}x")


def bench_ray_peers(quick: bool) -> None:
    """The same figures for peers as Ray actors (benchmarks/bench_ray.py), when Ray is installed."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        print('\nRay actor peers: not measured (pip install "sxflow[ray]")')
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_ray import measure  # sets Ray's environment before Ray is imported

    print()
    measure(quick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls, no 100,000-entry store")
    options = parser.parse_args()
    os.environ["SXFLOW_FED_SECRET"] = secrets.token_hex(32)
    with tempfile.TemporaryDirectory() as directory:
        program = Path(directory) / "peer.sx"
        program.write_text(PEER)
        live, url = start_peer("live", program)
        hung, hung_url = start_peer("hung", program)
        try:
            bench_calls(url, 800 if options.quick else 4000)
            bench_failover(url, hung, hung_url, 50 if options.quick else 200)
            bench_replicas(url, [1000] if options.quick else [1000, 100_000])
        finally:
            for process in (live, hung):
                process.kill()
                process.wait()
    bench_ray_peers(options.quick)


if __name__ == "__main__":
    main()
