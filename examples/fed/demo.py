"""Start two peers, show failover when one is killed and a store handoff to the survivor.

    python examples/fed/demo.py      (needs pip install "sxflow[fed]")

Each peer is a real `sxflow serve examples/fed/peer.sx` process on 127.0.0.1 with a
port chosen by the OS; the secret is made up for the demo and passed in the environment.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import sxflow  # noqa: E402


def show(line: str) -> None:
    sys.stdout.write(line)
    sys.stdout.flush()


def start(name: str, environment: dict) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "sxflow", "serve", str(HERE / "peer.sx"), "--name", name],
                               stdout=subprocess.PIPE, text=True, env=environment, cwd=ROOT)
    first = process.stdout.readline().strip()  # "serving NAME at URL"
    print(first)
    # What the peer prints from then on is shown indented, as it happens: each line written
    # whole, so that it never lands inside a line this process is writing.
    threading.Thread(target=lambda: [show("      | " + line) for line in process.stdout], daemon=True).start()
    return process, first.split(" at ", 1)[1]


def main() -> None:
    environment = dict(os.environ, SXFLOW_FED_SECRET=secrets.token_hex(32), PYTHONPATH=str(ROOT))
    os.environ["SXFLOW_FED_SECRET"] = environment["SXFLOW_FED_SECRET"]
    eu, eu_url = start("eu-1", environment)
    us, us_url = start("us-1", environment)
    try:
        sx = sxflow.Interpreter().load_flow()
        os.environ["EU_URL"], os.environ["US_URL"] = eu_url, us_url
        sx.load(HERE / "client.sx")  # connects both peers and prices once: eu-1 answers
        sx.eval("(say \"eu-1 starts a job and replicates its store to us-1 after each step:\")")
        print("  ", sxflow.write_string(sx.eval(f"(flow-transport \"eu-1\" 'start-job '(invoice-7 \"{us_url}\""
                                                " fetch parse check price ship))")))
        print("kill -9 eu-1")
        eu.send_signal(signal.SIGKILL)
        eu.wait()
        sx.eval("(say \"price of (tea 3) with eu-1 dead: \" (price '(tea 3)))")
        sx.eval("(say \"us-1 restores eu-1's store and finishes the job:\")")
        print("  ", sxflow.write_string(sx.eval("(flow-transport \"us-1\" 'resume-job \"eu-1\")")))
        print("kill -9 us-1")
        us.send_signal(signal.SIGKILL)
        us.wait()
        sx.eval("(say \"price of (tea 3) with every peer dead: \" (price '(tea 3)))")
    finally:
        for process in (eu, us):
            if process.poll() is None:
                process.kill()
            process.wait()


if __name__ == "__main__":
    main()
