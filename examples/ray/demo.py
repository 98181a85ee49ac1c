"""Two peers as Ray actors: failover when one is killed, and a run handed over to the survivor.

    python examples/ray/demo.py      (needs pip install "sxflow[ray]")

Starts a local Ray instance (or uses the one this process is connected to), serves
examples/ray/peer.sx as the detached actors eu-1 and us-1, and drives them from a
client interpreter. eu-1 runs a 4-step flow with us-1 as its standby and stalls in the
third step; the demo kills it there with ray.kill, and us-1 restores eu-1's replica
and resumes the run: the first two steps are not run again.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

# One machine, loopback only, nothing reported off the machine (set before Ray is imported).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import sxflow  # noqa: E402
import sxflow.ray as sxray  # noqa: E402


def show(label: str, value) -> None:
    print(f"{label}: {sxflow.write_string(value)}", flush=True)


def run(suffix: str = "") -> None:
    """The demo against the Ray instance this process is connected to; actor names end with ``suffix``."""
    eu_name, us_name = f"eu-1{suffix}", f"us-1{suffix}"
    eu = sxray.serve_actor(eu_name, [HERE / "peer.sx"])
    us = sxray.serve_actor(us_name, [HERE / "peer.sx"])
    print(f"serving {eu_name} and {us_name} as Ray actors", flush=True)
    try:
        sx = sxflow.Interpreter().load_flow()
        sx.eval(f'(ray-connect! "eu-1" "{eu_name}" #f 120) (ray-connect! "us-1" "{us_name}" #f 120)')
        sx.eval("(define price (remote-failover '(\"eu-1\" \"us-1\") 'price"
                " (fn (order) (list \"local\" (* 10 (cadr order))))))")
        show("price of (tea 3)", sx.eval("(price '(tea 3))"))

        print(f"{eu_name} runs invoice-7 with standby {us_name} and stalls in step 2", flush=True)
        # The call that starts the run waits in a thread of its own, with its own interpreter.
        caller = sxflow.Interpreter().load_flow()
        caller.eval(f'(ray-connect! "eu-1" "{eu_name}" #f 120)')
        starter = threading.Thread(target=lambda: caller.eval(
            f"(guard (e (#t e)) (flow-transport \"eu-1\" 'start '(\"invoice-7\" \"{us_name}\" 2)))"), daemon=True)
        starter.start()
        progress = f"(flow-transport \"us-1\" 'progress '(\"{eu_name}\" \"invoice-7\"))"
        deadline = time.monotonic() + 60
        while sx.eval(progress) < 2 and time.monotonic() < deadline:  # us-1 holds steps 0 and 1
            time.sleep(0.1)
        time.sleep(0.5)  # eu-1 is in step 2 now
        print(f"ray.kill {eu_name}", flush=True)
        eu.kill()
        starter.join(timeout=60)
        show(f"price of (tea 3) with {eu_name} dead", sx.eval("(price '(tea 3))"))
        show(f"{us_name} takes over invoice-7",
             sx.eval(f"(flow-transport \"us-1\" 'take-over '(\"{eu_name}\" \"invoice-7\"))"))
        us.kill()
        while sxray.stop_actor(us_name):  # ray.kill acts asynchronously
            time.sleep(0.05)
        show("price of (tea 3) with every peer dead", sx.eval("(price '(tea 3))"))
    finally:
        for name in (eu_name, us_name):
            sxray.stop_actor(name)


def main() -> None:
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(num_cpus=2, include_dashboard=False, namespace=sxray.NAMESPACE, log_to_driver=False)
    try:
        run()
    finally:
        if started_here:
            ray.shutdown()


if __name__ == "__main__":
    main()
