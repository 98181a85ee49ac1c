"""``sxflow serve FILE... --name NAME [--listen HOST:PORT] [--secret-file PATH]``: one peer as a process.

Loads the flow library, evaluates the files (which call fed-expose!), binds the
listening socket, prints ``serving NAME at URL`` as the first line of stdout, and runs
uvicorn until SIGTERM or SIGINT, after which in-flight calls finish (up to the
graceful timeout), the port is released and the command exits with status 0.
"""

from __future__ import annotations

import logging
import signal
import sys

from ..reader import read_forms
from ..reporting import read_program
from . import auth
from .host import Host
from .server import FederationApp, bind, make_server, url_of
from .state import fed_state

INSTALL_HINT = 'sxflow serve needs the federation extra (uvicorn and httpx): pip install "sxflow[fed]"'


class ServeUsageError(Exception):
    """A problem with the serve command line, its secret or its address (exit status 2)."""


def parse_listen(text: str | None) -> tuple[str, int]:
    """``HOST:PORT``, ``:PORT``, ``PORT`` or ``[IPv6]:PORT`` -> (host, port); None: loopback, OS port."""
    if not text:
        return "127.0.0.1", 0
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or int(port) > 65535:
        raise ServeUsageError(f"--listen expects HOST:PORT (port 0-65535), got {text!r}")
    return host, int(port)


def command_serve(options, make_interpreter) -> int:
    """Run the server in the foreground; returns the exit status."""
    try:
        import uvicorn  # noqa: F401
        import httpx  # noqa: F401
    except ImportError:
        raise ServeUsageError(INSTALL_HINT) from None
    host_name, port = parse_listen(options.listen)
    try:
        secret = auth.resolve_secret(None, options.secret_file)
    except auth.SecretError as error:
        raise ServeUsageError(f"serve: {error}") from None
    programs = [read_forms(read_program(path), path) for path in options.files]
    interpreter = make_interpreter(options, options.files[0])
    interpreter.load_flow()
    state = fed_state(interpreter)
    state.name, state.secret = options.name, secret
    try:
        sock = bind(host_name, port)
    except OSError as error:
        raise ServeUsageError(f"serve: cannot listen on {host_name}:{port}: {error.strerror}") from None
    # The first line of stdout, before anything the files print: scripts read the URL from it.
    # Connections made before the files are evaluated wait in the listen queue.
    print(f"serving {options.name} at {url_of(sock)}", flush=True)
    try:
        for forms in programs:
            interpreter.eval_forms([form for form, _ in forms], positions=[where for _, where in forms])
    except BaseException:
        sock.close()
        raise
    # Refused requests are reported on stderr, one line each (stdout is the program's).
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format=f"sxflow serve {options.name}: %(message)s")
    app = FederationApp(Host(interpreter, options.name), secret, max_body=options.max_body,
                        body_timeout=options.body_timeout)
    server = make_server(app, graceful_timeout=options.shutdown_timeout)
    # uvicorn catches SIGTERM/SIGINT while it runs, shuts down gracefully, then raises the
    # signal again for the previous handler: these make that a normal, successful exit.
    stopped = []
    previous = {sig: signal.signal(sig, lambda number, frame: stopped.append(number))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    sys.stdout.flush()
    return 0
