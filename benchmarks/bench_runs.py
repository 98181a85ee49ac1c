"""Benchmark durable runs: checkpoint cost per step (memory, SQLite), resume after 10,000 steps, store open at 100,000 keys.

Run: ``python benchmarks/bench_runs.py`` (``--quick`` for fewer steps). Prints:

- checkpoint cost per step: a flow of N identity steps run by ``flow-start!``, minus
  the same N calls made by a plain Scheme loop, divided by N: what run.sx adds per step
  (the step key, the record, the store put!, and for a file the SQLite commit). Measured
  in memory, on a file with ``synchronous=NORMAL`` (the default: durable against a
  process crash) and with ``synchronous=FULL`` (also against power loss). The issue's
  target is at most 1 ms per step with SQLite.
- resume after 10,000 completed steps: a 10,001-step flow whose last step failed once;
  ``flow-resume!`` alone, and a new interpreter opening the store file and resuming
  (a process restart). Resume jumps to the checkpoint, so neither grows with the steps.
- store open at 100,000 keys: ``flow-store-open!`` of a file holding 100,000 entries
  (each a small list), which reads and decodes every entry into the in-memory table.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sxflow import Interpreter, Symbol  # noqa: E402
from sxflow.storedb import StoreFile  # noqa: E402
from sxflow.data import make_list  # noqa: E402

TARGET_SECONDS = 1e-3  # the ceiling for one SQLite checkpoint


def timed(function, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def interpreter_for(path: Path | None, synchronous: str = "normal") -> Interpreter:
    interpreter = Interpreter().load_flow()
    if path is not None:
        interpreter.call("flow-store-open!", str(path), Symbol(synchronous))
    return interpreter


def checkpoint_cost(path: Path | None, steps: int, synchronous: str = "normal") -> float:
    """Seconds run.sx adds per step: a flow of identity steps against a plain loop over them."""
    interpreter = interpreter_for(path, synchronous)
    interpreter.eval(f"""
      (define (identity-step x) x)
      (flow-define 'identity (make-list {steps} identity-step))
      (define (plain-loop n x) (if (= n 0) x (plain-loop (- n 1) (identity-step x))))""")
    counter = iter(range(1_000_000))
    value = make_list(["order", 42, Symbol("paid")])

    def run():
        interpreter.call("flow-start!", f"run-{next(counter)}", Symbol("identity"), value)

    def plain():
        interpreter.call("plain-loop", steps, value)

    cost = (timed(run, 3) - timed(plain, 3)) / steps
    interpreter.call("flow-store-close!")
    return cost


def resume_after(path: Path, completed: int) -> tuple[float, float]:
    """(flow-resume! alone, open + resume in a new interpreter) for a run with ``completed`` steps done."""
    definitions = f"""
      (define failing #t)
      (define (last-step x) (if failing (raise 'not-yet) x))
      (flow-define 'long (append (make-list {completed} (lambda (x) x)) (list last-step)))"""
    first = interpreter_for(path)
    first.eval(definitions)
    try:
        first.call("flow-start!", "long-run", Symbol("long"), 1)
    except Exception:
        pass
    export = first.call("flow-store-export")
    first.call("flow-store-close!")

    restarted = Interpreter().load_flow()
    restarted.eval(definitions + "(set! failing #f)")

    def open_and_resume():
        restarted.call("flow-store-open!", str(path))
        restarted.call("flow-resume!", "long-run")

    open_resume = timed(open_and_resume)
    restarted.call("flow-store-close!")

    in_memory = Interpreter().load_flow()
    in_memory.eval(definitions + "(set! failing #f)")

    def resume_only():
        in_memory.call("flow-store-import!", export)
        in_memory.call("flow-resume!", "long-run")

    import_only = timed(lambda: in_memory.call("flow-store-import!", export), 5)
    return timed(resume_only, 5) - import_only, open_resume


def store_open(path: Path, keys: int) -> float:
    store = StoreFile(path)
    store.replace([(f"key-{index}", make_list([index, "value", Symbol("tag")])) for index in range(keys)])
    store.close()
    interpreter = Interpreter().load_flow()

    def open_store():
        interpreter.call("flow-store-open!", str(path))
        interpreter.call("flow-store-close!")

    seconds = timed(open_store, 3)
    interpreter.call("flow-store-open!", str(path))
    assert interpreter.eval("(length (flow-store-keys))") == keys  # everything was loaded
    interpreter.call("flow-store-close!")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps")
    options = parser.parse_args()
    steps = 500 if options.quick else 2_000
    full_steps = 50 if options.quick else 200
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        print("checkpoint cost per step (flow-start! minus a plain loop over the same steps)")
        memory = checkpoint_cost(None, steps)
        normal = checkpoint_cost(base / "normal.db", steps)
        full = checkpoint_cost(base / "full.db", full_steps, "full")
        print(f"  in memory                         {memory * 1e6:9.1f} µs/step   (n={steps:,})")
        print(f"  SQLite, WAL, synchronous=NORMAL   {normal * 1e6:9.1f} µs/step   (n={steps:,})  "
              f"{normal / memory:.1f}x memory, {normal / TARGET_SECONDS:.2f}x the 1 ms target")
        print(f"  SQLite, WAL, synchronous=FULL     {full * 1e6:9.1f} µs/step   (n={full_steps:,})  "
              f"{full / memory:.1f}x memory, {full / TARGET_SECONDS:.2f}x the 1 ms target")

        completed = 2_000 if options.quick else 10_000
        resume, open_resume = resume_after(base / "resume.db", completed)
        print(f"resume of a run with {completed:,} completed steps")
        print(f"  flow-resume! (store in memory)    {resume * 1e3:9.2f} ms")
        print(f"  open the store file + resume      {open_resume * 1e3:9.2f} ms   (a process restart)")

        keys = 20_000 if options.quick else 100_000
        seconds = store_open(base / "big.db", keys)
        print(f"store open at {keys:,} keys")
        print(f"  flow-store-open!                  {seconds * 1e3:9.1f} ms   {seconds / keys * 1e6:.2f} µs/key   "
              f"(file {os.path.getsize(base / 'big.db') / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
