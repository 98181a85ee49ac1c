"""Test support: `sxflow serve` peers as real processes on 127.0.0.1, OS-chosen ports, secret in the environment."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER_PROGRAM = ROOT / "tests" / "data" / "fed" / "peer.sx"
SECRET = "test-secret-0123456789abcdef"
START_TIMEOUT = 60.0  # a loaded 2-core machine can take seconds to import and load the flow library


class Peer:
    """One `sxflow serve` process; its stdout lines are collected by a thread."""

    def __init__(self, name: str, *files, args=(), env=None) -> None:
        self.name = name
        environment = dict(os.environ, SXFLOW_FED_SECRET=SECRET, PYTHONPATH=str(ROOT))
        environment.update(env or {})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sxflow", "serve", *(str(f) for f in (files or (PEER_PROGRAM,))),
             "--name", name, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=environment)
        self.lines: queue.Queue = queue.Queue()
        self.errors: list[str] = []
        threading.Thread(target=self._pump, args=(self.process.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, self.errors.append), daemon=True).start()
        self.url = None

    @staticmethod
    def _pump(stream, put) -> None:
        for line in stream:
            put(line.rstrip("\n"))
        put(None)

    def started(self) -> "Peer":
        first = self.wait_for_line("serving", START_TIMEOUT, first=True)
        self.url = first.split(" at ", 1)[1]
        assert first == f"serving {self.name} at {self.url}"
        assert self.url.startswith("http://127.0.0.1:")
        return self

    def wait_for_line(self, text: str, timeout: float, first: bool = False) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{self.name}: no line with {text!r} in {timeout} s; stderr: {self.errors}")
            if line is None:
                raise AssertionError(f"{self.name} ended (status {self.process.poll()}); stderr: {self.errors}")
            if text in line:
                return line
            if first:
                raise AssertionError(f"{self.name}: first line {line!r}, expected {text!r}")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def signal(self, number: int) -> None:
        if self.process.poll() is None:
            self.process.send_signal(number)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        self.process.wait(30)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
        self.process.wait(30)
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()


def start_peers(*names: str, **options) -> list[Peer]:
    """Start peers side by side (so their start-up overlaps) and wait until each is serving."""
    peers = [Peer(name, **options) for name in names]
    try:
        return [peer.started() for peer in peers]
    except BaseException:
        for peer in peers:
            peer.close()
        raise
