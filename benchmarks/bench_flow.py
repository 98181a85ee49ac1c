"""Benchmark the flow library: failover depth, the store at 100,000 keys, and the peer registry.

Run: ``python benchmarks/bench_flow.py`` (``--quick`` stops one size earlier).
Prints, for each operation and size, the time per run and per item, and the growth
factor of the total time per 10x of the size (10 means linear, 100 quadratic).

- failover: ``remote-failover`` through N unreachable addresses before the one
  registered peer that answers. The seed's ``flow-failover-step`` nests one ``guard``
  per address (a non-tail recursion N deep), so this is also a deep-recursion test.
- store: N ``flow-store-put!``, N ``flow-store-get``, then ``flow-store-export``,
  ``write_string`` of the export, ``read`` of that text and ``flow-store-import!``.
- peers: N peers registered, then each reached once by ``flow-transport``. The seed's
  registry is an association list searched from the newest peer, so reaching every
  peer once is quadratic by design (remote.sx is the user's file and stays as it is).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

# Run from a checkout without installing: the repository's sxflow comes first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sxflow  # noqa: E402
from sxflow import Interpreter, read, write_string  # noqa: E402
from sxflow.data import make_list  # noqa: E402
from sxflow.flow import Flow  # noqa: E402


def timed(function, repeat: int = 1) -> float:
    """The best time of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()  # garbage from the previous measurement is not this one's cost
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def repeats_for(size: int) -> int:
    return max(1, min(20, 2_000 // max(size, 1)))


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(self, operation: str, size: int, seconds: float, per: str = "item") -> None:
        self.rows.append((operation, size, seconds, per))
        print(f"  {operation:<34} n={size:>7,}  {seconds * 1e3:10.2f} ms  {seconds / size * 1e6:9.2f} µs/{per}",
              flush=True)

    def print(self) -> None:
        print()
        header = f"{'operation':<34} {'n':>8} {'total ms':>11} {'µs per item':>12} {'growth /10x':>12}"
        print(header)
        print("-" * len(header))
        previous: dict[str, tuple[int, float]] = {}
        for operation, size, seconds, per in self.rows:
            growth = ""
            if operation in previous:
                last_size, last_seconds = previous[operation]
                if last_seconds > 0 and size == last_size * 10:
                    growth = f"{seconds / last_seconds:10.1f}x"
            previous[operation] = (size, seconds)
            print(f"{operation:<34} {size:>8,} {seconds * 1e3:11.2f} {seconds / size * 1e6:12.2f} {growth:>12}")


def bench_failover(table: Table, sizes) -> None:
    print("failover through N unreachable addresses, then the peer that answers:")
    flow = Flow(Interpreter())
    flow.register_peer("answering", {"work": lambda value: value + 1})
    for size in sizes:
        addresses = [f"down-{index}" for index in range(size)] + ["answering"]
        node = flow.failover(addresses, "work", lambda value: -1)
        result = []
        seconds = timed(lambda: result.append(node(41)), repeats_for(size))
        assert result[-1] == 42, result[-1]
        table.add("failover (per skipped address)", size, seconds, "address")


def bench_store(table: Table, sizes) -> None:
    print("the flow store:")
    for size in sizes:
        sx = Interpreter().load_flow()
        sx["keys"] = make_list([f"key-{index}" for index in range(size)])
        sx.eval("(define (put-all ks i) (if (pair? ks) (begin (flow-store-put! (car ks) (list i \"v\" 1.5)) "
                "(put-all (cdr ks) (+ i 1)))))"
                "(define (get-all ks) (if (pair? ks) (begin (flow-store-get (car ks)) (get-all (cdr ks)))))")
        table.add("flow-store-put!", size, timed(lambda: sx.eval("(put-all keys 0)")))
        table.add("flow-store-get", size, timed(lambda: sx.eval("(get-all keys)")))
        exports = []
        table.add("flow-store-export", size, timed(lambda: exports.append(sx.eval("(flow-store-export)"))))
        texts = []
        table.add("write_string(export)", size, timed(lambda: texts.append(write_string(exports[-1]))))
        data = []
        table.add("read(text)", size, timed(lambda: data.append(read(texts[-1]))))
        table.add("flow-store-import!", size, timed(lambda: sx.call("flow-store-import!", data[-1])))
        assert sx.eval('(flow-store-get "key-0")') == make_list([0, "v", 1.5])
        assert len(texts[-1]) > size * 10


def bench_peers(table: Table, sizes) -> None:
    print("N registered peers, each reached once by flow-transport (quadratic by design):")
    for size in sizes:
        sx = Interpreter().load_flow()
        sx["addresses"] = make_list([f"peer-{index}" for index in range(size)])
        sx.eval("(define (register-all as) (if (pair? as) (begin (flow-peer-register! (car as) "
                "(list (list 'work (lambda (x) (+ x 1))))) (register-all (cdr as)))))"
                "(define (reach-all as total) (if (pair? as) (reach-all (cdr as) (+ total (flow-transport (car as) 'work 1))) total))")
        table.add("flow-peer-register!", size, timed(lambda: sx.eval("(register-all addresses)")), "peer")
        result = []
        table.add("flow-transport to every peer once", size,
                  timed(lambda: result.append(sx.eval("(reach-all addresses 0)")), repeats_for(size)), "peer")
        assert result[-1] == 2 * size


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="stop one size earlier in each series")
    arguments = parser.parse_args(argv)
    cut = -1 if arguments.quick else None
    print(f"sxflow {sxflow.__version__}, Python {sys.version.split()[0]}")
    table = Table()
    bench_failover(table, [1, 10, 100, 1_000, 10_000][:cut])
    bench_store(table, [1_000, 10_000, 100_000][:cut])
    bench_peers(table, [100, 1_000][:cut] if not arguments.quick else [100])
    table.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
