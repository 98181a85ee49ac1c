"""A process running the 4-step flow of tests/test_runs.py, made to stop where the test says so it can be killed.

    python tests/runs_child.py STORE LEDGER MARKERS start|resume [--pause WHERE] [--replica FILE]

STORE is the SQLite store file ("-" for an in-memory store), LEDGER a file every step
appends its flow-step-key to (its external effect), MARKERS a directory. With
``--pause enter-K`` (step K, from 1, about to make its effect), ``--pause middle-K``
(step K made its effect and has not returned) or ``--pause done`` (the run finished,
the process has not exited), the process writes MARKERS/WHERE and sleeps: the test
kills it there. ``--replica FILE`` makes a standby "standby-b" whose replica is the
store export written to FILE as text after every checkpoint. On success it prints the
run's output and the store export, each on one line, as ``write`` shows them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sxflow  # noqa: E402

RUN_ID = "run-1"
PAUSE_SECONDS = 120  # the test kills the process long before; bounded in case it does not

FLOW = """
(define (four-step i)
  (lambda (x)
    (pause! "enter" i)
    (ledger! (flow-step-key))
    (pause! "middle" i)
    (if (= i 2) (flow-store-put! "side-effect" (list 'seen x)))
    (list i x)))
(flow-define 'four (list (four-step 1) (four-step 2) (four-step 3) (four-step 4)))
"""


def install_flow(interpreter, ledger: Path, markers: Path | None = None, pause: str | None = None) -> None:
    """Define the four-step flow and the helpers its steps call in ``interpreter``."""

    def pause_here(where, index=None):
        name = where if index is None else f"{where}-{index}"
        if name == pause:
            (markers / name).write_text(str(os.getpid()), encoding="utf-8")
            time.sleep(PAUSE_SECONDS)

    def append_to_ledger(key):
        with open(ledger, "a", encoding="utf-8") as handle:
            handle.write(key + "\n")

    interpreter["pause!"] = pause_here
    interpreter["ledger!"] = append_to_ledger
    interpreter.eval(FLOW, "runs_child.py")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("ledger", type=Path)
    parser.add_argument("markers", type=Path)
    parser.add_argument("mode", choices=("start", "resume"))
    parser.add_argument("--pause")
    parser.add_argument("--replica", type=Path)
    options = parser.parse_args(argv)
    if options.store == "-":
        interpreter = sxflow.Interpreter().load_flow()
    else:
        interpreter = sxflow.Interpreter(store_path=options.store)
    install_flow(interpreter, options.ledger, options.markers, options.pause)
    if options.replica is not None:
        replica = options.replica

        def push_replica():
            text = sxflow.write_string(interpreter.call("flow-store-export"))
            temporary = replica.with_suffix(".partial")
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, replica)  # the standby never sees half a replica

        interpreter.call("flow-set-replicator!", "standby-b", push_replica)
        interpreter.call("flow-standby!", ["standby-b"])
    if options.mode == "start":
        result = interpreter.call("flow-start!", RUN_ID, sxflow.Symbol("four"), "input")
    else:
        result = interpreter.call("flow-resume!", RUN_ID)
    if options.pause == "done":
        (options.markers / "done").write_text(str(os.getpid()), encoding="utf-8")
        time.sleep(PAUSE_SECONDS)
    print(sxflow.write_string(result))
    print(sxflow.write_string(interpreter.call("flow-store-export")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
