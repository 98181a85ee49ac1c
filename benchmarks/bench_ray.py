"""Benchmark peers as Ray actors: calls through a Ray actor proxy, failover after ray.kill, replica push.

Run: ``python benchmarks/bench_ray.py`` (``--quick`` for fewer calls and a 10,000-entry
replica); ``benchmarks/bench_fed.py`` calls ``measure`` to print these figures beside
the HTTP transport's. Starts its own local Ray instance (2 CPUs, listening on
127.0.0.1, no dashboard, no usage report) and ends it.

- calls: ``flow-transport`` through a ``ray-connect!`` proxy to one actor, one client
  (p50/p99 per call, calls/s) and 8 client threads each with its own interpreter.
- failover: ``remote-failover`` over (killed actor, live actor): the time of the call
  that finds the first actor dead (``ray.kill`` just before, handle already cached),
  and of the call killed in the middle of a long computation, from kill to answer.
- replica: ``fed-replicate-to`` of a 100,000-entry store to an actor, then
  ``flow-restore-from`` there, and ``fed-fetch-replica`` back (seconds, MB/s of wire bytes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

# One machine, loopback only, nothing reported off the machine (set before Ray is imported).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

# Run from a checkout without installing: the repository's sxflow comes first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sxflow import Interpreter  # noqa: E402
from sxflow.fed import wire  # noqa: E402

PEER_SOURCE = """
(define (work x) x)
(define (busy seconds)
  (let ((end (+ (current-second) seconds)))
    (let loop () (if (< (current-second) end) (loop) #t))))
(define (slow spec)  ; busy only on the peer named in spec: the others answer at once
  (if (equal? (car spec) (fed-name)) (busy (cadr spec)))
  'slow)
(define (restore-from origin) (flow-restore-from origin))
(fed-expose! (list (list 'work work) (list 'slow slow) (list 'restore-from restore-from)))
"""


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def client(actor_name: str) -> Interpreter:
    sx = Interpreter().load_flow()
    sx.flow.connect_ray("peer", actor_name, timeout=30)
    return sx


def bench_calls(results: dict, actor_name: str, calls: int) -> None:
    sx = client(actor_name)
    call = sx.eval("(lambda (i) (flow-transport \"peer\" 'work i))")
    for index in range(50):  # warm up: handle looked up, worker and code paths hot
        call(index)
    latencies = []
    started = time.perf_counter()
    for index in range(calls):
        before = time.perf_counter()
        call(index)
        latencies.append(time.perf_counter() - before)
    elapsed = time.perf_counter() - started
    results["calls/s, 1 client"] = calls / elapsed
    results["p50 ms, 1 client"] = percentile(latencies, 0.50) * 1e3
    results["p99 ms, 1 client"] = percentile(latencies, 0.99) * 1e3
    print(f"  1 client:  {calls / elapsed:8.0f} calls/s   p50 {results['p50 ms, 1 client']:.2f} ms"
          f"   p99 {results['p99 ms, 1 client']:.2f} ms", flush=True)

    threads_count = 8
    clients = [client(actor_name) for _ in range(threads_count)]
    per_thread = max(1, calls // threads_count)
    samples: list[list[float]] = [[] for _ in clients]

    def run(index: int) -> None:
        call_here = clients[index].eval("(lambda (i) (flow-transport \"peer\" 'work i))")
        for value in range(per_thread):
            before = time.perf_counter()
            call_here(value)
            samples[index].append(time.perf_counter() - before)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(threads_count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    merged = [sample for thread_samples in samples for sample in thread_samples]
    results["calls/s, 8 clients"] = len(merged) / elapsed
    results["p50 ms, 8 clients"] = percentile(merged, 0.50) * 1e3
    results["p99 ms, 8 clients"] = percentile(merged, 0.99) * 1e3
    print(f"  8 clients: {len(merged) / elapsed:8.0f} calls/s   p50 {results['p50 ms, 8 clients']:.2f} ms"
          f"   p99 {results['p99 ms, 8 clients']:.2f} ms", flush=True)


def bench_failover(results: dict, peer_file: Path, rounds: int) -> None:
    import ray

    import sxflow.ray as sxray

    standby = sxray.serve_actor("bench-standby", [peer_file])
    after_kill, during_call = [], []
    try:
        for round_index in range(rounds):
            first = sxray.serve_actor(f"bench-first-{round_index}", [peer_file])
            sx = Interpreter().load_flow()
            sx.flow.connect_ray("first", first.name, timeout=30)
            sx.flow.connect_ray("standby", standby.name, timeout=30)
            node = sx.eval("(remote-failover (list \"first\" \"standby\") 'work (lambda (x) 'local))")
            node(0)  # the first answers; its handle is cached
            ray.kill(first.actor)
            while sxray.stop_actor(first.name):  # ray.kill acts asynchronously: wait until it is dead
                time.sleep(0.01)
            before = time.perf_counter()
            node(1)
            after_kill.append(time.perf_counter() - before)

            second = sxray.serve_actor(f"bench-second-{round_index}", [peer_file])
            sx.flow.connect_ray("second", second.name, timeout=30)
            long_call = sx.eval(f"(lambda () ((remote-failover (list \"second\" \"standby\") 'slow (lambda (x) 'local))"
                                f" '(\"{second.name}\" 20)))")
            finished = {}

            def call_and_time():
                long_call()
                finished["at"] = time.perf_counter()

            thread = threading.Thread(target=call_and_time)
            thread.start()
            time.sleep(0.5)  # the call is running in the actor by now
            killed_at = time.perf_counter()
            ray.kill(second.actor)
            thread.join(timeout=60)
            during_call.append(finished["at"] - killed_at)
    finally:
        sxray.stop_actor(standby.name)
    results["failover ms, dead actor"] = statistics.median(after_kill) * 1e3
    results["failover ms, killed mid-call"] = statistics.median(during_call) * 1e3
    print(f"  past an actor killed before the call: median {results['failover ms, dead actor']:.1f} ms "
          f"({rounds} rounds)", flush=True)
    print(f"  past an actor killed during the call, kill -> answer: median "
          f"{results['failover ms, killed mid-call']:.1f} ms", flush=True)


def bench_replica(results: dict, actor_name: str, entries: int) -> None:
    sx = client(actor_name)
    sx.eval('(fed-set-name! "origin")')
    # The entries bench_fed.py pushes over HTTP, so the two figures compare.
    sx.eval(f"""(let loop ((i 0)) (when (< i {entries})
                  (flow-store-put! (string-append "key-" (number->string i)) (list i "text" 'sym 1.5 #t))
                  (loop (+ i 1))))""")
    export_size = len(wire.encode(sx.eval("(flow-store-export)")))
    before = time.perf_counter()
    sx.eval('(fed-replicate-to "peer")')
    push = time.perf_counter() - before
    before = time.perf_counter()
    assert sx.eval("(flow-transport \"peer\" 'restore-from \"origin\")") is True
    restore = time.perf_counter() - before
    before = time.perf_counter()
    sx.eval('(fed-fetch-replica "peer")')
    fetch = time.perf_counter() - before
    megabytes = export_size / 1e6
    results[f"replica push s, {entries:,}"] = push
    results[f"replica restore s, {entries:,}"] = restore
    results[f"replica fetch s, {entries:,}"] = fetch
    print(f"  {entries:,} entries ({megabytes:.1f} MB on the wire): push {push:.2f} s ({megabytes / push:.1f} MB/s), "
          f"restore on the actor {restore:.2f} s, fetch back {fetch:.2f} s; push+restore {push + restore:.2f} s",
          flush=True)


def measure(quick: bool = False) -> dict:
    """Start a local Ray instance, run every measurement, end it; the figures by name."""
    import ray

    import sxflow.ray as sxray

    results: dict = {}
    print("Ray actor peers (one local Ray instance, 2 CPUs):", flush=True)
    before = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, namespace=sxray.NAMESPACE, log_to_driver=False,
             object_store_memory=256 * 1024 * 1024)
    results["ray.init s"] = time.perf_counter() - before
    try:
        with tempfile.TemporaryDirectory() as directory:
            peer_file = Path(directory) / "peer.sx"
            peer_file.write_text(PEER_SOURCE, encoding="utf-8")
            before = time.perf_counter()
            peer = sxray.serve_actor("bench-peer", [peer_file])
            results["serve_actor s"] = time.perf_counter() - before
            print(f"  ray.init {results['ray.init s']:.2f} s; serve_actor (process, interpreter, files) "
                  f"{results['serve_actor s']:.2f} s", flush=True)
            try:
                bench_calls(results, peer.name, 500 if quick else 3000)
                bench_replica(results, peer.name, 10_000 if quick else 100_000)
            finally:
                sxray.stop_actor(peer.name)
            bench_failover(results, peer_file, 2 if quick else 5)
    finally:
        ray.shutdown()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls, a 10,000-entry replica")
    measure(parser.parse_args().quick)


if __name__ == "__main__":
    main()
